package payment

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Status is our side's view of an order's payment.
type Status string

// Payment statuses.
const (
	StatusCreated           Status = "created"
	StatusPaid              Status = "paid"
	StatusRefundedPartially Status = "refunded_partially"
	StatusRefundedFully     Status = "refunded_fully"
)

// DefaultMaxNotifyAge is how old a notification may be. Wallets stamp each
// delivery attempt with a fresh notify_time, so only captured-and-replayed
// notifications are older.
const DefaultMaxNotifyAge = 30 * time.Minute

// Options are the Service's URLs and limits; cmd sets them from config.
type Options struct {
	// NotifyURL is our public endpoint that receives the wallet's POSTs, e.g.
	// https://shop.example.cn/pay/notify. It must be reachable from the provider.
	NotifyURL string
	// ReturnURL is the page the buyer's browser comes back to; display only.
	ReturnURL string
	// MaxNotifyAge overrides DefaultMaxNotifyAge when positive.
	MaxNotifyAge time.Duration
	// RunTx, when set, runs the service's checkout writes (creating a payment,
	// recording a notification) instead of a transaction of their own: cmd passes
	// the marketplace's group commit (market.Store.InGroupTx), so that a paid
	// checkout's writes share commits with everyone else's. Whatever runs them
	// must commit durably before returning nil, and fn must be safe to run again.
	RunTx TxRunner
}

// TxRunner runs fn in a write transaction and returns after it committed.
type TxRunner func(ctx context.Context, fn func(ctx context.Context, tx *db.Tx) error) error

// Service creates payments, verifies notifications and refunds, with one provider.
// It is safe for concurrent use.
type Service struct {
	db    *db.DB
	p     Provider
	clock fishpond.Clock
	opt   Options
	// applying serialises HandleNotify's apply step per order (striped by hash).
	applying [64]sync.Mutex
}

// NewService builds a Service over a migrated database. A deployment with several
// wallets builds one Service per provider.
func NewService(d *db.DB, p Provider, clock fishpond.Clock, opt Options) *Service {
	if opt.MaxNotifyAge <= 0 {
		opt.MaxNotifyAge = DefaultMaxNotifyAge
	}
	if opt.RunTx == nil {
		opt.RunTx = func(ctx context.Context, fn func(ctx context.Context, tx *db.Tx) error) error {
			return d.InTx(ctx, func(tx *db.Tx) error { return fn(ctx, tx) })
		}
	}
	return &Service{db: d, p: p, clock: clock, opt: opt}
}

// Provider returns the provider, e.g. for its Name in logs.
func (s *Service) Provider() Provider { return s.p }

// Payment is our record of one order's payment.
type Payment struct {
	OrderID   string
	Provider  string
	Amount    fishpond.Money
	Subject   string
	Status    Status
	TradeNo   string
	Refunded  fishpond.Money
	CreatedAt time.Time
	PaidAt    time.Time // zero until paid
	UpdatedAt time.Time
}

// orderIDRE is the wallets' rule for out_trade_no: at most 64 letters, digits, _ and -.
var orderIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Create records a payment for the order and returns the provider's cashier URL to
// redirect the buyer to. Calling it again for an unpaid order with the same amount
// returns a fresh URL (the buyer came back); a different amount, or an order
// already paid, is a conflict.
func (s *Service) Create(ctx context.Context, orderID string, amount fishpond.Money, subject string) (string, error) {
	fields := map[string]string{}
	if !orderIDRE.MatchString(orderID) {
		fields["order_id"] = "1 to 64 letters, digits, _ or -"
	}
	if amount <= 0 || amount > fishpond.Yuan(100_000_000) {
		fields["amount"] = "above zero and at most 100,000,000 yuan"
	}
	if subject == "" || utf8.RuneCountInString(subject) > 128 || !utf8.ValidString(subject) {
		fields["subject"] = "1 to 128 characters"
	}
	if len(fields) > 0 {
		return "", fishpond.Invalid("payment cannot be created", fields)
	}
	now := db.FormatTime(s.clock.Now())
	err := s.opt.RunTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		// Insert first (the common case, one statement); only an existing payment
		// is read and checked.
		res, err := execStmt(ctx, tx, `INSERT INTO payments (order_id, provider, amount, subject, status, refunded, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (order_id) DO NOTHING`, orderID, s.p.Name(), int64(amount), subject, string(StatusCreated), now, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		p, err := getPayment(ctx, tx, orderID, tx.ForUpdate())
		if err != nil {
			return err
		}
		switch {
		case p.Provider != s.p.Name():
			return fishpond.Errorf(fishpond.EConflict, "order %s is being paid with %s", orderID, p.Provider)
		case p.Status != StatusCreated:
			return fishpond.Errorf(fishpond.EConflict, "order %s is already paid", orderID)
		case p.Amount != amount:
			return fishpond.Errorf(fishpond.EConflict, "order %s was created for %s yuan, not %s", orderID, p.Amount, amount)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	u, err := s.p.CreateTrade(ctx, TradeRequest{OutTradeNo: orderID, Amount: amount, Subject: subject,
		NotifyURL: s.opt.NotifyURL, ReturnURL: s.opt.ReturnURL})
	if err != nil {
		return "", providerError(err)
	}
	return u, nil
}

// Get returns our record of the order's payment.
func (s *Service) Get(ctx context.Context, orderID string) (Payment, error) {
	return getPayment(ctx, s.db.Read(), orderID, "")
}

// QueryTrade asks the provider about the order's trade, for reconciling when a
// notification is late or lost. It only reports: money is recorded only from a
// verified notification.
func (s *Service) QueryTrade(ctx context.Context, orderID string) (Trade, error) {
	if _, err := s.Get(ctx, orderID); err != nil {
		return Trade{}, err
	}
	t, err := s.p.QueryTrade(ctx, orderID)
	if err != nil {
		return Trade{}, providerError(err)
	}
	return t, nil
}

func getPayment(ctx context.Context, q db.Querier, orderID, lock string) (Payment, error) {
	var p Payment
	var tradeNo, paidAt sql.NullString
	var created, updated string
	var amount, refunded int64
	err := queryRow(ctx, q, `SELECT order_id, provider, amount, subject, status, trade_no, refunded,
		created_at, paid_at, updated_at FROM payments WHERE order_id = ?`+lock, orderID).
		Scan(&p.OrderID, &p.Provider, &amount, &p.Subject, &p.Status, &tradeNo, &refunded, &created, &paidAt, &updated)
	if err != nil {
		return Payment{}, db.NotFound(err, "no payment for order %s", orderID)
	}
	p.Amount, p.Refunded, p.TradeNo = fishpond.Money(amount), fishpond.Money(refunded), tradeNo.String
	p.CreatedAt, p.UpdatedAt = db.MustTime(created), db.MustTime(updated)
	if paidAt.Valid {
		p.PaidAt = db.MustTime(paidAt.String)
	}
	return p, nil
}

// providerError keeps a provider's own typed errors (e.g. not_found) and hides
// anything else as internal: its text may name hosts or keys.
func providerError(err error) error {
	var fe *fishpond.Error
	if errors.As(err, &fe) {
		return err
	}
	return fishpond.Internal(err)
}

// queryRow runs a one-row query, prepared once per database when q is a
// transaction (the checkout path runs these for every payment; SQL parsing is a
// large share of the CPU of a statement on the pure-Go SQLite).
func queryRow(ctx context.Context, q db.Querier, query string, args ...any) *sql.Row {
	if tx, ok := q.(*db.Tx); ok {
		if st, err := tx.Stmt(ctx, query); err == nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return q.QueryRowContext(ctx, query, args...)
}

// execStmt runs a statement in tx, prepared once per database.
func execStmt(ctx context.Context, tx *db.Tx, query string, args ...any) (sql.Result, error) {
	st, err := tx.Stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}
