// Package ledger is the spine of Fishpond's money: accounts, balanced transfers of
// immutable postings with idempotency keys, balances and statements, household
// income in the four official categories, and standing rules such as "deduct 30% of
// every sale for the loan". Every yuan that reaches a household passes through here,
// so that its income can be proved, not asserted.
//
// Sign convention: a posting's Amount is in fen, debit positive and credit negative.
// The postings of a transfer sum to zero, so the balances of all accounts sum to zero.
// An asset or expense account (a wallet, production cost) grows with debits; an
// income, liability or equity account grows with credits, so its raw balance is
// negative — income for a period is therefore minus the sum of its postings.
package ledger

import (
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Ledger posts transfers through a group-commit queue and answers balance and
// income questions. One Ledger per process and database: its committer goroutine is
// what turns many concurrent, individually acknowledged transfers into few durable
// commits.
type Ledger struct {
	db    *db.DB
	clock fishpond.Clock

	// MaxBatch bounds how many queued transfers one commit carries; set before the
	// first Post.
	MaxBatch int

	mu     sync.RWMutex
	closed bool
	queue  chan *item
	done   chan struct{}
	start  sync.Once

	// accts caches the immutable kind and currency of accounts the committer has
	// read, saving one lookup per account per batch.
	accts sync.Map // id -> acctInfo
}

// New builds a Ledger on d. clock gives the recorded time of every transfer (and
// the effective time when a request leaves it empty), so tests control time.
func New(d *db.DB, clock fishpond.Clock) *Ledger {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	return &Ledger{db: d, clock: clock, MaxBatch: 2000, queue: make(chan *item, 8192), done: make(chan struct{})}
}

// DB exposes the database the ledger writes to, for callers that combine ledger
// postings with their own writes in one transaction (PostTx).
func (l *Ledger) DB() *db.DB { return l.db }

func (l *Ledger) now() time.Time { return l.clock.Now().UTC().Truncate(time.Microsecond) }
