package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// mix runs Concurrency virtual buyers, each repeating browse → view → order → pay
// → paid, until the duration ends or Checkouts have been started. It returns the
// merged tally and the wall time.
func (b *bench) mix(ctx context.Context) (*tally, time.Duration) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var deadline time.Time
	if b.cfg.Checkouts == 0 {
		deadline = time.Now().Add(b.cfg.Duration)
	}
	var tickets atomic.Int64 // checkouts started, for --checkouts
	tallies := make([]*tally, b.cfg.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range tallies {
		t := newTally()
		tallies[w] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ctx.Err() == nil; k++ {
				if b.cfg.Checkouts > 0 && tickets.Add(1) > int64(b.cfg.Checkouts) {
					return
				}
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				buyer := &b.fx.Buyers[(w+k*b.cfg.Concurrency)%len(b.fx.Buyers)]
				t.attempts++
				began := time.Now()
				if b.browse(ctx, t, buyer) != nil {
					continue
				}
				if b.buy(ctx, t, buyer) != nil {
					continue
				}
				t.completed++
				t.lat[StepCheckout] = append(t.lat[StepCheckout], time.Since(began))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	total := newTally()
	for _, t := range tallies {
		total.merge(t)
	}
	return total, wall
}
