package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"fishpond"
)

// Backup writes a consistent copy of a running SQLite database to dest, a file that
// must not exist yet. It exists so that operators of the embedded engine can back up
// without stopping the server: copying the .db file while it runs would miss the WAL
// and could tear a transaction in half.
//
// The copy is taken with VACUUM INTO on a connection of its own: in WAL mode a reader sees one
// snapshot while the writer carries on, so the backup holds exactly the transactions
// committed before it started, and writers are not held up while it runs. The copy is
// written under a temporary name, fsynced and only then given its final name, so dest
// either holds a complete backup or does not exist.
//
// To restore: stop the server, remove the data file's -wal and -shm companions,
// copy the backup over the data file, start again.
//
// PostgreSQL has its own tools for this (pg_dump, base backups with WAL archiving);
// Backup refuses rather than pretending to do their job.
func (d *DB) Backup(ctx context.Context, dest string) error {
	if d.Dialect != SQLite {
		return fishpond.Errorf(fishpond.EInvalid, "backup copies the embedded SQLite database; for PostgreSQL use pg_dump or your server's backup tools")
	}
	if dest == "" {
		return fishpond.Errorf(fishpond.EInvalid, "backup needs a destination file")
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return fishpond.Errorf(fishpond.EInvalid, "backup destination %q: %v", dest, err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return fishpond.Errorf(fishpond.EConflict, "backup destination %s already exists; choose a new file", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup destination %s: %w", dest, err)
	}
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create backup directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(abs)+".partial-*")
	if err != nil {
		return fmt.Errorf("create backup file: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	// VACUUM INTO wants a file that is absent or empty; an empty one it is.
	defer os.Remove(tmpName)

	if err := d.vacuumInto(ctx, tmpName); err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	if err := syncFile(tmpName); err != nil {
		return fmt.Errorf("backup: sync: %w", err)
	}
	// Link fails if dest appeared meanwhile, so an existing file is never replaced.
	if err := os.Link(tmpName, abs); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fishpond.Errorf(fishpond.EConflict, "backup destination %s already exists; choose a new file", dest)
		}
		// File systems without hard links: rename (dest was checked above).
		if err := os.Rename(tmpName, abs); err != nil {
			return fmt.Errorf("backup: name %s: %w", dest, err)
		}
	}
	return syncFile(dir)
}

// vacuumInto copies the database into an empty file on a connection of its own. The
// read pool cannot do it (it runs with query_only, which SQLite applies to VACUUM
// INTO as well), and the single writer connection could, but every write would queue
// behind the copy. A separate connection only reads a WAL snapshot and blocks no one.
func (d *DB) vacuumInto(ctx context.Context, file string) error {
	c, err := sql.Open("sqlite", "file:"+d.Path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	_, err = c.ExecContext(ctx, "VACUUM INTO ?", file)
	return err
}

// syncFile flushes a file or directory to stable storage.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
