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
// payment: its stock is still reserved and the buyer has paid.
func (s *Store) MarkPaid(ctx context.Context, orderID, provider, providerTradeNo string, amount fishpond.Money) (Order, error) {
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
	pa, err := s.platformAccountIDs(ctx)
	if err != nil {
		return Order{}, err
	}
	var out orderRow
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := loadOrderRow(ctx, tx, orderID, tx.ForUpdate())
		if err != nil {
			return err
		}
		if r.Provider != "" {
			if r.Provider == provider && r.ProviderTradeNo == providerTradeNo {
				out = r
				return nil // a repeated notification
			}
			return conflict("订单已由另一笔交易支付 the order was paid by another transaction")
		}
		if r.Status != StatusPlaced {
			return illegal(&r.Order, "paid 支付")
		}
		if amount != r.Total {
			return fishpond.Invalid("支付金额与订单金额不符 paid amount differs from the order total",
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
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE market_orders SET status = ?, paid_at = ?, provider = ?, provider_trade_no = ?, payment_transfer = ?
			WHERE id = ? AND status = ?`, string(StatusPaid), db.FormatTime(now), provider, providerTradeNo, t.ID, r.ID, string(StatusPlaced))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return db.Retry(errConcurrent)
		}
		r.Status, r.PaidAt, r.Provider, r.ProviderTradeNo = StatusPaid, now, provider, providerTradeNo
		if err := appendOrderEvent(ctx, tx, now, string(StatusPaid), &r.Order); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	return s.view(out, roleNone), nil // the notification path never needs the phone
}
