package farms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Coop is a farming cooperative: the marketplace's cooperative (name, county,
// manager) with what running a farm adds — its legal representative, the minimum
// daily wage its payrolls are checked against, and its shareholding members.
type Coop struct {
	ID            string // the marketplace cooperative's id
	Name          string
	CountyCode    string
	ManagerUserID string
	LegalRep      string
	MinDailyWage  fishpond.Money
	Members       []Member
}

// Member holds shares of a cooperative: a registered household (HouseholdID set),
// or another member — a villager not registered as poor, a company, a village
// collective — known by Label.
type Member struct {
	ID          string
	HouseholdID string
	Number      string // the registry's household number, for pages
	Label       string
	Shares      int64
}

// MemberInput is one member as registered.
type MemberInput struct {
	HouseholdID string
	Label       string
	Shares      int64
}

// CoopInput turns an existing marketplace cooperative into a farm.
type CoopInput struct {
	CoopID       string
	LegalRep     string
	MinDailyWage fishpond.Money // 0: the configured default
	Members      []MemberInput
}

// MaxMembers bounds one registration; the first farm has 159 households.
const MaxMembers = 5000

// canManage: the cooperative's own manager runs it; admins may too.
func canManage(p fishpond.Principal, c *Coop) bool {
	return p.Role == fishpond.RoleAdmin || (p.Role == fishpond.RoleCoopManager && p.UserID != "" && p.UserID == c.ManagerUserID)
}

// canRead: the manager, and whoever sees the cooperative's county (its officers,
// auditors, fund staff).
func canRead(p fishpond.Principal, c *Coop) bool {
	return canManage(p, c) || p.CanSeeCounty(c.CountyCode)
}

// RegisterCoop registers a marketplace cooperative as a farm with its members;
// only an admin or an officer of its county may, because membership decides whose
// property income its dividends become.
func (s *Service) RegisterCoop(ctx context.Context, p fishpond.Principal, in CoopInput) (Coop, error) {
	in.LegalRep = strings.TrimSpace(in.LegalRep)
	f := map[string]string{}
	if in.LegalRep == "" || utf8.RuneCountInString(in.LegalRep) > 50 {
		f["legal_rep"] = "必填，最多50字 required, at most 50 characters"
	}
	if in.MinDailyWage == 0 {
		in.MinDailyWage = s.cfg.DefaultMinDailyWage
	}
	if in.MinDailyWage < 0 || in.MinDailyWage > fishpond.Yuan(10000) {
		f["min_daily_wage"] = "须在0到1万元之间 must be above 0 and at most 10,000 yuan"
	}
	switch {
	case len(in.Members) == 0:
		f["members"] = "至少一名社员 at least one member"
	case len(in.Members) > MaxMembers:
		f["members"] = fmt.Sprintf("最多%d名社员 at most %d members", MaxMembers, MaxMembers)
	}
	seen := map[string]int{}
	for i, m := range in.Members {
		name := fmt.Sprintf("members[%d]", i)
		in.Members[i].Label = strings.TrimSpace(m.Label)
		if m.HouseholdID == "" && in.Members[i].Label == "" {
			f[name+".label"] = "非建档立卡社员须填写名称 a member who is not a registered household needs a label"
		}
		if utf8.RuneCountInString(in.Members[i].Label) > 100 {
			f[name+".label"] = "最多100字 at most 100 characters"
		}
		if m.HouseholdID != "" {
			if j, dup := seen[m.HouseholdID]; dup {
				f[name+".household_id"] = fmt.Sprintf("与第%d名重复 same household as members[%d]", j, j)
			}
			seen[m.HouseholdID] = i
		}
		if m.Shares <= 0 || m.Shares > 1_000_000_000 {
			f[name+".shares"] = "股数须为正整数 shares must be a positive whole number"
		}
	}
	var c Coop
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		mc, err := s.market.Coop(ctx, in.CoopID)
		if err != nil {
			return err
		}
		if !p.CanEditRegistry(mc.CountyCode) {
			return forbidden("只有本县干部可以登记合作社 only an officer of the county may register its cooperatives")
		}
		var one int
		switch err := tx.QueryRowContext(ctx, "SELECT 1 FROM farms_coops WHERE coop_id = ?", in.CoopID).Scan(&one); {
		case err == nil:
			return conflict("该合作社已登记为农场 the cooperative is already registered as a farm")
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		for i, m := range in.Members {
			if m.HouseholdID == "" {
				continue
			}
			if err := checkHousehold(ctx, tx, m.HouseholdID, fmt.Sprintf("members[%d].household_id", i), f); err != nil {
				return err
			}
		}
		if len(f) > 0 {
			return fishpond.Invalid("合作社信息有误 invalid cooperative", f)
		}
		now := s.now()
		c = Coop{ID: mc.ID, Name: mc.Name, CountyCode: mc.CountyCode, ManagerUserID: mc.ManagerUserID, LegalRep: in.LegalRep, MinDailyWage: in.MinDailyWage}
		if _, err := tx.ExecContext(ctx, "INSERT INTO farms_coops (coop_id, legal_rep, min_daily_wage, created_at) VALUES (?, ?, ?, ?)",
			c.ID, c.LegalRep, int64(c.MinDailyWage), db.FormatTime(now)); err != nil {
			return insertErr(err)
		}
		st, err := tx.Stmt(ctx, "INSERT INTO farms_members (id, coop_id, household_id, label, shares, joined_at) VALUES (?, ?, ?, ?, ?, ?)")
		if err != nil {
			return internal(err)
		}
		households := 0
		for _, m := range in.Members {
			mb := Member{ID: newID(), HouseholdID: m.HouseholdID, Label: m.Label, Shares: m.Shares}
			var hh any
			if m.HouseholdID != "" {
				hh = m.HouseholdID
				households++
			}
			if _, err := st.ExecContext(ctx, mb.ID, c.ID, hh, mb.Label, mb.Shares, db.FormatTime(now)); err != nil {
				return internal(err)
			}
			c.Members = append(c.Members, mb)
		}
		for cat := range coopAccountSpecs {
			if _, err := coopAccount(ctx, tx, c.ID, cat); err != nil {
				return err
			}
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.coop.registered", Subject: c.ID, CountyCode: c.CountyCode,
			Payload: map[string]any{"members": len(c.Members), "households": households}})
	})
	if err != nil {
		return Coop{}, err
	}
	return c, nil
}

// checkHousehold records a field error unless id is a registered household.
func checkHousehold(ctx context.Context, q db.Querier, id, field string, f map[string]string) error {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM households WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		f[field] = "不是建档立卡户 not a registered household"
		return nil
	}
	return internal(err)
}

// checkCoopHousehold notes in f when a household named ("" is none) is not a
// registered household of the cooperative's county; other errors are returned.
func checkCoopHousehold(ctx context.Context, q db.Querier, householdID, county string, f map[string]string) error {
	if householdID == "" {
		return nil
	}
	got, err := householdCounty(ctx, q, householdID)
	switch {
	case fishpond.Code(err) == fishpond.ENotFound:
		f["household_id"] = "不是建档立卡户 not a registered household"
	case err != nil:
		return err
	case got != county:
		f["household_id"] = "不是合作社所在县的农户 not a household of the cooperative's county"
	}
	return nil
}

// householdCounty is the county a registered household belongs to.
func householdCounty(ctx context.Context, q db.Querier, id string) (string, error) {
	var county string
	err := q.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", id).Scan(&county)
	if err != nil {
		return "", db.NotFound(err, "没有该农户 no such household")
	}
	return county, nil
}

// loadCoop reads a farm cooperative and its members (members sorted by id).
func loadCoop(ctx context.Context, q db.Querier, id string, withMembers bool) (Coop, error) {
	var c Coop
	var wage int64
	err := q.QueryRowContext(ctx, `SELECT m.id, m.name, m.county_code, m.manager_user_id, f.legal_rep, f.min_daily_wage
		FROM farms_coops f JOIN market_coops m ON m.id = f.coop_id WHERE f.coop_id = ?`, id).
		Scan(&c.ID, &c.Name, &c.CountyCode, &c.ManagerUserID, &c.LegalRep, &wage)
	if err != nil {
		return Coop{}, db.NotFound(err, "没有该合作社农场 no such farm cooperative")
	}
	c.MinDailyWage = fishpond.Money(wage)
	if !withMembers {
		return c, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT m.id, COALESCE(m.household_id, ''), COALESCE(h.number, ''), m.label, m.shares
		FROM farms_members m LEFT JOIN households h ON h.id = m.household_id WHERE m.coop_id = ? ORDER BY m.id`, id)
	if err != nil {
		return Coop{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.HouseholdID, &m.Number, &m.Label, &m.Shares); err != nil {
			return Coop{}, internal(err)
		}
		c.Members = append(c.Members, m)
	}
	return c, internal(rows.Err())
}

// managedCoop loads a cooperative the principal runs; outside its scope the
// cooperative does not exist, so ids cannot be probed.
func managedCoop(ctx context.Context, q db.Querier, p fishpond.Principal, id string, withMembers bool) (Coop, error) {
	c, err := loadCoop(ctx, q, id, withMembers)
	if err != nil {
		return Coop{}, err
	}
	if !canManage(p, &c) {
		if canRead(p, &c) {
			return Coop{}, forbidden("只有合作社负责人可以操作 only the cooperative's manager may do this")
		}
		return Coop{}, notFound("没有该合作社农场 no such farm cooperative")
	}
	return c, nil
}

// Coop reads a farm cooperative with its members, for its manager and the
// officers of its county.
func (s *Service) Coop(ctx context.Context, p fishpond.Principal, id string) (Coop, error) {
	c, err := loadCoop(ctx, s.db.Read(), id, true)
	if err != nil {
		return Coop{}, err
	}
	if !canRead(p, &c) {
		return Coop{}, notFound("没有该合作社农场 no such farm cooperative")
	}
	return c, nil
}

// Coops lists the farm cooperatives the principal may see: all for admins and fund
// staff, its own for a manager, its counties' for officers.
func (s *Service) Coops(ctx context.Context, p fishpond.Principal) ([]Coop, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT f.coop_id FROM farms_coops f JOIN market_coops m ON m.id = f.coop_id ORDER BY m.name, f.coop_id`)
	if err != nil {
		return nil, internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Coop
	for _, id := range ids {
		c, err := loadCoop(ctx, s.db.Read(), id, false)
		if err != nil {
			return nil, err
		}
		if canRead(p, &c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Deposit records money paid into the cooperative (members' capital, a fund's
// grant, a bank loan) so its cash can pay rent and wages; idempotent by key.
func (s *Service) Deposit(ctx context.Context, p fishpond.Principal, coopID string, amount fishpond.Money, note, key string) (ledger.Transfer, error) {
	f := map[string]string{}
	if amount <= 0 || amount > ledger.MaxAmount {
		f["amount"] = "金额须大于0 amount must be above 0"
	}
	if key == "" || len(key) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if utf8.RuneCountInString(note) > 200 {
		f["note"] = "最多200字 at most 200 characters"
	}
	if len(f) > 0 {
		return ledger.Transfer{}, fishpond.Invalid("入账信息有误 invalid deposit", f)
	}
	var t ledger.Transfer
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		c, err := managedCoop(ctx, tx, p, coopID, false)
		if err != nil {
			return err
		}
		cash, err := coopAccount(ctx, tx, c.ID, CatCash)
		if err != nil {
			return err
		}
		capital, err := coopAccount(ctx, tx, c.ID, CatCapital)
		if err != nil {
			return err
		}
		t, err = ledger.PostTx(ctx, tx, s.now(), ledger.TransferRequest{IdempotencyKey: "farms:deposit:" + c.ID + ":" + key, Kind: "farm_deposit",
			Memo: "合作社入账 cooperative deposit " + note, Postings: []ledger.Posting{{AccountID: cash, Amount: amount}, {AccountID: capital, Amount: -amount}}})
		return err
	})
	return t, err
}

// Cash is the cooperative's cash balance (what it holds on the platform).
func (s *Service) Cash(ctx context.Context, p fishpond.Principal, coopID string) (fishpond.Money, error) {
	c, err := s.Coop(ctx, p, coopID)
	if err != nil {
		return 0, err
	}
	var bal int64
	err = s.db.Read().QueryRowContext(ctx, `SELECT b.balance FROM ledger_accounts a JOIN ledger_balances b ON b.account_seq = a.seq
		WHERE a.owner = ? AND a.category = ?`, CoopOwner(c.ID), CatCash).Scan(&bal)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return fishpond.Money(bal), internal(err)
}
