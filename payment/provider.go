// Package payment takes buyers' money through Chinese wallet-style providers
// (the Alipay / WeChat Pay flow): we create a trade and redirect the buyer to the
// provider's cashier; the provider later POSTs an asynchronous notification signed
// with RSA2 (SHA256withRSA), which is the only thing we trust as proof of payment.
// The package verifies those notifications (signature, app id, amount, age, replay),
// records payments and refunds, and hands the first verified payment of an order to
// the caller. It knows nothing about orders beyond their id and amount: web wires a
// verified payment to market.MarkPaid. No card data ever passes through Fishpond.
package payment

import (
	"context"
	"crypto"

	"fishpond"
)

// Provider is one wallet (or the sandbox). Service talks to it; the provider's
// cashier talks to the buyer; its notifications come back through HandleNotify.
type Provider interface {
	// Name identifies the provider in stored payments ("sandbox", "alipay", …), so
	// trade numbers from different wallets never collide.
	Name() string
	// AppID is our merchant application id at the provider; notifications for any
	// other app are rejected (a notification for someone else's shop is not ours).
	AppID() string
	// PublicKey is the provider's public key that signs its notifications: an
	// *rsa.PublicKey (RSA2) for every real wallet; the sandbox may use a P-256
	// *ecdsa.PublicKey (ES256) instead. Only that key's sign_type is accepted.
	PublicKey() crypto.PublicKey
	// CreateTrade registers the trade with the provider and returns the cashier URL
	// the buyer is redirected to. Calling it again for the same out_trade_no and
	// amount returns a usable URL again (buyers reload pages).
	CreateTrade(ctx context.Context, req TradeRequest) (cashierURL string, err error)
	// QueryTrade asks the provider synchronously about a trade: the fallback when a
	// notification is late or lost.
	QueryTrade(ctx context.Context, outTradeNo string) (Trade, error)
	// Refund returns money to the buyer. It is idempotent by OutRequestNo, as the
	// wallets are: the same request twice refunds once.
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
}

// TradeRequest is what a provider needs to open its cashier for one order.
type TradeRequest struct {
	OutTradeNo string         // our order id
	Amount     fishpond.Money // total in fen
	Subject    string         // shown to the buyer on the cashier page
	NotifyURL  string         // where the provider POSTs the asynchronous notification
	ReturnURL  string         // where the buyer's browser goes afterwards (display only)
}

// TradeStatus is the provider's view of a trade, with Alipay's names because the
// notification carries them verbatim.
type TradeStatus string

// The trade statuses of the wallet flow.
const (
	TradeWaitBuyerPay TradeStatus = "WAIT_BUYER_PAY" // created, not paid
	TradeSuccess      TradeStatus = "TRADE_SUCCESS"  // paid, refunds still possible
	TradeFinished     TradeStatus = "TRADE_FINISHED" // paid, no more refunds
	TradeClosed       TradeStatus = "TRADE_CLOSED"   // closed unpaid, or fully refunded
)

// Paid tells whether the status means the buyer's money has arrived.
func (s TradeStatus) Paid() bool { return s == TradeSuccess || s == TradeFinished }

// Trade is a provider's answer to QueryTrade.
type Trade struct {
	OutTradeNo string
	TradeNo    string // the provider's own trade number, empty until paid
	Amount     fishpond.Money
	Refunded   fishpond.Money
	Status     TradeStatus
}

// RefundRequest asks for (part of) a paid trade back. OutRequestNo is our key that
// makes retries safe.
type RefundRequest struct {
	OutTradeNo   string
	OutRequestNo string
	Amount       fishpond.Money
}

// RefundResult is the provider's confirmation of a refund.
type RefundResult struct {
	OutTradeNo    string
	OutRequestNo  string
	Amount        fishpond.Money
	TotalRefunded fishpond.Money // all refunds of the trade so far
}
