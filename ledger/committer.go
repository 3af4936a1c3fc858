package ledger

import (
	"context"
	"log/slog"
	"sync"

	"fishpond"
	"fishpond/internal/db"
)

// Post records a transfer durably and returns it once committed. Concurrent Posts
// share one transaction (group commit): one fsync acknowledges many transfers, each
// still individually validated, idempotent and answered. A request that fails
// (unknown account, key conflict) fails alone; if the batch's transaction itself
// fails, each request is retried in a transaction of its own.
//
// If ctx ends first, Post returns ctx.Err() and the transfer may or may not have
// been recorded; repeat it with the same idempotency key to find out.
func (l *Ledger) Post(ctx context.Context, req TransferRequest) (Transfer, error) {
	if err := req.Validate(); err != nil {
		return Transfer{}, err
	}
	// Hash and id are made here, on the poster's goroutine, in parallel with
	// other posters, rather than on the one committer goroutine.
	it := &item{req: req, hash: contentHash(&req, ""), id: newID(), done: make(chan struct{})}
	if err := l.enqueue(ctx, it); err != nil {
		return Transfer{}, err
	}
	select {
	case <-it.done:
		return it.out, it.err
	case <-ctx.Done():
		return Transfer{}, ctx.Err()
	}
}

func (l *Ledger) enqueue(ctx context.Context, it *item) error {
	l.start.Do(l.startCommitters)
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return fishpond.Errorf(fishpond.EInternal, "ledger is closed")
	}
	select {
	case l.queue <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting transfers, commits those already queued and stops the
// committer; call it before closing the database.
func (l *Ledger) Close() {
	l.start.Do(l.startCommitters)
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	<-l.done
}

// startCommitters starts the commit loops: one on SQLite, whose single writer
// serializes transactions anyway; two on PostgreSQL, so that one batch's inserts
// proceed while the other's commit waits for its fsync. Two batches touching
// the same accounts queue on the balance rows, locked in key order by both.
func (l *Ledger) startCommitters() {
	n := 1
	if l.db.Dialect == db.Postgres {
		n = 2
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); l.commitLoop() }()
	}
	go func() { wg.Wait(); close(l.done) }()
}

// commitLoop takes whatever is queued — at least one request, at most MaxBatch —
// and commits it as one transaction. While it commits, new requests queue up, so
// the batch size follows the load by itself: one request when idle, many when busy.
func (l *Ledger) commitLoop() {
	maxBatch := max(l.MaxBatch, 1)
	batch := make([]*item, 0, maxBatch)
	for {
		it, ok := <-l.queue
		if !ok {
			return
		}
		batch = append(batch[:0], it)
	fill:
		for len(batch) < maxBatch {
			select {
			case it, ok := <-l.queue:
				if !ok {
					break fill
				}
				batch = append(batch, it)
			default:
				break fill
			}
		}
		l.commitBatch(batch)
	}
}

func (l *Ledger) commitBatch(batch []*item) {
	ctx := context.Background()
	err := l.db.InTx(ctx, func(tx *db.Tx) error { return postItems(ctx, tx, l.now(), batch, &l.accts, true) })
	if err != nil {
		// The batch could not commit (a raced key on PostgreSQL, a full disk…):
		// try each request on its own so that one cause fails only its owner.
		slog.Warn("ledger: group commit failed; retrying requests one by one", "size", len(batch), "err", err)
		for _, it := range batch {
			one := []*item{it}
			if err := l.db.InTx(ctx, func(tx *db.Tx) error { return postItems(ctx, tx, l.now(), one, &l.accts, true) }); err != nil {
				it.reset()
				it.err = fishpond.Internal(err)
			}
		}
	}
	for _, it := range batch {
		close(it.done)
	}
}
