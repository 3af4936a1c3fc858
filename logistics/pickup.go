package logistics

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/market"
)

// issueCode gives the parcel a fresh six-digit pickup code: a keyed hash to check
// against, and a sealed copy for the recipient to read (stations never see it).
func (s *Store) issueCode(pc *Parcel) error {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	sealed, err := s.keys.Seal(code)
	if err != nil {
		return err
	}
	pc.pickupHash, pc.pickupSealed, pc.PickupAttempts, pc.PickupLocked = s.codeHash(pc.ID, code), sealed, 0, false
	return nil
}

func (s *Store) codeHash(parcelID, code string) string {
	return s.keys.Hash("pickup", parcelID+":"+code)
}

// PickupCode returns the code for the parcel's recipient (the buyer of its order,
// or whoever dropped it off) and admins, once it waits at the station.
func (s *Store) PickupCode(ctx context.Context, p fishpond.Principal, trackingNo string) (string, error) {
	pc, err := loadParcel(ctx, s.db.Read(), trackingNo, "")
	if err != nil {
		return "", err
	}
	if p.Role != fishpond.RoleAdmin && (p.UserID == "" || p.UserID != pc.RecipientUser) {
		return "", notFound("没有该运单号 unknown tracking number %s", pc.TrackingNo)
	}
	if pc.Status != StatusAwaiting || pc.pickupSealed == "" {
		return "", conflict("包裹尚未到站或已取走 the parcel is not waiting at a station")
	}
	return s.keys.Open(pc.pickupSealed)
}

// PickupQRText is what a pickup QR code holds: the tracking number and the code,
// so the station console fills both from one scan.
func PickupQRText(trackingNo, code string) string { return "FPPICKUP:" + trackingNo + ":" + code }

// ParsePickupInput reads what the station console received: a typed six-digit
// code, or the text of a pickup QR code (which also names the tracking number).
func ParsePickupInput(s string) (trackingNo, code string) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "FPPICKUP:"); ok {
		if t, c, ok := strings.Cut(rest, ":"); ok {
			return NormalizeTrackingNo(t), strings.TrimSpace(c)
		}
	}
	return "", s
}

func validCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// PickupResult is a successful pickup, with what became of the order.
type PickupResult struct {
	Parcel Parcel
	// OrderStatus is the marketplace order's status afterwards ("" for a dropped-off
	// parcel): settled once its last parcel is picked up.
	OrderStatus market.Status
}

// Pickup hands a parcel over at its destination station against its code. A wrong
// code counts an attempt (kept even though the call fails); after
// MaxPickupAttempts the parcel locks until an officer reissues a code. The right
// code records the pickup, pays the station, and — when it was the order's last
// parcel — confirms delivery in the marketplace, which settles the order.
func (s *Store) Pickup(ctx context.Context, p fishpond.Principal, siteID, trackingNo, code string) (PickupResult, error) {
	code = strings.TrimSpace(code)
	if !validCode(code) {
		return PickupResult{}, invalid("取件码有误 invalid pickup code", "code", "取件码为6位数字 / the pickup code is 6 digits")
	}
	pa, err := s.platformAccountIDs(ctx)
	if err != nil {
		return PickupResult{}, err
	}
	var pc Parcel
	var wrong error
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		wrong = nil
		site, err := s.operableSite(ctx, tx, p, siteID)
		if err != nil {
			return err
		}
		pc, err = loadParcel(ctx, tx, trackingNo, tx.ForUpdate())
		if err != nil {
			return err
		}
		if pc.DestSite != site.ID {
			return wrongSite("该包裹不是送往本站的 / this parcel is bound for another station")
		}
		switch {
		case pc.Status == StatusDelivered:
			return conflict("包裹已被取走 the parcel was already picked up")
		case pc.Status != StatusAwaiting:
			return conflict("包裹尚未到站 the parcel has not arrived at the station yet")
		case pc.PickupLocked:
			return conflict("取件码错误次数过多，已锁定，请联系县级干部重新发码 too many wrong codes: locked until an officer reissues the code")
		}
		now := s.now()
		if s.codeHash(pc.ID, code) != pc.pickupHash {
			pc.PickupAttempts++
			pc.PickupLocked = pc.PickupAttempts >= s.cfg.MaxPickupAttempts
			if _, err := tx.ExecContext(ctx, "UPDATE logistics_parcels SET pickup_attempts = ?, pickup_locked = ? WHERE id = ?", pc.PickupAttempts, boolInt(pc.PickupLocked), pc.ID); err != nil {
				return err
			}
			left := s.cfg.MaxPickupAttempts - pc.PickupAttempts
			if left <= 0 {
				wrong = &fishpond.Error{Code: fishpond.EConflict, Message: "取件码错误，包裹已锁定 wrong pickup code: the parcel is now locked", Fields: map[string]string{"code": "已锁定 / locked"}}
			} else {
				wrong = fishpond.Invalid("取件码错误 wrong pickup code", map[string]string{"code": fmt.Sprintf("还可尝试%d次 / %d attempts left", left, left)})
			}
			return nil // commit the attempt
		}
		if _, err := insertEvent(ctx, tx, pc.ID, "picked_up:"+site.ID, EventPickedUp, site.ID, "", now, now, p.UserID); err != nil {
			return err
		}
		pc, err = s.derive(ctx, tx, pc, now, pa)
		return err
	})
	if err != nil {
		return PickupResult{}, internal(err)
	}
	if wrong != nil {
		return PickupResult{}, wrong
	}
	pc, err = s.afterDelivery(ctx, pc)
	res := PickupResult{Parcel: pc}
	if pc.OrderID != "" && err == nil {
		o, oerr := s.market.Order(ctx, fishpond.System, pc.OrderID)
		if oerr == nil {
			res.OrderStatus = o.Status
		}
	}
	return res, err
}

// Reissue gives a locked (or forgotten) code a fresh one: admins and officers of
// the destination county may, after checking the recipient in person.
func (s *Store) Reissue(ctx context.Context, p fishpond.Principal, trackingNo string) (Parcel, error) {
	var pc Parcel
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		pc, err = loadParcel(ctx, tx, trackingNo, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !p.CanEditRegistry(pc.DestCounty) {
			return fishpond.Errorf(fishpond.EForbidden, "只有管理员和目的县干部可以重新发码 only admins and the destination county's officers may reissue a code")
		}
		if pc.Status != StatusAwaiting {
			return conflict("包裹不在待取状态 the parcel is not waiting for pickup")
		}
		if err := s.issueCode(&pc); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE logistics_parcels SET pickup_hash = ?, pickup_sealed = ?, pickup_attempts = 0, pickup_locked = 0 WHERE id = ?", pc.pickupHash, pc.pickupSealed, pc.ID)
		return err
	})
	return pc, internal(err)
}

// afterDelivery tells the marketplace once every parcel of the parcel's order is
// delivered: confirm delivery, then settle, which pays the producers. Both steps
// check the order's status first, so SyncOrders can repeat them after a failure.
func (s *Store) afterDelivery(ctx context.Context, pc Parcel) (Parcel, error) {
	if pc.OrderID == "" {
		return pc, nil
	}
	return pc, s.syncOrder(ctx, pc.OrderID)
}

func (s *Store) syncOrder(ctx context.Context, orderID string) error {
	var open int
	if err := s.db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM logistics_parcels WHERE order_id = ? AND status <> ?", orderID, string(StatusDelivered)).Scan(&open); err != nil {
		return internal(err)
	}
	if open > 0 {
		return nil
	}
	o, err := s.market.Order(ctx, fishpond.System, orderID)
	if err != nil {
		return err
	}
	if o.Status == market.StatusShipped {
		if o, err = s.market.MarkDelivered(ctx, fishpond.System, orderID); err != nil {
			return err
		}
	}
	if o.Status == market.StatusDelivered {
		if _, err := s.market.Settle(ctx, fishpond.System, orderID); err != nil {
			return err
		}
	}
	return nil
}

// SyncOrders repeats the marketplace step for orders whose parcels are all
// delivered but which are still shipped or delivered there (a crash or an error
// between the two commits); a sweep in serve calls it. It returns how many it moved.
func (s *Store) SyncOrders(ctx context.Context) (int, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT DISTINCT p.order_id FROM logistics_parcels p JOIN market_orders o ON o.id = p.order_id
		WHERE p.order_id <> '' AND o.status IN (?, ?) AND NOT EXISTS (SELECT 1 FROM logistics_parcels q WHERE q.order_id = p.order_id AND q.status <> ?)
		ORDER BY p.order_id LIMIT 500`, string(market.StatusShipped), string(market.StatusDelivered), string(StatusDelivered))
	if err != nil {
		return 0, internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for i, id := range ids {
		if err := s.syncOrder(ctx, id); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}
