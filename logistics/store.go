package logistics

import (
	"context"
	"errors"
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"

	"github.com/google/uuid"
)

// Config holds the operator's settings; cmd fills it so the package reads no
// globals. The expected leg times are the service levels parcels are judged by.
type Config struct {
	FirstMile time.Duration // origin station → county warehouse
	Warehouse time.Duration // in the warehouse until handed to the carrier
	Carrier   time.Duration // carrier → destination station or door
	Pickup    time.Duration // waiting at the destination station for the buyer
	// MaxPickupAttempts wrong codes lock the parcel until an officer reissues a code.
	MaxPickupAttempts int
}

// DefaultConfig is a county-level service promise: a day to the warehouse, half a
// day inside it, three days on the road, three days to collect.
var DefaultConfig = Config{FirstMile: 24 * time.Hour, Warehouse: 12 * time.Hour, Carrier: 72 * time.Hour, Pickup: 72 * time.Hour, MaxPickupAttempts: 5}

// Store is the logistics capability's entry point: every use case is a method
// taking a context and a Principal and running in one transaction.
type Store struct {
	db      *db.DB
	keys    *secret.Keys
	clock   fishpond.Clock
	market  *market.Store
	carrier Carrier
	cfg     Config

	mu       sync.Mutex
	platform *platformAccounts
}

// NewStore builds the logistics store. keys seal pickup codes at rest (the
// registry's keys); m is the marketplace whose orders parcels carry; c is the
// carrier trunk legs are booked with (NewSandboxCarrier where no real one runs).
func NewStore(d *db.DB, keys *secret.Keys, clock fishpond.Clock, m *market.Store, c Carrier, cfg Config) *Store {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	def := DefaultConfig
	if cfg.FirstMile <= 0 {
		cfg.FirstMile = def.FirstMile
	}
	if cfg.Warehouse <= 0 {
		cfg.Warehouse = def.Warehouse
	}
	if cfg.Carrier <= 0 {
		cfg.Carrier = def.Carrier
	}
	if cfg.Pickup <= 0 {
		cfg.Pickup = def.Pickup
	}
	if cfg.MaxPickupAttempts <= 0 {
		cfg.MaxPickupAttempts = def.MaxPickupAttempts
	}
	if c == nil {
		c = NewSandboxCarrier()
	}
	return &Store{db: d, keys: keys, clock: clock, market: m, carrier: c, cfg: cfg}
}

// Config returns the service levels the store runs with.
func (s *Store) Config() Config { return s.cfg }

// Carrier returns the carrier trunk legs are booked with.
func (s *Store) Carrier() Carrier { return s.carrier }

func (s *Store) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func notFound(format string, args ...any) error {
	return fishpond.Errorf(fishpond.ENotFound, format, args...)
}

func conflict(format string, args ...any) error {
	return fishpond.Errorf(fishpond.EConflict, format, args...)
}

func invalid(msg, field, why string) error {
	return fishpond.Invalid(msg, map[string]string{field: why})
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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return db.MustTime(s)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return db.FormatTime(t)
}

// platformAccounts pay station operators: an expense for station fees and the
// platform's logistics cash it is paid from.
type platformAccounts struct{ fees, cash string }

// Platform account categories (owner "platform").
const (
	CatStationFees   = "logistics_station_fees"
	CatLogisticsCash = "logistics_cash"
)

func (s *Store) platformAccountIDs(ctx context.Context) (platformAccounts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.platform != nil {
		return *s.platform, nil
	}
	var pa platformAccounts
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		f, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: "platform", Category: CatStationFees, Kind: ledger.KindExpense, Name: "服务站派件费 station per-parcel pay"})
		if err != nil {
			return err
		}
		c, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: "platform", Category: CatLogisticsCash, Kind: ledger.KindAsset, Name: "物流资金 logistics funds"})
		if err != nil {
			return err
		}
		pa = platformAccounts{fees: f.ID, cash: c.ID}
		return nil
	})
	if err != nil {
		return pa, internal(err)
	}
	s.platform = &pa
	return pa, nil
}

// WithClock returns a store on the same database and carrier whose transactions
// take their "now" from c: the demo lays out a week of parcel history with it.
func (s *Store) WithClock(c fishpond.Clock) *Store {
	return NewStore(s.db, s.keys, c, s.market, s.carrier, s.cfg)
}
