package loadgen

import (
	"context"
	"errors"
	"sync"
	"time"
)

// flash lets every buyer try to buy one unit of the flash offer at the same
// instant: one goroutine per buyer waits at a gate that opens for all at once. The
// client's slots bound the requests in flight, so 20,000 buyers queue for 2,000
// connections rather than opening 20,000 sockets. A buyer who finds it sold out
// is the expected outcome, counted apart from errors.
func (b *bench) flash(ctx context.Context) (*tally, time.Duration) {
	gate := make(chan struct{})
	tallies := make([]*tally, len(b.fx.Buyers))
	var wg sync.WaitGroup
	for i := range b.fx.Buyers {
		t := newTally()
		tallies[i] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			began := time.Now()
			t.attempts++
			err := b.buy(ctx, t, &b.fx.Buyers[i])
			switch {
			case errors.Is(err, errSoldOut):
				t.soldOut++
			case err == nil:
				t.completed++
				t.lat[StepCheckout] = append(t.lat[StepCheckout], time.Since(began))
			}
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	wall := time.Since(start)
	total := newTally()
	for _, t := range tallies {
		total.merge(t)
	}
	return total, wall
}
