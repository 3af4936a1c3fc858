package market

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"fishpond"
	"fishpond/internal/db"
)

// TxGroup runs many short use cases (place an order, mark one paid, record a
// payment notification) in one write transaction: group commit, as ledger.Post
// does for transfers. Every acknowledged write is still committed with the
// engine's full durability before its caller hears of it; one fsync simply
// acknowledges many callers. Each use case runs inside its own SAVEPOINT, so one
// that fails (sold out, invalid, a conflict) rolls back only its own writes and
// gets its own error, while the others in the batch commit.
//
// No goroutine runs while nothing is queued: the first caller to find the group
// idle starts a worker, which commits batch after batch and exits when the queue
// is empty. So a Store needs no Close, and tests that never write start nothing.
type TxGroup struct {
	db *db.DB
	// MaxBatch caps the use cases in one transaction, so that one batch's latency
	// stays bounded under a burst (a flash sale's 2,000 requests in flight).
	MaxBatch int
	// Direct runs every use case in a transaction of its own, concurrently (still
	// with AfterCommit). NewTxGroup sets it on PostgreSQL: there one connection
	// running a whole batch pays a network round trip per statement in series,
	// which under load is slower than concurrent transactions, whose commits
	// PostgreSQL's WAL writer already flushes together.
	Direct bool

	mu      sync.Mutex
	queue   []*groupItem
	running bool
}

// groupItem is one queued use case and, once done is closed, its answer.
type groupItem struct {
	ctx   context.Context
	fn    func(ctx context.Context, tx *db.Tx) error
	err   error
	alone bool     // run again in a transaction of its own after the batch
	hooks []func() // AfterCommit functions of fn's last run
	done  chan struct{}
}

type hookKey struct{}

// AfterCommit runs f once the transaction fn runs in (fn got ctx from a TxGroup)
// has committed, e.g. to wake those waiting for an order to be paid; it is
// dropped if fn's writes roll back. Outside a TxGroup nobody learns of the
// commit, so f never runs: callers must not depend on it, only be sped up.
func AfterCommit(ctx context.Context, f func()) {
	if it, ok := ctx.Value(hookKey{}).(*groupItem); ok {
		it.hooks = append(it.hooks, f)
	}
}

// run runs fn for this item, collecting its AfterCommit functions afresh. A panic
// becomes the item's error: in the shared worker it would otherwise take the whole
// process down (a request's own goroutine is recovered by net/http).
func (it *groupItem) run(tx *db.Tx) (err error) {
	it.hooks = it.hooks[:0]
	defer func() {
		if r := recover(); r != nil {
			slog.Error("market: use case panicked in the group transaction", "panic", r, "stack", string(debug.Stack()))
			err = fishpond.Internal(fmt.Errorf("panic: %v", r))
		}
	}()
	return it.fn(context.WithValue(context.WithoutCancel(it.ctx), hookKey{}, it), tx)
}

// DefaultMaxBatch is how many use cases one group transaction holds at most.
const DefaultMaxBatch = 256

// NewTxGroup builds a group committer on d.
func NewTxGroup(d *db.DB) *TxGroup {
	return &TxGroup{db: d, MaxBatch: DefaultMaxBatch, Direct: d.Dialect == db.Postgres}
}

// InTx runs fn in the next group transaction and returns once that transaction has
// committed (nil) or fn's own error. fn must, like any db.InTx function, be safe
// to run again: if its result is not final (a database error rather than one of
// ours, or a serialization failure) or the batch cannot commit, fn runs again alone
// in a db.InTx of its own, with that function's retries.
//
// fn gets a context that is not cancelled with ctx (a client hanging up must not
// break the transaction the others share); it keeps ctx's values. fn must not
// start another write transaction: on SQLite the group holds the only writer.
func (g *TxGroup) InTx(ctx context.Context, fn func(ctx context.Context, tx *db.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	it := &groupItem{ctx: ctx, fn: fn, done: make(chan struct{})}
	if g.Direct {
		err := g.db.InTx(context.WithoutCancel(ctx), it.run)
		if err == nil {
			for _, f := range it.hooks {
				f()
			}
		}
		return err
	}
	g.mu.Lock()
	g.queue = append(g.queue, it)
	if !g.running {
		g.running = true
		go g.work()
	}
	g.mu.Unlock()
	// Wait for the batch even if ctx ends: fn may be running with our variables,
	// and the batch finishes in milliseconds.
	<-it.done
	return it.err
}

// work commits what is queued, batch after batch, and exits when nothing is left.
// While one batch commits (fsync), the next one queues up, so batches grow with
// the load by themselves: one use case when idle, many when busy.
func (g *TxGroup) work() {
	maxBatch := max(g.MaxBatch, 1)
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxBatch)
		if n == 0 {
			g.running = false
			g.queue = nil
			g.mu.Unlock()
			return
		}
		batch := make([]*groupItem, n)
		copy(batch, g.queue)
		g.queue = append(g.queue[:0], g.queue[n:]...)
		g.mu.Unlock()
		g.commit(batch)
	}
}

const (
	sqlSavepoint = "SAVEPOINT market_group_item"
	sqlRollback  = "ROLLBACK TO SAVEPOINT market_group_item"
	sqlRelease   = "RELEASE SAVEPOINT market_group_item"
)

func (g *TxGroup) commit(batch []*groupItem) {
	bg := context.Background()
	err := g.db.InTx(bg, func(tx *db.Tx) error {
		for _, it := range batch {
			it.err, it.alone = nil, false
		}
		for _, it := range batch {
			if err := it.ctx.Err(); err != nil {
				it.err = err // gave up before its turn: nothing written
				continue
			}
			if err := groupExec(bg, tx, sqlSavepoint); err != nil {
				return err
			}
			err := it.run(tx)
			if err != nil {
				it.hooks = it.hooks[:0]
				if rerr := groupExec(bg, tx, sqlRollback); rerr != nil {
					return rerr // the transaction itself is gone: everyone goes alone
				}
				if final(err) {
					it.err = err
				} else {
					it.alone = true
				}
			}
			if err := groupExec(bg, tx, sqlRelease); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		slog.Warn("market: group commit failed; running its use cases one by one", "size", len(batch), "err", err)
	}
	for _, it := range batch {
		if err != nil && it.ctx.Err() != nil {
			it.err = it.ctx.Err() // the batch rolled back: nothing of it was written
		} else if err != nil || it.alone {
			it.err = g.db.InTx(context.WithoutCancel(it.ctx), it.run)
		}
		if it.err == nil {
			for _, f := range it.hooks {
				f()
			}
		}
		close(it.done)
	}
}

// final tells whether err is a use case's own answer (not found, invalid, sold out…)
// rather than a database failure that may go away when the use case runs alone.
func final(err error) bool {
	var e *fishpond.Error
	return errors.As(err, &e) && e.Code != fishpond.EInternal && !errors.Is(err, db.ErrRetry)
}

// groupExec runs one of the group's own statements, prepared once per database.
func groupExec(ctx context.Context, tx *db.Tx, q string) error {
	st, err := tx.Stmt(ctx, q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx)
	return err
}
