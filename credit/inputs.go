package credit

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// gatherInputs reads the scoring inputs of a household as of now. It reads other
// capabilities' tables (registry status, ledger postings, marketplace orders) and
// writes nothing: scoring never changes what it scores.
func (s *Service) gatherInputs(ctx context.Context, q db.Querier, householdID string, amount fishpond.Money, now time.Time) (Inputs, error) {
	in := Inputs{AmountFen: int64(amount)}
	var err error
	if _, in.HouseholdStatus, err = householdFacts(ctx, q, householdID); err != nil {
		return in, err
	}
	// Twelve whole calendar months before this one, plus this month so far.
	cn := now.In(fishpond.ChinaTime)
	from := time.Date(cn.Year(), cn.Month()-12, 1, 0, 0, 0, 0, fishpond.ChinaTime)
	rows, err := q.QueryContext(ctx, `SELECT p.effective_at, p.amount FROM ledger_postings p JOIN ledger_accounts a ON a.seq = p.account_seq
		WHERE a.owner = ? AND a.category = ? AND p.effective_at >= ? AND p.effective_at <= ?`,
		ledger.HouseholdOwner(householdID), ledger.CatOperating, db.FormatTime(from), db.FormatTime(now))
	if err != nil {
		return in, internal(err)
	}
	byMonth := map[int]int64{}
	for rows.Next() {
		var at string
		var amt int64
		if err := rows.Scan(&at, &amt); err != nil {
			rows.Close()
			return in, internal(err)
		}
		byMonth[monthIndex(db.MustTime(at).In(fishpond.ChinaTime))] -= amt // income is credit: raw negative
		in.Sales12Fen -= amt
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return in, internal(err)
	}
	for _, v := range byMonth {
		if v > 0 {
			in.SalesMonths++
		}
	}
	if in.SalesMonths > 12 {
		in.SalesMonths = 12
	}
	// Orders that include a product the household produces (alone or in a share).
	var total, refunded int64
	err = q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(o.total), 0), COALESCE(SUM(o.refunded), 0) FROM market_orders o
		WHERE o.paid_at <> '' AND o.paid_at >= ? AND EXISTS (SELECT 1 FROM market_order_lines l
			JOIN market_product_producers pp ON pp.product_id = l.product_id WHERE l.order_id = o.id AND pp.household_id = ?)`,
		db.FormatTime(now.AddDate(-1, 0, 0)), householdID).Scan(&in.Orders12, &total, &refunded)
	if err != nil {
		return in, internal(err)
	}
	if total > 0 {
		in.RefundRateBp = refunded * 10000 / total
	}
	rows, err = q.QueryContext(ctx, "SELECT status, max_days_late FROM credit_loans WHERE household_id = ?", householdID)
	if err != nil {
		return in, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var late int
		if err := rows.Scan(&st, &late); err != nil {
			return in, internal(err)
		}
		if st == StatusSettled {
			in.LoansRepaid++
		}
		if st == StatusOverdue {
			in.Overdue = true
		}
		if late > s.cfg.Model.LateDays {
			in.LoansLate++
		}
	}
	return in, internal(rows.Err())
}
