package market

import (
	"context"
	"time"

	"fishpond"
)

// MaxOrderWait caps how long WaitOrder holds a request.
const MaxOrderWait = 30 * time.Second

// orderRecheck is how often a waiting buyer's order is read again even without a
// signal: changes made outside the group commit (a cancellation, another server)
// are seen this late at worst.
const orderRecheck = 250 * time.Millisecond

// orderWatch is the signal of one order's status change, shared by its waiters.
type orderWatch struct {
	ch      chan struct{}
	waiters int
}

// WaitOrder is Order, but while the order's status is still from (placed: the
// buyer has paid and waits for the wallet's notification) it waits — at most wait,
// MaxOrderWait, or until ctx ends — for the status to change, and then answers.
// The shop app's "waiting for payment" page makes one request instead of polling.
// A status change committed by the group commit in this process wakes the waiter
// at once; any other change is seen within orderRecheck.
func (s *Store) WaitOrder(ctx context.Context, p fishpond.Principal, id string, from Status, wait time.Duration) (Order, error) {
	deadline := time.Now().Add(min(wait, MaxOrderWait))
	for {
		w := s.watchOrder(id) // before reading, so a change right after the read is not missed
		o, err := s.Order(ctx, p, id)
		left := time.Until(deadline)
		if err != nil || o.Status != from || left <= 0 {
			s.unwatchOrder(id, w)
			return o, err
		}
		t := time.NewTimer(min(left, orderRecheck))
		select {
		case <-w.ch:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		s.unwatchOrder(id, w)
		if ctx.Err() != nil {
			return o, nil // the caller is gone; o is as good an answer as any
		}
	}
}

func (s *Store) watchOrder(id string) *orderWatch {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watches == nil {
		s.watches = map[string]*orderWatch{}
	}
	w := s.watches[id]
	if w == nil {
		w = &orderWatch{ch: make(chan struct{})}
		s.watches[id] = w
	}
	w.waiters++
	return w
}

func (s *Store) unwatchOrder(id string, w *orderWatch) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if w.waiters--; w.waiters == 0 && s.watches[id] == w {
		delete(s.watches, id)
	}
}

// orderChanged wakes the waiters of an order whose status change has committed.
func (s *Store) orderChanged(id string) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if w := s.watches[id]; w != nil {
		close(w.ch)
		delete(s.watches, id)
	}
}
