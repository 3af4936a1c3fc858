package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
)

func init() {
	commands["green"] = command{"green energy: verify the energy ledger, print a period's metrics", runGreenCmd}
}

func runGreenCmd(ctx context.Context, args []string) error {
	const usage = "usage: fishpond green verify [--db URL]\n       fishpond green metrics --period 2026H1 [--county CODE] [--db URL]"
	if done, err := subcommand(args, usage, "verify", "metrics"); done {
		return err
	}
	var c commonFlags
	if args[0] == "verify" {
		fs := newFlags("green verify", "[--db URL]", "Recompute every user's energy balance, collected and spent totals from the energy\nentries. Exits non-zero and names the users if any stored figure differs.")
		c.register(fs)
		a, err := c.parseOpen(ctx, fs, args[1:])
		if err != nil {
			return err
		}
		defer a.Close()
		bad, err := a.Green.Verify(ctx)
		if err != nil {
			return err
		}
		if len(bad) > 0 {
			return fmt.Errorf("energy balances differ from their entries for users: %s", strings.Join(bad, ", "))
		}
		fmt.Println("green energy OK: every balance matches its entries and none is negative")
		return nil
	}
	fs := newFlags("green metrics", "--period 2026H1 [--county CODE]", "Print the green channel's figures for a half-year (as the report counts them).")
	c.register(fs)
	period := fs.String("period", "", "half-year period such as 2026H1 (required)")
	county := fs.String("county", "", "one county (default: all)")
	a, err := c.parseOpen(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := fishpond.ParsePeriod(*period)
	if err != nil {
		return err
	}
	from, to := p.Bounds()
	m, err := a.Green.Metrics(ctx, *county, from, to)
	if err != nil {
		return err
	}
	fmt.Printf("period %s county %q\nparticipants %d\nenergy collected %d g, expired %d g\ntrees redeemed %d, planted %d, checked %d, surviving %d\narea adopted %d m2\ngreen jobs %d households, wages %s yuan\n",
		p, *county, m.Participants, m.EnergyCollected, m.EnergyExpired, m.TreesRedeemed, m.TreesPlanted, m.TreesChecked, m.TreesSurvived, m.AreaAdopted, m.GreenJobs, m.WagesPaid)
	return nil
}

// runGreen runs, until ctx ends, the consumer that turns marketplace order events
// into green energy and the sweep that marks uncollected energy expired.
func runGreen(ctx context.Context, a *app) {
	c := a.Green.MarketConsumer(events.New(a.DB, a.Clock))
	c.Interval = 2 * time.Second
	go func() {
		for ctx.Err() == nil {
			if err := c.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Error("green: order-event consumer stopped; restarting in 10s", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(10 * time.Second):
				}
			}
		}
	}()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := a.Green.ExpireDrops(ctx, now); err != nil {
				a.Log.Error("green: expire energy", "err", err)
			} else if n > 0 {
				a.Log.Info("green: energy expired uncollected", "drops", n)
			}
		}
	}
}
