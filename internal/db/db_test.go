package db_test

import (
	"context"
	"testing"

	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestMigrateIsIdempotentAndReportsVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ms, err := db.Migrations(d.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		want := ms[len(ms)-1].Version
		v, err := d.Migrate(ctx, nil)
		if err != nil || v != want {
			t.Fatalf("second migrate = %d, %v; want %d", v, err, want)
		}
		got, err := d.Version(ctx)
		if err != nil || got != want {
			t.Fatalf("Version = %d, %v; want %d", got, err, want)
		}
	})
}

func TestMigrationNumbersAreDenseAndUnique(t *testing.T) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		ms, err := db.Migrations(dialect)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range ms {
			if m.Version != i+1 {
				t.Fatalf("%s: migration %d is numbered %d; numbers must be 1..n with no gaps", dialect, i+1, m.Version)
			}
		}
	}
}

func TestTxRollsBackOnErrorAndRebindsPlaceholders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO provinces (code, name, region) VALUES (?, ?, ?)", "99", "测试省", "west")
			if err != nil {
				return err
			}
			return context.Canceled
		})
		if err != context.Canceled {
			t.Fatalf("InTx returned %v, want the callback's error", err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM provinces WHERE code = ? AND name = ?", "99", "测试省").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("row survived a rolled-back transaction")
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO provinces (code, name, region) VALUES (?, ?, ?)", "99", "测试省", "west")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO provinces (code, name, region) VALUES (?, ?, ?)", "99", "重复", "west")
			return err
		})
		if !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate key error %v not recognised as a unique violation", err)
		}
	})
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	if _, err := db.Open(context.Background(), "mysql://x"); err == nil {
		t.Fatal("mysql:// accepted")
	}
}

func TestPreparedStatementsAndRetry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				st, err := tx.Stmt(ctx, "INSERT INTO provinces (code, name, region) VALUES (?, ?, ?)")
				if err != nil {
					return err
				}
				_, err = st.ExecContext(ctx, "9"+string(rune('0'+i)), "省", "west")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		runs := 0
		err := d.InTx(ctx, func(tx *db.Tx) error {
			runs++
			if runs < 3 {
				return db.Retry(context.DeadlineExceeded)
			}
			return nil
		})
		if err != nil || runs != 3 {
			t.Fatalf("Retry: err %v after %d runs, want success on the third", err, runs)
		}
	})
}
