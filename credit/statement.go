package credit

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// StatementLine is one movement of a loan as the borrower reads it: what happened
// and what was owed after it.
type StatementLine struct {
	At     time.Time
	Kind   string // loan_disbursement, loan_interest, loan_penalty, loan_repayment, or the kind of the sale a rule took its share of
	Memo   string
	ByRule bool           // a share of a sale taken by the standing rule
	Amount fishpond.Money // positive: owed more; negative: repaid
	Owed   fishpond.Money // owed after this line
}

// Statement is a loan's statement: the loan and schedule, every movement of its
// ledger account, and the restructurings.
type Statement struct {
	Loan           Loan
	Lines          []StatementLine
	Restructurings []Restructuring
}

// Statement reads a loan's statement (up to its 1,000 latest movements) for the
// borrower and the officers who see it. Lines come from the ledger, so the
// statement and the books cannot disagree.
func (s *Service) Statement(ctx context.Context, p fishpond.Principal, loanID string) (Statement, error) {
	l, err := s.Loan(ctx, p, loanID)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{Loan: l}
	from := l.DisbursedAt.AddDate(0, 0, -1)
	to := s.now().AddDate(1, 0, 0)
	cursor := ""
	for {
		page, err := s.ledger.Statement(ctx, l.AccountID, from, to, 1000, cursor)
		if err != nil {
			return Statement{}, err
		}
		for _, ln := range page.Lines {
			st.Lines = append(st.Lines, StatementLine{At: ln.At, Kind: ln.Kind, Memo: ln.Memo, ByRule: ln.RuleID != "", Amount: -ln.Amount, Owed: -ln.Balance})
		}
		if page.NextCursor == "" || len(st.Lines) >= 5000 {
			break
		}
		cursor = page.NextCursor
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT version, outstanding, instalments, first_due, reason, by_user, created_at FROM credit_restructurings WHERE loan_id = ? ORDER BY version", loanID)
	if err != nil {
		return Statement{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Restructuring
		var at string
		if err := rows.Scan(&r.Version, &r.Outstanding, &r.Instalments, &r.FirstDue, &r.Reason, &r.By, &at); err != nil {
			return Statement{}, internal(err)
		}
		r.At = db.MustTime(at)
		st.Restructurings = append(st.Restructurings, r)
	}
	return st, internal(rows.Err())
}

// Size is the line's amount without its sign, for pages that show the sign apart.
func (l StatementLine) Size() fishpond.Money {
	if l.Amount < 0 {
		return -l.Amount
	}
	return l.Amount
}
