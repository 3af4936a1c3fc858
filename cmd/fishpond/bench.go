package main

import (
	"context"
	"fmt"
	"os"

	"fishpond/loadgen"
)

// runBench is `fishpond bench checkout`: the marketplace load generator. It opens
// the server's database (--db) only to create its fixtures and to count what was
// sold afterwards; all load goes over HTTP to --url.
func runBench(ctx context.Context, args []string) error {
	const usage = "usage: fishpond bench checkout --url URL [--db URL] [--duration 30s | --checkouts N] [--concurrency C] [--flash --units 1000 --buyers 20000] [--pay sandbox|skip]\n" +
		"       fishpond bench live --url URL [--db URL] [--rooms 50] [--viewers 15000] [--rate 20] [--buy-rate 0.2] [--duration 30s]"
	if done, err := subcommand(args, usage, "checkout", "live"); done {
		return err
	}
	if args[0] == "live" {
		return runBenchLive(ctx, args)
	}
	var c commonFlags
	fs := newFlags("bench checkout", "--url URL [--db URL] [flags]",
		"Drive a running server with virtual buyers over HTTP, like pgbench: each browses the products, views one,\n"+
			"places an order (Idempotency-Key) and pays at the sandbox cashier; a checkout completes when the order is\n"+
			"paid. --flash instead lets --buyers buyers try to buy one unit each of a --units flash sale at once.\n"+
			"--db must be the server's database: the bench creates its shop, a fresh product, buyer accounts\n"+
			"(bench-buyer-NNNNN) and tokens there, and counts oversold units from it after the run.\n"+
			"Prints results, then one JSON line (throughput_per_s, p50_ms, p99_ms, errors, oversold, …).")
	c.register(fs)
	var cfg loadgen.Config
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base URL of the running server")
	fs.DurationVar(&cfg.Duration, "duration", loadgen.Defaults.Duration, "mix: how long to run")
	fs.IntVar(&cfg.Checkouts, "checkouts", 0, "mix: stop after N checkouts instead of --duration")
	fs.IntVar(&cfg.Concurrency, "concurrency", loadgen.Defaults.Concurrency, "mix: concurrent virtual buyers")
	fs.BoolVar(&cfg.Flash, "flash", false, "flash-sale mode")
	fs.Int64Var(&cfg.Units, "units", loadgen.Defaults.Units, "flash: units on offer")
	fs.IntVar(&cfg.Buyers, "buyers", 0, "distinct buyer accounts (default: 20000 with --flash, else --concurrency)")
	fs.StringVar(&cfg.Pay, "pay", loadgen.PaySandbox, "sandbox: pay every order at the sandbox cashier; skip: stop at the placed order")
	fs.IntVar(&cfg.MaxInFlight, "max-in-flight", loadgen.Defaults.MaxInFlight, "cap on simultaneous requests (and connections)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := loadgen.Run(ctx, cfg, loadgen.Deps{DB: a.DB, Access: a.Access, Registry: a.Registry, Market: a.Market}, os.Stdout)
	if err != nil {
		return err
	}
	if res.Oversold > 0 {
		return fmt.Errorf("oversold %d units", res.Oversold)
	}
	return nil
}
