package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"fishpond"
	"fishpond/credit"
)

func init() {
	commands["credit"] = command{run: runCredit, summary: "loans: sync overdue loans and penalties now, or print the scoring model in force"}
}

// creditConfig is the microcredit configuration: the default, or the scoring model
// in the JSON file named by FISHPOND_CREDIT_MODEL (see docs/credit.md).
func creditConfig() (credit.Config, error) {
	cfg := credit.DefaultConfig
	path := os.Getenv("FISHPOND_CREDIT_MODEL")
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("FISHPOND_CREDIT_MODEL: %w", err)
	}
	var m credit.Model
	if err := json.Unmarshal(b, &m); err != nil {
		return cfg, fmt.Errorf("FISHPOND_CREDIT_MODEL %s: %w", path, err)
	}
	if err := m.Validate(); err != nil {
		return cfg, fmt.Errorf("FISHPOND_CREDIT_MODEL %s: %w", path, err)
	}
	cfg.Model = m
	return cfg, nil
}

const creditUsage = `usage: fishpond credit sweep|model|metrics [--db URL] [--period 2020H1]

  sweep   bring every open loan up to date now: open instalment windows, charge
          interest and penalties, collect schedule loans, mark overdue and settled
          loans (serve does this every hour)
  model   print the scoring model in force as JSON (FISHPOND_CREDIT_MODEL to change it)
  metrics print the half-year figures of microcredit and insurance as JSON (--period)`

func runCredit(ctx context.Context, args []string) error {
	if done, err := subcommand(args, creditUsage, "sweep", "model", "metrics"); done {
		return err
	}
	var c commonFlags
	fs := newFlags("credit "+args[0], "[--db URL]", creditUsage)
	c.register(fs)
	period := fs.String("period", "", "half-year period for metrics, e.g. 2020H1")
	a, err := c.parseOpen(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer a.Close()
	if args[0] == "model" {
		b, _ := json.MarshalIndent(a.Credit.Config().Model, "", "  ")
		fmt.Println(string(b))
		return nil
	}
	if args[0] == "metrics" {
		p, err := fishpond.ParsePeriod(*period)
		if err != nil {
			return fmt.Errorf("--period: %w", err)
		}
		cm, err := a.Credit.Metrics(ctx, p)
		if err != nil {
			return err
		}
		im, err := a.Insurance.Metrics(ctx, p)
		if err != nil {
			return err
		}
		b, _ := json.MarshalIndent(map[string]any{"period": p, "credit": cm, "credit_repayment_rate_bp": cm.RepaymentRateBp(), "insurance": im}, "", "  ")
		fmt.Println(string(b))
		return nil
	}
	n, err := a.Credit.Sweep(ctx)
	fmt.Printf("synced %d open loans\n", n)
	return err
}

// creditSweeps syncs open loans once at start and then hourly until ctx ends, so
// windows open, interest and penalties are charged and overdue loans are marked
// on the day they fall due.
func creditSweeps(ctx context.Context, a *app) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.Credit.Sweep(ctx); err != nil {
			a.Log.Error("credit sweep", "err", err)
		} else if n > 0 {
			a.Log.Debug("credit sweep", "loans", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
