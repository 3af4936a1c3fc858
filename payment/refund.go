package payment

import (
	"context"
	"database/sql"
	"errors"
	"regexp"

	"fishpond"
	"fishpond/internal/db"
)

// Refund is our record of one refund request.
type Refund struct {
	OrderID   string
	RequestNo string
	Amount    fishpond.Money
	// Done is false while the wallet has not confirmed; calling Refund again with
	// the same request number retries it.
	Done bool
}

var requestNoRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Refund returns amount of the order's payment to the buyer. It is idempotent by
// requestNo: the same request again returns the same refund without moving money
// twice (and finishes it if the wallet had not confirmed); the same requestNo with
// another amount is a conflict. Refunds together never exceed what was paid.
func (s *Service) Refund(ctx context.Context, orderID, requestNo string, amount fishpond.Money) (Refund, error) {
	if !requestNoRE.MatchString(requestNo) || amount <= 0 {
		return Refund{}, fishpond.Invalid("refund cannot be made", map[string]string{
			"request_no": "1 to 64 letters, digits, _ or -", "amount": "above zero"})
	}
	r := Refund{OrderID: orderID, RequestNo: requestNo, Amount: amount}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		r.Done = false
		p, err := getPayment(ctx, tx, orderID, tx.ForUpdate())
		if err != nil {
			return err
		}
		var prev int64
		var status string
		err = tx.QueryRowContext(ctx, `SELECT amount, status FROM payment_refunds WHERE order_id = ? AND request_no = ?`,
			orderID, requestNo).Scan(&prev, &status)
		switch {
		case err == nil && fishpond.Money(prev) != amount:
			return fishpond.Errorf(fishpond.EConflict, "refund %s of order %s was for %s yuan, not %s", requestNo, orderID, fishpond.Money(prev), amount)
		case err == nil:
			r.Done = status == "succeeded"
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if p.Status == StatusCreated {
			return fishpond.Errorf(fishpond.EConflict, "order %s is not paid", orderID)
		}
		var requested int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM payment_refunds WHERE order_id = ?`, orderID).Scan(&requested); err != nil {
			return err
		}
		if left := p.Amount - fishpond.Money(requested); amount > left {
			return fishpond.Invalid("refund exceeds what is left of the payment",
				map[string]string{"amount": "at most " + left.String() + " yuan"})
		}
		now := db.FormatTime(s.clock.Now())
		_, err = tx.ExecContext(ctx, `INSERT INTO payment_refunds (order_id, request_no, amount, status, created_at, updated_at)
			VALUES (?, ?, ?, 'pending', ?, ?)`, orderID, requestNo, int64(amount), now, now)
		return err
	})
	if err != nil || r.Done {
		return r, err
	}
	if _, err := s.p.Refund(ctx, RefundRequest{OutTradeNo: orderID, OutRequestNo: requestNo, Amount: amount}); err != nil {
		return r, providerError(err)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		p, err := getPayment(ctx, tx, orderID, tx.ForUpdate())
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE payment_refunds SET status = 'succeeded', updated_at = ?
			WHERE order_id = ? AND request_no = ? AND status = 'pending'`, db.FormatTime(s.clock.Now()), orderID, requestNo)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // a concurrent retry finished it
		}
		refunded := p.Refunded + amount
		status := StatusRefundedPartially
		if refunded == p.Amount {
			status = StatusRefundedFully
		}
		_, err = tx.ExecContext(ctx, `UPDATE payments SET refunded = ?, status = ?, updated_at = ? WHERE order_id = ?`,
			int64(refunded), string(status), db.FormatTime(s.clock.Now()), orderID)
		return err
	})
	if err != nil {
		return r, fishpond.Internal(err)
	}
	r.Done = true
	return r, nil
}
