package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Log reads the event log and runs consumers over it.
type Log struct {
	db    *db.DB
	clock fishpond.Clock

	mu   sync.Mutex
	wake chan struct{} // closed and replaced by Notify
}

// New returns the log of d.
func New(d *db.DB, clock fishpond.Clock) *Log {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	return &Log{db: d, clock: clock, wake: make(chan struct{})}
}

// Notify wakes every consumer waiting in Run. Writers may call it after a commit
// that appended events; without it consumers still find them at their next poll.
func (l *Log) Notify() {
	l.mu.Lock()
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

func (l *Log) woken() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wake
}

// MaxBatch is the most events one Read or batch returns.
const MaxBatch = 1000

// Read returns up to limit committed events with seq > afterSeq, in seq order, of
// the given types (all types if none are given).
func (l *Log) Read(ctx context.Context, afterSeq int64, types []string, limit int) ([]Stored, error) {
	return read(ctx, l.db.Read(), afterSeq, types, limit)
}

func read(ctx context.Context, q db.Querier, afterSeq int64, types []string, limit int) ([]Stored, error) {
	if limit <= 0 || limit > MaxBatch {
		limit = MaxBatch
	}
	var b strings.Builder
	b.WriteString("SELECT seq, id, type, subject, county_code, payload, at FROM events WHERE seq > ?")
	args := []any{afterSeq}
	if len(types) > 0 {
		b.WriteString(" AND type IN (" + db.Placeholders(len(types)) + ")")
		for _, t := range types {
			args = append(args, t)
		}
	}
	b.WriteString(" ORDER BY seq LIMIT ?")
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("events: read: %w", err)
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		var s Stored
		var payload, at string
		if err := rows.Scan(&s.Seq, &s.ID, &s.Type, &s.Subject, &s.CountyCode, &payload, &at); err != nil {
			return nil, fmt.Errorf("events: read: %w", err)
		}
		s.Payload = []byte(payload)
		s.At = db.MustTime(at)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: read: %w", err)
	}
	return out, nil
}

// Checkpoint returns the seq up to which consumer name has handled the log, 0 if
// it has not started.
func (l *Log) Checkpoint(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := l.db.Read().QueryRowContext(ctx, "SELECT seq FROM event_checkpoints WHERE consumer = ?", name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// Handler handles one event inside the consumer's transaction. Writes made through
// tx commit together with the checkpoint; an error rolls back the whole batch.
type Handler func(ctx context.Context, tx *db.Tx, e Stored) error

// Consumer is a named reader of the log with a checkpoint of its own. Two
// processes running the same consumer take turns: the checkpoint row is locked for
// the length of a batch.
type Consumer struct {
	Log   *Log
	Name  string
	Types []string // nil: every type
	// Batch is the most events per transaction (default 100).
	Batch int
	// Interval is how long Run waits between polls when the log is idle (default 1s).
	Interval time.Duration
	Handle   Handler
}

// ProcessBatch handles the next batch of events after the checkpoint and advances
// the checkpoint past them, all in one transaction. It returns how many events the
// handler saw (0: nothing new).
func (c *Consumer) ProcessBatch(ctx context.Context) (int, error) {
	if c.Name == "" || c.Handle == nil {
		return 0, fishpond.Errorf(fishpond.EInvalid, "a consumer needs a name and a handler")
	}
	limit := c.Batch
	if limit <= 0 {
		limit = 100
	}
	n := 0
	err := c.Log.db.InTx(ctx, func(tx *db.Tx) error {
		n = 0
		now := db.FormatTime(c.Log.clock.Now())
		if _, err := tx.ExecContext(ctx, "INSERT INTO event_checkpoints (consumer, seq, updated_at) VALUES (?, 0, ?) ON CONFLICT (consumer) DO NOTHING", c.Name, now); err != nil {
			return fmt.Errorf("events: checkpoint %s: %w", c.Name, err)
		}
		var after int64
		if err := tx.QueryRowContext(ctx, "SELECT seq FROM event_checkpoints WHERE consumer = ?"+tx.ForUpdate(), c.Name).Scan(&after); err != nil {
			return fmt.Errorf("events: checkpoint %s: %w", c.Name, err)
		}
		batch, err := read(ctx, tx, after, c.Types, limit)
		if err != nil || len(batch) == 0 {
			return err
		}
		for _, e := range batch {
			if err := c.Handle(ctx, tx, e); err != nil {
				return fmt.Errorf("events: consumer %s, event %d (%s): %w", c.Name, e.Seq, e.Type, err)
			}
		}
		n = len(batch)
		_, err = tx.ExecContext(ctx, "UPDATE event_checkpoints SET seq = ?, updated_at = ? WHERE consumer = ?", batch[len(batch)-1].Seq, now, c.Name)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Run processes batches until ctx ends or the handler fails: while events keep
// coming it goes batch after batch; when the log is idle it waits for Notify or
// Interval. It returns ctx's error or the handler's.
func (c *Consumer) Run(ctx context.Context) error {
	interval := c.Interval
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		wake := c.Log.woken() // before reading, so a Notify during the batch is not lost
		n, err := c.ProcessBatch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if n > 0 {
			continue
		}
		t.Reset(interval)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
	}
}
