package main

import (
	"context"
	"errors"
	"time"

	"fishpond/events"
)

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
