package credit

import (
	"context"

	"fishpond"
	"fishpond/internal/db"
)

// Metrics are the half-year report's microcredit figures: no personal data.
type Metrics struct {
	Period fishpond.Period
	// Loans disbursed in the period, all and in national poverty counties.
	Loans, PovertyLoans             int
	Borrowers, PovertyBorrowers     int // distinct borrowers: a household, or a cooperative counted once
	CoopLoans                       int // loans to cooperatives (included in Loans)
	CoopLent                        fishpond.Money
	Lent, PovertyLent               fishpond.Money
	Settled, SettledOnTime          int // loans repaid in full in the period, and those never late
	Repaid                          fishpond.Money
	DueToDate, OverdueAmount        fishpond.Money // open loans, as of the last sweep
	Applications, AutoDecided, Refs int            // applications in the period, decided without an officer, referred
}

// RepaymentRateBp is the share of instalments fallen due on open loans that has
// been paid, in basis points (10000 when nothing is due).
func (m Metrics) RepaymentRateBp() int64 {
	if m.DueToDate <= 0 {
		return 10000
	}
	return int64(m.DueToDate-m.OverdueAmount) * 10000 / int64(m.DueToDate)
}

// Metrics computes the period's figures over every county (the public report).
func (s *Service) Metrics(ctx context.Context, period fishpond.Period) (Metrics, error) {
	m := Metrics{Period: period}
	from, to := period.Bounds()
	f, t := db.FormatTime(from), db.FormatTime(to)
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, `SELECT l.borrower_kind, COALESCE(l.household_id, l.coop_id), c.poverty, l.principal FROM credit_loans l JOIN counties c ON c.code = l.county_code
		WHERE l.disbursed_at >= ? AND l.disbursed_at < ?`, f, t)
	if err != nil {
		return m, internal(err)
	}
	all, pov := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var kind, id string
		var poverty int
		var principal int64
		if err := rows.Scan(&kind, &id, &poverty, &principal); err != nil {
			rows.Close()
			return m, internal(err)
		}
		// A cooperative is one borrower, like a household.
		hh := kind + ":" + id
		m.Loans++
		m.Lent += fishpond.Money(principal)
		if kind == BorrowerCoop {
			m.CoopLoans++
			m.CoopLent += fishpond.Money(principal)
		}
		all[hh] = true
		if poverty == 1 {
			m.PovertyLoans++
			m.PovertyLent += fishpond.Money(principal)
			pov[hh] = true
		}
	}
	rows.Close()
	m.Borrowers, m.PovertyBorrowers = len(all), len(pov)
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN max_days_late = 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(principal + charged), 0)
		FROM credit_loans WHERE status = ? AND settled_at >= ? AND settled_at < ?`, StatusSettled, f, t).Scan(&m.Settled, &m.SettledOnTime, &m.Repaid); err != nil {
		return m, internal(err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(due_to_date), 0), COALESCE(SUM(overdue_amount), 0) FROM credit_loans WHERE status IN (?, ?)`,
		StatusActive, StatusOverdue).Scan(&m.DueToDate, &m.OverdueAmount); err != nil {
		return m, internal(err)
	}
	err = q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN reviewed_by = '' AND status <> ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN outcome = ? THEN 1 ELSE 0 END), 0) FROM credit_applications WHERE created_at >= ? AND created_at < ?`,
		AppReferred, Refer, f, t).Scan(&m.Applications, &m.AutoDecided, &m.Refs)
	return m, internal(err)
}
