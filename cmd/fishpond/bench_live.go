package main

import (
	"context"
	"fmt"
	"os"

	"fishpond/loadgen"
)

// runBenchLive is `fishpond bench live`: viewers on live rooms, comments offered
// open-loop, delivery latency and loss measured at the viewers.
func runBenchLive(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("bench live", "--url URL [--db URL] [flags]",
		"Open --viewers concurrent viewer connections (Server-Sent Events) across --rooms live rooms of a running server,\n"+
			"post --rate comments per second per room open-loop (the offered rate does not slow down when the server does)\n"+
			"plus --buy-rate purchases per second per room, and measure delivery latency (post to receipt at the viewer),\n"+
			"deliveries per second, messages lost and the server's memory (from its /metrics). --db must be the server's\n"+
			"database: the bench creates its anchors (bench-anchor-NNNN), rooms, live sessions, product and posting\n"+
			"accounts there. Keep --viewers under the 20,000 open files one process may hold.\n"+
			"Prints results, then one JSON line (viewers, offered_per_s, deliveries_per_s, delivered, expected, p50_ms, p99_ms, errors, …).")
	c.register(fs)
	cfg := loadgen.LiveDefaults
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base URL of the running server")
	fs.IntVar(&cfg.Rooms, "rooms", cfg.Rooms, "live rooms")
	fs.IntVar(&cfg.Viewers, "viewers", cfg.Viewers, "viewer connections, spread evenly over the rooms")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "comments per second per room")
	fs.Float64Var(&cfg.BuyRate, "buy-rate", cfg.BuyRate, "purchases per second per room (0: none)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to offer load")
	fs.IntVar(&cfg.Posters, "posters", 0, "commenting accounts per room (default 3 × rate + 1: one comment per account per second is the server's limit)")
	fs.IntVar(&cfg.Connect, "connect", cfg.Connect, "viewers connecting at once while joining")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := loadgen.RunLive(ctx, cfg, loadgen.Deps{DB: a.DB, Access: a.Access, Registry: a.Registry, Market: a.Market, Live: a.Live}, os.Stdout)
	if err != nil {
		return err
	}
	if res.Lost != 0 || res.Duplicates != 0 {
		return fmt.Errorf("%d messages lost, %d delivered twice", res.Lost, res.Duplicates)
	}
	return nil
}
