package credit

import (
	"context"

	"fishpond"
)

// CountyPortfolio is the loan book of one county: what officers and the public
// report watch. Owed amounts are read from the loans' ledger accounts; overdue
// figures are as of the last sweep.
type CountyPortfolio struct {
	CountyCode    string
	CountyName    string
	Poverty       bool
	Borrowers     int            // distinct borrowers that ever borrowed: households, and cooperatives counted one each
	CoopBorrowers int            // of them, cooperatives
	CoopLoans     int            // loans to cooperatives
	CoopLent      fishpond.Money // principal lent to cooperatives
	Loans         int            // loans disbursed
	Open          int            // not yet settled
	Lent          fishpond.Money // principal disbursed
	Owed          fishpond.Money // owed now on open loans
	Repaid        fishpond.Money // repaid in total
	DueToDate     fishpond.Money // instalments fallen due on open loans
	OverdueLoans  int
	OverdueAmount fishpond.Money
	Defaulted     int // open loans more than Config.DefaultDays days late
}

// DefaultRateBp is defaulted loans over loans disbursed, in basis points.
func (c CountyPortfolio) DefaultRateBp() int64 {
	if c.Loans == 0 {
		return 0
	}
	return int64(c.Defaulted) * 10000 / int64(c.Loans)
}

// RepaymentRateBp is the share of instalments fallen due that has been paid, in
// basis points (10000 when nothing is due yet).
func (c CountyPortfolio) RepaymentRateBp() int64 {
	if c.DueToDate <= 0 {
		return 10000
	}
	return int64(c.DueToDate-c.OverdueAmount) * 10000 / int64(c.DueToDate)
}

// Portfolio lists the loan book by county, for the counties p sees (officers their
// own, administrators and fund administrators all).
func (s *Service) Portfolio(ctx context.Context, p fishpond.Principal) ([]CountyPortfolio, error) {
	if !p.SeesAllCounties() && p.Role != fishpond.RoleCountyOfficer && p.Role != fishpond.RoleAuditor {
		return nil, fishpond.Errorf(fishpond.EForbidden, "无权查看贷款组合 not allowed to see the loan portfolio")
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT l.county_code, c.name, c.poverty, l.borrower_kind, COALESCE(l.household_id, l.coop_id), l.status, l.principal, l.charged, b.balance,
		l.due_to_date, l.overdue_amount, l.days_late
		FROM credit_loans l JOIN counties c ON c.code = l.county_code
		JOIN ledger_accounts a ON a.id = l.account_id JOIN ledger_balances b ON b.account_seq = a.seq
		ORDER BY l.county_code`)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []CountyPortfolio
	borrowers := map[string]bool{}
	for rows.Next() {
		var county, name, kind, borrowerID, status string
		var poverty, daysLate int
		var principal, charged, bal, due, overdue int64
		if err := rows.Scan(&county, &name, &poverty, &kind, &borrowerID, &status, &principal, &charged, &bal, &due, &overdue, &daysLate); err != nil {
			return nil, internal(err)
		}
		if !p.CanSeeCounty(county) {
			continue
		}
		if len(out) == 0 || out[len(out)-1].CountyCode != county {
			out = append(out, CountyPortfolio{CountyCode: county, CountyName: name, Poverty: poverty == 1})
		}
		c := &out[len(out)-1]
		c.Loans++
		c.Lent += fishpond.Money(principal)
		c.Repaid += fishpond.Money(bal + principal + charged)
		// A cooperative is one borrower, like a household.
		if key := kind + ":" + borrowerID; !borrowers[key] {
			borrowers[key] = true
			c.Borrowers++
			if kind == BorrowerCoop {
				c.CoopBorrowers++
			}
		}
		if kind == BorrowerCoop {
			c.CoopLoans++
			c.CoopLent += fishpond.Money(principal)
		}
		if status == StatusSettled {
			continue
		}
		c.Open++
		c.Owed += fishpond.Money(-bal)
		c.DueToDate += fishpond.Money(due)
		if status == StatusOverdue {
			c.OverdueLoans++
			c.OverdueAmount += fishpond.Money(overdue)
		}
		if daysLate > s.cfg.DefaultDays {
			c.Defaulted++
		}
	}
	return out, internal(rows.Err())
}
