package farms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// KindSale is the ledger transfer kind of a cooperative's sale: the sales inflows
// a cooperative loan's standing rule takes its share of.
const KindSale = "farm_sale"

// Sale is produce the cooperative sold to a buyer who paid it on the platform.
type Sale struct {
	ID         string
	CoopID     string
	CountyCode string
	Buyer      string
	Crop       string
	Weight     Weight
	UnitPrice  fishpond.Money // per kg
	Amount     fishpond.Money
	TransferID string
	SoldAt     time.Time
	Replayed   bool
}

// SaleInput is what the manager enters: who bought what, and the invoice number
// (the idempotency key).
type SaleInput struct {
	Buyer          string
	Crop           string
	Weight         Weight
	UnitPrice      fishpond.Money
	IdempotencyKey string
}

// RecordSale books a cooperative's sale in one transaction: weight × unit price
// (rounded down to the fen) into the cooperative's cash as its sales income, kind
// farm_sale, so the standing rule of a cooperative loan takes its agreed share in
// the same transfer. The same key returns the first sale.
func (s *Service) RecordSale(ctx context.Context, p fishpond.Principal, coopID string, in SaleInput) (Sale, error) {
	in.Buyer, in.Crop, in.IdempotencyKey = strings.TrimSpace(in.Buyer), strings.TrimSpace(in.Crop), strings.TrimSpace(in.IdempotencyKey)
	f := map[string]string{}
	if in.Buyer == "" || utf8.RuneCountInString(in.Buyer) > 100 {
		f["buyer"] = "必填，最多100字 required, at most 100 characters"
	}
	if in.Crop == "" || utf8.RuneCountInString(in.Crop) > 30 {
		f["crop"] = "必填，最多30字 required, at most 30 characters"
	}
	if in.Weight <= 0 || in.Weight > Kg(10_000_000) {
		f["weight"] = "重量须大于0且不超过1万吨 weight must be above 0 and at most 10,000 t"
	}
	if in.UnitPrice <= 0 || in.UnitPrice > MaxPricePerKg {
		f["unit_price"] = "每公斤价格须在0到1000元之间 price per kg must be above 0 and at most 1,000 yuan"
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	amount := fishpond.Money(int64(in.Weight) * int64(in.UnitPrice) / 1000)
	if len(f) == 0 && (amount <= 0 || amount > ledger.MaxAmount) {
		f["weight"] = "金额须大于0 the sale must be worth more than 0"
	}
	if len(f) > 0 {
		return Sale{}, fishpond.Invalid("销售信息有误 invalid sale", f)
	}
	var sale Sale
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		co, err := managedCoop(ctx, tx, p, coopID, false)
		if err != nil {
			return err
		}
		var existing string
		switch err := tx.QueryRowContext(ctx, "SELECT id FROM farms_sales WHERE coop_id = ? AND idem_key = ?", co.ID, in.IdempotencyKey).Scan(&existing); {
		case err == nil:
			sale, err = loadSale(ctx, tx, existing)
			if err == nil && (sale.Weight != in.Weight || sale.UnitPrice != in.UnitPrice || sale.Buyer != in.Buyer) {
				return conflict("该发票号已用于另一笔销售 the invoice number was used for another sale")
			}
			sale.Replayed = true
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		cash, err := coopAccount(ctx, tx, co.ID, CatCash)
		if err != nil {
			return err
		}
		income, err := coopAccount(ctx, tx, co.ID, CatSales)
		if err != nil {
			return err
		}
		now := s.now()
		sale = Sale{ID: newID(), CoopID: co.ID, CountyCode: co.CountyCode, Buyer: in.Buyer, Crop: in.Crop, Weight: in.Weight, UnitPrice: in.UnitPrice,
			Amount: amount, SoldAt: now}
		t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "farms:sale:" + sale.ID, Kind: KindSale,
			Memo:     fmt.Sprintf("合作社销售 %s %s kg sold to %s", in.Crop, in.Weight, in.Buyer),
			Evidence: "invoice " + in.IdempotencyKey, Postings: []ledger.Posting{{AccountID: cash, Amount: amount}, {AccountID: income, Amount: -amount}}})
		if err != nil {
			return err
		}
		sale.TransferID = t.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO farms_sales (id, coop_id, county_code, idem_key, buyer, crop, weight_g, unit_price, amount, transfer_id, sold_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sale.ID, sale.CoopID, sale.CountyCode, in.IdempotencyKey, sale.Buyer, sale.Crop, int64(sale.Weight),
			int64(sale.UnitPrice), int64(sale.Amount), sale.TransferID, db.FormatTime(now)); err != nil {
			return insertErr(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.sale.recorded", Subject: sale.ID, CountyCode: sale.CountyCode,
			Payload: map[string]any{"coop_id": co.ID, "crop": sale.Crop, "grams": int64(sale.Weight), "fen": int64(sale.Amount)}})
	})
	if err != nil {
		return Sale{}, err
	}
	return sale, nil
}

const saleColumns = "id, coop_id, county_code, buyer, crop, weight_g, unit_price, amount, transfer_id, sold_at FROM farms_sales"

func scanSale(row interface{ Scan(...any) error }) (Sale, error) {
	var s Sale
	var w, up, amt int64
	var at string
	if err := row.Scan(&s.ID, &s.CoopID, &s.CountyCode, &s.Buyer, &s.Crop, &w, &up, &amt, &s.TransferID, &at); err != nil {
		return Sale{}, err
	}
	s.Weight, s.UnitPrice, s.Amount, s.SoldAt = Weight(w), fishpond.Money(up), fishpond.Money(amt), db.MustTime(at)
	return s, nil
}

func loadSale(ctx context.Context, q db.Querier, id string) (Sale, error) {
	s, err := scanSale(q.QueryRowContext(ctx, "SELECT "+saleColumns+" WHERE id = ?", id))
	if err != nil {
		return Sale{}, db.NotFound(err, "没有该销售记录 no such sale")
	}
	return s, nil
}

// Sales lists a cooperative's sales, newest first, for its manager and the
// officers of its county.
func (s *Service) Sales(ctx context.Context, p fishpond.Principal, coopID string, limit int) ([]Sale, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	if _, err := s.Coop(ctx, p, coopID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+saleColumns+" WHERE coop_id = ? ORDER BY sold_at DESC, id DESC LIMIT ?", coopID, limit)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Sale
	for rows.Next() {
		sl, err := scanSale(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, sl)
	}
	return out, internal(rows.Err())
}
