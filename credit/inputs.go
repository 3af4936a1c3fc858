package credit

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// gatherInputs reads the scoring inputs of a borrower as of now. It reads other
// capabilities' tables (registry status, ledger postings, marketplace orders, farm
// contracts and agreements) and writes nothing: scoring never changes what it scores.
func (s *Service) gatherInputs(ctx context.Context, q db.Querier, b borrower, amount fishpond.Money, now time.Time) (Inputs, error) {
	in := Inputs{AmountFen: int64(amount), HouseholdStatus: b.Status}
	coop := b.Kind == BorrowerCoop
	if coop {
		in.BorrowerKind = BorrowerCoop
	}
	// Sales: a household's platform operating income (marketplace settlements and
	// purchase-agreement deliveries); a cooperative's own sales income (farms' sales
	// account). Twelve whole calendar months before this one, plus this month so far.
	owner, category := ledger.HouseholdOwner(b.ID), ledger.CatOperating
	if coop {
		owner, category = coopOwner(b.ID), "sales"
	}
	cn := now.In(fishpond.ChinaTime)
	from := time.Date(cn.Year(), cn.Month()-12, 1, 0, 0, 0, 0, fishpond.ChinaTime)
	rows, err := q.QueryContext(ctx, `SELECT p.effective_at, p.amount FROM ledger_postings p JOIN ledger_accounts a ON a.seq = p.account_seq
		WHERE a.owner = ? AND a.category = ? AND p.effective_at >= ? AND p.effective_at <= ?`,
		owner, category, db.FormatTime(from), db.FormatTime(now))
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
	// Orders: of a product the household produces (alone or in a share); of a
	// product of the cooperative's shops.
	var total, refunded int64
	yearAgo := db.FormatTime(now.AddDate(-1, 0, 0))
	orderOf := `EXISTS (SELECT 1 FROM market_order_lines l JOIN market_product_producers pp ON pp.product_id = l.product_id WHERE l.order_id = o.id AND pp.household_id = ?)`
	if coop {
		orderOf = `EXISTS (SELECT 1 FROM market_order_lines l JOIN market_products pr ON pr.id = l.product_id JOIN market_shops sh ON sh.id = pr.shop_id
			WHERE l.order_id = o.id AND sh.owner_kind = 'coop' AND sh.owner_id = ?)`
	}
	err = q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(o.total), 0), COALESCE(SUM(o.refunded), 0) FROM market_orders o
		WHERE o.paid_at <> '' AND o.paid_at >= ? AND `+orderOf, yearAgo, b.ID).Scan(&in.Orders12, &total, &refunded)
	if err != nil {
		return in, internal(err)
	}
	if total > 0 {
		in.RefundRateBp = refunded * 10000 / total
	}
	if err := gatherFarmInputs(ctx, q, b, now, &in); err != nil {
		return in, err
	}
	rows, err = q.QueryContext(ctx, "SELECT status, max_days_late FROM credit_loans WHERE "+borrowerColumn(b.Kind)+" = ?", b.ID)
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

// gatherFarmInputs reads the farms capability's contracts and purchase agreements
// of a household (as lessor and seller) or of a cooperative (as lessee and buyer),
// and a cooperative's registered member households. "In force" means today (China
// time) lies within the agreement's dates, or the contract is active and started;
// amounts are what was paid in the last 12 months.
func gatherFarmInputs(ctx context.Context, q db.Querier, b borrower, now time.Time, in *Inputs) error {
	col := "household_id"
	if b.Kind == BorrowerCoop {
		col = "coop_id"
	}
	today, yearAgo := Day(now), db.FormatTime(now.AddDate(-1, 0, 0))
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM farms_agreements WHERE "+col+" = ? AND starts_on <= ? AND ends_on >= ?",
		b.ID, today, today).Scan(&in.AgreementsActive); err != nil {
		return internal(err)
	}
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0) FROM farms_deliveries WHERE "+col+" = ? AND delivered_at >= ? AND delivered_at <= ?",
		b.ID, yearAgo, db.FormatTime(now)).Scan(&in.Deliveries12Fen); err != nil {
		return internal(err)
	}
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM farms_contracts WHERE "+col+" = ? AND status = 'active' AND starts_on <= ? AND ends_on > ?",
		b.ID, today, today).Scan(&in.ContractsActive); err != nil {
		return internal(err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(r.amount), 0) FROM farms_rent r JOIN farms_contracts c ON c.id = r.contract_id
		WHERE c.`+col+` = ? AND r.status = 'paid' AND r.paid_at >= ? AND r.paid_at <= ?`, b.ID, yearAgo, db.FormatTime(now)).Scan(&in.Rent12Fen); err != nil {
		return internal(err)
	}
	if b.Kind == BorrowerCoop {
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM farms_members WHERE coop_id = ? AND household_id IS NOT NULL", b.ID).Scan(&in.MemberHouseholds); err != nil {
			return internal(err)
		}
	}
	return nil
}
