package events

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"

	"github.com/google/uuid"
)

// MaxPayload is the largest payload, in bytes of JSON, an event may carry.
const MaxPayload = 16 << 10

// Event is what a capability appends.
type Event struct {
	// Type names what happened, lowercase and dotted: "order.paid".
	Type string
	// Subject is the ID of the thing it happened to: an order ID, a household ID.
	Subject string
	// CountyCode places the event for county reports; "" if none.
	CountyCode string
	// Payload is marshalled to JSON. Never personal data: no names, ID numbers,
	// phone numbers or addresses.
	Payload any
}

// Stored is an event as read back from the log.
type Stored struct {
	Seq        int64
	ID         string
	Type       string
	Subject    string
	CountyCode string
	Payload    json.RawMessage
	At         time.Time
}

var typePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// personalKeys are payload keys that would carry personal data; a payload holding
// one is refused as a guard against mistakes, not as a complete check. Marshalled
// JSON has no spaces, and a quote inside a string is escaped, so `"key":` appears in
// the bytes exactly when an object has that key: no need to decode again.
var personalKeys = []string{"name", "full_name", "id_number", "id_card", "phone", "mobile", "address", "email"}

// encode validates e and returns its JSON payload.
func encode(e Event) ([]byte, error) {
	fields := map[string]string{}
	if len(e.Type) > 100 || !typePattern.MatchString(e.Type) {
		fields["type"] = "lowercase words joined by dots, such as order.paid"
	}
	if e.Subject == "" || len(e.Subject) > 200 {
		fields["subject"] = "the ID the event is about, at most 200 characters"
	}
	if len(e.CountyCode) > 20 {
		fields["county_code"] = "at most 20 characters"
	}
	var payload []byte
	if e.Payload == nil {
		payload = []byte("{}")
	} else {
		b, err := json.Marshal(e.Payload)
		switch {
		case err != nil:
			fields["payload"] = "must be expressible as JSON: " + err.Error()
		case len(b) > MaxPayload:
			fields["payload"] = fmt.Sprintf("%d bytes of JSON; at most %d", len(b), MaxPayload)
		default:
			for _, k := range personalKeys {
				if bytes.Contains(b, []byte(`"`+k+`":`)) {
					fields["payload"] = fmt.Sprintf("holds %q: events never carry personal data", k)
					break
				}
			}
			payload = b
		}
	}
	if len(fields) > 0 {
		return nil, fishpond.Invalid(fmt.Sprintf("event %q is not valid", e.Type), fields)
	}
	return payload, nil
}

// Append adds e to the log in the caller's transaction, so the event exists if and
// only if tx commits. On PostgreSQL it takes the log's append lock until tx ends:
// append as the transaction's last write (see the package documentation).
func Append(ctx context.Context, tx *db.Tx, now time.Time, e Event) error {
	return AppendMany(ctx, tx, now, []Event{e})
}

// appendLock is the advisory lock key that orders appends on PostgreSQL.
const appendLock = 7295009

// rowsPerInsert bounds one multi-row INSERT (7 parameters a row; PostgreSQL allows 65535).
const rowsPerInsert = 500

// AppendMany adds es to the log in order, in the caller's transaction, with one
// multi-row insert per few hundred events. Nothing is appended if any is invalid.
func AppendMany(ctx context.Context, tx *db.Tx, now time.Time, es []Event) error {
	if len(es) == 0 {
		return nil
	}
	payloads := make([][]byte, len(es))
	for i, e := range es {
		p, err := encode(e)
		if err != nil {
			return err
		}
		payloads[i] = p
	}
	if tx.Dialect() == db.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(appendLock)); err != nil {
			return fmt.Errorf("events: append lock: %w", err)
		}
	}
	at := db.FormatTime(now)
	// The full-size statement is prepared once per call: Tx.Stmt prepares a
	// statement it has not cached yet on every call, and a million events would
	// otherwise parse it 2,000 times.
	var full *sql.Stmt
	for start := 0; start < len(es); start += rowsPerInsert {
		end := min(start+rowsPerInsert, len(es))
		var q strings.Builder
		q.WriteString("INSERT INTO events (id, type, subject, county_code, payload, at) VALUES ")
		args := make([]any, 0, 6*(end-start))
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?)")
			e := es[i]
			args = append(args, uuid.Must(uuid.NewV7()).String(), e.Type, e.Subject, e.CountyCode, string(payloads[i]), at)
		}
		var err error
		if end-start == 1 || end-start == rowsPerInsert { // the common sizes are prepared once
			var st *sql.Stmt
			if end-start == rowsPerInsert {
				st = full
			}
			if st == nil {
				var serr error
				if st, serr = tx.Stmt(ctx, q.String()); serr != nil {
					return fmt.Errorf("events: append: %w", serr)
				}
				if end-start == rowsPerInsert {
					full = st
				}
			}
			_, err = st.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, q.String(), args...)
		}
		if err != nil {
			return fmt.Errorf("events: append: %w", err)
		}
	}
	return nil
}
