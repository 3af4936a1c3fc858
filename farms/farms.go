package farms

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/market"

	"github.com/google/uuid"
)

// Config holds the farm capability's operator settings; cmd fills it.
type Config struct {
	// FileDir is where contract documents and field photos are stored (the data
	// directory); the database keeps only their metadata.
	FileDir string
	// DefaultMinDailyWage is the minimum daily wage a cooperative gets when its
	// registration names none (a county sets its own by law; this is a floor).
	DefaultMinDailyWage fishpond.Money
}

// DefaultConfig: files under fishpond-data/farms, 80 yuan a day.
var DefaultConfig = Config{FileDir: "fishpond-data/farms", DefaultMinDailyWage: fishpond.Yuan(80)}

// Service is the farm capability's one entry point: every use case takes a context
// and the caller's Principal and runs in one transaction (or, where it drives the
// marketplace, in a few idempotent steps).
type Service struct {
	db     *db.DB
	market *market.Store
	clock  fishpond.Clock
	cfg    Config

	// afterRent, when set by a test, runs after each installment's transaction: an
	// error stops the run there, as a crash would.
	afterRent func(installmentKey) error
}

// New builds the service. The marketplace store is used for claims (orders of a
// field's claim product) and harvest delivery (shipping those orders).
func New(d *db.DB, m *market.Store, clock fishpond.Clock, cfg Config) *Service {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	if cfg.DefaultMinDailyWage <= 0 {
		cfg.DefaultMinDailyWage = DefaultConfig.DefaultMinDailyWage
	}
	if cfg.FileDir == "" {
		cfg.FileDir = DefaultConfig.FileDir
	}
	return &Service{db: d, market: m, clock: clock, cfg: cfg}
}

// Config returns the settings the service runs with.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

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

// internal passes our own errors through and wraps foreign ones.
func internal(err error) error {
	if err == nil {
		return nil
	}
	var fe *fishpond.Error
	if errors.As(err, &fe) || errors.Is(err, db.ErrRetry) {
		return err
	}
	return fishpond.Internal(err)
}

// insertErr is the error of an insert guarded by a unique idempotency key: a
// concurrent request with the same key won the race, so the transaction runs again
// and returns what that one recorded.
func insertErr(err error) error {
	if db.IsUniqueViolation(err) {
		return db.Retry(err)
	}
	return internal(err)
}

// today is the calendar date in China time, the zone every contract date means.
func (s *Service) today() string { return s.now().In(fishpond.ChinaTime).Format(dateLayout) }

const dateLayout = "2006-01-02"

// parseDate reads a YYYY-MM-DD date as midnight China time.
func parseDate(v string) (time.Time, bool) {
	t, err := time.ParseInLocation(dateLayout, v, fishpond.ChinaTime)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, false
	}
	return t, true
}

// writeFile writes atomically (temp file, sync, rename) so a crash never leaves a
// half-written document under its final name.
func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
