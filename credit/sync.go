package credit

import (
	"context"
	"errors"
	"strconv"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Sync brings one loan up to date as of the clock's now (see the package comment).
// It is idempotent: a second run on the same day changes nothing.
func (s *Service) Sync(ctx context.Context, loanID string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error { return s.syncTx(ctx, tx, loanID, s.now()) })
}

// Sweep syncs every open loan, each in its own transaction; serve runs it daily
// and tests call it after moving the clock. It returns how many loans it synced and
// the errors of those it could not.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id FROM credit_loans WHERE status IN (?, ?) ORDER BY id", StatusActive, StatusOverdue)
	if err != nil {
		return 0, internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var errs []error
	n := 0
	for _, id := range ids {
		if err := s.Sync(ctx, id); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// syncTx does Sync inside tx. Lock order matches the ledger's posting path (rules
// before balances): the loan row, then its standing rule, then everything else.
func (s *Service) syncTx(ctx context.Context, tx *db.Tx, loanID string, now time.Time) error {
	var ruleID, status string
	if err := tx.QueryRowContext(ctx, "SELECT rule_id, status FROM credit_loans WHERE id = ?"+tx.ForUpdate(), loanID).Scan(&ruleID, &status); err != nil {
		return db.NotFound(err, "没有这笔贷款 no loan %s", loanID)
	}
	if status == StatusSettled {
		return nil
	}
	var rule ledger.Rule
	if ruleID != "" {
		var err error
		if rule, err = ledger.RuleTx(ctx, tx, ruleID); err != nil {
			return err
		}
	}
	l, err := loadLoan(ctx, tx, loanID, "")
	if err != nil {
		return err
	}
	var version int
	if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM credit_instalments WHERE loan_id = ?", l.ID).Scan(&version); err != nil {
		return err
	}
	today := Day(now)
	acc, err := borrowerAccounts(ctx, tx, l.BorrowerKind, l.BorrowerID())
	if err != nil {
		return err
	}
	charge := func(kind, key, memo string, amount fishpond.Money) error {
		if amount <= 0 {
			return nil
		}
		_, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "credit:loan:" + l.ID + ":" + key, Kind: kind, Memo: memo,
			Postings: []ledger.Posting{{AccountID: acc.Cost, Amount: amount}, {AccountID: l.AccountID, Amount: -amount}}})
		l.Charged += amount
		return err
	}
	open := func(k int) error {
		i := &l.Schedule[k]
		if i.Opened {
			return nil
		}
		key := "interest:" + strconv.Itoa(version) + ":" + strconv.Itoa(i.No)
		if err := charge(KindInterest, key, "贷款利息 loan interest, instalment "+strconv.Itoa(i.No), i.Interest); err != nil {
			return err
		}
		i.Opened = true
		_, err := tx.ExecContext(ctx, "UPDATE credit_instalments SET opened = 1 WHERE loan_id = ? AND version = ? AND no = ?", l.ID, version, i.No)
		return err
	}
	// 1. Windows: instalment 1 at once, instalment k on the due date of k−1.
	for k := range l.Schedule {
		if k == 0 || today >= l.Schedule[k-1].DueOn {
			if err := open(k); err != nil {
				return err
			}
		}
	}
	// 2. Schedule loans: collect what has fallen due from the wallet, as far as it goes.
	if l.Repayment == RepaySchedule {
		due := l.SchedBase + l.Penalties
		for _, i := range l.Schedule {
			if i.DueOn <= today {
				due += i.Amount()
			}
		}
		if need := due - l.Repaid; need > 0 {
			wb, err := ledger.BalanceTx(ctx, tx, l.WalletID)
			if err != nil {
				return err
			}
			if x := min(need, wb); x > 0 {
				if _, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "credit:loan:" + l.ID + ":collect:" + today + ":" + strconv.FormatInt(int64(l.Repaid), 10),
					Kind: KindRepayment, Memo: "按期扣款 instalment collected",
					Postings: []ledger.Posting{{AccountID: l.WalletID, Amount: -x}, {AccountID: l.AccountID, Amount: x}}}); err != nil {
					return err
				}
				l.Repaid += x
			}
		}
	}
	var evs []events.Event
	// 3. Settled: charge the interest of instalments not yet open (the whole
	// schedule was owed) and stop the rule.
	if l.Repaid >= l.TotalPayable() {
		for k := range l.Schedule {
			if err := open(k); err != nil {
				return err
			}
		}
		if ruleID != "" {
			if _, err := ledger.SetRuleCapTx(ctx, tx, ruleID, 0); err != nil {
				return err
			}
		}
		l.Status, l.SettledAt = StatusSettled, now
		l.OverdueAmount, l.DaysLate = 0, 0
		evs = append(evs, events.Event{Type: "credit.loan.repaid", Subject: l.ID, CountyCode: l.CountyCode,
			Payload: map[string]any{"loan_id": l.ID, "fen": int64(l.Principal), "repaid_fen": int64(l.Repaid), "interest_fen": int64(l.Charged),
				"borrower_kind": l.BorrowerKind, "max_days_late": l.MaxDaysLate, "restructured": l.Restructures > 0}})
		return s.saveSync(ctx, tx, now, &l, evs)
	}
	// 4. Overdue: instalments are covered in order by what was repaid since the
	// schedule began; one past its due date and not covered is overdue.
	avail := l.Repaid - l.SchedBase
	var cum, dueToDate fishpond.Money
	earliest := ""
	for _, i := range l.Schedule {
		cum += i.Amount()
		if i.DueOn < today {
			dueToDate = cum
			if avail < cum && earliest == "" {
				earliest = i.DueOn
			}
		}
	}
	l.DueToDate = dueToDate
	l.OverdueAmount = max(0, dueToDate-avail)
	l.DaysLate = 0
	if earliest != "" {
		l.DaysLate = daysBetween(earliest, today)
	}
	l.MaxDaysLate = max(l.MaxDaysLate, l.DaysLate)
	// 5. Penalty interest on the overdue amount for the days since the last charge.
	if l.PenaltyBp > 0 && l.OverdueAmount > 0 {
		from := max(l.PenaltyThru, earliest)
		if days := daysBetween(from, today); days > 0 {
			pen := mulDiv(int64(l.OverdueAmount), int64(l.PenaltyBp), int64(days), 365*10000)
			if err := charge(KindPenalty, "penalty:"+today, "逾期罚息 penalty interest, "+strconv.Itoa(days)+" days", pen); err != nil {
				return err
			}
			l.Penalties += pen
		}
	}
	l.PenaltyThru = today
	was := l.Status
	l.Status = StatusActive
	if l.OverdueAmount > 0 {
		l.Status = StatusOverdue
	}
	if was != StatusOverdue && l.Status == StatusOverdue {
		evs = append(evs, events.Event{Type: "credit.loan.overdue", Subject: l.ID, CountyCode: l.CountyCode,
			Payload: map[string]any{"loan_id": l.ID, "overdue_fen": int64(l.OverdueAmount), "borrower_kind": l.BorrowerKind}})
	}
	// 6. The rule takes what the open windows ask for, less what was repaid by hand.
	if ruleID != "" {
		openDue := l.SchedBase + l.Penalties
		for _, i := range l.Schedule {
			if i.Opened {
				openDue += i.Amount()
			}
		}
		manual := l.Repaid - rule.Moved
		if _, err := ledger.SetRuleCapTx(ctx, tx, ruleID, max(0, openDue-manual)); err != nil {
			return err
		}
	}
	return s.saveSync(ctx, tx, now, &l, evs)
}

func (s *Service) saveSync(ctx context.Context, tx *db.Tx, now time.Time, l *Loan, evs []events.Event) error {
	settled := ""
	if !l.SettledAt.IsZero() {
		settled = db.FormatTime(l.SettledAt)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE credit_loans SET status = ?, charged = ?, penalties = ?, penalty_through = ?, due_to_date = ?,
		overdue_amount = ?, days_late = ?, max_days_late = ?, settled_at = ? WHERE id = ?`,
		l.Status, int64(l.Charged), int64(l.Penalties), l.PenaltyThru, int64(l.DueToDate), int64(l.OverdueAmount), l.DaysLate, l.MaxDaysLate, settled, l.ID); err != nil {
		return err
	}
	if len(evs) == 0 {
		return nil
	}
	return events.AppendMany(ctx, tx, now, evs)
}
