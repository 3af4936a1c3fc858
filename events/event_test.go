package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func appendTx(t *testing.T, d *db.DB, es ...events.Event) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		return events.AppendMany(context.Background(), tx, t0, es)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ev(typ, subject string, n int) events.Event {
	return events.Event{Type: typ, Subject: subject, CountyCode: "130000", Payload: map[string]any{"n": n}}
}

func TestAppendCommitRollbackOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		log := events.New(d, fishpond.FixedClock{T: t0})
		appendTx(t, d, ev("order.paid", "o1", 1))
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := events.Append(ctx, tx, t0, ev("order.paid", "o2", 2)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		appendTx(t, d, ev("order.shipped", "o1", 3), ev("order.paid", "o3", 4))

		all, err := log.Read(ctx, 0, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for i, e := range all {
			if i > 0 && e.Seq <= all[i-1].Seq {
				t.Fatalf("seq not increasing: %+v", all)
			}
			subjects = append(subjects, e.Type+":"+e.Subject)
		}
		if got := strings.Join(subjects, " "); got != "order.paid:o1 order.shipped:o1 order.paid:o3" {
			t.Fatalf("log = %s; want the committed events in order, not the rolled-back one", got)
		}
		e := all[0]
		if e.CountyCode != "130000" || !e.At.Equal(t0) || string(e.Payload) != `{"n":1}` || len(e.ID) != 36 {
			t.Fatalf("stored event = %+v", e)
		}
		paid, err := log.Read(ctx, all[0].Seq, []string{"order.paid"}, 10)
		if err != nil || len(paid) != 1 || paid[0].Subject != "o3" {
			t.Fatalf("Read after first, order.paid only = %+v, %v", paid, err)
		}
		if one, err := log.Read(ctx, 0, nil, 1); err != nil || len(one) != 1 {
			t.Fatalf("Read limit 1 = %d events, %v", len(one), err)
		}
	})
}

func TestAppendValidates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bad := map[string]events.Event{
			"type with capitals":   {Type: "Order.Paid", Subject: "o1"},
			"type without a dot":   {Type: "paid", Subject: "o1"},
			"no subject":           {Type: "order.paid"},
			"payload not JSON":     {Type: "order.paid", Subject: "o1", Payload: map[string]any{"f": func() {}}},
			"payload too large":    {Type: "order.paid", Subject: "o1", Payload: strings.Repeat("x", events.MaxPayload)},
			"payload with a phone": {Type: "order.paid", Subject: "o1", Payload: map[string]any{"lines": []any{map[string]any{"phone": "138"}}}},
		}
		for name, e := range bad {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				// A valid event first: a bad one in the batch must append nothing.
				return events.AppendMany(ctx, tx, t0, []events.Event{ev("order.paid", "ok", 0), e})
			})
			if fishpond.Code(err) != fishpond.EInvalid {
				t.Errorf("%s: Append = %v, want invalid", name, err)
			}
		}
		if all, err := events.New(d, nil).Read(ctx, 0, nil, 0); err != nil || len(all) != 0 {
			t.Fatalf("log after invalid appends = %d events, %v", len(all), err)
		}
		appendTx(t, d, events.Event{Type: "household.status.changed", Subject: "h1"})
	})
}

// counter is a test aggregate: per subject, how many events were applied, and each
// event ID once (a primary key, so a double apply fails loudly).
func counter(t *testing.T, d *db.DB) events.Handler {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		if _, err := tx.ExecContext(context.Background(), "CREATE TABLE test_counts (subject TEXT PRIMARY KEY, n BIGINT NOT NULL)"); err != nil {
			return err
		}
		_, err := tx.ExecContext(context.Background(), "CREATE TABLE test_applied (id TEXT PRIMARY KEY)")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, tx *db.Tx, e events.Stored) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO test_applied (id) VALUES (?)", e.ID); err != nil {
			return fmt.Errorf("event %d applied twice? %w", e.Seq, err)
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO test_counts (subject, n) VALUES (?, 1) ON CONFLICT (subject) DO UPDATE SET n = test_counts.n + 1", e.Subject)
		return err
	}
}

func counts(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	rows, err := d.Read().QueryContext(context.Background(), "SELECT subject, n FROM test_counts")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

func TestConsumerCheckpointMovesWithWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		log := events.New(d, fishpond.FixedClock{T: t0})
		count := counter(t, d)
		for i := range 5 {
			appendTx(t, d, ev("order.paid", fmt.Sprintf("s%d", i%2), i), ev("order.shipped", "other", i))
		}

		fail := true
		c := &events.Consumer{Log: log, Name: "paid-count", Types: []string{"order.paid"}, Batch: 3,
			Handle: func(ctx context.Context, tx *db.Tx, e events.Stored) error {
				if err := count(ctx, tx, e); err != nil {
					return err
				}
				if fail && e.Payload != nil {
					var p struct{ N int }
					json.Unmarshal(e.Payload, &p)
					if p.N == 2 { // third event of the first batch: its first two writes must vanish too
						return errors.New("handler failed")
					}
				}
				return nil
			}}
		if _, err := c.ProcessBatch(ctx); err == nil {
			t.Fatal("ProcessBatch with a failing handler succeeded")
		}
		if cp, _ := log.Checkpoint(ctx, "paid-count"); cp != 0 || len(counts(t, d)) != 0 {
			t.Fatalf("after handler error: checkpoint %d, counts %v; want both untouched", cp, counts(t, d))
		}

		fail = false
		if n, err := c.ProcessBatch(ctx); err != nil || n != 3 {
			t.Fatalf("ProcessBatch = %d, %v; want 3", n, err)
		}
		cp1, _ := log.Checkpoint(ctx, "paid-count")
		if got := counts(t, d); got["s0"] != 2 || got["s1"] != 1 {
			t.Fatalf("counts after one batch = %v", got)
		}

		// A restarted consumer (new value, same name) resumes after the checkpoint.
		c2 := &events.Consumer{Log: log, Name: "paid-count", Types: []string{"order.paid"}, Handle: count}
		if n, err := c2.ProcessBatch(ctx); err != nil || n != 2 {
			t.Fatalf("resumed ProcessBatch = %d, %v; want the 2 remaining", n, err)
		}
		if n, err := c2.ProcessBatch(ctx); err != nil || n != 0 {
			t.Fatalf("ProcessBatch at the end = %d, %v", n, err)
		}
		cp2, _ := log.Checkpoint(ctx, "paid-count")
		if got := counts(t, d); got["s0"] != 3 || got["s1"] != 2 || got["other"] != 0 || cp2 <= cp1 {
			t.Fatalf("counts %v, checkpoints %d then %d", got, cp1, cp2)
		}
	})
}

// TestConcurrentAppendersNeverMissed runs writers whose transactions take their seq
// and then dawdle before committing, so that on PostgreSQL, without the append lock,
// a later seq would commit first and the consumer would skip the earlier one.
func TestConcurrentAppendersNeverMissed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		log := events.New(d, nil)
		c := &events.Consumer{Log: log, Name: "counter", Batch: 7, Interval: time.Millisecond, Handle: counter(t, d)}
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()

		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				subject := fmt.Sprintf("w%d", w)
				for i := range each {
					err := d.InTx(ctx, func(tx *db.Tx) error {
						if err := events.Append(ctx, tx, time.Now(), ev("test.tick", subject, i)); err != nil {
							return err
						}
						time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
					log.Notify()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("writer: %v", err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			total := 0
			got := counts(t, d)
			for _, n := range got {
				total += n
			}
			if total == writers*each {
				for w := range writers {
					if n := got[fmt.Sprintf("w%d", w)]; n != each {
						t.Fatalf("writer w%d: %d events applied, want %d", w, n, each)
					}
				}
				break
			}
			select {
			case err := <-done:
				t.Fatalf("consumer stopped: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("consumer applied %d of %d events: some were skipped", total, writers*each)
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	})
}

// AppendMany reuses one prepared 500-row statement for every full chunk of a call:
// 1,001 events are two full chunks and a single row, all stored, in order.
func TestAppendManyFullChunks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var es []events.Event
		for i := 0; i < 1001; i++ {
			es = append(es, ev("order.paid", fmt.Sprintf("o%04d", i), i))
		}
		appendTx(t, d, es...)
		log := events.New(d, fishpond.FixedClock{T: t0})
		var all []events.Stored
		for {
			after := int64(0)
			if len(all) > 0 {
				after = all[len(all)-1].Seq
			}
			page, err := log.Read(ctx, after, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
		}
		if len(all) != len(es) {
			t.Fatalf("%d events stored, want %d", len(all), len(es))
		}
		for i, e := range all {
			var p struct{ N int }
			if err := json.Unmarshal(e.Payload, &p); err != nil || e.Subject != es[i].Subject || p.N != i {
				t.Fatalf("event %d: %+v %v", i, e, err)
			}
		}
	})
}
