package market

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"

	"github.com/google/uuid"
)

// Config holds the marketplace's operator settings; cmd fills it from flags so the
// package reads no globals.
type Config struct {
	// FeeBp is the platform fee taken from every settled order, in basis points.
	FeeBp fishpond.Bp
	// OrderTTL is how long an unpaid order holds its stock before ExpireUnpaid
	// releases it.
	OrderTTL time.Duration
	// PhotoDir is where product photos are stored (the data directory); the
	// database keeps only their metadata.
	PhotoDir string
}

// DefaultConfig is a sensible start: 2% fee, 30 minutes to pay.
var DefaultConfig = Config{FeeBp: 200, OrderTTL: 30 * time.Minute, PhotoDir: "fishpond-data/photos"}

// Store is the marketplace's one entry point: every use case is a method taking a
// context and a Principal, running in one transaction.
type Store struct {
	db    *db.DB
	keys  *secret.Keys
	clock fishpond.Clock
	cfg   Config

	mu       sync.Mutex
	platform *platformAccounts // ensured once, after a committed transaction
	warming  atomic.Bool       // platformTx has started caching platform

	// group commits checkout use cases (PlaceOrder, MarkPaid, and whatever else
	// is handed to InGroupTx) many to a transaction.
	group *TxGroup
	// soldOut remembers flash sales found sold out (flash id -> time.Time), so that
	// the losers of a flash sale are answered without a write transaction.
	soldOut sync.Map
	// placing holds the idempotency keys of orders being placed in this process
	// (buyer NUL key -> count), which the sold-out shortcut must not answer.
	placingMu sync.Mutex
	placing   map[string]int
	// watches are the buyers waiting for their order's status to change
	// (WaitOrder), by order id.
	watchMu sync.Mutex
	watches map[string]*orderWatch
}

// NewStore builds the marketplace on d. keys seal delivery phone numbers at rest
// (the registry's keys); clock gives every transaction its fixed "now".
func NewStore(d *db.DB, keys *secret.Keys, clock fishpond.Clock, cfg Config) *Store {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	if cfg.OrderTTL <= 0 {
		cfg.OrderTTL = DefaultConfig.OrderTTL
	}
	return &Store{db: d, keys: keys, clock: clock, cfg: cfg, group: NewTxGroup(d)}
}

// InGroupTx runs fn in the marketplace's group-commit transaction (see TxGroup):
// the payment service records payments and notifications through it, so that a
// whole checkout shares the same few commits. fn must not open a transaction.
func (s *Store) InGroupTx(ctx context.Context, fn func(ctx context.Context, tx *db.Tx) error) error {
	return s.group.InTx(ctx, fn)
}

// Config returns the settings the store runs with, for pages that show the fee.
func (s *Store) Config() Config { return s.cfg }

func (s *Store) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func notFound(format string, args ...any) error {
	return fishpond.Errorf(fishpond.ENotFound, format, args...)
}

func forbidden(format string, args ...any) error {
	return fishpond.Errorf(fishpond.EForbidden, format, args...)
}

func conflict(format string, args ...any) error {
	return fishpond.Errorf(fishpond.EConflict, format, args...)
}

// internal wraps a database error unless it is already one of ours.
func internal(err error) error {
	if err == nil {
		return nil
	}
	var e *fishpond.Error
	if errors.As(err, &e) {
		return err
	}
	return fishpond.Internal(err)
}

// platformAccounts are the platform's market accounts: money received from payment
// providers (clearing, an asset), orders paid but not settled (a liability) and
// the platform fee (income).
type platformAccounts struct {
	clearing, awaiting, fee string
}

// Platform account categories (owner "platform").
const (
	CatClearing = "market_clearing"
	CatAwaiting = "market_awaiting"
	CatFee      = "market_fee"
)

// platformAccountIDs opens the platform accounts in their own transaction the first
// time they are needed, so their ids can be cached without fear of a rollback.
func (s *Store) platformAccountIDs(ctx context.Context) (platformAccounts, error) {
	// mu is not held during the transaction: a group transaction holding SQLite's
	// writer may be waiting for mu in platformTx. EnsureAccount is idempotent, so
	// two first callers at once are harmless.
	s.mu.Lock()
	cached := s.platform
	s.mu.Unlock()
	if cached != nil {
		return *cached, nil
	}
	var pa platformAccounts
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		pa, err = ensurePlatform(ctx, tx)
		return err
	})
	if err != nil {
		return pa, internal(err)
	}
	s.mu.Lock()
	s.platform = &pa
	s.mu.Unlock()
	return pa, nil
}

// platformTx returns the platform accounts inside tx: the cached ids, or ensured in
// tx (not cached, since tx may still roll back) when none were cached yet.
func (s *Store) platformTx(ctx context.Context, tx *db.Tx) (platformAccounts, error) {
	s.mu.Lock()
	pa := s.platform
	s.mu.Unlock()
	if pa != nil {
		return *pa, nil
	}
	if s.warming.CompareAndSwap(false, true) {
		// Cache them from a transaction of their own, after this one (which holds
		// SQLite's writer) is done.
		go func() {
			if _, err := s.platformAccountIDs(context.WithoutCancel(ctx)); err != nil {
				s.warming.Store(false)
			}
		}()
	}
	return ensurePlatform(ctx, tx)
}

func ensurePlatform(ctx context.Context, tx *db.Tx) (platformAccounts, error) {
	var pa platformAccounts
	specs := []struct {
		cat, name string
		kind      ledger.Kind
		dst       *string
	}{
		{CatClearing, "商城支付清算 market payments received", ledger.KindAsset, &pa.clearing},
		{CatAwaiting, "待结算订单 orders awaiting settlement", ledger.KindLiability, &pa.awaiting},
		{CatFee, "平台服务费 platform fee", ledger.KindIncome, &pa.fee},
	}
	for _, sp := range specs {
		a, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: "platform", Category: sp.cat, Kind: sp.kind, Name: sp.name})
		if err != nil {
			return pa, err
		}
		*sp.dst = a.ID
	}
	return pa, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
