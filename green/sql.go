package green

import (
	"context"
	"fmt"
	"strings"

	"fishpond"
	"fishpond/internal/db"
)

// insertRows writes n rows of width columns with multi-row INSERTs of
// power-of-two sizes, so that a few cached prepared statements (Tx.Stmt) serve
// every batch size; suffix follows the VALUES list (ON CONFLICT …).
func insertRows(ctx context.Context, tx *db.Tx, prefix, suffix string, width, n int, args []any) error {
	row := "(" + db.Placeholders(width) + ")"
	per := 1
	for per*2*width <= 30000 {
		per *= 2
	}
	for n > 0 {
		k := per
		for k > n {
			k /= 2
		}
		st, err := tx.Stmt(ctx, prefix+repeatRow(row, k)+suffix)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, args[:k*width]...); err != nil {
			return err
		}
		args = args[k*width:]
		n -= k
	}
	return nil
}

// queryIn runs a query whose %s is an IN list over args, in chunks padded to a
// power of two (repeating the last value changes nothing in an IN list), calling fn
// per row.
func queryIn(ctx context.Context, tx *db.Tx, query, suffix string, args []any, fn func(scan func(...any) error) error) error {
	const chunk = 4096
	var padded []any
	for len(args) > 0 {
		n := min(chunk, len(args))
		k := 1
		for k < n {
			k *= 2
		}
		padded = append(padded[:0], args[:n]...)
		for len(padded) < k {
			padded = append(padded, args[n-1])
		}
		st, err := tx.Stmt(ctx, fmt.Sprintf(query, db.Placeholders(k))+suffix)
		if err != nil {
			return fishpond.Internal(err)
		}
		rows, err := st.QueryContext(ctx, padded...)
		if err != nil {
			return fishpond.Internal(err)
		}
		for rows.Next() {
			if err := fn(rows.Scan); err != nil {
				rows.Close()
				return fishpond.Internal(err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fishpond.Internal(err)
		}
		args = args[n:]
	}
	return nil
}

func repeatRow(row string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}
