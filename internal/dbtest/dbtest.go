// Package dbtest gives tests real, migrated databases: a fresh SQLite file always,
// and a fresh PostgreSQL schema when FISHPOND_TEST_POSTGRES holds a server URL.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"fishpond/internal/db"
	"fishpond/internal/testenv"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "FISHPOND_TEST_POSTGRES"

// Each runs fn as a subtest on every available engine with a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(EnvPostgres) == "" && !testenv.CI() {
			t.Skip("skipped: set " + EnvPostgres + " to a PostgreSQL URL to run on PostgreSQL too")
		}
		fn(t, Postgres(t))
	})
}

// SQLite opens a migrated database in a temporary directory.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	return open(t, "sqlite://"+filepath.Join(t.TempDir(), "test.db"))
}

// Postgres opens a migrated database in a fresh schema, dropped when the test ends.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	return open(t, PostgresURL(t))
}

// PostgresURL creates a fresh, empty schema and returns a URL whose search_path
// points at it, for tests that start the binary themselves. The schema is dropped
// when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		testenv.Missing(t, "%s is not set", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema on %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, u string) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return d
}
