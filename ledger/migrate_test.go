package ledger_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/testenv"
	"fishpond/ledger"
)

// TestIntegerKeysMigrationKeepsTheBooks writes a ledger in the layout before
// migration 0019 (postings naming their transfer by its text id), migrates, and
// checks that the books read the same: every transfer with its postings in their
// order, statements in their order, a reversal still known, verify clean, and
// new transfers posting after the old ones.
func TestIntegerKeysMigrationKeepsTheBooks(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testIntegerKeysMigration(t, "sqlite://"+filepath.Join(t.TempDir(), "old.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(dbtest.EnvPostgres) == "" && !testenv.CI() {
			t.Skip("skipped: set " + dbtest.EnvPostgres + " to a PostgreSQL URL to run on PostgreSQL too")
		}
		testIntegerKeysMigration(t, dbtest.PostgresURL(t))
	})
}

func testIntegerKeysMigration(t *testing.T, url string) {
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	exec := func(q string, args ...any) {
		t.Helper()
		if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	ms, err := db.Migrations(d.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	exec("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
	for _, m := range ms {
		if m.Version >= 19 {
			break
		}
		if _, err := d.SQL().ExecContext(ctx, m.SQL); err != nil {
			t.Fatalf("migration %d: %v", m.Version, err)
		}
		exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.Version, m.Name, "2026-01-01T00:00:00.000000Z")
	}

	// Three accounts; transfers A, B, C recorded in that order (their text ids do
	// not sort that way), C reversing A; B has three legs.
	now := "2026-01-01T00:00:00.000000Z"
	for i, acct := range []string{"acct-w", "acct-i", "acct-c"} {
		kind := "asset"
		if i == 1 {
			kind = "income"
		}
		exec("INSERT INTO ledger_accounts (id, owner, kind, category, currency, name, created_at) VALUES (?, 'household:h', ?, ?, 'CNY', ?, ?)", acct, kind, acct, acct, now)
		exec("INSERT INTO ledger_balances (account_seq, balance) SELECT seq, 0 FROM ledger_accounts WHERE id = ?", acct)
	}
	type leg struct {
		acct string
		amt  int64
	}
	transfers := []struct {
		id, key, at, rev string
		legs             []leg
	}{
		{"tz-A", "key-a", "2020-03-01T02:00:00.000000Z", "", []leg{{"acct-w", 500}, {"acct-i", -500}}},
		{"tm-B", "key-b", "2020-03-01T02:00:00.000000Z", "", []leg{{"acct-w", 300}, {"acct-c", 200}, {"acct-i", -500}}},
		{"ta-C", "key-c", "2020-03-01T02:00:00.000000Z", "tz-A", []leg{{"acct-w", -500}, {"acct-i", 500}}},
	}
	for _, tr := range transfers {
		var rev any
		if tr.rev != "" {
			rev = tr.rev
		}
		exec("INSERT INTO ledger_transfers (id, idem_key, content_hash, kind, memo, evidence, currency, effective_at, recorded_at, reverses) VALUES (?, ?, 'h', 'sale', 'm', '', 'CNY', ?, ?, ?)",
			tr.id, tr.key, tr.at, now, rev)
		for _, l := range tr.legs {
			exec("INSERT INTO ledger_postings (transfer_id, account_seq, amount, effective_at) SELECT ?, seq, ?, ? FROM ledger_accounts WHERE id = ?", tr.id, l.amt, tr.at, l.acct)
			exec("UPDATE ledger_balances SET balance = balance + ? WHERE account_seq = (SELECT seq FROM ledger_accounts WHERE id = ?)", l.amt, l.acct)
		}
	}
	exec("INSERT INTO ledger_reversals (original_id, reversal_id) VALUES ('tz-A', 'ta-C')")

	if _, err := d.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, d)
	f.verify(t)
	for _, tr := range transfers {
		got, err := f.l.Transfer(ctx, tr.id)
		if err != nil {
			t.Fatal(err)
		}
		var legs []leg
		for _, p := range got.Postings {
			legs = append(legs, leg{p.AccountID, int64(p.Amount)})
		}
		if !slices.Equal(legs, tr.legs) || got.Reverses != tr.rev || got.IdempotencyKey != tr.key {
			t.Errorf("transfer %s after migration: %+v", tr.id, got)
		}
	}
	if _, err := f.l.Reverse(ctx, "tz-A", "key-again", "twice"); fishpond.Code(err) != fishpond.EConflict {
		t.Errorf("reversing A again after migration: %v, want conflict", err)
	}
	st, err := f.l.Statement(ctx, "acct-w", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), 10, "")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, ln := range st.Lines {
		order = append(order, ln.TransferID)
	}
	if !slices.Equal(order, []string{"tz-A", "tm-B", "ta-C"}) || st.Lines[2].Balance != 300 {
		t.Errorf("statement after migration: %v, last balance %v", order, st.Lines[len(st.Lines)-1].Balance)
	}

	// New transfers land after the old ones.
	tr := f.post(t, "key-d", time.Date(2020, 3, 1, 2, 0, 0, 0, time.UTC), ledger.Posting{AccountID: "acct-w", Amount: 7}, ledger.Posting{AccountID: "acct-i", Amount: -7})
	got, err := f.l.TransferByKey(ctx, "key-d")
	if err != nil || got.ID != tr.ID || len(got.Postings) != 2 {
		t.Fatalf("new transfer after migration: %+v, %v", got, err)
	}
	st, err = f.l.Statement(ctx, "acct-w", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), 10, "")
	if err != nil || len(st.Lines) != 4 || st.Lines[3].TransferID != tr.ID || st.Lines[3].Balance != 307 {
		t.Fatalf("statement after a new transfer: %+v, %v", st, err)
	}
	f.verify(t)
}
