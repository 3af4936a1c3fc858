// Package db opens Fishpond's database — SQLite (embedded default) or PostgreSQL —
// from a URL, hides their few differences, runs transactions with retries, and
// applies the embedded, append-only migrations. Capabilities write portable SQL with
// '?' placeholders; this package rebinds them for PostgreSQL.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fishpond"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database. SQLite gets one writer connection (SQLite allows one writer
// at a time; queuing in Go is cheaper than spinning on SQLITE_BUSY) and a pool of
// readers; PostgreSQL uses one pool for both.
type DB struct {
	Dialect Dialect
	// Path is the SQLite file path ("" for PostgreSQL).
	Path string
	w, r *sql.DB
	// stmts caches statements prepared on the writer pool (query -> *sql.Stmt), so
	// hot paths such as ledger postings skip SQL parsing.
	stmts     sync.Map
	wanted    sync.Map // queries to prepare before the next transaction
	readStmts sync.Map // ReadStmt's statements on the read pool
}

// DefaultURL is where the embedded database lives unless --db says otherwise.
const DefaultURL = "sqlite://./fishpond-data/fishpond.db"

// Open connects to sqlite:///abs/path.db, sqlite://./rel/path.db or postgres://…
// and checks the connection. It does not migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite://"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	}
	return nil, fishpond.Errorf(fishpond.EInvalid, "database URL must start with sqlite:// or postgres://, got %q", redact(rawURL))
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, fishpond.Errorf(fishpond.EInvalid, "sqlite URL has no file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// synchronous(FULL): an acknowledged transfer survives power loss, not only kill -9.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	// The writer's page cache (64 MiB, filled only as pages are used) holds a large
	// group commit's dirty pages without spilling them into the WAL mid-transaction,
	// and keeps hot index pages between transactions.
	w, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate&"+pragmas+"&_pragma=cache_size(-65536)")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	// Keep every reader open: database/sql keeps only 2 idle by default, and each
	// new SQLite connection parses the whole schema again (≈ 18 % of CPU under load).
	r.SetMaxIdleConns(8)
	d := &DB{Dialect: SQLite, Path: path, w: w, r: r}
	if err := w.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return d, nil
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	p, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, err
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(32)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("open postgres %s: %w", redact(rawURL), err)
	}
	return &DB{Dialect: Postgres, w: p, r: p}, nil
}

// redact hides a password in a URL so it never reaches a log.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Close closes both pools.
func (d *DB) Close() error {
	d.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	d.readStmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	err := d.w.Close()
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	return err
}

// SQL exposes the writer pool for the few callers (backup, benchmarks) that need
// the driver directly.
func (d *DB) SQL() *sql.DB { return d.w }

// Querier is what reads and writes need; both DB (reads) and Tx implement it.
type Querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	Dialect() Dialect
}

// reader adapts the read pool to Querier.
type reader struct {
	db *sql.DB
	d  Dialect
}

// Read returns a Querier on the read pool, for queries outside a transaction.
func (d *DB) Read() Querier { return reader{d.r, d.Dialect} }

func (r reader) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return nil, fmt.Errorf("db: ExecContext on the read pool; use InTx")
}
func (r reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return r.db.QueryContext(ctx, rebind(r.d, q), args...)
}
func (r reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return r.db.QueryRowContext(ctx, rebind(r.d, q), args...)
}
func (r reader) Dialect() Dialect { return r.d }

// Tx is one transaction: one use case, one transaction (DESIGN.md).
type Tx struct {
	tx *sql.Tx
	d  Dialect
	db *DB
}

// Stmt returns the statement for q (written with '?' placeholders), prepared once
// per database and bound to this transaction. Use it for statements run thousands
// of times a second; everything else can use ExecContext. A statement seen for the
// first time is prepared for this transaction only and cached before the next
// transaction begins: SQLite's single writer connection is busy with this one.
func (t *Tx) Stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	q = rebind(t.d, q)
	if v, ok := t.db.stmts.Load(q); ok {
		return t.tx.StmtContext(ctx, v.(*sql.Stmt)), nil
	}
	t.db.wanted.Store(q, true)
	return t.tx.PrepareContext(ctx, q)
}

// prepareWanted prepares, outside any transaction, the statements Stmt has asked for.
func (d *DB) prepareWanted(ctx context.Context) {
	d.wanted.Range(func(k, _ any) bool {
		q := k.(string)
		d.wanted.Delete(q)
		if _, ok := d.stmts.Load(q); ok {
			return true
		}
		if st, err := d.w.PrepareContext(ctx, q); err == nil {
			if _, loaded := d.stmts.LoadOrStore(q, st); loaded {
				st.Close()
			}
		}
		return true
	})
}

// ErrRetry marks an error after which the whole transaction should run again (for
// example: a concurrent insert of the same idempotency key won the race, and a
// second run will find it). Wrap it with Retry; InTx retries it like a
// serialization failure.
var ErrRetry = errors.New("transaction should be retried")

// Retry wraps err so that InTx runs the transaction again.
func Retry(err error) error { return fmt.Errorf("%w: %w", ErrRetry, err) }

// ExecContext runs a statement written with '?' placeholders.
func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, rebind(t.d, q), args...)
}

// QueryContext runs a query written with '?' placeholders.
func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, rebind(t.d, q), args...)
}

// QueryRowContext runs a one-row query written with '?' placeholders.
func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, rebind(t.d, q), args...)
}

// Dialect tells which engine the transaction runs on.
func (t *Tx) Dialect() Dialect { return t.d }

// ForUpdate is the row-lock suffix for SELECTs that precede an update: PostgreSQL
// needs it; SQLite already holds the only write lock.
func (t *Tx) ForUpdate() string {
	if t.d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// InTx runs fn in a write transaction, commits if fn returns nil and rolls back
// otherwise. Serialization failures and deadlocks (PostgreSQL) and busy errors
// (SQLite) are retried a few times, so fn must be safe to run again.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		err = d.inTxOnce(ctx, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 3 * time.Millisecond)
	}
	return err
}

func (d *DB) inTxOnce(ctx context.Context, fn func(tx *Tx) error) error {
	d.prepareWanted(ctx)
	stx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer stx.Rollback()
	if err := fn(&Tx{tx: stx, d: d.Dialect, db: d}); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	if errors.Is(err, ErrRetry) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// IsUniqueViolation tells whether err is a unique-constraint failure on either engine,
// so that stores can turn it into a conflict with a useful message.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

var rebound sync.Map // string -> string

// rebind turns '?' placeholders into $1, $2 … for PostgreSQL. Queries are constants,
// so the result is cached. A '?' inside a quoted literal is left alone.
func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n, inQuote := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c == '\'' {
			inQuote = !inQuote
		}
		if c == '?' && !inQuote {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	rebound.Store(q, out)
	return out
}

// Placeholders returns "?, ?, …" with n marks, for IN lists and multi-row inserts.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// TimeFormat is how instants are stored: fixed-width UTC text sorts correctly and
// reads the same on both engines.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a stored instant.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }

// MustTime reads a stored instant written by FormatTime; stored values are trusted.
func MustTime(s string) time.Time {
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// NotFound turns sql.ErrNoRows into the not_found error with a message, and wraps
// anything else as internal.
func NotFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fishpond.Errorf(fishpond.ENotFound, format, args...)
	}
	return fishpond.Internal(err)
}
