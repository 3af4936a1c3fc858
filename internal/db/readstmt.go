package db

import (
	"context"
	"database/sql"
)

// ReadStmt returns q (written with '?' placeholders) prepared on the read pool,
// once per database, for reads run thousands of times a second (an order polled
// until it is paid, a product page): modernc's SQLite driver keeps no statement
// cache, and parsing is a large share of a short query's CPU. The statement is
// prepared again by database/sql on each pooled connection it runs on.
func (d *DB) ReadStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	q = rebind(d.Dialect, q)
	if v, ok := d.readStmts.Load(q); ok {
		return v.(*sql.Stmt), nil
	}
	st, err := d.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if v, loaded := d.readStmts.LoadOrStore(q, st); loaded {
		st.Close()
		return v.(*sql.Stmt), nil
	}
	return st, nil
}
