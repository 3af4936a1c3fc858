package market

import (
	"context"

	"fishpond/internal/db"
)

// The no-oversell rule: every reservation is one conditional UPDATE whose WHERE
// clause re-checks what is left, and the caller checks that exactly one row
// changed. On PostgreSQL a concurrent updater waits for the row lock and
// re-evaluates the condition on the new row; SQLite has one writer at a time. A
// failed reservation fails the whole order transaction, so no partial order
// holds stock.
const (
	sqlReserveStock = "UPDATE market_products SET stock = stock - ?, sold = sold + ? WHERE id = ? AND stock >= ?"
	sqlReleaseStock = "UPDATE market_products SET stock = stock + ?, sold = sold - ? WHERE id = ?"
	sqlReserveFlash = "UPDATE market_flash_sales SET sold = sold + ? WHERE id = ? AND sold + ? <= quantity"
	sqlReleaseFlash = "UPDATE market_flash_sales SET sold = sold - ? WHERE id = ? AND sold >= ?"
	sqlQuotaRow     = "INSERT INTO market_buyer_quota (buyer_id, scope, qty) VALUES (?, ?, 0) ON CONFLICT (buyer_id, scope) DO NOTHING"
	sqlTakeQuota    = "UPDATE market_buyer_quota SET qty = qty + ? WHERE buyer_id = ? AND scope = ? AND qty + ? <= ?"
	sqlGiveQuota    = "UPDATE market_buyer_quota SET qty = qty - ? WHERE buyer_id = ? AND scope = ? AND qty >= ?"
)

// execOne runs a prepared conditional update and reports whether it changed a row.
func execOne(ctx context.Context, tx *db.Tx, q string, args ...any) (bool, error) {
	st, err := tx.Stmt(ctx, q)
	if err != nil {
		return false, internal(err)
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return false, err // may be a retryable lock error; InTx decides
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal(err)
	}
	return n == 1, nil
}

// reserveStock takes qty units of a product, false when fewer are left.
func reserveStock(ctx context.Context, tx *db.Tx, productID string, qty int64) (bool, error) {
	return execOne(ctx, tx, sqlReserveStock, qty, qty, productID, qty)
}

// reserveFlash takes qty units of a flash sale's own allotment.
func reserveFlash(ctx context.Context, tx *db.Tx, flashID string, qty int64) (bool, error) {
	return execOne(ctx, tx, sqlReserveFlash, qty, flashID, qty)
}

// takeQuota raises what the buyer holds of scope by qty unless it would pass limit.
func takeQuota(ctx context.Context, tx *db.Tx, buyerID, scope string, qty, limit int64) (bool, error) {
	st, err := tx.Stmt(ctx, sqlQuotaRow)
	if err != nil {
		return false, internal(err)
	}
	if _, err := st.ExecContext(ctx, buyerID, scope); err != nil {
		return false, err
	}
	return execOne(ctx, tx, sqlTakeQuota, qty, buyerID, scope, qty, limit)
}

// releaseLines gives back everything an order reserved: product stock, flash
// allotments and per-buyer quotas (limits cannot change after listing, so a quota
// row exists exactly when the order took from it).
func (s *Store) releaseLines(ctx context.Context, tx *db.Tx, buyerID string, lines []Line) error {
	for _, l := range lines {
		if l.FlashID != "" {
			s.soldOut.Delete(l.FlashID) // units come back: buyers must reach the database again
		}
		if _, err := tx.ExecContext(ctx, sqlReleaseStock, l.Qty, l.Qty, l.ProductID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlGiveQuota, l.Qty, buyerID, "product:"+l.ProductID, l.Qty); err != nil {
			return err
		}
		if l.FlashID != "" {
			if _, err := tx.ExecContext(ctx, sqlReleaseFlash, l.Qty, l.FlashID, l.Qty); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, sqlGiveQuota, l.Qty, buyerID, "flash:"+l.FlashID, l.Qty); err != nil {
				return err
			}
		}
	}
	return nil
}
