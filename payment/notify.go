package payment

import (
	"context"
	"database/sql"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Notification is a verified payment of an order, as the market needs it:
// web passes it to market.MarkPaid(ctx, n.OrderID, n.Provider, n.TradeNo, n.Amount).
type Notification struct {
	OrderID  string
	Provider string
	TradeNo  string
	Amount   fishpond.Money
	NotifyID string
	PaidAt   time.Time // when we recorded the payment
}

// ApplyFunc is what the caller does with a newly verified payment (mark the order
// paid). It must be idempotent: it runs again if it failed or the process died
// before HandleNotify recorded its success, when the wallet re-sends.
type ApplyFunc func(ctx context.Context, n Notification) error

// ErrDuplicateTrade: a genuine payment for an order already paid by another trade
// (the buyer paid twice). It is acknowledged — the wallet must stop re-sending —
// but the money has to be returned: the notification is stored with verdict
// duplicate_trade for operators to refund.
var ErrDuplicateTrade = errors.New("payment: order already paid by another trade")

// HandleNotify verifies a wallet's asynchronous notification (the POSTed form) and,
// the first time a genuine payment of the right amount arrives for an order,
// records the payment and calls apply (which may be nil). It returns:
//
//   - nil and the Notification: newly paid, apply succeeded — answer "success";
//   - ErrReplay, ErrNoAction or ErrDuplicateTrade (wrapped; see Acknowledge): a
//     genuine notification that must not change anything — answer "success";
//   - any other error: refused (forged, altered, unsigned, stale, wrong app, wrong
//     amount, unknown order) or apply failed — answer "failure"; nothing is marked
//     paid by a refused notification.
//
// The endpoint should answer with Answer(err).
func (s *Service) HandleNotify(ctx context.Context, form url.Values, apply ApplyFunc) (Notification, error) {
	return s.handleNotify(ctx, form, nil, apply)
}

// ApplyTxFunc is ApplyFunc inside the transaction that records the verified
// payment (mark the order paid with market.MarkPaidTx): both commit or neither.
type ApplyTxFunc func(ctx context.Context, tx *db.Tx, n Notification) error

// HandleNotifyTx is HandleNotify with the common case in one transaction: a new,
// genuine payment is recorded, applyTx applies it and the notification is stored
// as applied, all in the same commit (instead of three). If applyTx fails (the
// order expired meanwhile…), its writes are rolled back alone, the payment is
// recorded as accepted, and apply then runs afterwards exactly as in HandleNotify
// (apply may refund). Replays, forgeries and refusals answer as in HandleNotify.
func (s *Service) HandleNotifyTx(ctx context.Context, form url.Values, applyTx ApplyTxFunc, apply ApplyFunc) (Notification, error) {
	return s.handleNotify(ctx, form, applyTx, apply)
}

const (
	sqlApplySavepoint = "SAVEPOINT payment_apply"
	sqlApplyRollback  = "ROLLBACK TO SAVEPOINT payment_apply"
	sqlApplyRelease   = "RELEASE SAVEPOINT payment_apply"
)

func (s *Service) handleNotify(ctx context.Context, form url.Values, applyTx ApplyTxFunc, apply ApplyFunc) (Notification, error) {
	now := s.clock.Now()
	n, err := VerifyNotification(form, s.p.PublicKey(), s.p.AppID(), now, s.opt.MaxNotifyAge)
	if err != nil {
		slog.WarnContext(ctx, "payment notification refused", "provider", s.p.Name(), "err", err,
			"out_trade_no", truncate(form.Get("out_trade_no")), "notify_id", truncate(form.Get("notify_id")))
		return Notification{}, err
	}
	var out Notification
	var outcome error
	needsApply := false
	err = s.opt.RunTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		out, outcome, needsApply = Notification{}, nil, false
		p, err := getPayment(ctx, tx, n.OutTradeNo, tx.ForUpdate())
		if err != nil || p.Provider != s.p.Name() {
			if err != nil && fishpond.Code(err) != fishpond.ENotFound {
				return err
			}
			outcome = reject(fishpond.ENotFound, ErrUnknownOrder, "payment notification refused: unknown order")
			return nil
		}
		out = Notification{OrderID: p.OrderID, Provider: p.Provider, TradeNo: n.TradeNo, Amount: n.Amount, NotifyID: n.NotifyID, PaidAt: p.PaidAt}
		var hash, verdict string
		err = queryRow(ctx, tx, `SELECT content_hash, verdict FROM payment_notifications
			WHERE provider = ? AND notify_id = ?`, s.p.Name(), n.NotifyID).Scan(&hash, &verdict)
		switch {
		case err == nil && hash != n.ContentHash:
			outcome = reject(fishpond.EConflict, ErrNotifyConflict, "payment notification refused: notify_id reused")
			return nil
		case err == nil:
			outcome = replayOutcome(verdict)
			needsApply = verdict == verdictAccepted
			if needsApply {
				outcome = nil
			}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		verdict, outcome = s.judge(p, n)
		stamp := db.FormatTime(now)
		if verdict == verdictAccepted {
			out.PaidAt = now
			if _, err := execStmt(ctx, tx, `UPDATE payments SET status = ?, trade_no = ?, paid_at = ?, updated_at = ?
				WHERE order_id = ?`, string(StatusPaid), n.TradeNo, stamp, stamp, p.OrderID); err != nil {
				return err
			}
			needsApply = true
			if applyTx != nil {
				applied, err := applyInTx(ctx, tx, applyTx, out)
				if err != nil {
					return err
				}
				if applied {
					verdict, needsApply = verdictApplied, false
				}
			}
		}
		_, err = execStmt(ctx, tx, `INSERT INTO payment_notifications (provider, notify_id, order_id, trade_no,
			trade_status, amount, content_hash, verdict, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.p.Name(), n.NotifyID, p.OrderID, n.TradeNo, string(n.TradeStatus), int64(n.Amount), n.ContentHash, verdict, stamp)
		if db.IsUniqueViolation(err) {
			return db.Retry(err) // the same notification raced us; the rerun sees it
		}
		return err
	})
	if err != nil {
		return Notification{}, fishpond.Internal(err)
	}
	if outcome != nil {
		if !Acknowledge(outcome) {
			slog.WarnContext(ctx, "payment notification refused", "provider", s.p.Name(), "err", outcome,
				"order", n.OutTradeNo, "notify_id", n.NotifyID)
		} else if errors.Is(outcome, ErrDuplicateTrade) {
			slog.ErrorContext(ctx, "order paid twice: refund the second trade", "provider", s.p.Name(),
				"order", n.OutTradeNo, "trade_no", n.TradeNo, "amount", n.Amount.String())
		}
		return out, outcome
	}
	if !needsApply {
		return out, nil // applied in the transaction above
	}
	// One apply at a time per order in this process, re-checked under the lock, so
	// that a wallet re-sending while the first delivery is still applying does not
	// apply twice. (Across several servers apply's own idempotency covers it.)
	mu := s.applyLock(out.OrderID)
	mu.Lock()
	defer mu.Unlock()
	var verdict string
	err = s.db.Read().QueryRowContext(ctx, `SELECT verdict FROM payment_notifications WHERE provider = ? AND notify_id = ?`,
		s.p.Name(), n.NotifyID).Scan(&verdict)
	if err != nil {
		return Notification{}, fishpond.Internal(err)
	}
	if verdict == verdictApplied {
		return out, replayOutcome(verdict)
	}
	if needsApply && apply != nil {
		if err := apply(ctx, out); err != nil {
			return out, err
		}
	}
	err = s.opt.RunTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE payment_notifications SET verdict = ? WHERE provider = ? AND notify_id = ? AND verdict = ?`,
			verdictApplied, s.p.Name(), n.NotifyID, verdictAccepted)
		return err
	})
	if err != nil {
		// The order is applied; a re-sent notification applies it again, idempotently.
		return out, fishpond.Internal(err)
	}
	return out, nil
}

// applyInTx runs applyTx under a savepoint: true when it succeeded; false when it
// failed and its writes were rolled back (the caller records the payment as
// accepted and applies it afterwards, the slow way). Only a failure of the
// savepoint itself is returned.
func applyInTx(ctx context.Context, tx *db.Tx, applyTx ApplyTxFunc, n Notification) (bool, error) {
	if _, err := execStmt(ctx, tx, sqlApplySavepoint); err != nil {
		return false, err
	}
	if err := applyTx(ctx, tx, n); err != nil {
		if _, rerr := execStmt(ctx, tx, sqlApplyRollback); rerr != nil {
			return false, rerr
		}
		if _, rerr := execStmt(ctx, tx, sqlApplyRelease); rerr != nil {
			return false, rerr
		}
		return false, nil
	}
	_, err := execStmt(ctx, tx, sqlApplyRelease)
	return err == nil, err
}

// Notification verdicts as stored.
const (
	verdictAccepted       = "accepted"
	verdictApplied        = "applied"
	verdictNoAction       = "no_action"
	verdictDuplicateTrade = "duplicate_trade"
	verdictAmountMismatch = "amount_mismatch"
)

// judge decides what a new, genuine notification means for the payment p.
func (s *Service) judge(p Payment, n Notice) (verdict string, outcome error) {
	switch {
	case n.Amount != p.Amount:
		return verdictAmountMismatch, reject(fishpond.EInvalid, ErrAmountMismatch, "payment notification refused: amount differs from the order")
	case !n.TradeStatus.Paid():
		return verdictNoAction, reject(fishpond.EConflict, ErrNoAction, "payment notification: trade not paid")
	case p.Status == StatusCreated:
		return verdictAccepted, nil
	case p.TradeNo == n.TradeNo:
		return verdictNoAction, reject(fishpond.EConflict, ErrNoAction, "payment notification: order already paid by this trade")
	default:
		return verdictDuplicateTrade, reject(fishpond.EConflict, ErrDuplicateTrade, "payment notification: order already paid by another trade")
	}
}

// replayOutcome is the answer to a notification seen before with the same content.
func replayOutcome(verdict string) error {
	if verdict == verdictAmountMismatch {
		return reject(fishpond.EInvalid, ErrAmountMismatch, "payment notification refused: amount differs from the order")
	}
	return reject(fishpond.EConflict, ErrReplay, "payment notification already handled")
}

// applyLock returns the lock stripe of an order.
func (s *Service) applyLock(orderID string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(orderID))
	return &s.applying[h.Sum32()%uint32(len(s.applying))]
}

// truncate keeps refused input short in logs.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
