package market

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// RefundRequest asks to return part or all of what a buyer paid. The idempotency
// key makes a retried refund (or a repeated provider callback) safe.
type RefundRequest struct {
	OrderID        string
	Amount         fishpond.Money
	Reason         string
	IdempotencyKey string
}

// Refund is a recorded refund; web hands it to the payment provider.
type Refund struct {
	ID              string
	OrderID         string
	Amount          fishpond.Money
	Reason          string
	AfterSettlement bool
	TransferID      string
	CreatedAt       time.Time
	Order           Order // the order after the refund
	Replayed        bool  // the key had been used with the same amount; nothing new happened
}

// Refund returns money of a paid, shipped, delivered or settled order; the seller
// or an admin decides it. Before settlement it undoes the payment booking by the
// amount; after, one transfer takes back from exactly the accounts settlement
// credited, in proportion (cumulatively, so several partial refunds adding up to
// the whole return every part exactly). A full refund closes the order; if it had
// not shipped, its stock is released.
func (s *Store) Refund(ctx context.Context, p fishpond.Principal, req RefundRequest) (Refund, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	f := map[string]string{}
	if req.Amount <= 0 {
		f["amount"] = "须大于0 must be positive"
	}
	if req.Reason == "" || utf8.RuneCountInString(req.Reason) > 200 {
		f["reason"] = "请说明原因，最多200字 say why, at most 200 characters"
	}
	if req.IdempotencyKey == "" || len(req.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if len(f) > 0 {
		return Refund{}, fishpond.Invalid("退款信息有误 invalid refund", f)
	}
	pa, err := s.platformAccountIDs(ctx)
	if err != nil {
		return Refund{}, err
	}
	var rf Refund
	o, err := s.transition(ctx, p, req.OrderID, sellerOrAdmin, func(tx *db.Tx, r *orderRow, now time.Time) error {
		rf = Refund{ID: newID(), OrderID: r.ID, Amount: req.Amount, Reason: req.Reason, CreatedAt: now}
		var prevAmt int64
		var prevID, prevTransfer string
		var prevAfter int
		err := tx.QueryRowContext(ctx, "SELECT id, amount, after_settlement, transfer_id FROM market_refunds WHERE order_id = ? AND idem_key = ?", r.ID, req.IdempotencyKey).
			Scan(&prevID, &prevAmt, &prevAfter, &prevTransfer)
		switch {
		case err == nil:
			if fishpond.Money(prevAmt) != req.Amount {
				return conflict("该幂等键已用于另一金额的退款 the idempotency key was used for another amount")
			}
			rf.ID, rf.AfterSettlement, rf.TransferID, rf.Replayed = prevID, prevAfter == 1, prevTransfer, true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if !r.Status.Refundable() {
			return illegal(&r.Order, "refunded 退款")
		}
		if req.Amount > r.Total-r.Refunded {
			return fishpond.Invalid("退款超过可退金额 refund exceeds what is left", map[string]string{"amount": "最多 at most " + (r.Total - r.Refunded).String()})
		}
		legs := map[string]fishpond.Money{}
		if r.Status == StatusSettled {
			rf.AfterSettlement = true
			parts, err := loadParts(ctx, tx, r.ID)
			if err != nil {
				return err
			}
			var before int64
			if err := tx.QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0) FROM market_refunds WHERE order_id = ? AND after_settlement = 1", r.ID).Scan(&before); err != nil {
				return err
			}
			weights := make([]int64, len(parts))
			for i, pt := range parts {
				weights[i] = int64(pt.Amount)
			}
			prev, next := fishpond.Allocate(before, weights), fishpond.Allocate(before+int64(req.Amount), weights)
			legs[pa.clearing] -= req.Amount // what leaves to the buyer
			for i, pt := range parts {
				d := fishpond.Money(next[i] - prev[i])
				legs[pt.IncomeAccount] += d
				if pt.WalletAccount != "" {
					legs[pt.WalletAccount] -= d
					legs[pa.clearing] += d
				}
			}
		} else {
			legs[pa.awaiting] += req.Amount
			legs[pa.clearing] -= req.Amount
		}
		t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{
			IdempotencyKey: "market:refund:" + rf.ID,
			Kind:           "market_refund",
			Memo:           "订单退款 order refund " + r.ID + ": " + req.Reason,
			Postings:       postings(legs),
		})
		if err != nil {
			return err
		}
		rf.TransferID = t.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_refunds (id, order_id, idem_key, amount, reason, after_settlement, transfer_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, rf.ID, r.ID, req.IdempotencyKey, int64(req.Amount), req.Reason, boolInt(rf.AfterSettlement), t.ID, db.FormatTime(now)); err != nil {
			return err
		}
		r.Refunded += req.Amount
		if _, err := tx.ExecContext(ctx, "UPDATE market_orders SET refunded = ? WHERE id = ?", int64(r.Refunded), r.ID); err != nil {
			return err
		}
		if r.Refunded == r.Total {
			if r.Status == StatusPaid {
				if err := s.releaseLines(ctx, tx, r.BuyerID, r.Lines); err != nil {
					return err
				}
			}
			if err := setStatus(ctx, tx, r.ID, r.Status, StatusRefunded, "closed_at", now); err != nil {
				return err
			}
			r.Status, r.ClosedAt = StatusRefunded, now
		}
		return nil
	})
	if err != nil {
		return Refund{}, err
	}
	rf.Order = o
	return rf, nil
}
