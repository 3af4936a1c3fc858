package market

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// PlaceOrder reserves stock (and flash allotments and per-buyer quotas) and records
// an unpaid order, all in one short transaction. The same idempotency key with the
// same content returns the first order; with other content it is a conflict.
func (s *Store) PlaceOrder(ctx context.Context, p fishpond.Principal, req OrderRequest) (Order, error) {
	if p.UserID == "" {
		return Order{}, fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	hash, err := req.validate()
	if err != nil {
		return Order{}, err
	}
	key := p.UserID + "\x00" + req.IdempotencyKey
	if alone := s.enterPlacing(key); alone {
		defer s.leavePlacing(key)
		if lost, err := s.lostFlashSale(ctx, p.UserID, req); lost || err != nil {
			return Order{}, err
		}
	} else {
		defer s.leavePlacing(key)
	}
	var o Order
	err = s.group.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		o, err = s.placeOrderTx(ctx, tx, p.UserID, req, hash, s.now(), false)
		return err
	})
	if err != nil {
		return Order{}, err
	}
	return o, nil
}

// PlaceOrderTx is PlaceOrder inside the caller's transaction, for a capability that
// records something about the order in the same commit (live attributes an order
// to the session it was bought in): both commit or neither does. tx must come
// from the same database as the store.
func (s *Store) PlaceOrderTx(ctx context.Context, tx *db.Tx, p fishpond.Principal, req OrderRequest) (Order, error) {
	if p.UserID == "" {
		return Order{}, fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	hash, err := req.validate()
	if err != nil {
		return Order{}, err
	}
	return s.placeOrderTx(ctx, tx, p.UserID, req, hash, s.now(), false)
}

const (
	sqlFindIdem    = "SELECT id, content_hash FROM market_orders WHERE buyer_id = ? AND idem_key = ?"
	sqlAddress     = "SELECT name, phone_enc, phone_mask, county_code, detail FROM market_addresses WHERE id = ? AND buyer_id = ?"
	sqlProductSale = "SELECT shop_id, price, per_buyer_limit, pledge, pledge_fund, status FROM market_products WHERE id = ?"
	sqlFlashSale   = "SELECT product_id, price, per_buyer_limit, starts_at, ends_at FROM market_flash_sales WHERE id = ?"
	sqlInsertOrder = `INSERT INTO market_orders (id, buyer_id, shop_id, idem_key, content_hash, status, total, address_id, ship_name,
		ship_phone_enc, ship_phone_mask, ship_county, ship_detail, placed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertLine = "INSERT INTO market_order_lines (order_id, line_no, product_id, flash_id, qty, unit_price, pledge, pledge_fund) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

func (s *Store) placeOrderTx(ctx context.Context, tx *db.Tx, buyer string, req OrderRequest, hash string, now time.Time, fromCart bool) (Order, error) {
	st, err := tx.Stmt(ctx, sqlFindIdem)
	if err != nil {
		return Order{}, internal(err)
	}
	var existing, existingHash string
	switch err := st.QueryRowContext(ctx, buyer, req.IdempotencyKey).Scan(&existing, &existingHash); {
	case err == nil:
		if existingHash != hash {
			return Order{}, conflict("该幂等键已用于另一订单 the idempotency key was used for a different order")
		}
		o, err := loadOrder(ctx, tx, existing, "")
		o.Replayed = true
		return o, err
	case !errors.Is(err, sql.ErrNoRows):
		return Order{}, err
	}
	if s.knownSoldOut(req.Lines) {
		return Order{}, flashSoldOut() // decided in an earlier use case of this batch, or a recent one
	}
	o := Order{ID: newID(), BuyerID: buyer, Status: StatusPlaced, AddressID: req.AddressID, PlacedAt: now, ExpiresAt: now.Add(s.cfg.OrderTTL)}
	var phoneEnc string
	if st, err = tx.Stmt(ctx, sqlAddress); err != nil {
		return Order{}, internal(err)
	}
	if err := st.QueryRowContext(ctx, req.AddressID, buyer).Scan(&o.ShipName, &phoneEnc, &o.ShipPhone, &o.ShipCounty, &o.ShipDetail); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Order{}, fishpond.Invalid("收货地址有误 invalid address", map[string]string{"address_id": "没有该地址 no such address"})
		}
		return Order{}, err
	}
	for i, lr := range req.Lines {
		field := fmt.Sprintf("lines[%d]", i)
		line, shopID, limit, err := saleTerms(ctx, tx, lr, now, field)
		if err != nil {
			return Order{}, err
		}
		if o.ShopID == "" {
			o.ShopID = shopID
		} else if o.ShopID != shopID {
			return Order{}, fishpond.Invalid("一个订单只能包含一家店铺的商品 one order holds one shop's products",
				map[string]string{field + ".product_id": "属于另一家店铺 belongs to another shop"})
		}
		if lr.FlashID != "" {
			ok, err := reserveFlash(ctx, tx, lr.FlashID, lr.Qty)
			if err != nil {
				return Order{}, err
			}
			if !ok {
				if err := s.noteSoldOut(ctx, tx, lr.FlashID); err != nil {
					return Order{}, err
				}
				return Order{}, flashSoldOut()
			}
			if limit.flash > 0 {
				if ok, err := takeQuota(ctx, tx, buyer, "flash:"+lr.FlashID, lr.Qty, limit.flash); err != nil || !ok {
					return Order{}, quotaErr(err, limit.flash)
				}
			}
		}
		ok, err := reserveStock(ctx, tx, lr.ProductID, lr.Qty)
		if err != nil {
			return Order{}, err
		}
		if !ok {
			return Order{}, conflict("库存不足 not enough stock")
		}
		if limit.product > 0 {
			if ok, err := takeQuota(ctx, tx, buyer, "product:"+lr.ProductID, lr.Qty, limit.product); err != nil || !ok {
				return Order{}, quotaErr(err, limit.product)
			}
		}
		o.Total += line.UnitPrice * fishpond.Money(line.Qty)
		o.Lines = append(o.Lines, line)
	}
	if o.Total > MaxTotal {
		return Order{}, fishpond.Invalid("订单金额过大 order total too large", map[string]string{"lines": "合计不超过1亿元 at most 100 million yuan"})
	}
	if st, err = tx.Stmt(ctx, sqlInsertOrder); err != nil {
		return Order{}, internal(err)
	}
	_, err = st.ExecContext(ctx, o.ID, buyer, o.ShopID, req.IdempotencyKey, hash, string(o.Status), int64(o.Total), o.AddressID, o.ShipName,
		phoneEnc, o.ShipPhone, o.ShipCounty, o.ShipDetail, db.FormatTime(o.PlacedAt), db.FormatTime(o.ExpiresAt))
	if db.IsUniqueViolation(err) {
		return Order{}, db.Retry(err) // a concurrent retry with the same key won; the rerun returns its order
	}
	if err != nil {
		return Order{}, err
	}
	if st, err = tx.Stmt(ctx, sqlInsertLine); err != nil {
		return Order{}, internal(err)
	}
	for i, l := range o.Lines {
		if _, err := st.ExecContext(ctx, o.ID, i, l.ProductID, l.FlashID, l.Qty, int64(l.UnitPrice), int64(l.Pledge), l.PledgeFund); err != nil {
			return Order{}, err
		}
		if fromCart {
			if _, err := tx.ExecContext(ctx, "DELETE FROM market_cart_items WHERE buyer_id = ? AND product_id = ? AND flash_id = ?", buyer, l.ProductID, l.FlashID); err != nil {
				return Order{}, err
			}
		}
	}
	if err := appendOrderEvent(ctx, tx, now, string(StatusPlaced), &o); err != nil {
		return Order{}, err
	}
	return o, nil
}

type limits struct{ product, flash int64 }

func quotaErr(err error, limit int64) error {
	if err != nil {
		return err
	}
	return conflict("超过每人限购%d件 exceeds the limit of %d per buyer", limit, limit)
}

// saleTerms reads the price and rules of one line at now: the product must be
// listed, and a flash sale must belong to it and be running.
func saleTerms(ctx context.Context, tx *db.Tx, lr LineRequest, now time.Time, field string) (Line, string, limits, error) {
	st, err := tx.Stmt(ctx, sqlProductSale)
	if err != nil {
		return Line{}, "", limits{}, internal(err)
	}
	l := Line{ProductID: lr.ProductID, FlashID: lr.FlashID, Qty: lr.Qty}
	var shopID, status string
	var price, pledge int64
	var lim limits
	err = st.QueryRowContext(ctx, lr.ProductID).Scan(&shopID, &price, &lim.product, &pledge, &l.PledgeFund, &status)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && status != "listed") {
		return Line{}, "", lim, fishpond.Invalid("商品不存在或已下架 no such product on sale", map[string]string{field + ".product_id": "没有该商品 no such product"})
	}
	if err != nil {
		return Line{}, "", lim, err
	}
	l.UnitPrice, l.Pledge = fishpond.Money(price), fishpond.Money(pledge)
	if lr.FlashID != "" {
		if st, err = tx.Stmt(ctx, sqlFlashSale); err != nil {
			return Line{}, "", lim, internal(err)
		}
		var pid, start, end string
		err := st.QueryRowContext(ctx, lr.FlashID).Scan(&pid, &price, &lim.flash, &start, &end)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && pid != lr.ProductID) {
			return Line{}, "", lim, fishpond.Invalid("没有该秒杀 no such flash sale", map[string]string{field + ".flash_id": "不是该商品的秒杀 not a flash sale of the product"})
		}
		if err != nil {
			return Line{}, "", lim, err
		}
		ts := db.FormatTime(now)
		if ts < start || ts >= end {
			return Line{}, "", lim, conflict("秒杀未开始或已结束 the flash sale is not running")
		}
		l.UnitPrice = fishpond.Money(price)
	}
	return l, shopID, lim, nil
}

const orderColumns = `id, buyer_id, shop_id, status, total, refunded, address_id, ship_name, ship_phone_enc, ship_phone_mask, ship_county, ship_detail,
	placed_at, expires_at, paid_at, shipped_at, delivered_at, settled_at, closed_at, provider, provider_trade_no, tracking_no, settled_amount FROM market_orders`

// orderRow is an order as stored, with the sealed phone kept apart from the view.
type orderRow struct {
	Order
	phoneEnc string
}

func scanOrder(row interface{ Scan(...any) error }) (orderRow, error) {
	var r orderRow
	var status, placed, expires, paid, shipped, delivered, settled, closed string
	var total, refunded, settledAmt int64
	err := row.Scan(&r.ID, &r.BuyerID, &r.ShopID, &status, &total, &refunded, &r.AddressID, &r.ShipName, &r.phoneEnc, &r.ShipPhone, &r.ShipCounty, &r.ShipDetail,
		&placed, &expires, &paid, &shipped, &delivered, &settled, &closed, &r.Provider, &r.ProviderTradeNo, &r.TrackingNo, &settledAmt)
	if err != nil {
		return r, err
	}
	r.Status, r.Total, r.Refunded, r.SettledAmount = Status(status), fishpond.Money(total), fishpond.Money(refunded), fishpond.Money(settledAmt)
	r.PlacedAt, r.ExpiresAt = db.MustTime(placed), db.MustTime(expires)
	for _, t := range []struct {
		s string
		d *time.Time
	}{{paid, &r.PaidAt}, {shipped, &r.ShippedAt}, {delivered, &r.DeliveredAt}, {settled, &r.SettledAt}, {closed, &r.ClosedAt}} {
		if t.s != "" {
			*t.d = db.MustTime(t.s)
		}
	}
	return r, nil
}

const sqlOrderLines = "SELECT product_id, flash_id, qty, unit_price, pledge, pledge_fund FROM market_order_lines WHERE order_id = ? ORDER BY line_no"

// loadOrderRow reads an order and its lines; suffix may be tx.ForUpdate().
func loadOrderRow(ctx context.Context, q db.Querier, id, suffix string) (orderRow, error) {
	var prep preparer
	if tx, ok := q.(*db.Tx); ok { // prepared once: MarkPaid runs it for every payment
		prep = tx.Stmt
	}
	return loadOrderWith(ctx, q, prep, id, suffix)
}

// preparer returns a prepared statement for a query in a transaction (db.Tx.Stmt).
type preparer func(ctx context.Context, query string) (*sql.Stmt, error)

// loadOrderRead is loadOrderRow on the read pool with prepared statements: buyers
// poll their order until the wallet's notification has marked it paid.
func (s *Store) loadOrderRead(ctx context.Context, id string) (orderRow, error) {
	return loadOrderWith(ctx, s.prepared(), nil, id, "")
}

func loadOrderWith(ctx context.Context, q db.Querier, prep preparer, id, suffix string) (orderRow, error) {
	var row *sql.Row
	var rows *sql.Rows
	query := "SELECT " + orderColumns + " WHERE id = ?" + suffix
	if prep != nil {
		st, err := prep(ctx, query)
		if err != nil {
			return orderRow{}, internal(err)
		}
		row = st.QueryRowContext(ctx, id)
	} else {
		row = q.QueryRowContext(ctx, query, id)
	}
	r, err := scanOrder(row)
	if err != nil {
		return orderRow{}, db.NotFound(err, "没有该订单 no such order")
	}
	if prep != nil {
		st, err := prep(ctx, sqlOrderLines)
		if err != nil {
			return orderRow{}, internal(err)
		}
		rows, err = st.QueryContext(ctx, id)
	} else {
		rows, err = q.QueryContext(ctx, sqlOrderLines, id)
	}
	if err != nil {
		return orderRow{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		var price, pledge int64
		if err := rows.Scan(&l.ProductID, &l.FlashID, &l.Qty, &price, &pledge, &l.PledgeFund); err != nil {
			return orderRow{}, internal(err)
		}
		l.UnitPrice, l.Pledge = fishpond.Money(price), fishpond.Money(pledge)
		r.Lines = append(r.Lines, l)
	}
	return r, rows.Err()
}

func loadOrder(ctx context.Context, q db.Querier, id, suffix string) (Order, error) {
	r, err := loadOrderRow(ctx, q, id, suffix)
	return r.Order, err
}

// orderRole is how the principal relates to an order.
type orderRole int

const (
	roleNone orderRole = iota
	roleBuyer
	roleSeller
	roleAdmin
)

// roleFor decides what p is to the order: admin, the buyer, the shop's seller, or
// nobody (who then gets not_found).
func (s *Store) roleFor(ctx context.Context, q db.Querier, p fishpond.Principal, o *Order) (orderRole, error) {
	switch {
	case p.Role == fishpond.RoleAdmin:
		return roleAdmin, nil
	case p.UserID != "" && p.UserID == o.BuyerID:
		return roleBuyer, nil
	}
	sh, err := loadShop(ctx, q, o.ShopID)
	if err != nil {
		return roleNone, err
	}
	if s.canSellFor(ctx, q, p, sh) == nil {
		return roleSeller, nil
	}
	return roleNone, nil
}

// view unmasks the phone for the buyer and admins only.
func (s *Store) view(r orderRow, role orderRole) Order {
	o := r.Order
	if role == roleBuyer || role == roleAdmin {
		if plain, err := s.keys.Open(r.phoneEnc); err == nil {
			o.ShipPhone = plain
		}
	}
	return o
}

// Order reads one order the principal may see: its buyer, its shop's seller, or an
// admin. Everyone else gets not_found, so order ids cannot be probed.
func (s *Store) Order(ctx context.Context, p fishpond.Principal, id string) (Order, error) {
	q := s.db.Read()
	r, err := s.loadOrderRead(ctx, id)
	if err != nil {
		return Order{}, err
	}
	role, err := s.roleFor(ctx, q, p, &r.Order)
	if err != nil {
		return Order{}, err
	}
	if role == roleNone {
		return Order{}, notFound("没有该订单 no such order")
	}
	return s.view(r, role), nil
}

// BuyerOrders lists the calling buyer's orders, newest first, at most limit.
func (s *Store) BuyerOrders(ctx context.Context, p fishpond.Principal, limit int) ([]Order, error) {
	return s.listOrders(ctx, "buyer_id = ?", p.UserID, limit, roleBuyer)
}

// ShopOrders lists a shop's orders for its seller, newest first; a shop outside the
// principal's scope is not_found.
func (s *Store) ShopOrders(ctx context.Context, p fishpond.Principal, shopID string, limit int) ([]Order, error) {
	if _, err := s.sellerShop(ctx, s.db.Read(), p, shopID); err != nil {
		return nil, err
	}
	role := roleSeller
	if p.Role == fishpond.RoleAdmin {
		role = roleAdmin
	}
	return s.listOrders(ctx, "shop_id = ?", shopID, limit, role)
}

func (s *Store) listOrders(ctx context.Context, where, arg string, limit int, role orderRole) ([]Order, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, "SELECT id FROM market_orders WHERE "+where+" ORDER BY placed_at DESC, id DESC LIMIT ?", arg, limit)
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
	out := make([]Order, 0, len(ids))
	for _, id := range ids {
		r, err := loadOrderRow(ctx, q, id, "")
		if err != nil {
			return nil, err
		}
		out = append(out, s.view(r, role))
	}
	return out, nil
}

// transition runs one status change in its own transaction: load and lock the
// order, check the principal's role, then apply.
func (s *Store) transition(ctx context.Context, p fishpond.Principal, id string, allowed func(orderRole) bool,
	apply func(tx *db.Tx, r *orderRow, now time.Time) error) (Order, error) {
	var out orderRow
	var role orderRole
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := loadOrderRow(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if role, err = s.roleFor(ctx, tx, p, &r.Order); err != nil {
			return err
		}
		if role == roleNone {
			return notFound("没有该订单 no such order")
		}
		if !allowed(role) {
			return forbidden("无权操作该订单 you may not do this to the order")
		}
		status, refunded, now := r.Status, r.Refunded, s.now()
		if err := apply(tx, &r, now); err != nil {
			return err
		}
		switch {
		case r.Refunded != refunded:
			err = appendOrderEvent(ctx, tx, now, string(StatusRefunded), &r.Order)
		case r.Status != status:
			err = appendOrderEvent(ctx, tx, now, string(r.Status), &r.Order)
		}
		if err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	return s.view(out, role), nil
}

func anyRole(orderRole) bool         { return true }
func sellerOrAdmin(r orderRole) bool { return r == roleSeller || r == roleAdmin }
func adminOnly(r orderRole) bool     { return r == roleAdmin }
func setStatus(ctx context.Context, tx *db.Tx, id string, from, to Status, col string, now time.Time) error {
	res, err := tx.ExecContext(ctx, "UPDATE market_orders SET status = ?, "+col+" = ? WHERE id = ? AND status = ?", string(to), db.FormatTime(now), id, string(from))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return db.Retry(fmt.Errorf("order %s changed concurrently", id))
	}
	return nil
}

// Cancel closes an unpaid order and releases its stock; the buyer or the seller may.
func (s *Store) Cancel(ctx context.Context, p fishpond.Principal, id string) (Order, error) {
	return s.transition(ctx, p, id, anyRole, func(tx *db.Tx, r *orderRow, now time.Time) error {
		if r.Status != StatusPlaced {
			return illegal(&r.Order, "cancelled 取消")
		}
		if err := setStatus(ctx, tx, r.ID, StatusPlaced, StatusCancelled, "closed_at", now); err != nil {
			return err
		}
		r.Status, r.ClosedAt = StatusCancelled, now
		return s.releaseLines(ctx, tx, r.BuyerID, r.Lines)
	})
}

// Ship records that the seller sent a paid order, with the courier's tracking number.
func (s *Store) Ship(ctx context.Context, p fishpond.Principal, id, trackingNo string) (Order, error) {
	if trackingNo == "" || len(trackingNo) > 64 {
		return Order{}, fishpond.Invalid("运单号有误 invalid tracking number", map[string]string{"tracking_no": "必填，最多64字符 required, at most 64 characters"})
	}
	return s.transition(ctx, p, id, sellerOrAdmin, func(tx *db.Tx, r *orderRow, now time.Time) error {
		if r.Status != StatusPaid {
			return illegal(&r.Order, "shipped 发货")
		}
		if err := setStatus(ctx, tx, r.ID, StatusPaid, StatusShipped, "shipped_at", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE market_orders SET tracking_no = ? WHERE id = ?", trackingNo, r.ID); err != nil {
			return err
		}
		r.Status, r.ShippedAt, r.TrackingNo = StatusShipped, now, trackingNo
		return nil
	})
}

// MarkDelivered records delivery of a shipped order: the buyer confirming receipt,
// or the seller or an admin relaying the courier's proof.
func (s *Store) MarkDelivered(ctx context.Context, p fishpond.Principal, id string) (Order, error) {
	return s.transition(ctx, p, id, anyRole, func(tx *db.Tx, r *orderRow, now time.Time) error {
		if r.Status != StatusShipped {
			return illegal(&r.Order, "delivered 确认收货")
		}
		if err := setStatus(ctx, tx, r.ID, StatusShipped, StatusDelivered, "delivered_at", now); err != nil {
			return err
		}
		r.Status, r.DeliveredAt = StatusDelivered, now
		return nil
	})
}

// ExpireUnpaid closes every placed order whose payment window ended by now and
// releases its stock; a ticker in cmd calls it. It returns how many expired.
func (s *Store) ExpireUnpaid(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		rows, err := s.db.Read().QueryContext(ctx, "SELECT id FROM market_orders WHERE status = ? AND expires_at <= ? ORDER BY expires_at LIMIT 200",
			string(StatusPlaced), db.FormatTime(now))
		if err != nil {
			return total, internal(err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return total, internal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return total, nil
		}
		n := 0
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			n = 0
			for _, id := range ids {
				r, err := loadOrderRow(ctx, tx, id, tx.ForUpdate())
				if err != nil {
					return err
				}
				if r.Status != StatusPlaced || r.ExpiresAt.After(now) {
					continue // paid or cancelled meanwhile
				}
				if err := setStatus(ctx, tx, id, StatusPlaced, StatusExpired, "closed_at", now); err != nil {
					return err
				}
				if err := s.releaseLines(ctx, tx, r.BuyerID, r.Lines); err != nil {
					return err
				}
				r.Status, r.ClosedAt = StatusExpired, now
				if err := appendOrderEvent(ctx, tx, now, string(StatusExpired), &r.Order); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, internal(err)
		}
		total += n
		if len(ids) < 200 {
			return total, nil
		}
	}
}

var errConcurrent = errors.New("order changed concurrently")
