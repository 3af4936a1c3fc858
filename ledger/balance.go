package ledger

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Balance is the raw (debit-positive) balance of an account as of instant at,
// counting every posting effective at or before it. A zero at means now and reads
// the stored running balance, which needs no summing.
func (l *Ledger) Balance(ctx context.Context, accountID string, at time.Time) (fishpond.Money, error) {
	var m int64
	var err error
	if at.IsZero() {
		err = l.db.Read().QueryRowContext(ctx, "SELECT b.balance FROM ledger_accounts a JOIN ledger_balances b ON b.account_seq = a.seq WHERE a.id = ?", accountID).Scan(&m)
		if err != nil {
			return 0, db.NotFound(err, "no account %s", accountID)
		}
		return fishpond.Money(m), nil
	}
	if _, err := l.AccountByID(ctx, accountID); err != nil {
		return 0, err
	}
	err = l.db.Read().QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0) FROM ledger_postings WHERE account_seq = (SELECT seq FROM ledger_accounts WHERE id = ?) AND effective_at <= ?",
		accountID, db.FormatTime(at)).Scan(&m)
	if err != nil {
		return 0, fishpond.Internal(err)
	}
	return fishpond.Money(m), nil
}

// BalanceBetween is the raw movement of an account over the half-open period
// [from, to), the shape of every reporting period (fishpond.Period.Bounds).
func (l *Ledger) BalanceBetween(ctx context.Context, accountID string, from, to time.Time) (fishpond.Money, error) {
	if _, err := l.AccountByID(ctx, accountID); err != nil {
		return 0, err
	}
	var m int64
	err := l.db.Read().QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0) FROM ledger_postings WHERE account_seq = (SELECT seq FROM ledger_accounts WHERE id = ?) AND effective_at >= ? AND effective_at < ?",
		accountID, db.FormatTime(from), db.FormatTime(to)).Scan(&m)
	if err != nil {
		return 0, fishpond.Internal(err)
	}
	return fishpond.Money(m), nil
}

// StatementLine is one posting on a statement with the balance after it.
type StatementLine struct {
	PostingID  int64
	TransferID string
	Kind       string
	Memo       string
	At         time.Time
	RecordedAt time.Time
	Amount     fishpond.Money
	Balance    fishpond.Money // raw running balance after this line
	RuleID     string
}

// Statement is a page of an account's postings over [From, To) in effective-time
// order, with the balance before the first line, so a household can follow every
// fen. NextCursor is empty on the last page.
type Statement struct {
	AccountID  string
	From, To   time.Time
	Opening    fishpond.Money
	Lines      []StatementLine
	NextCursor string
}

// Statement lists postings of accountID effective in [from, to), at most limit
// (1–1000, default 100) per page; pass the previous page's NextCursor to continue.
// Running balances are recomputed from the postings, never taken from the cursor.
func (l *Ledger) Statement(ctx context.Context, accountID string, from, to time.Time, limit int, cursor string) (Statement, error) {
	if limit <= 0 {
		limit = 100
	}
	if limit > 1000 {
		return Statement{}, fishpond.Invalid("invalid statement request", map[string]string{"limit": "at most 1000"})
	}
	if _, err := l.AccountByID(ctx, accountID); err != nil {
		return Statement{}, err
	}
	st := Statement{AccountID: accountID, From: from, To: to}
	afterAt, afterID := db.FormatTime(from), int64(0)
	if cursor != "" {
		at, id, ok := decodeCursor(cursor)
		if !ok {
			return Statement{}, fishpond.Invalid("invalid statement request", map[string]string{"cursor": "not a cursor from a previous page"})
		}
		afterAt, afterID = at, id
	}
	q := l.db.Read()
	var open int64
	// Everything strictly before the first line of this page.
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0) FROM ledger_postings WHERE account_seq = (SELECT seq FROM ledger_accounts WHERE id = ?) AND (effective_at < ? OR (effective_at = ? AND id <= ?))",
		accountID, afterAt, afterAt, afterID).Scan(&open); err != nil {
		return Statement{}, fishpond.Internal(err)
	}
	st.Opening = fishpond.Money(open)
	rows, err := q.QueryContext(ctx, `SELECT p.id, t.id, t.kind, t.memo, p.effective_at, t.recorded_at, p.amount, p.rule_id
		FROM ledger_postings p JOIN ledger_transfers t ON t.seq = p.transfer_seq
		WHERE p.account_seq = (SELECT seq FROM ledger_accounts WHERE id = ?) AND (p.effective_at > ? OR (p.effective_at = ? AND p.id > ?)) AND p.effective_at < ?
		ORDER BY p.effective_at, p.id LIMIT ?`, accountID, afterAt, afterAt, afterID, db.FormatTime(to), limit+1)
	if err != nil {
		return Statement{}, fishpond.Internal(err)
	}
	defer rows.Close()
	bal := st.Opening
	for rows.Next() {
		var ln StatementLine
		var at, rec string
		var rule *string
		if err := rows.Scan(&ln.PostingID, &ln.TransferID, &ln.Kind, &ln.Memo, &at, &rec, &ln.Amount, &rule); err != nil {
			return Statement{}, fishpond.Internal(err)
		}
		if len(st.Lines) == limit {
			last := st.Lines[len(st.Lines)-1]
			st.NextCursor = encodeCursor(db.FormatTime(last.At), last.PostingID)
			break
		}
		ln.At, ln.RecordedAt = db.MustTime(at), db.MustTime(rec)
		if rule != nil {
			ln.RuleID = *rule
		}
		bal += ln.Amount
		ln.Balance = bal
		st.Lines = append(st.Lines, ln)
	}
	return st, rows.Err()
}

func encodeCursor(at string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at + "|" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (string, int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", 0, false
	}
	at, idText, ok := strings.Cut(string(b), "|")
	id, err := strconv.ParseInt(idText, 10, 64)
	if _, terr := db.ParseTime(at); !ok || err != nil || terr != nil || id < 0 {
		return "", 0, false
	}
	return at, id, true
}
