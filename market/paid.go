package market

import (
	"context"
	"strings"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// MarkPaid records a payment that web has verified with the provider (a signed
// notification). It is idempotent: the same provider trade number again returns
// the order unchanged. The amount must equal the order total exactly, or nothing
// changes. The money is booked at once — platform clearing (asset) against orders
// awaiting settlement (liability) — so it is never unaccounted for between payment
// and settlement. A placed order past its TTL but not yet swept still accepts the
// payment: its stock is still reserved and the buyer has paid. It runs in the
// store's group-commit transaction.
func (s *Store) MarkPaid(ctx context.Context, orderID, provider, providerTradeNo string, amount fishpond.Money) (Order, error) {
	if _, err := s.platformAccountIDs(ctx); err != nil { // cached from now on
		return Order{}, err
	}
	var o Order
	err := s.group.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		o, err = s.MarkPaidTx(ctx, tx, orderID, provider, providerTradeNo, amount)
		return err
	})
	if err != nil {
		return Order{}, err
	}
	return o, nil
}

// MarkPaidTx is MarkPaid inside the caller's transaction: web runs it in the same
// transaction that records the wallet's verified notification, so the payment,
// the order's status and the ledger booking commit together or not at all.
func (s *Store) MarkPaidTx(ctx context.Context, tx *db.Tx, orderID, provider, providerTradeNo string, amount fishpond.Money) (Order, error) {
	provider, providerTradeNo = strings.TrimSpace(provider), strings.TrimSpace(providerTradeNo)
	f := map[string]string{}
	if provider == "" || len(provider) > 32 {
		f["provider"] = "必填 required"
	}
	if providerTradeNo == "" || len(providerTradeNo) > 64 {
		f["provider_trade_no"] = "必填，最多64字符 required, at most 64 characters"
	}
	if len(f) > 0 {
		return Order{}, fishpond.Invalid("支付通知有误 invalid payment notification", f)
	}
	pa, err := s.platformTx(ctx, tx)
	if err != nil {
		return Order{}, err
	}
	r, err := loadOrderRow(ctx, tx, orderID, tx.ForUpdate())
	if err != nil {
		return Order{}, err
	}
	if r.Provider != "" {
		if r.Provider == provider && r.ProviderTradeNo == providerTradeNo {
			return s.view(r, roleNone), nil // a repeated notification
		}
		return Order{}, conflict("订单已由另一笔交易支付 the order was paid by another transaction")
	}
	if r.Status != StatusPlaced {
		return Order{}, illegal(&r.Order, "paid 支付")
	}
	if amount != r.Total {
		return Order{}, fishpond.Invalid("支付金额与订单金额不符 paid amount differs from the order total",
			map[string]string{"amount": "应为 must be " + r.Total.String()})
	}
	now := s.now()
	t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{
		IdempotencyKey: "market:order:" + r.ID + ":paid",
		Kind:           "market_payment",
		Memo:           "订单支付 order paid " + r.ID,
		Evidence:       provider + ":" + providerTradeNo,
		Postings: []ledger.Posting{
			{AccountID: pa.clearing, Amount: r.Total},
			{AccountID: pa.awaiting, Amount: -r.Total},
		},
	})
	if err != nil {
		return Order{}, err
	}
	st, err := tx.Stmt(ctx, sqlMarkPaid)
	if err != nil {
		return Order{}, internal(err)
	}
	res, err := st.ExecContext(ctx, string(StatusPaid), db.FormatTime(now), provider, providerTradeNo, t.ID, r.ID, string(StatusPlaced))
	if err != nil {
		return Order{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Order{}, db.Retry(errConcurrent)
	}
	r.Status, r.PaidAt, r.Provider, r.ProviderTradeNo = StatusPaid, now, provider, providerTradeNo
	if err := appendOrderEvent(ctx, tx, now, string(StatusPaid), &r.Order); err != nil {
		return Order{}, err
	}
	// Wake the buyer's "waiting for payment" request once this commits.
	id := r.ID
	AfterCommit(ctx, func() { s.orderChanged(id) })
	return s.view(r, roleNone), nil // the notification path never needs the phone
}

const sqlMarkPaid = `UPDATE market_orders SET status = ?, paid_at = ?, provider = ?, provider_trade_no = ?, payment_transfer = ?
	WHERE id = ? AND status = ?`
