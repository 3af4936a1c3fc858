package market

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// FlashSale is a quantity of a product offered at a lower price in a time window
// (often inside a live session). Its Sold counter has the same no-oversell guard
// as stock, and its units also come out of the product's stock.
type FlashSale struct {
	ID            string
	ProductID     string
	Price         fishpond.Money
	Quantity      int64
	Sold          int64
	PerBuyerLimit int64 // 0: no limit beyond the product's
	StartsAt      time.Time
	EndsAt        time.Time
}

// FlashInput is what a seller enters to schedule a flash sale.
type FlashInput struct {
	ProductID     string
	Price         fishpond.Money
	Quantity      int64
	PerBuyerLimit int64
	StartsAt      time.Time
	EndsAt        time.Time
}

// Active reports whether buyers can take the offer at now: [StartsAt, EndsAt).
func (f FlashSale) Active(now time.Time) bool { return !now.Before(f.StartsAt) && now.Before(f.EndsAt) }

// CreateFlashSale schedules a flash sale of a product the principal sells. The
// price must still cover the fee and the product's pledge, so settlement never
// pays out more than it received.
func (s *Store) CreateFlashSale(ctx context.Context, p fishpond.Principal, in FlashInput) (FlashSale, error) {
	fs := FlashSale{ID: newID(), ProductID: in.ProductID, Price: in.Price, Quantity: in.Quantity, PerBuyerLimit: in.PerBuyerLimit,
		StartsAt: in.StartsAt.UTC().Truncate(time.Microsecond), EndsAt: in.EndsAt.UTC().Truncate(time.Microsecond)}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var shopID string
		var pledge int64
		err := tx.QueryRowContext(ctx, "SELECT shop_id, pledge FROM market_products WHERE id = ?", in.ProductID).Scan(&shopID, &pledge)
		if err != nil {
			return db.NotFound(err, "没有该商品 no such product")
		}
		if _, err := s.sellerShop(ctx, tx, p, shopID); err != nil {
			return notFound("没有该商品 no such product")
		}
		f := map[string]string{}
		if in.Price <= 0 || in.Price > MaxPrice || fishpond.Money(pledge)+s.cfg.FeeBp.Of(in.Price) >= in.Price {
			f["price"] = "价格须为正且高于公益捐赠加平台费 price must be positive and above pledge plus fee"
		}
		if in.Quantity <= 0 || in.Quantity > MaxStock {
			f["quantity"] = "数量须为正 quantity must be positive"
		}
		if in.PerBuyerLimit < 0 {
			f["per_buyer_limit"] = "须为0（不限）或正数 0 (no limit) or positive"
		}
		if in.StartsAt.IsZero() || !in.EndsAt.After(in.StartsAt) {
			f["ends_at"] = "结束时间须晚于开始时间 the end must be after the start"
		}
		if len(f) > 0 {
			return fishpond.Invalid("秒杀信息有误 invalid flash sale", f)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO market_flash_sales (id, product_id, price, quantity, per_buyer_limit, starts_at, ends_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, fs.ID, fs.ProductID, int64(fs.Price), fs.Quantity, fs.PerBuyerLimit,
			db.FormatTime(fs.StartsAt), db.FormatTime(fs.EndsAt), db.FormatTime(s.now()))
		return internal(err)
	})
	if err != nil {
		return FlashSale{}, err
	}
	return fs, nil
}

const flashColumns = "id, product_id, price, quantity, sold, per_buyer_limit, starts_at, ends_at FROM market_flash_sales"

func scanFlash(row interface{ Scan(...any) error }) (FlashSale, error) {
	var fs FlashSale
	var price int64
	var start, end string
	err := row.Scan(&fs.ID, &fs.ProductID, &price, &fs.Quantity, &fs.Sold, &fs.PerBuyerLimit, &start, &end)
	fs.Price, fs.StartsAt, fs.EndsAt = fishpond.Money(price), db.MustTime(start), db.MustTime(end)
	return fs, err
}

// FlashSale reads a flash sale with its live Sold count; offers are public.
func (s *Store) FlashSale(ctx context.Context, id string) (FlashSale, error) {
	fs, err := scanFlash(s.db.Read().QueryRowContext(ctx, "SELECT "+flashColumns+" WHERE id = ?", id))
	if err != nil {
		return FlashSale{}, db.NotFound(err, "没有该秒杀 no such flash sale")
	}
	return fs, nil
}

// soldOutTTL is how long a flash sale found sold out is answered "sold out" from
// memory. Units come back when an order is cancelled, expires or is refunded;
// this process forgets the flag at once then, and another server's release is
// seen within the TTL. The flag only ever refuses: it can delay a sale for up to
// the TTL, never make one the database would refuse.
const soldOutTTL = time.Second

func flashSoldOut() error { return conflict("秒杀商品已抢光 the flash sale is sold out") }

// noteSoldOut runs after a flash reservation failed in tx: if nothing at all is
// left (not merely less than the quantity asked for), later buyers are answered
// from memory.
func (s *Store) noteSoldOut(ctx context.Context, tx *db.Tx, flashID string) error {
	st, err := tx.Stmt(ctx, "SELECT quantity - sold FROM market_flash_sales WHERE id = ?")
	if err != nil {
		return internal(err)
	}
	var left int64
	if err := st.QueryRowContext(ctx, flashID).Scan(&left); err != nil {
		return err
	}
	if left <= 0 {
		s.soldOut.Store(flashID, time.Now())
	}
	return nil
}

// lostFlashSale answers a flash-sale loser without a write transaction: true with
// the sold-out error when a line's flash sale is known sold out and the buyer has
// no order under this idempotency key (a retry of a winning checkout must get its
// order back, so that is checked first, on the read pool). The caller has made
// sure no other request with the same key is in flight in this process.
func (s *Store) lostFlashSale(ctx context.Context, buyer string, req OrderRequest) (bool, error) {
	if !s.knownSoldOut(req.Lines) {
		return false, nil
	}
	var id, hash string
	err := s.prepared().QueryRowContext(ctx, sqlFindIdem, buyer, req.IdempotencyKey).Scan(&id, &hash)
	switch {
	case err == nil:
		return false, nil // a retry: the transaction returns the order (or the key conflict)
	case !errors.Is(err, sql.ErrNoRows):
		return false, internal(err)
	}
	return true, flashSoldOut()
}

// knownSoldOut reports whether a line's flash sale was found sold out within the
// last soldOutTTL.
func (s *Store) knownSoldOut(lines []LineRequest) bool {
	for _, l := range lines {
		if l.FlashID == "" {
			continue
		}
		if at, ok := s.soldOut.Load(l.FlashID); ok {
			if time.Since(at.(time.Time)) < soldOutTTL {
				return true
			}
			s.soldOut.CompareAndDelete(l.FlashID, at)
		}
	}
	return false
}

// enterPlacing registers an order being placed under key (buyer NUL idempotency
// key) and reports whether it is the only one in flight in this process.
func (s *Store) enterPlacing(key string) bool {
	s.placingMu.Lock()
	defer s.placingMu.Unlock()
	if s.placing == nil {
		s.placing = map[string]int{}
	}
	s.placing[key]++
	return s.placing[key] == 1
}

func (s *Store) leavePlacing(key string) {
	s.placingMu.Lock()
	defer s.placingMu.Unlock()
	if s.placing[key]--; s.placing[key] <= 0 {
		delete(s.placing, key)
	}
}
