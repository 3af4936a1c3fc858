package green

import (
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/market"
	"fishpond/registry"
)

// Config holds the rules an operator may tune.
type Config struct {
	// RipeAfter is how long after the action its energy becomes collectable.
	RipeAfter time.Duration
	// Window is how long ripe energy stays collectable before it expires.
	Window time.Duration
	// MaxBackdate is how old a reported action may be; older reports are refused
	// (their energy would have expired already).
	MaxBackdate time.Duration
	// EvidenceRadiusKm is how far from the project's location a photo may be taken.
	EvidenceRadiusKm float64
	// PhotoDir is where evidence photos are stored, by SHA-256.
	PhotoDir string
}

// DefaultConfig collects energy the moment it is earned for three days.
var DefaultConfig = Config{RipeAfter: 0, Window: 72 * time.Hour, MaxBackdate: 72 * time.Hour, EvidenceRadiusKm: 30}

// Service is the green capability. One per process and database: its Ingester's
// committer is what turns many concurrent energy reports into few commits.
type Service struct {
	db       *db.DB
	clock    fishpond.Clock
	cfg      Config
	registry *registry.Store
	market   *market.Store
	ingest   *Ingester
}

// New builds the service. reg answers which county a household belongs to; mkt
// answers who bought an order (for energy from order events).
func New(d *db.DB, reg *registry.Store, mkt *market.Store, clock fishpond.Clock, cfg Config) *Service {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultConfig.Window
	}
	if cfg.MaxBackdate <= 0 {
		cfg.MaxBackdate = cfg.Window
	}
	if cfg.EvidenceRadiusKm <= 0 {
		cfg.EvidenceRadiusKm = DefaultConfig.EvidenceRadiusKm
	}
	s := &Service{db: d, clock: clock, cfg: cfg, registry: reg, market: mkt}
	s.ingest = newIngester(s)
	return s
}

// Close drains the ingest queue; call it before closing the database.
func (s *Service) Close() { s.ingest.Close() }

// Window is how long ripe energy stays collectable, as published with the table.
func (s *Service) Window() time.Duration { return s.cfg.Window }

// DB is the service's database, for wiring consumers.
func (s *Service) DB() *db.DB { return s.db }

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }
