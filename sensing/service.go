package sensing

import (
	"log/slog"
	"sync"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Config holds the knobs cmd sets; DefaultConfig suits a farm and the benchmark.
type Config struct {
	// MaxBatch bounds the readings written in one transaction.
	MaxBatch int
	// LateWindow is how far in the past a reading may be and still be accepted;
	// older ones are rejected as too late (their rollups are considered closed).
	LateWindow time.Duration
	// FutureSkew is how far ahead of the server clock a reading may be stamped.
	FutureSkew time.Duration
	// OnAlert, when set, is called after commit for every alert raised or cleared
	// (the benchmark measures alert latency with it). It runs on the commit loop:
	// it must return quickly and must not wait on Ingest.
	OnAlert func(Alert)
}

// DefaultConfig is what serve uses unless told otherwise.
var DefaultConfig = Config{MaxBatch: 50000, LateWindow: 7 * 24 * time.Hour, FutureSkew: 5 * time.Minute}

// Service is the sensing capability: sites, devices, ingest, rules, alerts,
// queries and forecasts. Build it with New and Close it after the brokers.
type Service struct {
	db    *db.DB
	clock fishpond.Clock
	cfg   Config
	log   *slog.Logger
	Log   *events.Log // optional: Notify after alerts commit

	creds    credCache
	hookWake chan struct{}
	in       *ingester
	stop     sync.Once
}

// New starts the service's commit loop.
func New(d *db.DB, clock fishpond.Clock, cfg Config, log *slog.Logger) *Service {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultConfig.MaxBatch
	}
	if cfg.LateWindow <= 0 {
		cfg.LateWindow = DefaultConfig.LateWindow
	}
	if cfg.FutureSkew <= 0 {
		cfg.FutureSkew = DefaultConfig.FutureSkew
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: d, clock: clock, cfg: cfg, log: log, hookWake: make(chan struct{}, 1)}
	s.creds.m = map[string]cred{}
	s.in = newIngester(s)
	return s
}

// Close drains queued readings and stops the commit loop.
func (s *Service) Close() {
	s.stop.Do(func() { s.in.close() })
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }
