package live

import (
	"context"
	"encoding/json"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/market"
)

// Pin shows a product of the session's shop on every viewer's screen ("" unpins).
// A product not yet featured is added to the session's list.
func (s *Service) Pin(ctx context.Context, p fishpond.Principal, sessionID, productID string) (Session, error) {
	ss, err := s.ownSession(ctx, p, sessionID)
	if err != nil {
		return Session{}, err
	}
	if ss.Status == StatusEnded {
		return Session{}, conflict("直播已结束 the session has ended")
	}
	var pr market.Product
	if productID != "" {
		if pr, err = s.market.Product(ctx, productID); err != nil || pr.ShopID != ss.ShopID {
			return Session{}, fishpond.Invalid("不能置顶该商品 cannot pin this product", map[string]string{"product_id": "须为本店商品 must be a product of the session's shop"})
		}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE live_sessions SET pinned_product_id = ?, pinned_flash_id = '' WHERE id = ?", productID, ss.ID); err != nil {
			return err
		}
		if productID == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO live_session_products (session_id, product_id, position)
			SELECT ?, ?, COALESCE(MAX(position), -1) + 1 FROM live_session_products WHERE session_id = ?
			ON CONFLICT (session_id, product_id) DO NOTHING`, ss.ID, productID, ss.ID)
		return err
	})
	if err != nil {
		return Session{}, internal(err)
	}
	ss.PinnedProductID, ss.PinnedFlashID = productID, ""
	s.hub.Publish(ss.ID, Message{Type: "pin", ProductID: productID, ProductName: pr.Name, Unit: pr.Unit, PriceFen: int64(pr.Price)})
	return ss, nil
}

// FlashInput starts a flash sale inside a live session.
type FlashInput struct {
	ProductID     string
	Price         fishpond.Money
	Quantity      int64
	PerBuyerLimit int64
	Duration      time.Duration
}

// StartFlash starts a flash sale of a product of the session's shop now, for
// Duration, through the marketplace (its no-oversell reservation applies to every
// order), pins it and tells every viewer the price, stock and countdown.
func (s *Service) StartFlash(ctx context.Context, p fishpond.Principal, sessionID string, in FlashInput) (market.FlashSale, error) {
	ss, err := s.ownSession(ctx, p, sessionID)
	if err != nil {
		return market.FlashSale{}, err
	}
	if ss.Status != StatusLive {
		return market.FlashSale{}, conflict("直播未在进行 the session is not live")
	}
	if in.Duration < 10*time.Second || in.Duration > 2*time.Hour {
		return market.FlashSale{}, fishpond.Invalid("秒杀信息有误 invalid flash sale", map[string]string{"duration": "须在10秒到2小时之间 10 seconds to 2 hours"})
	}
	pr, err := s.market.Product(ctx, in.ProductID)
	if err != nil || pr.ShopID != ss.ShopID {
		return market.FlashSale{}, fishpond.Invalid("秒杀信息有误 invalid flash sale", map[string]string{"product_id": "须为本店商品 must be a product of the session's shop"})
	}
	// The flash sale is created with the caller's own principal: market checks
	// again that they may sell for the shop.
	now := s.now()
	fs, err := s.market.CreateFlashSale(ctx, p, market.FlashInput{ProductID: in.ProductID, Price: in.Price, Quantity: in.Quantity,
		PerBuyerLimit: in.PerBuyerLimit, StartsAt: now, EndsAt: now.Add(in.Duration)})
	if err != nil {
		return market.FlashSale{}, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO live_session_flash (session_id, flash_id, product_id, created_at) VALUES (?, ?, ?, ?)",
			ss.ID, fs.ID, fs.ProductID, db.FormatTime(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE live_sessions SET pinned_product_id = ?, pinned_flash_id = ? WHERE id = ?", fs.ProductID, fs.ID, ss.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO live_session_products (session_id, product_id, position)
			SELECT ?, ?, COALESCE(MAX(position), -1) + 1 FROM live_session_products WHERE session_id = ?
			ON CONFLICT (session_id, product_id) DO NOTHING`, ss.ID, fs.ProductID, ss.ID)
		return err
	})
	if err != nil {
		return market.FlashSale{}, internal(err)
	}
	s.publishFlash(ss.ID, fs, pr)
	return fs, nil
}

func (s *Service) publishFlash(sessionID string, fs market.FlashSale, pr market.Product) {
	left := fs.Quantity - fs.Sold
	s.hub.Publish(sessionID, Message{Type: "flash", FlashID: fs.ID, ProductID: fs.ProductID, ProductName: pr.Name, Unit: pr.Unit,
		PriceFen: int64(fs.Price), Remaining: &left, N: fs.Quantity, EndsAt: fs.EndsAt.UnixMilli()})
}

// SessionFlash lists the flash sales started in a session, newest first.
func (s *Service) SessionFlash(ctx context.Context, sessionID string) ([]market.FlashSale, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT flash_id FROM live_session_flash WHERE session_id = ? ORDER BY created_at DESC", sessionID)
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
	var out []market.FlashSale
	for _, id := range ids {
		fs, err := s.market.FlashSale(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	return out, nil
}

// Buy places an order from a session's watch page and attributes it to the
// session and its anchor, in one transaction with the marketplace's no-oversell
// reservation. Every product must be the session's shop's, and a flash-sale line
// must use a sale started in this session. The same idempotency key returns the
// first order. Every viewer then hears "a buyer in <city> just bought …".
func (s *Service) Buy(ctx context.Context, p fishpond.Principal, sessionID string, req market.OrderRequest) (market.Order, error) {
	ss, err := s.Session(ctx, sessionID)
	if err != nil {
		return market.Order{}, err
	}
	if ss.Status != StatusLive {
		return market.Order{}, conflict("直播未在进行，不能下单 the session is not live")
	}
	flashOf := map[string]bool{}
	fss, err := s.SessionFlash(ctx, sessionID)
	if err != nil {
		return market.Order{}, err
	}
	for _, f := range fss {
		flashOf[f.ID] = true
	}
	products := map[string]market.Product{}
	for i, l := range req.Lines {
		pr, err := s.market.Product(ctx, l.ProductID)
		if err != nil || pr.ShopID != ss.ShopID {
			return market.Order{}, fishpond.Invalid("订单有误 invalid order", map[string]string{"lines[" + itoa(i) + "].product_id": "须为本场直播店铺的商品 must be a product of the session's shop"})
		}
		if l.FlashID != "" && !flashOf[l.FlashID] {
			return market.Order{}, fishpond.Invalid("订单有误 invalid order", map[string]string{"lines[" + itoa(i) + "].flash_id": "不是本场直播的秒杀 not a flash sale of this session"})
		}
		products[pr.ID] = pr
	}
	var o market.Order
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if o, err = s.market.PlaceOrderTx(ctx, tx, p, req); err != nil {
			return err
		}
		var qty int64
		for _, l := range o.Lines {
			qty += l.Qty
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO live_orders (order_id, session_id, anchor_id, room_id, county_code, buyer_id, total, qty, status, placed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING`, o.ID, ss.ID, ss.AnchorID, ss.RoomID, ss.CountyCode, p.UserID,
			int64(o.Total), qty, string(o.Status), db.FormatTime(o.PlacedAt))
		return err
	})
	if err != nil {
		return market.Order{}, internal(err)
	}
	if o.Replayed {
		return o, nil
	}
	place := ""
	if c, err := s.registry.County(ctx, o.ShipCounty); err == nil {
		place = c.PrefectureName
		if place == "" {
			place = c.Name
		}
	}
	for _, l := range o.Lines {
		pr := products[l.ProductID]
		s.hub.Publish(ss.ID, Message{Type: "purchase", Place: place, Qty: l.Qty, ProductID: pr.ID, ProductName: pr.Name, Unit: pr.Unit})
		if l.FlashID != "" {
			if fs, err := s.market.FlashSale(ctx, l.FlashID); err == nil {
				s.publishFlash(ss.ID, fs, pr)
			}
		}
	}
	return o, nil
}

// orderConsumer is the checkpoint name under which live follows market's orders.
const orderConsumer = "live.orders"

type orderEvent struct {
	OrderID     string `json:"order_id"`
	Status      string `json:"status"`
	RefundedFen int64  `json:"refunded_fen"`
}

// SyncOrders brings attributed orders' status, payment time and refunds up to
// date from market's order events, one checkpointed batch at a time (exactly
// once: the updates and the checkpoint commit together). It returns how many
// events it read.
func (s *Service) SyncOrders(ctx context.Context) (int, error) {
	c := events.Consumer{Log: s.log, Name: orderConsumer, Batch: 500,
		Types: []string{"order.paid", "order.refunded", "order.cancelled", "order.expired", "order.shipped", "order.delivered", "order.settled"},
		Handle: func(ctx context.Context, tx *db.Tx, e events.Stored) error {
			var oe orderEvent
			if err := json.Unmarshal(e.Payload, &oe); err != nil {
				return nil // not an order event this consumer understands; skip it
			}
			if e.Type == "order.paid" {
				_, err := tx.ExecContext(ctx, "UPDATE live_orders SET status = ?, paid_at = ? WHERE order_id = ? AND paid_at IS NULL",
					oe.Status, db.FormatTime(e.At), oe.OrderID)
				return err
			}
			_, err := tx.ExecContext(ctx, "UPDATE live_orders SET status = ?, refunded = ? WHERE order_id = ?", oe.Status, oe.RefundedFen, oe.OrderID)
			return err
		}}
	total := 0
	for {
		n, err := c.ProcessBatch(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}
