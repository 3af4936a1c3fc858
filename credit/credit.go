package credit

import (
	"context"
	"time"

	"github.com/google/uuid"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/registry"
)

// Config is what an operator may tune; cmd passes it in.
type Config struct {
	// Model scores applications; see Model.
	Model Model
	// SalesKinds are the ledger transfer kinds whose inflows to a wallet are sales
	// proceeds: the only inflows a loan's standing rule takes its share of — a
	// marketplace settlement, and a cooperative paying for a delivery under a
	// purchase agreement (farms' farm_produce).
	SalesKinds []string
	// CoopSalesKinds are the same for a cooperative's cash: the kinds of its own
	// sales (farms' farm_sale), since the marketplace pays a cooperative shop's
	// proceeds to its producing households.
	CoopSalesKinds []string
	// DefaultDays is how many days late a loan must be to count as defaulted in the
	// portfolio (the usual 90).
	DefaultDays int
}

// DefaultConfig is the configuration of a fresh installation.
var DefaultConfig = Config{Model: DefaultModel, SalesKinds: []string{"market_settlement", "farm_produce"}, CoopSalesKinds: []string{"farm_sale"}, DefaultDays: 90}

// Service runs loans. It writes ledger transfers inside its own transactions
// (ledger.PostTx), so a loan's rows and its money always agree.
type Service struct {
	db     *db.DB
	ledger *ledger.Ledger
	reg    *registry.Store
	clock  fishpond.Clock
	cfg    Config
}

// New builds the service. The clock decides "today" for schedules, overdue days and
// penalties, so tests move time by hand.
func New(d *db.DB, l *ledger.Ledger, reg *registry.Store, clock fishpond.Clock, cfg Config) *Service {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	if len(cfg.SalesKinds) == 0 {
		cfg.SalesKinds = DefaultConfig.SalesKinds
	}
	if len(cfg.CoopSalesKinds) == 0 {
		cfg.CoopSalesKinds = DefaultConfig.CoopSalesKinds
	}
	if cfg.DefaultDays <= 0 {
		cfg.DefaultDays = DefaultConfig.DefaultDays
	}
	return &Service{db: d, ledger: l, reg: reg, clock: clock, cfg: cfg}
}

// Config returns the configuration in force (the model pages explain decisions with).
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Day is a calendar date in China time, "2006-01-02": due dates and overdue days
// are counted in the programme's calendar, not in UTC.
func Day(t time.Time) string { return t.In(fishpond.ChinaTime).Format("2006-01-02") }

func parseDay(s string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02", s, fishpond.ChinaTime)
}

// daysBetween is the number of calendar days from a to b (b later is positive).
func daysBetween(a, b string) int {
	ta, err1 := parseDay(a)
	tb, err2 := parseDay(b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(tb.Sub(ta).Hours()+12) / 24
}

func internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*fishpond.Error); ok {
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

// householdCounty reads a household's county and status inside tx; not found if it
// is not registered.
func householdFacts(ctx context.Context, q db.Querier, id string) (county, status string, err error) {
	err = q.QueryRowContext(ctx, "SELECT county_code, status FROM households WHERE id = ?", id).Scan(&county, &status)
	if err != nil {
		return "", "", db.NotFound(err, "没有这个登记户 no registered household %s", id)
	}
	return county, status, nil
}
