package credit

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Repay moves amount from the household's wallet to the loan: a manual repayment,
// on top of what the standing rule takes from sales. More than the outstanding
// amount, or more than the wallet holds, is an error that changes nothing. A repeated
// idempotency key returns the loan without paying twice.
func (s *Service) Repay(ctx context.Context, p fishpond.Principal, loanID string, amount fishpond.Money, key string) (Loan, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 100 {
		return Loan{}, fishpond.Invalid("还款有误 invalid repayment", map[string]string{"idempotency_key": "必填，最多100字节 required, at most 100 bytes"})
	}
	var l Loan
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		l, err = loadLoan(ctx, tx, loanID, tx.ForUpdate())
		if err == nil {
			var b borrower
			if b, err = loadBorrower(ctx, tx, l.BorrowerKind, l.BorrowerID()); err == nil && !canAct(p, b) {
				err = b.notFound()
			}
		}
		if err != nil {
			return fishpond.Errorf(fishpond.ENotFound, "没有这笔贷款 no loan %s", loanID)
		}
		tkey := "credit:repay:" + loanID + ":" + key
		var seen int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM ledger_transfers WHERE idem_key = ?", tkey).Scan(&seen); err != nil {
			return err
		}
		if seen > 0 {
			return nil
		}
		now := s.now()
		if err := s.syncTx(ctx, tx, loanID, now); err != nil {
			return err
		}
		if l, err = loadLoan(ctx, tx, loanID, ""); err != nil {
			return err
		}
		f := map[string]string{}
		switch out := l.Outstanding(); {
		case l.Status == StatusSettled:
			return fishpond.Errorf(fishpond.EConflict, "贷款已还清 the loan is settled")
		case amount <= 0:
			f["amount"] = "须为正数 must be positive"
		case amount > out:
			f["amount"] = "超过未还金额 " + out.String() + " 元 more than the outstanding " + out.String() + " yuan"
		}
		if len(f) == 0 {
			wb, err := ledger.BalanceTx(ctx, tx, l.WalletID)
			if err != nil {
				return err
			}
			if amount > wb {
				f["amount"] = "钱包余额只有 " + wb.String() + " 元 the wallet (a cooperative's cash) holds only " + wb.String() + " yuan"
			}
		}
		if len(f) > 0 {
			return fishpond.Invalid("还款有误 invalid repayment", f)
		}
		if _, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: tkey, Kind: KindRepayment, Memo: "主动还款 manual repayment",
			Postings: []ledger.Posting{{AccountID: l.WalletID, Amount: -amount}, {AccountID: l.AccountID, Amount: amount}}}); err != nil {
			return err
		}
		return s.syncTx(ctx, tx, loanID, now)
	})
	if err != nil {
		return Loan{}, internal(err)
	}
	return s.Loan(ctx, p, loanID)
}

// RestructureRequest reschedules what a borrower still owes.
type RestructureRequest struct {
	Instalments    int
	IntervalMonths int
	FirstDue       string // YYYY-MM-DD, after today
	Reason         string
}

// Restructure replaces a loan's schedule by an officer's decision: everything still
// owed — principal, interest of the old schedule and penalties — is split into new
// equal instalments without further interest; penalty accrual restarts from the new
// dates. The old schedule stays as history. Officers of the county and
// administrators restructure.
func (s *Service) Restructure(ctx context.Context, p fishpond.Principal, loanID string, req RestructureRequest) (Loan, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	now := s.now()
	f := map[string]string{}
	if req.Instalments < 1 || req.Instalments > maxInstalments {
		f["instalments"] = "1 到 120 期 between 1 and 120"
	}
	if req.IntervalMonths < 1 || req.IntervalMonths > 12 {
		f["interval_months"] = "1 到 12 个月 between 1 and 12 months"
	}
	first, err := parseDay(req.FirstDue)
	if err != nil || req.FirstDue <= Day(now) {
		f["first_due"] = "须为今天以后的日期 YYYY-MM-DD a date after today"
	}
	if req.Reason == "" || utf8.RuneCountInString(req.Reason) > 500 {
		f["reason"] = "必填，最多500字 required, at most 500 characters"
	}
	if len(f) > 0 {
		return Loan{}, fishpond.Invalid("重组有误 invalid restructuring", f)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		l, err := loadLoan(ctx, tx, loanID, tx.ForUpdate())
		if err != nil || !canReview(p, l.CountyCode) {
			return fishpond.Errorf(fishpond.ENotFound, "没有这笔贷款 no loan %s", loanID)
		}
		if err := s.syncTx(ctx, tx, loanID, now); err != nil {
			return err
		}
		if l, err = loadLoan(ctx, tx, loanID, ""); err != nil {
			return err
		}
		if l.Status == StatusSettled {
			return fishpond.Errorf(fishpond.EConflict, "贷款已还清 the loan is settled")
		}
		var version int
		if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM credit_instalments WHERE loan_id = ?", l.ID).Scan(&version); err != nil {
			return err
		}
		// Charge the old schedule's interest not yet charged: it is part of what is owed.
		acc, err := borrowerAccounts(ctx, tx, l.BorrowerKind, l.BorrowerID())
		if err != nil {
			return err
		}
		var rest fishpond.Money
		for _, i := range l.Schedule {
			if !i.Opened {
				rest += i.Interest
			}
		}
		if rest > 0 {
			if _, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "credit:loan:" + l.ID + ":restructure-interest:" + itoa(version),
				Kind: KindInterest, Memo: "重组前利息 interest of the schedule restructured",
				Postings: []ledger.Posting{{AccountID: acc.Cost, Amount: rest}, {AccountID: l.AccountID, Amount: -rest}}}); err != nil {
				return err
			}
			l.Charged += rest
		}
		owed := l.Principal + l.Charged - l.Repaid
		if _, err := tx.ExecContext(ctx, "UPDATE credit_instalments SET opened = 1 WHERE loan_id = ? AND version = ?", l.ID, version); err != nil {
			return err
		}
		sched := evenSchedule(owed, req.Instalments, req.IntervalMonths, first)
		if err := insertSchedule(ctx, tx, l.ID, version+1, sched); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO credit_restructurings (id, loan_id, version, outstanding, instalments, first_due, reason, by_user, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			newID(), l.ID, version+1, int64(owed), req.Instalments, req.FirstDue, req.Reason, p.UserID, db.FormatTime(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credit_loans SET charged = ?, sched_base = ?, penalties = 0, penalty_through = ?, restructures = restructures + 1,
			status = ? WHERE id = ?`, int64(l.Charged), int64(l.Repaid), Day(now), StatusActive, l.ID); err != nil {
			return err
		}
		return s.syncTx(ctx, tx, loanID, now)
	})
	if err != nil {
		return Loan{}, internal(err)
	}
	return s.Loan(ctx, p, loanID)
}

// Restructuring is one recorded rescheduling.
type Restructuring struct {
	Version     int
	Outstanding fishpond.Money
	Instalments int
	FirstDue    string
	Reason      string
	By          string
	At          time.Time
}

func itoa(n int) string { return strconv.Itoa(n) }
