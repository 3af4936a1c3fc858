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

// OwnerKind says who runs a shop; it decides who may sell in it and how its
// poverty-alleviation label is proved.
type OwnerKind string

// The three kinds of shop owner of the issue.
const (
	OwnerHousehold OwnerKind = "household" // OwnerID: a registered household
	OwnerCoop      OwnerKind = "coop"      // OwnerID: a cooperative
	OwnerCentre    OwnerKind = "centre"    // OwnerID: the county code of its e-commerce service centre
)

// Shop is a storefront. Poverty and PovertyReason are computed from the registry
// when the shop opens, never typed in, so the label cannot be claimed falsely.
type Shop struct {
	ID            string
	Name          string
	OwnerKind     OwnerKind
	OwnerID       string
	CountyCode    string
	Poverty       bool
	PovertyReason string
}

// ShopInput is what a seller enters to open a shop.
type ShopInput struct {
	Name      string
	OwnerKind OwnerKind
	OwnerID   string
}

// OpenShop opens a shop for a household, cooperative or service centre the
// principal may sell for, and computes its poverty-alleviation label.
func (s *Store) OpenShop(ctx context.Context, p fishpond.Principal, in ShopInput) (Shop, error) {
	in.Name = strings.TrimSpace(in.Name)
	f := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		f["name"] = "必填，最多60字 required, at most 60 characters"
	}
	switch in.OwnerKind {
	case OwnerHousehold, OwnerCoop, OwnerCentre:
	default:
		f["owner_kind"] = "须为 household、coop 或 centre must be household, coop or centre"
	}
	if strings.TrimSpace(in.OwnerID) == "" {
		f["owner_id"] = "必填 required"
	}
	if len(f) > 0 {
		return Shop{}, fishpond.Invalid("店铺信息有误 invalid shop", f)
	}
	sh := Shop{ID: newID(), Name: in.Name, OwnerKind: in.OwnerKind, OwnerID: in.OwnerID}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		county, poverty, reason, err := provePoverty(ctx, tx, in.OwnerKind, in.OwnerID)
		if err != nil {
			return err
		}
		sh.CountyCode, sh.Poverty, sh.PovertyReason = county, poverty, reason
		if err := s.canSellFor(ctx, tx, p, sh); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO market_shops (id, name, owner_kind, owner_id, county_code, poverty, poverty_reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sh.ID, sh.Name, string(sh.OwnerKind), sh.OwnerID, sh.CountyCode, boolInt(sh.Poverty), sh.PovertyReason, db.FormatTime(s.now()))
		if db.IsUniqueViolation(err) {
			return conflict("该店主已有同名店铺 the owner already has a shop of this name")
		}
		return internal(err)
	})
	if err != nil {
		return Shop{}, err
	}
	return sh, nil
}

// provePoverty finds the owner's county and decides the label from the registry:
// a registered household; a cooperative with registered members; a service centre
// of a national poverty county.
func provePoverty(ctx context.Context, q db.Querier, kind OwnerKind, ownerID string) (county string, poverty bool, reason string, err error) {
	switch kind {
	case OwnerHousehold:
		err = q.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", ownerID).Scan(&county)
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, "", fishpond.Invalid("店主不是建档立卡户 the owner is not a registered household",
				map[string]string{"owner_id": "不是建档立卡户 not a registered household"})
		}
		if err != nil {
			return "", false, "", internal(err)
		}
		return county, true, "店主为建档立卡贫困户 owner is a registered poor household", nil
	case OwnerCoop:
		var members int
		err = q.QueryRowContext(ctx, `SELECT c.county_code, (SELECT COUNT(*) FROM market_coop_members m JOIN households h ON h.id = m.household_id WHERE m.coop_id = c.id)
			FROM market_coops c WHERE c.id = ?`, ownerID).Scan(&county, &members)
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, "", fishpond.Invalid("没有该合作社 no such cooperative", map[string]string{"owner_id": "没有该合作社 no such cooperative"})
		}
		if err != nil {
			return "", false, "", internal(err)
		}
		if members > 0 {
			return county, true, fmt.Sprintf("合作社有%d户建档立卡社员 cooperative has %d registered member households", members, members), nil
		}
		return county, false, "合作社无建档立卡社员 cooperative has no registered members", nil
	case OwnerCentre:
		var pov int
		err = q.QueryRowContext(ctx, "SELECT code, poverty FROM counties WHERE code = ?", ownerID).Scan(&county, &pov)
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, "", fishpond.Invalid("没有该县 no such county", map[string]string{"owner_id": "没有该县 no such county"})
		}
		if err != nil {
			return "", false, "", internal(err)
		}
		if pov == 1 {
			return county, true, "商品产自国家级贫困县 goods originate in a national poverty county", nil
		}
		return county, false, "非贫困县 not a poverty county", nil
	}
	return "", false, "", fishpond.Invalid("invalid shop", map[string]string{"owner_kind": "unknown"})
}

// canSellFor decides whether p may manage the shop: the household itself, the
// cooperative's manager, an officer of the centre's county, or an admin.
func (s *Store) canSellFor(ctx context.Context, q db.Querier, p fishpond.Principal, sh Shop) error {
	ok := false
	switch {
	case p.Role == fishpond.RoleAdmin:
		ok = true
	case sh.OwnerKind == OwnerHousehold:
		ok = p.Role == fishpond.RoleHousehold && p.HouseholdID == sh.OwnerID
	case sh.OwnerKind == OwnerCoop:
		if p.Role == fishpond.RoleCoopManager {
			var mgr string
			if err := q.QueryRowContext(ctx, "SELECT manager_user_id FROM market_coops WHERE id = ?", sh.OwnerID).Scan(&mgr); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return internal(err)
			}
			ok = mgr != "" && mgr == p.UserID
		}
	case sh.OwnerKind == OwnerCentre:
		ok = p.Role == fishpond.RoleCountyOfficer && slices.Contains(p.Counties, sh.CountyCode)
	}
	if !ok {
		return forbidden("无权管理该店铺 you may not sell for this shop")
	}
	return nil
}

const shopColumns = "id, name, owner_kind, owner_id, county_code, poverty, poverty_reason FROM market_shops"

func scanShop(row interface{ Scan(...any) error }) (Shop, error) {
	var sh Shop
	var kind string
	var pov int
	err := row.Scan(&sh.ID, &sh.Name, &kind, &sh.OwnerID, &sh.CountyCode, &pov, &sh.PovertyReason)
	sh.OwnerKind, sh.Poverty = OwnerKind(kind), pov == 1
	return sh, err
}

func loadShop(ctx context.Context, q db.Querier, id string) (Shop, error) {
	sh, err := scanShop(q.QueryRowContext(ctx, "SELECT "+shopColumns+" WHERE id = ?", id))
	if err != nil {
		return Shop{}, db.NotFound(err, "没有该店铺 no such shop")
	}
	return sh, nil
}

// Shop reads a shop; storefronts are public.
func (s *Store) Shop(ctx context.Context, id string) (Shop, error) {
	return loadShop(ctx, s.db.Read(), id)
}

// sellerShop loads a shop the principal may manage; outside its scope the shop
// does not exist, so ids cannot be probed.
func (s *Store) sellerShop(ctx context.Context, q db.Querier, p fishpond.Principal, id string) (Shop, error) {
	sh, err := loadShop(ctx, q, id)
	if err != nil {
		return Shop{}, err
	}
	if err := s.canSellFor(ctx, q, p, sh); err != nil {
		return Shop{}, notFound("没有该店铺 no such shop")
	}
	return sh, nil
}
