package credit

import (
	"context"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Loan statuses.
const (
	StatusActive  = "active"
	StatusOverdue = "overdue"
	StatusSettled = "settled"
)

// Transfer kinds the credit capability posts.
const (
	KindDisbursement = "loan_disbursement"
	KindInterest     = "loan_interest"
	KindPenalty      = "loan_penalty"
	KindRepayment    = "loan_repayment"
)

// Loan is a disbursed loan with its state as of its last sync, and Owed read live
// from its ledger account.
type Loan struct {
	ID            string
	ApplicationID string
	ProductID     string
	HouseholdID   string // "" for a cooperative's loan
	CoopID        string // "" for a household's
	CountyCode    string
	BorrowerKind  string
	Principal     fishpond.Money
	RateBp        fishpond.Bp
	Interest      string
	Repayment     string
	ShareBp       fishpond.Bp
	PenaltyBp     fishpond.Bp
	Disbursement  string
	Supplier      string
	AccountID     string // the loan's ledger account
	WalletID      string // the household's wallet, or the cooperative's cash
	RuleID        string // the standing rule on sales ("" for schedule loans)
	Status        string
	Charged       fishpond.Money // interest and penalties charged so far
	SchedBase     fishpond.Money
	Penalties     fishpond.Money // since the current schedule began
	PenaltyThru   string
	DueToDate     fishpond.Money
	OverdueAmount fishpond.Money
	DaysLate      int
	MaxDaysLate   int
	Restructures  int
	DisbursedAt   time.Time
	SettledAt     time.Time

	// Read with the loan.
	Owed     fishpond.Money // what the borrower owes now: the loan account's credit balance
	Repaid   fishpond.Money // repaid in total, by rule and by hand
	Schedule []Instalment   // current schedule
}

// TotalPayable is everything the current schedule asks for: what was repaid before
// it, its instalments and the penalties charged since it began.
func (l Loan) TotalPayable() fishpond.Money { return l.SchedBase + totalOf(l.Schedule) + l.Penalties }

// Outstanding is what remains to be paid over the life of the loan, interest of
// instalments not yet open included.
func (l Loan) Outstanding() fishpond.Money {
	if o := l.TotalPayable() - l.Repaid; o > 0 {
		return o
	}
	return 0
}

// BorrowerID is the household's or the cooperative's id.
func (l Loan) BorrowerID() string {
	if l.CoopID != "" {
		return l.CoopID
	}
	return l.HouseholdID
}

const loanInsertColumns = `id, application_id, product_id, household_id, coop_id, county_code, borrower_kind, principal, rate_bp, interest_method, repayment,
	share_bp, penalty_bp, disbursement, supplier, account_id, wallet_id, rule_id, status, charged, sched_base, penalties, penalty_through,
	due_to_date, overdue_amount, days_late, max_days_late, restructures, disbursed_at, settled_at`

const loanColumns = `id, application_id, product_id, COALESCE(household_id, ''), COALESCE(coop_id, ''), county_code, borrower_kind, principal, rate_bp, interest_method, repayment,
	share_bp, penalty_bp, disbursement, supplier, account_id, wallet_id, rule_id, status, charged, sched_base, penalties, penalty_through,
	due_to_date, overdue_amount, days_late, max_days_late, restructures, disbursed_at, settled_at`

func scanLoan(row interface{ Scan(...any) error }) (Loan, error) {
	var l Loan
	var disbursed, settled string
	err := row.Scan(&l.ID, &l.ApplicationID, &l.ProductID, &l.HouseholdID, &l.CoopID, &l.CountyCode, &l.BorrowerKind, &l.Principal, &l.RateBp, &l.Interest,
		&l.Repayment, &l.ShareBp, &l.PenaltyBp, &l.Disbursement, &l.Supplier, &l.AccountID, &l.WalletID, &l.RuleID, &l.Status, &l.Charged,
		&l.SchedBase, &l.Penalties, &l.PenaltyThru, &l.DueToDate, &l.OverdueAmount, &l.DaysLate, &l.MaxDaysLate, &l.Restructures, &disbursed, &settled)
	if err != nil {
		return l, err
	}
	l.DisbursedAt = db.MustTime(disbursed)
	if settled != "" {
		l.SettledAt = db.MustTime(settled)
	}
	return l, nil
}

// loadLoan reads a loan with its current schedule and ledger position; lock locks
// the loan row (PostgreSQL) for a use case that changes it.
func loadLoan(ctx context.Context, q db.Querier, id string, lock string) (Loan, error) {
	l, err := scanLoan(q.QueryRowContext(ctx, "SELECT "+loanColumns+" FROM credit_loans WHERE id = ?"+lock, id))
	if err != nil {
		return Loan{}, db.NotFound(err, "没有这笔贷款 no loan %s", id)
	}
	rows, err := q.QueryContext(ctx, `SELECT no, due_on, principal, interest, opened FROM credit_instalments
		WHERE loan_id = ? AND version = (SELECT MAX(version) FROM credit_instalments WHERE loan_id = ?) ORDER BY no`, id, id)
	if err != nil {
		return Loan{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var i Instalment
		var opened int
		if err := rows.Scan(&i.No, &i.DueOn, &i.Principal, &i.Interest, &opened); err != nil {
			return Loan{}, internal(err)
		}
		i.Opened = opened == 1
		l.Schedule = append(l.Schedule, i)
	}
	if err := rows.Err(); err != nil {
		return Loan{}, internal(err)
	}
	var bal int64
	if err := q.QueryRowContext(ctx, "SELECT b.balance FROM ledger_balances b JOIN ledger_accounts a ON a.seq = b.account_seq WHERE a.id = ?", l.AccountID).Scan(&bal); err != nil {
		return Loan{}, internal(err)
	}
	l.Owed = -fishpond.Money(bal)
	// Balance = −principal − charged + repaid.
	l.Repaid = fishpond.Money(bal) + l.Principal + l.Charged
	return l, nil
}

// disburse creates the loan of an approved application inside tx: its ledger
// account, the disbursement transfer, the schedule with instalment 1 open (its
// interest charged) and, for sales loans, the standing rule on the wallet (a
// cooperative's: its cash, watching the kinds of its own sales).
func (s *Service) disburse(ctx context.Context, tx *db.Tx, now time.Time, app *Application, pr Product) (Loan, error) {
	acc, err := borrowerAccounts(ctx, tx, app.BorrowerKind, app.BorrowerID())
	if err != nil {
		return Loan{}, err
	}
	l := Loan{ID: newID(), ApplicationID: app.ID, ProductID: pr.ID, HouseholdID: app.HouseholdID, CoopID: app.CoopID, CountyCode: app.CountyCode,
		BorrowerKind: app.BorrowerKind, Principal: app.Amount, RateBp: pr.RateBp, Interest: pr.Interest, Repayment: pr.Repayment, ShareBp: pr.ShareBp,
		PenaltyBp: pr.PenaltyBp, Disbursement: pr.Disbursement, Supplier: app.Supplier, WalletID: acc.Wallet, Status: StatusActive, PenaltyThru: Day(now), DisbursedAt: now}
	acct, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: "loan:" + l.ID, Category: "loan", Kind: ledger.KindLiability, Name: "借款 loan " + l.ID})
	if err != nil {
		return Loan{}, err
	}
	l.AccountID = acct.ID
	sched := BuildSchedule(pr, l.Principal, now)
	// In kind: the seeds and fertiliser the supplier delivers are the household's
	// production cost (the cooperative's inputs expense); the lender pays the supplier.
	to, memo := acc.Wallet, "贷款发放 loan disbursed"
	if pr.Disbursement == DisburseSupplier {
		to, memo = acc.InKind, "贷款实物发放（农资） loan paid to input supplier "+app.Supplier
	}
	if _, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "credit:loan:" + l.ID + ":disburse", Kind: KindDisbursement,
		Memo: memo, Evidence: "application " + app.ID, Postings: []ledger.Posting{{AccountID: to, Amount: l.Principal}, {AccountID: acct.ID, Amount: -l.Principal}}}); err != nil {
		return Loan{}, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO credit_loans ("+loanInsertColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		l.ID, l.ApplicationID, l.ProductID, nullable(l.HouseholdID), nullable(l.CoopID), l.CountyCode, l.BorrowerKind, int64(l.Principal), int64(l.RateBp), l.Interest, l.Repayment,
		int64(l.ShareBp), int64(l.PenaltyBp), l.Disbursement, l.Supplier, l.AccountID, l.WalletID, "", l.Status, 0, 0, 0, l.PenaltyThru,
		0, 0, 0, 0, 0, db.FormatTime(now), ""); err != nil {
		if db.IsUniqueViolation(err) {
			return Loan{}, fishpond.Errorf(fishpond.EConflict, "须先还清现有贷款 repay the open loan first")
		}
		return Loan{}, err
	}
	if err := insertSchedule(ctx, tx, l.ID, 1, sched); err != nil {
		return Loan{}, err
	}
	if pr.Repayment == RepaySales {
		kinds := s.cfg.SalesKinds
		if l.BorrowerKind == BorrowerCoop {
			kinds = s.cfg.CoopSalesKinds
		}
		r, err := ledger.AddRuleTx(ctx, tx, now, ledger.RuleSpec{Source: acc.Wallet, Dest: acct.ID, Bp: pr.ShareBp, Cap: sched[0].Amount(),
			Reference: "loan:" + l.ID, Kinds: kinds})
		if err != nil {
			return Loan{}, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE credit_loans SET rule_id = ? WHERE id = ?", r.ID, l.ID); err != nil {
			return Loan{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE credit_applications SET loan_id = ? WHERE id = ?", l.ID, app.ID); err != nil {
		return Loan{}, err
	}
	app.LoanID = l.ID
	if err := s.syncTx(ctx, tx, l.ID, now); err != nil {
		return Loan{}, err
	}
	var poverty int
	if err := tx.QueryRowContext(ctx, "SELECT poverty FROM counties WHERE code = ?", l.CountyCode).Scan(&poverty); err != nil {
		return Loan{}, err
	}
	// new_borrower is 1 for a borrower's first loan (a household's, or a
	// cooperative's: one borrower), so the report can count borrowers rather than loans.
	var earlier int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM credit_loans WHERE "+borrowerColumn(l.BorrowerKind)+" = ? AND id <> ?", l.BorrowerID(), l.ID).Scan(&earlier); err != nil {
		return Loan{}, err
	}
	newBorrower := 0
	if earlier == 0 {
		newBorrower = 1
	}
	if err := events.Append(ctx, tx, now, events.Event{Type: "credit.loan.disbursed", Subject: l.ID, CountyCode: l.CountyCode,
		Payload: map[string]any{"loan_id": l.ID, "fen": int64(l.Principal), "borrower_kind": l.BorrowerKind, "purpose": pr.Purpose,
			"repayment": pr.Repayment, "poverty_county": poverty == 1, "new_borrower": newBorrower}}); err != nil {
		return Loan{}, err
	}
	return loadLoan(ctx, tx, l.ID, "")
}

func insertSchedule(ctx context.Context, tx *db.Tx, loanID string, version int, sched []Instalment) error {
	for _, i := range sched {
		if _, err := tx.ExecContext(ctx, "INSERT INTO credit_instalments (loan_id, version, no, due_on, principal, interest, opened) VALUES (?, ?, ?, ?, ?, ?, 0)",
			loanID, version, i.No, i.DueOn, int64(i.Principal), int64(i.Interest)); err != nil {
			return err
		}
	}
	return nil
}

// Loan reads a loan with its schedule (each instalment's paid part and state) for
// the borrower and the officers who see its county.
func (s *Service) Loan(ctx context.Context, p fishpond.Principal, id string) (Loan, error) {
	l, err := loadLoan(ctx, s.db.Read(), id, "")
	if err == nil {
		var b borrower
		if b, err = loadBorrower(ctx, s.db.Read(), l.BorrowerKind, l.BorrowerID()); err == nil && !canSee(p, b) {
			err = b.notFound()
		}
	}
	if err != nil {
		if err != nil && fishpond.Code(err) != fishpond.ENotFound {
			return Loan{}, err
		}
		return Loan{}, fishpond.Errorf(fishpond.ENotFound, "没有这笔贷款 no loan %s", id)
	}
	markStates(&l, Day(s.now()))
	return l, nil
}

// markStates fills each instalment's Paid and State from what has been repaid
// since the schedule began (instalments are covered in order).
func markStates(l *Loan, today string) {
	avail := l.Repaid - l.SchedBase
	for k := range l.Schedule {
		i := &l.Schedule[k]
		amt := i.Amount()
		i.Paid = max(0, min(avail, amt))
		avail -= i.Paid
		switch {
		case i.Paid == amt:
			i.State = "paid"
		case i.DueOn < today:
			i.State = "overdue"
		case i.Opened && i.Paid > 0:
			i.State = "partly"
		case i.Opened:
			i.State = "due"
		default:
			i.State = "upcoming"
		}
	}
}

// Loans lists a household's loans, newest first.
func (s *Service) Loans(ctx context.Context, p fishpond.Principal, householdID string) ([]Loan, error) {
	return s.borrowerLoans(ctx, p, BorrowerHousehold, householdID)
}

// CoopLoans lists a farm cooperative's loans, newest first, for its manager and the
// officers of its county.
func (s *Service) CoopLoans(ctx context.Context, p fishpond.Principal, coopID string) ([]Loan, error) {
	return s.borrowerLoans(ctx, p, BorrowerCoop, coopID)
}

func (s *Service) borrowerLoans(ctx context.Context, p fishpond.Principal, kind, id string) ([]Loan, error) {
	b, err := loadBorrower(ctx, s.db.Read(), kind, id)
	if err != nil || !canSee(p, b) {
		if err != nil && fishpond.Code(err) != fishpond.ENotFound {
			return nil, err
		}
		return nil, b.notFound()
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id FROM credit_loans WHERE "+borrowerColumn(kind)+" = ? ORDER BY disbursed_at DESC, id DESC", id)
	if err != nil {
		return nil, internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]Loan, 0, len(ids))
	for _, id := range ids {
		l, err := s.Loan(ctx, p, id)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}
