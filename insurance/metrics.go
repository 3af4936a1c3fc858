package insurance

import (
	"context"

	"fishpond"
	"fishpond/internal/db"
)

// Metrics are the half-year report's insurance figures: no personal data.
type Metrics struct {
	Period            fishpond.Period
	InsuredHouseholds int // households with a member enrolled in the period
	InsuredPersons    int
	PremiumsPaid      fishpond.Money
	ClaimsPaid        int
	PaidAmount        fishpond.Money
	ClaimsRejected    int
	PovertyHouseholds int // of InsuredHouseholds, in national poverty counties
	PovertyClaimsPaid int
	PovertyPaidAmount fishpond.Money
	PledgesToAllFunds fishpond.Money // charity pledges settled into any fund in the period
}

// Metrics computes the period's figures over every county (the public report).
func (s *Service) Metrics(ctx context.Context, period fishpond.Period) (Metrics, error) {
	m := Metrics{Period: period}
	from, to := period.Bounds()
	f, t := db.FormatTime(from), db.FormatTime(to)
	q := s.db.Read()
	if err := q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT e.household_id), COUNT(*), COALESCE(SUM(e.premium), 0),
		COUNT(DISTINCT CASE WHEN c.poverty = 1 THEN e.household_id END)
		FROM insurance_enrolments e JOIN counties c ON c.code = e.county_code WHERE e.created_at >= ? AND e.created_at < ?`, f, t).
		Scan(&m.InsuredHouseholds, &m.InsuredPersons, &m.PremiumsPaid, &m.PovertyHouseholds); err != nil {
		return m, internal(err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN cl.status = ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN cl.status = ? THEN cl.approved_amount ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN cl.status = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN cl.status = ? AND c.poverty = 1 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN cl.status = ? AND c.poverty = 1 THEN cl.approved_amount ELSE 0 END), 0)
		FROM insurance_claims cl JOIN counties c ON c.code = cl.county_code WHERE cl.reviewed_at >= ? AND cl.reviewed_at < ?`,
		ClaimPaid, ClaimPaid, ClaimRejected, ClaimPaid, ClaimPaid, f, t).
		Scan(&m.ClaimsPaid, &m.PaidAmount, &m.ClaimsRejected, &m.PovertyClaimsPaid, &m.PovertyPaidAmount); err != nil {
		return m, internal(err)
	}
	var pledges int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(p.amount), 0) FROM ledger_postings p JOIN ledger_accounts a ON a.seq = p.account_seq
		WHERE a.owner LIKE 'fund:%' AND a.category = 'pledges' AND p.effective_at >= ? AND p.effective_at < ?`, f, t).Scan(&pledges); err != nil {
		return m, internal(err)
	}
	m.PledgesToAllFunds = fishpond.Money(-pledges)
	return m, nil
}
