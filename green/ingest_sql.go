package green

import (
	"context"
	"fmt"

	"fishpond"
	"fishpond/internal/db"
)

// The ingest statements. SQLite takes multi-row VALUES lists (cached prepared
// statements of power-of-two sizes); PostgreSQL takes one array per column and
// unnest, so a batch of thousands of actions is one statement per table with a
// dozen parameters instead of tens of thousands.

const dropColumns = "action_id, user_id, kind, quantity, grams, source, occurred_at, day, ripe_at, expires_at, state, recorded_at"

// dropTypes are the PostgreSQL array types of dropColumns, in order.
var dropTypes = []string{"text", "text", "text", "bigint", "bigint", "text", "text", "text", "text", "text", "text", "text"}

// selectByID reads the stored actions among ids.
func selectByID(ctx context.Context, tx *db.Tx, ids []any, fn func(scan func(...any) error) error) error {
	const cols = "SELECT action_id, user_id, kind, quantity, occurred_at, grams, ripe_at, expires_at FROM green_drops WHERE action_id "
	if tx.Dialect() != db.Postgres {
		return db.QueryIn(ctx, tx, cols+"IN (%s)", "", ids, fn)
	}
	return queryRows(ctx, tx, cols+"= ANY(CAST(? AS text[]))", []any{asStrings(ids)}, fn)
}

// lockCounters returns the stored daily counters among keys (sorted). On
// PostgreSQL it locks them, in key order, until commit, so two processes cannot
// both grant the last grams under a cap; keys without a row yet are created by
// saveCounters with a plain INSERT, and a process that loses that race retries the
// batch and then finds the row (and its lock).
func lockCounters(ctx context.Context, tx *db.Tx, keys []any) (map[string]int64, error) {
	used := make(map[string]int64, len(keys))
	fn := func(scan func(...any) error) error {
		var k string
		var g int64
		if err := scan(&k, &g); err != nil {
			return err
		}
		used[k] = g
		return nil
	}
	if tx.Dialect() != db.Postgres {
		return used, db.QueryIn(ctx, tx, "SELECT dkey, grams FROM green_daily WHERE dkey IN (%s)", "", keys, fn)
	}
	return used, queryRows(ctx, tx, "SELECT dkey, grams FROM green_daily WHERE dkey = ANY(CAST(? AS text[])) ORDER BY dkey FOR UPDATE", []any{asStrings(keys)}, fn)
}

// insertDrops writes n drops given row by row in args (width values a row).
func insertDrops(ctx context.Context, tx *db.Tx, width, n int, args []any) error {
	if tx.Dialect() != db.Postgres {
		return db.InsertRows(ctx, tx, "INSERT INTO green_drops ("+dropColumns+") VALUES ", "", width, n, args)
	}
	cols := columns(args, width, n, dropTypes)
	q := "INSERT INTO green_drops (" + dropColumns + ") SELECT * FROM unnest("
	for i, t := range dropTypes {
		if i > 0 {
			q += ", "
		}
		q += "CAST(? AS " + t + "[])"
	}
	st, err := tx.Stmt(ctx, q+")")
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, cols...)
	return err
}

// saveCounters writes the counters' new values: existing is what lockCounters
// found, so one write per counter on PostgreSQL (an UPDATE of the locked rows, an
// INSERT of the new ones, whose unique violation means another process created
// one first: the batch is retried).
func saveCounters(ctx context.Context, tx *db.Tx, keys []any, used map[string]int64, existing map[string]bool) error {
	if tx.Dialect() != db.Postgres {
		args := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			args = append(args, k, used[k.(string)])
		}
		return db.InsertRows(ctx, tx, "INSERT INTO green_daily (dkey, grams) VALUES ", " ON CONFLICT (dkey) DO UPDATE SET grams = excluded.grams", 2, len(keys), args)
	}
	var oldK, newK []string
	var oldG, newG []int64
	for _, k := range keys {
		ks := k.(string)
		if existing[ks] {
			oldK, oldG = append(oldK, ks), append(oldG, used[ks])
		} else {
			newK, newG = append(newK, ks), append(newG, used[ks])
		}
	}
	if len(oldK) > 0 {
		st, err := tx.Stmt(ctx, `UPDATE green_daily SET grams = v.g FROM unnest(CAST(? AS text[]), CAST(? AS bigint[])) AS v(k, g) WHERE green_daily.dkey = v.k`)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, oldK, oldG); err != nil {
			return err
		}
	}
	if len(newK) > 0 {
		st, err := tx.Stmt(ctx, `INSERT INTO green_daily (dkey, grams) SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS bigint[]))`)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, newK, newG); err != nil {
			if db.IsUniqueViolation(err) {
				return db.Retry(fmt.Errorf("green: concurrent daily counter: %w", err))
			}
			return err
		}
	}
	return nil
}

// columns turns row-wise args into one typed slice per column.
func columns(args []any, width, n int, types []string) []any {
	out := make([]any, width)
	for c := 0; c < width; c++ {
		if types[c] == "bigint" {
			v := make([]int64, n)
			for r := 0; r < n; r++ {
				v[r] = args[r*width+c].(int64)
			}
			out[c] = v
		} else {
			v := make([]string, n)
			for r := 0; r < n; r++ {
				v[r] = args[r*width+c].(string)
			}
			out[c] = v
		}
	}
	return out
}

func asStrings(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.(string)
	}
	return out
}

// queryRows runs a query through a cached statement, calling fn per row.
func queryRows(ctx context.Context, tx *db.Tx, q string, args []any, fn func(scan func(...any) error) error) error {
	st, err := tx.Stmt(ctx, q)
	if err != nil {
		return fishpond.Internal(err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fishpond.Internal(fmt.Errorf("green: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return fishpond.Internal(err)
		}
	}
	if err := rows.Err(); err != nil {
		return fishpond.Internal(err)
	}
	return nil
}
