package partners

import (
	"context"
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Call is one request made with a partner key.
type Call struct {
	PartnerID, KeyID string
	At               time.Time
	Method, Path     string
	Status           int
	Duration         time.Duration
}

// CallLog records every call made with a key. Calls are buffered and written in
// batches, one transaction per batch, because a write per request would queue
// every partner call behind SQLite's single writer; Flush writes what is buffered
// (the server flushes on shutdown, tests before they read).
type CallLog struct {
	db *db.DB
	mu sync.Mutex
	// buf holds calls not yet written.
	buf []Call
}

// NewCallLog builds a call log on the database.
func NewCallLog(d *db.DB) *CallLog { return &CallLog{db: d} }

// Record buffers one call; a full buffer is written at once.
func (l *CallLog) Record(c Call) {
	l.mu.Lock()
	l.buf = append(l.buf, c)
	full := len(l.buf) >= 500
	l.mu.Unlock()
	if full {
		go l.Flush(context.Background())
	}
}

// Flush writes the buffered calls.
func (l *CallLog) Flush(ctx context.Context) error {
	l.mu.Lock()
	batch := l.buf
	l.buf = nil
	l.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	return l.db.InTx(ctx, func(tx *db.Tx) error {
		st, err := tx.Stmt(ctx, "INSERT INTO partner_calls (partner_id, key_id, at, method, path, status, duration_us) VALUES (?, ?, ?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		for _, c := range batch {
			if _, err := st.ExecContext(ctx, c.PartnerID, c.KeyID, db.FormatTime(c.At), c.Method, c.Path, c.Status, c.Duration.Microseconds()); err != nil {
				return err
			}
		}
		return nil
	})
}

// Run flushes every interval until ctx ends, then once more.
func (l *CallLog) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.Flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			l.Flush(ctx)
		}
	}
}

// Usage is a partner's calls per day and per key over a window.
type Usage struct {
	Days []UsageDay `json:"days"`
	Keys []KeyUsage `json:"keys"`
	// Recent are the latest calls, newest first.
	Recent []CallRow `json:"recent"`
}

// UsageDay counts one day's calls by outcome.
type UsageDay struct {
	Day     string `json:"day"`
	OK      int    `json:"ok"`
	Refused int    `json:"refused"` // 4xx: bad input, scope, rate limit
	Failed  int    `json:"failed"`  // 5xx
}

// KeyUsage counts one key's calls.
type KeyUsage struct {
	KeyID string `json:"key_id"`
	Calls int    `json:"calls"`
}

// CallRow is one logged call.
type CallRow struct {
	At         time.Time `json:"at"`
	KeyID      string    `json:"key_id"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	DurationUS int64     `json:"duration_us"`
}

// Usage reports the organisation's calls since the given time.
func (s *Service) Usage(ctx context.Context, pr fishpond.Principal, partnerID string, since time.Time) (Usage, error) {
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return Usage{}, err
	}
	u := Usage{Days: []UsageDay{}, Keys: []KeyUsage{}, Recent: []CallRow{}}
	from := db.FormatTime(since)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT SUBSTR(at, 1, 10) AS day,
		SUM(CASE WHEN status < 400 THEN 1 ELSE 0 END), SUM(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END), SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END)
		FROM partner_calls WHERE partner_id = ? AND at >= ? GROUP BY SUBSTR(at, 1, 10) ORDER BY day`, partnerID, from)
	if err != nil {
		return Usage{}, fishpond.Internal(err)
	}
	for rows.Next() {
		var d UsageDay
		if err := rows.Scan(&d.Day, &d.OK, &d.Refused, &d.Failed); err != nil {
			rows.Close()
			return Usage{}, fishpond.Internal(err)
		}
		u.Days = append(u.Days, d)
	}
	rows.Close()
	rows, err = s.db.Read().QueryContext(ctx, `SELECT key_id, COUNT(*) FROM partner_calls WHERE partner_id = ? AND at >= ? GROUP BY key_id ORDER BY COUNT(*) DESC`, partnerID, from)
	if err != nil {
		return Usage{}, fishpond.Internal(err)
	}
	for rows.Next() {
		var k KeyUsage
		if err := rows.Scan(&k.KeyID, &k.Calls); err != nil {
			rows.Close()
			return Usage{}, fishpond.Internal(err)
		}
		u.Keys = append(u.Keys, k)
	}
	rows.Close()
	rows, err = s.db.Read().QueryContext(ctx, `SELECT at, key_id, method, path, status, duration_us FROM partner_calls WHERE partner_id = ? ORDER BY id DESC LIMIT 50`, partnerID)
	if err != nil {
		return Usage{}, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c CallRow
		var at string
		if err := rows.Scan(&at, &c.KeyID, &c.Method, &c.Path, &c.Status, &c.DurationUS); err != nil {
			return Usage{}, fishpond.Internal(err)
		}
		c.At = db.MustTime(at)
		u.Recent = append(u.Recent, c)
	}
	return u, wrap(rows.Err())
}
