package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/credit"
	"fishpond/farms"
	"fishpond/fund"
	"fishpond/green"
	"fishpond/insurance"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/live"
	"fishpond/logistics"
	"fishpond/market"
	"fishpond/partners"
	"fishpond/registry"
	"fishpond/sensing"
)

// app is everything a command needs, opened from the common flags.
type app struct {
	DB       *db.DB
	Keys     *secret.Keys
	Clock    fishpond.Clock
	Access   *access.Service
	Registry *registry.Store
	Ledger   *ledger.Ledger
	Assessor *assess.Assessor
	Market   *market.Store
	Partners *partners.Service
	Farms    *farms.Service
	Fund     *fund.Service
	Green    *green.Service
	Sensing  *sensing.Service
	Live     *live.Service // single-process bus; serve rebuilds it from its flags
	DataDir  string
	Log      *slog.Logger

	Logistics *logistics.Store
	Credit    *credit.Service
	Insurance *insurance.Service
}

// commonFlags are shared by every command that touches data.
type commonFlags struct {
	dbURL   string
	dataDir string
	verbose bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dbURL, "db", envOr("FISHPOND_DB", db.DefaultURL), "database URL: sqlite:///path/file.db or postgres://… (env FISHPOND_DB)")
	fs.StringVar(&c.dataDir, "data-dir", "", "directory for the encryption key and uploads (default: the SQLite file's directory, or ./fishpond-data)")
	fs.BoolVar(&c.verbose, "v", false, "log every request")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// newFlags builds a flag set whose --help prints the command's purpose first.
func newFlags(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("fishpond "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fishpond %s %s\n\n%s\n\nflags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and turns -h into a clean exit.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		return errUsage
	}
	return nil
}

// subcommand checks that args start with one of the verbs a command takes ("user
// add", "ledger verify"). It prints the usage and returns errUsage otherwise; for
// -h it prints the usage and returns done=true.
func subcommand(args []string, usage string, verbs ...string) (done bool, err error) {
	if len(args) > 0 {
		for _, v := range verbs {
			if args[0] == v {
				return false, nil
			}
		}
	}
	fmt.Fprintln(os.Stderr, usage)
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return true, nil
	}
	return true, errUsage
}

// parseOpen parses a command's flags (no positional arguments) and opens the app.
func (c *commonFlags) parseOpen(ctx context.Context, fs *flag.FlagSet, args []string) (*app, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return c.open(ctx, nil)
}

// parseWithArgs parses flags that may come before or after positional arguments
// ("fishpond backup DEST --db URL" and "fishpond backup --db URL DEST" both work)
// and returns the positionals.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func (c *commonFlags) resolvedDataDir() string {
	if c.dataDir != "" {
		return c.dataDir
	}
	if p, ok := strings.CutPrefix(c.dbURL, "sqlite://"); ok {
		return filepath.Dir(p)
	}
	return "fishpond-data"
}

// open connects, migrates (quietly unless progress is given) and builds the stores.
func (c *commonFlags) open(ctx context.Context, progress io.Writer) (*app, error) {
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	d, err := db.Open(ctx, c.dbURL)
	if err != nil {
		return nil, err
	}
	v, err := d.Migrate(ctx, func(m db.Migration) {
		if progress != nil {
			fmt.Fprintf(progress, "migrating: %04d %s\n", m.Version, m.Name)
		}
	})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("migrate (at version %d): %w", v, err)
	}
	var keys *secret.Keys
	if k := os.Getenv("FISHPOND_KEY"); k != "" {
		keys, err = secret.Parse(k)
	} else {
		keys, err = secret.LoadOrCreate(c.resolvedDataDir())
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	clock := fishpond.SystemClock{}
	reg := registry.NewStore(d, keys, clock)
	led := ledger.New(d, clock)
	mcfg := market.DefaultConfig
	mcfg.PhotoDir = filepath.Join(c.resolvedDataDir(), "photos")
	acc := access.New(d, clock)
	a := &app{DB: d, Keys: keys, Clock: clock, Access: acc, Registry: reg, Ledger: led,
		Assessor: assess.New(d, reg, led, clock), Market: market.NewStore(d, keys, clock, mcfg), DataDir: c.resolvedDataDir(), Log: log}
	a.Partners = partners.New(d, keys, acc, clock)
	a.Logistics = logistics.NewStore(d, keys, clock, a.Market, logistics.NewSandboxCarrier(), logistics.DefaultConfig)
	a.Farms = farms.New(d, a.Market, clock, farms.Config{FileDir: filepath.Join(c.resolvedDataDir(), "farms")})
	a.Fund = fund.New(d, reg, clock)
	a.Live = live.NewService(d, a.Market, reg, keys, clock, live.DefaultConfig, nil)
	a.Sensing = sensing.New(d, clock, sensing.DefaultConfig, log)
	gcfg := green.DefaultConfig
	gcfg.PhotoDir = filepath.Join(c.resolvedDataDir(), "photos")
	a.Green = green.New(d, reg, a.Market, clock, gcfg)
	ccfg, err := creditConfig()
	if err != nil {
		d.Close()
		return nil, err
	}
	a.Credit, a.Insurance = credit.New(d, led, reg, clock, ccfg), insurance.New(d, clock)
	return a, nil
}

// Close stops in the reverse order of open: the ledger's committer drains its
// queue before the database closes.
func (a *app) Close() {
	a.Live.Close()
	a.Sensing.Close()
	a.Green.Close()
	a.Ledger.Close()
	a.DB.Close()
}
