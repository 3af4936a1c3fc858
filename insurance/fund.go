package insurance

import (
	"context"

	"fishpond"
	"fishpond/market"
)

// CountyCoverage is insurance in one county, counts and amounts only.
type CountyCoverage struct {
	CountyCode   string
	CountyName   string
	Households   int // insured now
	Persons      int // insured now
	ClaimsPaid   int
	PaidAmount   fishpond.Money
	Poverty      bool
	PremiumsPaid fishpond.Money
}

// FundReport is a fund's public page: where its money came from, what it paid
// for, and whom it covers. It holds no personal data.
type FundReport struct {
	Fund         string
	Balance      fishpond.Money // in the wallet now
	Pledges      fishpond.Money // received from marketplace charity pledges
	Donations    fishpond.Money
	PremiumsPaid fishpond.Money
	Households   int // insured now by plans the fund pays for
	Persons      int
	ClaimsPaid   int
	PaidAmount   fishpond.Money
	Counties     []CountyCoverage
	Plans        []Plan
}

// accountBalance reads the raw balance of (owner, category), 0 when the account
// does not exist yet.
func (s *Service) accountBalance(ctx context.Context, owner, category string) (fishpond.Money, error) {
	var b int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT COALESCE(SUM(b.balance), 0) FROM ledger_balances b JOIN ledger_accounts a ON a.seq = b.account_seq
		WHERE a.owner = ? AND a.category = ?`, owner, category).Scan(&b)
	return fishpond.Money(b), internal(err)
}

// Fund reports a fund publicly; anyone may read it.
func (s *Service) Fund(ctx context.Context, fund string) (FundReport, error) {
	if !fundPattern.MatchString(fund) {
		return FundReport{}, fishpond.Errorf(fishpond.ENotFound, "没有这个基金 no fund %s", fund)
	}
	r := FundReport{Fund: fund}
	owner := market.FundOwner(fund)
	var err error
	if r.Balance, err = s.accountBalance(ctx, owner, market.CatFundWallet); err != nil {
		return r, err
	}
	if r.Pledges, err = s.accountBalance(ctx, owner, market.CatPledges); err != nil {
		return r, err
	}
	if r.Donations, err = s.accountBalance(ctx, owner, CatDonations); err != nil {
		return r, err
	}
	if r.PremiumsPaid, err = s.accountBalance(ctx, owner, CatPremiumsPaid); err != nil {
		return r, err
	}
	r.Pledges, r.Donations = -r.Pledges, -r.Donations
	plans, err := s.Plans(ctx)
	if err != nil {
		return r, err
	}
	for _, p := range plans {
		if p.Fund == fund {
			r.Plans = append(r.Plans, p)
		}
	}
	today := Day(s.now())
	rows, err := s.db.Read().QueryContext(ctx, `SELECT e.county_code, c.name, c.poverty, COUNT(DISTINCT e.household_id), COUNT(*), SUM(e.premium)
		FROM insurance_enrolments e JOIN insurance_plans p ON p.id = e.plan_id JOIN counties c ON c.code = e.county_code
		WHERE p.fund = ? AND e.cover_to >= ? AND e.cover_from <= ? GROUP BY e.county_code, c.name, c.poverty ORDER BY e.county_code`, fund, today, today)
	if err != nil {
		return r, internal(err)
	}
	idx := map[string]int{}
	for rows.Next() {
		var c CountyCoverage
		var pov int
		var prem int64
		if err := rows.Scan(&c.CountyCode, &c.CountyName, &pov, &c.Households, &c.Persons, &prem); err != nil {
			rows.Close()
			return r, internal(err)
		}
		c.Poverty, c.PremiumsPaid = pov == 1, fishpond.Money(prem)
		idx[c.CountyCode] = len(r.Counties)
		r.Counties = append(r.Counties, c)
		r.Persons += c.Persons
	}
	rows.Close()
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(DISTINCT e.household_id) FROM insurance_enrolments e JOIN insurance_plans p ON p.id = e.plan_id
		WHERE p.fund = ? AND e.cover_to >= ? AND e.cover_from <= ?`, fund, today, today).Scan(&r.Households); err != nil {
		return r, internal(err)
	}
	rows, err = s.db.Read().QueryContext(ctx, `SELECT cl.county_code, c.name, c.poverty, COUNT(*), SUM(cl.approved_amount) FROM insurance_claims cl
		JOIN insurance_plans p ON p.id = cl.plan_id JOIN counties c ON c.code = cl.county_code
		WHERE p.fund = ? AND cl.status = ? GROUP BY cl.county_code, c.name, c.poverty ORDER BY cl.county_code`, fund, ClaimPaid)
	if err != nil {
		return r, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, name string
		var pov, n int
		var amt int64
		if err := rows.Scan(&code, &name, &pov, &n, &amt); err != nil {
			return r, internal(err)
		}
		i, ok := idx[code]
		if !ok {
			i = len(r.Counties)
			idx[code] = i
			r.Counties = append(r.Counties, CountyCoverage{CountyCode: code, CountyName: name, Poverty: pov == 1})
		}
		r.Counties[i].ClaimsPaid, r.Counties[i].PaidAmount = n, fishpond.Money(amt)
		r.ClaimsPaid += n
		r.PaidAmount += fishpond.Money(amt)
	}
	return r, internal(rows.Err())
}
