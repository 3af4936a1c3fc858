package ledger

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fishpond"
	"fishpond/internal/db"
)

// Problem is one inconsistency Verify found, naming what is wrong so an operator
// can look at exactly that account, transfer or rule.
type Problem struct {
	AccountID  string
	TransferID string
	RuleID     string
	Detail     string
}

func (p Problem) String() string {
	var who []string
	if p.AccountID != "" {
		who = append(who, "account "+p.AccountID)
	}
	if p.TransferID != "" {
		who = append(who, "transfer "+p.TransferID)
	}
	if p.RuleID != "" {
		who = append(who, "rule "+p.RuleID)
	}
	return strings.Join(who, ", ") + ": " + p.Detail
}

// VerifyReport is what `fishpond ledger verify` prints: counts, the grand total,
// and every problem found. A healthy ledger has no problems and a zero total.
type VerifyReport struct {
	Accounts  int
	Transfers int
	Postings  int
	Total     fishpond.Money // sum of all postings; must be zero
	Problems  []Problem
}

// OK reports whether the ledger is consistent.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 && r.Total == 0 }

// Err returns nil for a consistent ledger, or an error naming the first problems,
// so the command line can exit non-zero with a useful message.
func (r VerifyReport) Err() error {
	if r.OK() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ledger inconsistent: %d problem(s), postings total %s", len(r.Problems), r.Total)
	for i, p := range r.Problems {
		if i == 10 {
			fmt.Fprintf(&b, "; …")
			break
		}
		fmt.Fprintf(&b, "; %s", p)
	}
	return fishpond.Errorf(fishpond.EInternal, "%s", b.String())
}

// Verify recomputes every account balance from the postings and compares it with
// the stored running balance, checks that every transfer has two or more postings
// summing to zero, that all postings together sum to zero, and that every rule's
// progress equals what its legs moved and never exceeds its cap. It reads one
// consistent snapshot (on SQLite it briefly holds the write lock).
func (l *Ledger) Verify(ctx context.Context) (VerifyReport, error) {
	var rep VerifyReport
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		rep = VerifyReport{}
		if tx.Dialect() == db.Postgres {
			if _, err := tx.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
				return err
			}
		}
		counts := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM ledger_accounts), (SELECT COUNT(*) FROM ledger_transfers),
			(SELECT COUNT(*) FROM ledger_postings), (SELECT COALESCE(SUM(amount), 0) FROM ledger_postings)`)
		if err := counts.Scan(&rep.Accounts, &rep.Transfers, &rep.Postings, &rep.Total); err != nil {
			return err
		}
		if rep.Total != 0 {
			rep.Problems = append(rep.Problems, Problem{Detail: fmt.Sprintf("all postings sum to %s, not zero", rep.Total)})
		}
		checks := []struct {
			q   string
			add func(a, b string, x, y int64)
		}{
			{`SELECT a.id, a.owner || ' ' || a.category, COALESCE(b.balance, 0), COALESCE(s.total, 0) FROM ledger_accounts a
				LEFT JOIN ledger_balances b ON b.account_seq = a.seq
				LEFT JOIN (SELECT account_seq, SUM(amount) AS total FROM ledger_postings GROUP BY account_seq) s ON s.account_seq = a.seq
				WHERE b.account_seq IS NULL OR b.balance <> COALESCE(s.total, 0) ORDER BY a.id`,
				func(id, name string, stored, sum int64) {
					rep.Problems = append(rep.Problems, Problem{AccountID: id, Detail: fmt.Sprintf("%s: stored balance %s, postings sum to %s",
						name, fishpond.Money(stored), fishpond.Money(sum))})
				}},
			{`SELECT t.id, t.idem_key, COALESCE(s.n, 0), COALESCE(s.total, 0) FROM ledger_transfers t
				LEFT JOIN (SELECT transfer_seq, COUNT(*) AS n, SUM(amount) AS total FROM ledger_postings GROUP BY transfer_seq) s ON s.transfer_seq = t.seq
				WHERE COALESCE(s.n, 0) < 2 OR COALESCE(s.total, 0) <> 0 ORDER BY t.id`,
				func(id, key string, n, sum int64) {
					rep.Problems = append(rep.Problems, Problem{TransferID: id, Detail: fmt.Sprintf("key %q: %d postings summing to %s", key, n, fishpond.Money(sum))})
				}},
			// Postings carry no foreign keys (the write path checks, and nothing is
			// ever deleted): look for postings whose account or transfer is missing,
			// or that lie outside their transfer's range of posting ids.
			{`SELECT COALESCE(a.id, ''), COALESCE(t.id, ''), p.id, p.account_seq FROM ledger_postings p
				LEFT JOIN ledger_accounts a ON a.seq = p.account_seq
				LEFT JOIN ledger_transfers t ON t.seq = p.transfer_seq
				WHERE a.seq IS NULL OR t.seq IS NULL OR p.id < t.first_posting OR p.id > t.last_posting ORDER BY p.id`,
				func(acct, transfer string, id, seq int64) {
					what := "outside its transfer's range of posting ids"
					switch {
					case acct == "":
						what = "no account with key " + strconv.FormatInt(seq, 10)
					case transfer == "":
						what = "its transfer is missing"
					}
					rep.Problems = append(rep.Problems, Problem{AccountID: acct, TransferID: transfer, Detail: fmt.Sprintf("posting %d: %s", id, what)})
				}},
			{`SELECT r.id, r.status, r.moved, r.cap FROM ledger_rules r WHERE r.moved > r.cap OR r.moved < 0
				OR (r.status = 'done') <> (r.moved >= r.cap) ORDER BY r.id`,
				func(id, status string, moved, cap int64) {
					rep.Problems = append(rep.Problems, Problem{RuleID: id, Detail: fmt.Sprintf("status %s with %s moved of cap %s", status, fishpond.Money(moved), fishpond.Money(cap))})
				}},
			{`SELECT r.id, r.dest_id, r.moved, COALESCE(s.total, 0) FROM ledger_rules r
				LEFT JOIN (SELECT p.rule_id, SUM(p.amount) AS total FROM ledger_postings p JOIN ledger_rules r2 ON r2.id = p.rule_id JOIN ledger_accounts a2 ON a2.id = r2.dest_id AND a2.seq = p.account_seq GROUP BY p.rule_id) s
				ON s.rule_id = r.id WHERE r.moved <> COALESCE(s.total, 0) ORDER BY r.id`,
				func(id, dest string, moved, sum int64) {
					rep.Problems = append(rep.Problems, Problem{RuleID: id, AccountID: dest, Detail: fmt.Sprintf("records %s moved but its legs moved %s", fishpond.Money(moved), fishpond.Money(sum))})
				}},
		}
		for _, c := range checks {
			rows, err := tx.QueryContext(ctx, c.q)
			if err != nil {
				return err
			}
			for rows.Next() {
				var a, b string
				var x, y int64
				if err := rows.Scan(&a, &b, &x, &y); err != nil {
					rows.Close()
					return err
				}
				c.add(a, b, x, y)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return VerifyReport{}, fishpond.Internal(err)
	}
	return rep, nil
}
