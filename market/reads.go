package market

import (
	"context"
	"database/sql"
	"fmt"

	"fishpond/internal/db"
)

// preparedReads is the read pool with each query prepared once (db.DB.ReadStmt),
// for the reads every checkout makes: browsing the product list, the product, the
// order polled until it is paid. Parsing is a large share of a short query's CPU
// on the pure-Go SQLite. Use it only for query texts from a small fixed set.
type preparedReads struct{ d *db.DB }

func (s *Store) prepared() db.Querier { return preparedReads{s.db} }

func (p preparedReads) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, fmt.Errorf("market: ExecContext on the read pool")
}

func (p preparedReads) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.d.ReadStmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedReads) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := p.d.ReadStmt(ctx, q)
	if err != nil {
		return p.d.Read().QueryRowContext(ctx, q, args...) // reports the same error when scanned
	}
	return st.QueryRowContext(ctx, args...)
}

func (p preparedReads) Dialect() db.Dialect { return p.d.Dialect }
