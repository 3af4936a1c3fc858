package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fishpond/events"
	"fishpond/internal/db"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// appendLock is events' append lock (events/event.go): holding it keeps appenders
// from committing while the rebuild reads, so the raw tables and the log's last
// seq describe the same moment on PostgreSQL.
const appendLock = 7295009

// Recompute derives every fact from the raw tables (orders, lines, refunds,
// household statuses) and, for plugged measures, from the event log, without
// writing anything. It is the definition the incremental consumer must match.
func Recompute(ctx context.Context, q db.Querier) (Facts, map[string]int64, error) {
	f := Facts{}
	parse := func(s string) (string, error) {
		t, err := db.ParseTime(s)
		if err != nil {
			return "", err
		}
		return Month(t), nil
	}
	rows, err := q.QueryContext(ctx, `SELECT o.paid_at, s.county_code, o.total FROM market_orders o JOIN market_shops s ON s.id = o.shop_id WHERE o.paid_at <> ''`)
	if err != nil {
		return nil, nil, fmt.Errorf("report: rebuild orders: %w", err)
	}
	for rows.Next() {
		var at, county string
		var total int64
		if err := rows.Scan(&at, &county, &total); err != nil {
			rows.Close()
			return nil, nil, err
		}
		m, err := parse(at)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		f.Add(FactGMV, m, county, "", total)
		f.Add(FactOrders, m, county, "", 1)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT o.paid_at, s.county_code, p.category, l.qty * l.unit_price FROM market_order_lines l
		JOIN market_orders o ON o.id = l.order_id JOIN market_shops s ON s.id = o.shop_id JOIN market_products p ON p.id = l.product_id
		WHERE o.paid_at <> ''`)
	if err != nil {
		return nil, nil, fmt.Errorf("report: rebuild lines: %w", err)
	}
	for rows.Next() {
		var at, county, cat string
		var amount int64
		if err := rows.Scan(&at, &county, &cat, &amount); err != nil {
			rows.Close()
			return nil, nil, err
		}
		m, err := parse(at)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		f.Add(FactCategory, m, county, cat, amount)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT r.created_at, s.county_code, r.amount FROM market_refunds r
		JOIN market_orders o ON o.id = r.order_id JOIN market_shops s ON s.id = o.shop_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("report: rebuild refunds: %w", err)
	}
	for rows.Next() {
		var at, county string
		var amount int64
		if err := rows.Scan(&at, &county, &amount); err != nil {
			rows.Close()
			return nil, nil, err
		}
		m, err := parse(at)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		f.Add(FactRefunds, m, county, "", amount)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	refunded := map[string]int64{}
	rows, err = q.QueryContext(ctx, "SELECT id, refunded FROM market_orders WHERE refunded > 0")
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, nil, err
		}
		refunded[id] = n
	}
	rows.Close()
	if err := householdFacts(ctx, q, f, ""); err != nil {
		return nil, nil, err
	}
	if err := replayPlugged(ctx, q, f); err != nil {
		return nil, nil, err
	}
	return f, refunded, nil
}

// replayPlugged counts the plugged measures' events from the log: for a
// capability that only reports through events, the log is its raw record.
func replayPlugged(ctx context.Context, q db.Querier, f Facts) error {
	types := map[string]bool{}
	for _, m := range pluggedMeasures() {
		types[m.Event] = true
	}
	for t := range types {
		rows, err := q.QueryContext(ctx, "SELECT seq, id, type, subject, county_code, payload, at FROM events WHERE type = ?", t)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s events.Stored
			var payload, at string
			if err := rows.Scan(&s.Seq, &s.ID, &s.Type, &s.Subject, &s.CountyCode, &payload, &at); err != nil {
				rows.Close()
				return err
			}
			s.Payload, s.At = []byte(payload), db.MustTime(at)
			if err := addEventFacts(s, f); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// RebuildStats says what a rebuild did.
type RebuildStats struct {
	Facts    int
	Through  int64 // the consumer's checkpoint afterwards
	Duration time.Duration
}

// Rebuild replaces every aggregate with a recomputation from the raw data and moves
// the consumer's checkpoint to the end of the log, in one transaction: afterwards the
// consumer continues with events appended later.
func Rebuild(ctx context.Context, d *db.DB, now time.Time) (RebuildStats, error) {
	start := time.Now()
	var st RebuildStats
	err := d.InTx(ctx, func(tx *db.Tx) error {
		if tx.Dialect() == db.Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(appendLock)); err != nil {
				return err
			}
		}
		at := db.FormatTime(now)
		if _, err := tx.ExecContext(ctx, "INSERT INTO event_checkpoints (consumer, seq, updated_at) VALUES (?, 0, ?) ON CONFLICT (consumer) DO NOTHING", ConsumerName, at); err != nil {
			return err
		}
		var cp int64
		if err := tx.QueryRowContext(ctx, "SELECT seq FROM event_checkpoints WHERE consumer = ?"+tx.ForUpdate(), ConsumerName).Scan(&cp); err != nil {
			return err
		}
		var through int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&through); err != nil {
			return err
		}
		f, refunded, err := Recompute(ctx, tx)
		if err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM report_facts", "DELETE FROM report_order_refunds"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if err := AddFacts(ctx, tx, f); err != nil {
			return err
		}
		if err := insertRefunded(ctx, tx, refunded); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE event_checkpoints SET seq = ?, updated_at = ? WHERE consumer = ?", through, at, ConsumerName); err != nil {
			return err
		}
		st = RebuildStats{Facts: len(f), Through: through}
		return nil
	})
	st.Duration = time.Since(start)
	return st, err
}

// insertRefunded stores the consumer's per-order refunded totals.
func insertRefunded(ctx context.Context, tx *db.Tx, refunded map[string]int64) error {
	f := Facts{}
	for id, n := range refunded {
		f[key{Fact: id}] = n
	}
	ks := f.sortedKeys()
	for start := 0; start < len(ks); start += 400 {
		end := min(start+400, len(ks))
		q := "INSERT INTO report_order_refunds (order_id, refunded) VALUES "
		args := make([]any, 0, 2*(end-start))
		for i, k := range ks[start:end] {
			if i > 0 {
				q += ", "
			}
			q += "(?, ?)"
			args = append(args, k.Fact, f[k])
		}
		q += " ON CONFLICT (order_id) DO UPDATE SET refunded = excluded.refunded"
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
