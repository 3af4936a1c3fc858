package green

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Metrics are the channel's figures for the half-year report, over [From, To) and
// optionally one county (county figures count projects of that county; energy
// figures are national, since consumers live anywhere).
type Metrics struct {
	From, To        time.Time
	County          string
	Participants    int64 // users who collected energy in the period
	EnergyCollected int64 // grams
	EnergyExpired   int64 // grams that expired uncollected in the period
	TreesRedeemed   int64
	TreesPlanted    int64 // verified
	TreesChecked    int64 // survival checks
	TreesSurvived   int64
	AreaAdopted     int64 // m2
	GreenJobs       int64 // households paid for verified green work
	WagesPaid       fishpond.Money
}

// Metrics computes the figures. They hold no personal data and are public.
func (s *Service) Metrics(ctx context.Context, county string, from, to time.Time) (Metrics, error) {
	m := Metrics{From: from, To: to, County: county}
	q := s.db.Read()
	f, t := db.FormatTime(from), db.FormatTime(to)
	err := q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT user_id), COALESCE(SUM(grams), 0) FROM green_energy_entries
		WHERE kind IN ('collect', 'friend_collect') AND at >= ? AND at < ?`, f, t).Scan(&m.Participants, &m.EnergyCollected)
	if err != nil {
		return m, fishpond.Internal(err)
	}
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(SUM(grams - friend_g), 0) FROM green_drops WHERE state IN (?, ?) AND expires_at >= ? AND expires_at < ? AND expires_at <= ?",
		StateOpen, StateExpired, f, t, db.FormatTime(s.now())).Scan(&m.EnergyExpired); err != nil {
		return m, fishpond.Internal(err)
	}
	cf, args := "", []any{}
	if county != "" {
		cf, args = " AND p.county_code = ?", []any{county}
	}
	err = q.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN p.kind = 'tree' THEN c.quantity ELSE 0 END), 0), COALESCE(SUM(CASE WHEN p.kind = 'area' THEN c.quantity ELSE 0 END), 0)
		FROM green_certificates c JOIN green_projects p ON p.id = c.project_id WHERE c.issued_at >= ? AND c.issued_at < ?`+cf, append([]any{f, t}, args...)...).
		Scan(&m.TreesRedeemed, &m.AreaAdopted)
	if err != nil {
		return m, fishpond.Internal(err)
	}
	err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM green_trees t JOIN green_projects p ON p.id = t.project_id
		WHERE t.state <> 'pledged' AND t.planted_at >= ? AND t.planted_at < ?`+cf, append([]any{f, t}, args...)...).Scan(&m.TreesPlanted)
	if err != nil {
		return m, fishpond.Internal(err)
	}
	err = q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN a.result = 'survived' THEN 1 ELSE 0 END), 0) FROM green_audit_trees a
		JOIN green_trees t ON t.id = a.tree_id JOIN green_projects p ON p.id = t.project_id
		WHERE a.result <> '' AND a.checked_at >= ? AND a.checked_at < ?`+cf, append([]any{f, t}, args...)...).Scan(&m.TreesChecked, &m.TreesSurvived)
	if err != nil {
		return m, fishpond.Internal(err)
	}
	wf := ""
	if county != "" {
		wf = " AND county_code = ?"
	}
	var wages int64
	err = q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT household_id), COALESCE(SUM(wage_fen), 0) FROM green_work
		WHERE status = 'verified' AND verified_at >= ? AND verified_at < ?`+wf, append([]any{f, t}, args...)...).Scan(&m.GreenJobs, &wages)
	m.WagesPaid = fishpond.Money(wages)
	if err != nil {
		return m, fishpond.Internal(err)
	}
	return m, nil
}
