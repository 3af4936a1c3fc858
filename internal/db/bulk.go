package db

import (
	"context"
	"fmt"
	"strings"

	"fishpond"
)

// InsertRows writes n rows of width columns with multi-row INSERTs of
// power-of-two sizes (850 rows: 512 + 256 + 64 + 16 + 2), so that a few cached
// prepared statements (Tx.Stmt) serve every batch size and SQL is parsed once per
// database, not once per batch; suffix follows the VALUES list (ON CONFLICT …).
// Chunks stay well under both engines' limits on bound parameters.
func InsertRows(ctx context.Context, tx *Tx, prefix, suffix string, width, n int, args []any) error {
	row := "(" + Placeholders(width) + ")"
	per := 1
	for per*2*width <= 30000 {
		per *= 2
	}
	for n > 0 {
		k := per
		for k > n {
			k /= 2
		}
		st, err := tx.Stmt(ctx, prefix+RepeatRow(row, k)+suffix)
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

// QueryIn runs a query whose %s is an IN list over args, in chunks padded to a
// power of two (repeating the last value changes nothing in an IN list), calling fn
// per row.
func QueryIn(ctx context.Context, tx *Tx, query, suffix string, args []any, fn func(scan func(...any) error) error) error {
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
		st, err := tx.Stmt(ctx, fmt.Sprintf(query, Placeholders(k))+suffix)
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

// RepeatRow repeats a VALUES row n times, comma-separated.
func RepeatRow(row string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}
