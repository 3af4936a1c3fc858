package db_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// insertNext adds province "bNNNNNNN" where N is one more than the rows already
// written, in its own transaction. SQLite has one writer, so the numbers follow
// commit order: any snapshot of the table holds exactly b0000001..bK, no gaps.
func insertNext(ctx context.Context, d *db.DB) error {
	return d.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM provinces WHERE code LIKE 'b%'").Scan(&n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO provinces (code, name, region) VALUES (?, ?, ?)",
			fmt.Sprintf("b%07d", n+1), fmt.Sprintf("备份省%d", n+1), "east")
		return err
	})
}

// backupRows returns the codes of the test rows in order.
func backupRows(t *testing.T, d *db.DB) []string {
	t.Helper()
	rows, err := d.Read().QueryContext(context.Background(), "SELECT code FROM provinces WHERE code LIKE 'b%' ORDER BY code")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustOpen(t *testing.T, path string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBackupWhileWritingIsConsistent(t *testing.T) {
	ctx := context.Background()
	src := dbtest.SQLite(t)

	var written atomic.Int64
	stop := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := insertNext(ctx, src); err != nil {
					errs <- err
					return
				}
				written.Add(1)
			}
		}()
	}
	stopWriters := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWriters()

	deadline := time.Now().Add(20 * time.Second)
	for written.Load() < 200 {
		if time.Now().After(deadline) {
			t.Fatalf("writers made only %d rows in 20s", written.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	dest := filepath.Join(t.TempDir(), "sub", "backup.db")
	if err := src.Backup(ctx, dest); err != nil {
		t.Fatalf("Backup during writes: %v", err)
	}
	// Let the writers carry on after the copy, so it is a strict prefix.
	after := written.Load() + 100
	for written.Load() < after && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stopWriters()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}

	if err := src.Backup(ctx, dest); fishpond.Code(err) != fishpond.EConflict {
		t.Fatalf("Backup onto an existing file = %v, want a conflict", err)
	}

	b := mustOpen(t, dest)
	defer b.Close()
	var check string
	if err := b.Read().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of backup = %q, %v", check, err)
	}
	wantV, err := src.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if gotV, err := b.Version(ctx); err != nil || gotV != wantV {
		t.Fatalf("backup migration version = %d, %v; source has %d", gotV, err, wantV)
	}

	got := backupRows(t, b)
	all := backupRows(t, src)
	if len(got) < 200 || len(got) >= len(all) {
		t.Fatalf("backup holds %d rows; want at least 200 and fewer than the source's final %d", len(got), len(all))
	}
	for i, c := range got {
		if want := fmt.Sprintf("b%07d", i+1); c != want {
			t.Fatalf("backup row %d is %s, want %s: not a consistent snapshot", i, c, want)
		}
	}
	t.Logf("backup took %d of %d rows", len(got), len(all))
}

func TestRestoreFromBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dataFile := filepath.Join(dir, "data", "fishpond.db")
	src := mustOpen(t, dataFile)
	if _, err := src.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if err := insertNext(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	backup := filepath.Join(dir, "backup.db")
	if err := src.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	// Changes after the backup are what a restore rolls back.
	for range 10 {
		if err := insertNext(ctx, src); err != nil {
			t.Fatal(err)
		}
	}

	// Restore: stop, drop the WAL companions, copy the backup over the data file.
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dataFile + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	copyFile(t, backup, dataFile)

	restored := mustOpen(t, dataFile)
	defer restored.Close()
	got := backupRows(t, restored)
	if len(got) != 50 || got[49] != "b0000050" {
		t.Fatalf("restored database has %d test rows (last %v), want the 50 of the backup", len(got), got[len(got)-1:])
	}
	// The restored database is fully usable: migrations are current, writes work.
	if v, err := restored.Migrate(ctx, nil); err != nil || v == 0 {
		t.Fatalf("Migrate on restored database = %d, %v", v, err)
	}
	if err := insertNext(ctx, restored); err != nil {
		t.Fatalf("write to restored database: %v", err)
	}
}

func TestBackupRefusesPostgresAndBadDestinations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dest := filepath.Join(t.TempDir(), "b.db")
		if d.Dialect == db.Postgres {
			err := d.Backup(ctx, dest)
			if fishpond.Code(err) != fishpond.EInvalid {
				t.Fatalf("Backup on PostgreSQL = %v, want invalid pointing at pg_dump", err)
			}
			if _, serr := os.Stat(dest); !os.IsNotExist(serr) {
				t.Fatalf("Backup on PostgreSQL left a file behind")
			}
			return
		}
		if err := d.Backup(ctx, ""); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("Backup to \"\" = %v, want invalid", err)
		}
		if err := d.Backup(ctx, d.Path); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("Backup onto the database itself = %v, want conflict", err)
		}
		if err := os.WriteFile(dest, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := d.Backup(ctx, dest); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("Backup onto an existing file = %v, want conflict", err)
		}
		if b, _ := os.ReadFile(dest); string(b) != "keep me" {
			t.Fatalf("Backup changed an existing file")
		}
		entries, _ := os.ReadDir(filepath.Dir(dest))
		if len(entries) != 1 {
			t.Fatalf("Backup left temporary files: %v", entries)
		}
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
