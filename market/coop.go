package market

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Coop is a cooperative (合作社) as the marketplace needs it: registered member
// households with shares, so that a cooperative product's proceeds reach them and a
// cooperative shop can prove it is poverty alleviation. The farms capability will
// grow this into contracts and labour.
type Coop struct {
	ID            string
	Name          string
	CountyCode    string
	ManagerUserID string
	Members       []Share
}

// Share is a household's part of a product or cooperative in basis points; the
// shares of one product or cooperative sum to exactly 10000.
type Share struct {
	HouseholdID string
	Bp          fishpond.Bp
}

// CoopInput is what an officer enters to register a cooperative.
type CoopInput struct {
	Name          string
	CountyCode    string
	ManagerUserID string
	Members       []Share
}

// validateShares checks that shares name distinct households and sum to 10000 bp,
// so proceeds are split exactly.
func validateShares(field string, shares []Share, f map[string]string) {
	if len(shares) == 0 {
		f[field] = "至少一户 at least one household"
		return
	}
	if len(shares) > 50 {
		f[field] = "最多50户 at most 50 households"
		return
	}
	var sum fishpond.Bp
	seen := map[string]bool{}
	for i, sh := range shares {
		name := fmt.Sprintf("%s[%d]", field, i)
		if strings.TrimSpace(sh.HouseholdID) == "" {
			f[name+".household_id"] = "必填 required"
		} else if seen[sh.HouseholdID] {
			f[name+".household_id"] = "重复的农户 duplicate household"
		}
		seen[sh.HouseholdID] = true
		if sh.Bp <= 0 || sh.Bp > 10000 {
			f[name+".bp"] = "份额须在1到10000之间 share must be 1–10000 bp"
		}
		sum += sh.Bp
	}
	if sum != 10000 && f[field] == "" {
		f[field] = fmt.Sprintf("份额合计须为10000，现为%d shares must sum to 10000 bp, got %d", sum, sum)
	}
}

// checkRegistered reports the shares whose household is not in the registry.
func checkRegistered(ctx context.Context, tx *db.Tx, field string, shares []Share, f map[string]string) error {
	for i, sh := range shares {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM households WHERE id = ?", sh.HouseholdID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			f[fmt.Sprintf("%s[%d].household_id", field, i)] = "不是建档立卡户 not a registered household"
		} else if err != nil {
			return internal(err)
		}
	}
	return nil
}

// CreateCoop registers a cooperative; only an admin or an officer of its county
// may, because membership decides whose income its sales become.
func (s *Store) CreateCoop(ctx context.Context, p fishpond.Principal, in CoopInput) (Coop, error) {
	in.Name = strings.TrimSpace(in.Name)
	f := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		f["name"] = "必填，最多100字 required, at most 100 characters"
	}
	if strings.TrimSpace(in.ManagerUserID) == "" {
		f["manager_user_id"] = "必填 required"
	}
	validateShares("members", in.Members, f)
	if !p.CanEditRegistry(in.CountyCode) {
		return Coop{}, forbidden("only an officer of the county may register its cooperatives")
	}
	c := Coop{ID: newID(), Name: in.Name, CountyCode: in.CountyCode, ManagerUserID: in.ManagerUserID, Members: in.Members}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := checkCounty(ctx, tx, "county_code", in.CountyCode, f); err != nil {
			return err
		}
		if err := checkRegistered(ctx, tx, "members", in.Members, f); err != nil {
			return err
		}
		if len(f) > 0 {
			return fishpond.Invalid("合作社信息有误 invalid cooperative", f)
		}
		now := db.FormatTime(s.now())
		if _, err := tx.ExecContext(ctx, "INSERT INTO market_coops (id, name, county_code, manager_user_id, created_at) VALUES (?, ?, ?, ?, ?)",
			c.ID, c.Name, c.CountyCode, c.ManagerUserID, now); err != nil {
			return internal(err)
		}
		for _, m := range in.Members {
			if _, err := tx.ExecContext(ctx, "INSERT INTO market_coop_members (coop_id, household_id, share_bp) VALUES (?, ?, ?)",
				c.ID, m.HouseholdID, int64(m.Bp)); err != nil {
				return internal(err)
			}
		}
		return nil
	})
	return c, err
}

// loadCoop reads a cooperative with its members ordered by household id, the order
// settlement relies on for its deterministic remainder.
func loadCoop(ctx context.Context, q db.Querier, id string) (Coop, error) {
	var c Coop
	err := q.QueryRowContext(ctx, "SELECT id, name, county_code, manager_user_id FROM market_coops WHERE id = ?", id).
		Scan(&c.ID, &c.Name, &c.CountyCode, &c.ManagerUserID)
	if err != nil {
		return Coop{}, db.NotFound(err, "没有该合作社 no such cooperative")
	}
	rows, err := q.QueryContext(ctx, "SELECT household_id, share_bp FROM market_coop_members WHERE coop_id = ? ORDER BY household_id", id)
	if err != nil {
		return Coop{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sh Share
		var bp int64
		if err := rows.Scan(&sh.HouseholdID, &bp); err != nil {
			return Coop{}, internal(err)
		}
		sh.Bp = fishpond.Bp(bp)
		c.Members = append(c.Members, sh)
	}
	slices.SortFunc(c.Members, func(a, b Share) int { return strings.Compare(a.HouseholdID, b.HouseholdID) })
	return c, rows.Err()
}

// Coop reads a cooperative; everyone may, since its members appear on product pages
// only as shares, never as personal data.
func (s *Store) Coop(ctx context.Context, id string) (Coop, error) {
	return loadCoop(ctx, s.db.Read(), id)
}

// checkCounty records a field error when the county code is not in the registry.
func checkCounty(ctx context.Context, q db.Querier, field, code string, f map[string]string) error {
	if code == "" {
		f[field] = "必填 required"
		return nil
	}
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM counties WHERE code = ?", code).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		f[field] = "没有该县 no such county"
		return nil
	}
	if err != nil {
		return internal(err)
	}
	return nil
}
