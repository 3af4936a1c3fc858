package loadgen

import (
	"context"
	"fmt"
	"io"
	"time"
)

// bench is one run in progress.
type bench struct {
	cfg  Config
	deps Deps
	c    *client
	fx   Fixture
	log  io.Writer
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, format+"\n", args...)
}

// Run prepares the fixtures, drives the server at cfg.URL, counts the outcome
// from the database and writes the report to out, ending with one JSON line for
// scripts. The returned Result is the same report.
func Run(ctx context.Context, cfg Config, deps Deps, out io.Writer) (Result, error) {
	if err := cfg.normalise(); err != nil {
		return Result{}, err
	}
	b := &bench{cfg: cfg, deps: deps, c: newClient(cfg.URL, cfg.MaxInFlight), log: out}
	defer b.c.close()
	if _, err := b.c.do(ctx, request{method: "GET", path: "/healthz"}); err != nil {
		return Result{}, fmt.Errorf("server at %s is not answering /healthz: %w", cfg.URL, err)
	}
	setup := time.Now()
	if err := deps.product(ctx, &b.cfg, &b.fx); err != nil {
		return Result{}, err
	}
	county, err := deps.Registry.County(ctx, benchCounty)
	if err != nil {
		return Result{}, err
	}
	if b.fx.Buyers, err = b.buyers(ctx, cfg.Buyers, county.ProvinceCode); err != nil {
		return Result{}, err
	}
	b.logf("setup: product %s (stock %d), %d buyers ready in %s", b.fx.ProductID, b.fx.Stock, len(b.fx.Buyers), time.Since(setup).Round(time.Millisecond))

	var t *tally
	var wall time.Duration
	if cfg.Flash {
		b.logf("flash sale: %d units, %d buyers at once, at most %d requests in flight, pay=%s", cfg.Units, cfg.Buyers, cfg.MaxInFlight, cfg.Pay)
		t, wall = b.flash(ctx)
	} else {
		what := fmt.Sprintf("for %s", cfg.Duration)
		if cfg.Checkouts > 0 {
			what = fmt.Sprintf("until %d checkouts", cfg.Checkouts)
		}
		b.logf("mix: %d concurrent buyers %s, pay=%s", cfg.Concurrency, what, cfg.Pay)
		t, wall = b.mix(ctx)
	}
	res := b.result(t, wall)
	v, err := verify(context.WithoutCancel(ctx), deps.DB, b.fx)
	if err != nil {
		return res, fmt.Errorf("counting sales in the database: %w", err)
	}
	res.Verify = v
	res.Oversold = v.Oversold
	res.write(out)
	return res, nil
}
