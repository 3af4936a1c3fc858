package fund

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Outcome is what one programme achieved: people covered and what became of them.
type Outcome struct {
	ProgrammeID string         `json:"programme_id"`
	Name        string         `json:"name"`
	Kind        string         `json:"kind"`
	Area        string         `json:"area"`
	Capacity    int            `json:"capacity"`
	People      int            `json:"people"` // enrolled and not dropped
	Women       int            `json:"women"`
	Students    int            `json:"students"`
	Teachers    int            `json:"teachers"`  // teachers and principals
	Completed   int            `json:"completed"` // completed or certified
	Certified   int            `json:"certified"`
	Dropped     int            `json:"dropped"`
	Placed      int            `json:"placed"`
	MonthlyWage fishpond.Money `json:"monthly_wage_fen"` // sum of the placements' monthly wages
	WagesPaid   fishpond.Money `json:"wages_paid_fen"`
	PiecePaid   fishpond.Money `json:"piece_paid_fen"`
	Visits      int            `json:"visits"`
	Disbursed   fishpond.Money `json:"disbursed_fen"`
}

// Metrics are the fund's figures for the half-year report and the dashboard, over
// [From, To) (dates, China time): disbursed by area and county, people covered
// per programme, women, students and teachers, people trained and placed and their
// wages, specialists, counties visited and volunteer hours.
type Metrics struct {
	From                string                    `json:"from"`
	To                  string                    `json:"to"`
	Committed           fishpond.Money            `json:"committed_fen"` // funds' committed totals (whole life)
	Allocated           fishpond.Money            `json:"allocated_fen"` // area allocations (whole life)
	Disbursed           fishpond.Money            `json:"disbursed_fen"`
	DisbursedByArea     map[string]fishpond.Money `json:"disbursed_by_area_fen"`
	DisbursedByCounty   map[string]fishpond.Money `json:"disbursed_by_county_fen"`
	ToHouseholds        fishpond.Money            `json:"to_households_fen"`
	Programmes          []Outcome                 `json:"programmes"`
	People              int                       `json:"people"`
	Women               int                       `json:"women"`
	Students            int                       `json:"students"`
	Teachers            int                       `json:"teachers"`
	Trained             int                       `json:"trained"`
	Placed              int                       `json:"placed"`
	PlacedMonthlyWages  fishpond.Money            `json:"placed_monthly_wages_fen"`
	WagesPaid           fishpond.Money            `json:"wages_paid_fen"`
	PiecePaid           fishpond.Money            `json:"piece_paid_fen"`
	Specialists         int                       `json:"specialists"`
	CountiesVisited     int                       `json:"counties_visited"`
	VolunteerMinutes    int64                     `json:"volunteer_minutes"`
	Volunteers          int                       `json:"volunteers"`
	VolunteersMetTarget int                       `json:"volunteers_met_target"` // people with at least three hours in a calendar year of the range
}

// PeriodMetrics computes the metrics of a half-year reporting period.
func (s *Service) PeriodMetrics(ctx context.Context, p fishpond.Principal, period fishpond.Period) (Metrics, error) {
	from, to := period.Bounds()
	return s.Metrics(ctx, p, from.Format(time.DateOnly), to.Format(time.DateOnly))
}

// Metrics computes the figures over [from, to) ("" from: the beginning; "" to: the end).
func (s *Service) Metrics(ctx context.Context, p fishpond.Principal, from, to string) (Metrics, error) {
	if !canRead(p) {
		return Metrics{}, forbidden("无权查看基金 / not allowed to see the fund")
	}
	for k, v := range map[string]string{"from": from, "to": to} {
		if _, ok := parseDay(v); v != "" && !ok {
			return Metrics{}, fishpond.Invalid("日期有误 / invalid date", map[string]string{k: "a date like 2020-01-01"})
		}
	}
	if from == "" {
		from = "0000-01-01"
	}
	if to == "" {
		to = "9999-12-31"
	}
	m := Metrics{From: from, To: to, DisbursedByArea: map[string]fishpond.Money{}, DisbursedByCounty: map[string]fishpond.Money{}}
	q := s.db.Read()
	one := func(dst any, query string, args ...any) error {
		if err := q.QueryRowContext(ctx, query, args...).Scan(dst); err != nil {
			return fishpond.Internal(err)
		}
		return nil
	}
	var committed, allocated int64
	if err := one(&committed, "SELECT COALESCE(SUM(committed), 0) FROM fund_funds"); err != nil {
		return m, err
	}
	if err := one(&allocated, "SELECT COALESCE(SUM(budget), 0) FROM fund_allocations WHERE parent_id = ''"); err != nil {
		return m, err
	}
	m.Committed, m.Allocated = fishpond.Money(committed), fishpond.Money(allocated)

	rows, err := q.QueryContext(ctx, `SELECT area, county_code, payee_kind, SUM(amount) FROM fund_disbursements
		WHERE status = 'paid' AND effective_on >= ? AND effective_on < ? GROUP BY area, county_code, payee_kind`, from, to)
	if err != nil {
		return m, fishpond.Internal(err)
	}
	for rows.Next() {
		var area, county, kind string
		var sum int64
		if err := rows.Scan(&area, &county, &kind, &sum); err != nil {
			rows.Close()
			return m, fishpond.Internal(err)
		}
		m.Disbursed += fishpond.Money(sum)
		m.DisbursedByArea[area] += fishpond.Money(sum)
		if county != "" {
			m.DisbursedByCounty[county] += fishpond.Money(sum)
		}
		if kind == PayeeHousehold {
			m.ToHouseholds += fishpond.Money(sum)
		}
	}
	rows.Close()

	m.Programmes, err = outcomes(ctx, q, "", from, to)
	if err != nil {
		return m, err
	}
	for _, o := range m.Programmes {
		m.People += o.People
		m.Women += o.Women
		m.Students += o.Students
		m.Teachers += o.Teachers
		if o.Kind == KindVocational {
			m.Trained += o.Completed
		}
		m.Placed += o.Placed
		m.PlacedMonthlyWages += o.MonthlyWage
		m.WagesPaid += o.WagesPaid
		m.PiecePaid += o.PiecePaid
	}
	if err := one(&m.Specialists, "SELECT COUNT(*) FROM fund_specialists WHERE starts_on < ? AND ends_on >= ?", to, from); err != nil {
		return m, err
	}
	if err := one(&m.CountiesVisited, `SELECT COUNT(*) FROM (SELECT county_code FROM fund_specialist_reports WHERE reported_on >= ? AND reported_on < ?
		UNION SELECT county_code FROM fund_volunteer_hours WHERE served_on >= ? AND served_on < ?) c`, from, to, from, to); err != nil {
		return m, err
	}
	if err := one(&m.VolunteerMinutes, "SELECT COALESCE(SUM(minutes), 0) FROM fund_volunteer_hours WHERE served_on >= ? AND served_on < ?", from, to); err != nil {
		return m, err
	}
	if err := one(&m.Volunteers, "SELECT COUNT(DISTINCT staff_ref) FROM fund_volunteer_hours WHERE served_on >= ? AND served_on < ?", from, to); err != nil {
		return m, err
	}
	// The target is per calendar year: a person counts once if any year of the
	// range reached three hours.
	if err := one(&m.VolunteersMetTarget, `SELECT COUNT(DISTINCT staff_ref) FROM (SELECT staff_ref, SUBSTR(served_on, 1, 4) AS y, SUM(minutes) AS total
		FROM fund_volunteer_hours WHERE served_on >= ? AND served_on < ? GROUP BY staff_ref, SUBSTR(served_on, 1, 4)) t WHERE total >= ?`,
		from, to, VolunteerTargetMinutes); err != nil {
		return m, err
	}
	return m, nil
}

// ProgrammeOutcome computes one programme's outcome over its whole life.
func (s *Service) ProgrammeOutcome(ctx context.Context, p fishpond.Principal, programmeID string) (Outcome, error) {
	pr, err := s.Programme(ctx, p, programmeID)
	if err != nil {
		return Outcome{}, err
	}
	os, err := outcomes(ctx, s.db.Read(), pr.ID, "0000-01-01", "9999-12-31")
	if err != nil || len(os) == 0 {
		return Outcome{}, err
	}
	return os[0], nil
}

// outcomes computes per-programme outcomes of facts dated in [from, to).
func outcomes(ctx context.Context, q db.Querier, programmeID, from, to string) ([]Outcome, error) {
	cond, args := "", []any{}
	if programmeID != "" {
		cond, args = " WHERE pr.id = ?", append(args, programmeID)
	}
	rows, err := q.QueryContext(ctx, "SELECT pr.id, pr.name, pr.kind, pr.area, pr.capacity FROM fund_programmes pr"+cond+" ORDER BY pr.area, pr.name", args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var out []Outcome
	idx := map[string]int{}
	for rows.Next() {
		var o Outcome
		if err := rows.Scan(&o.ProgrammeID, &o.Name, &o.Kind, &o.Area, &o.Capacity); err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		idx[o.ProgrammeID] = len(out)
		out = append(out, o)
	}
	rows.Close()
	each := func(query string, args []any, fn func(o *Outcome, sc func(...any) error) error) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fishpond.Internal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			err := fn(nil, func(dst ...any) error { return rows.Scan(append([]any{&id}, dst...)...) })
			if err != nil {
				return fishpond.Internal(err)
			}
			if i, ok := idx[id]; ok {
				if err := fn(&out[i], nil); err != nil {
					return err
				}
			}
		}
		return rows.Err()
	}
	// Enrolments by status, role and sex.
	var status, role string
	var woman, n int
	if err := each(`SELECT programme_id, status, role, woman, COUNT(*) FROM fund_enrolments WHERE enrolled_on >= ? AND enrolled_on < ?
		GROUP BY programme_id, status, role, woman`, []any{from, to}, func(o *Outcome, sc func(...any) error) error {
		if o == nil {
			return sc(&status, &role, &woman, &n)
		}
		if status == EnrolDropped {
			o.Dropped += n
			return nil
		}
		o.People += n
		if woman != 0 {
			o.Women += n
		}
		switch {
		case role == RoleStudent:
			o.Students += n
		case staffRole(role):
			o.Teachers += n
		}
		if status == EnrolCompleted || status == EnrolCertified {
			o.Completed += n
		}
		if status == EnrolCertified {
			o.Certified += n
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var wage int64
	if err := each(`SELECT programme_id, COUNT(*), COALESCE(SUM(monthly_wage), 0) FROM fund_placements WHERE starts_on >= ? AND starts_on < ? GROUP BY programme_id`,
		[]any{from, to}, func(o *Outcome, sc func(...any) error) error {
			if o == nil {
				return sc(&n, &wage)
			}
			o.Placed, o.MonthlyWage = n, fishpond.Money(wage)
			return nil
		}); err != nil {
		return nil, err
	}
	var kind string
	var sum int64
	if err := each(`SELECT programme_id, kind, SUM(amount) FROM fund_pay WHERE period >= ? AND period < ? GROUP BY programme_id, kind`,
		[]any{from[:7], to[:7]}, func(o *Outcome, sc func(...any) error) error {
			if o == nil {
				return sc(&kind, &sum)
			}
			if kind == PayWage {
				o.WagesPaid += fishpond.Money(sum)
			} else {
				o.PiecePaid += fishpond.Money(sum)
			}
			return nil
		}); err != nil {
		return nil, err
	}
	if err := each(`SELECT programme_id, COUNT(*) FROM fund_visits WHERE visited_on >= ? AND visited_on < ? GROUP BY programme_id`,
		[]any{from, to}, func(o *Outcome, sc func(...any) error) error {
			if o == nil {
				return sc(&n)
			}
			o.Visits = n
			return nil
		}); err != nil {
		return nil, err
	}
	if err := each(`SELECT programme_id, SUM(amount) FROM fund_disbursements WHERE status = 'paid' AND programme_id <> '' AND effective_on >= ? AND effective_on < ? GROUP BY programme_id`,
		[]any{from, to}, func(o *Outcome, sc func(...any) error) error {
			if o == nil {
				return sc(&sum)
			}
			o.Disbursed = fishpond.Money(sum)
			return nil
		}); err != nil {
		return nil, err
	}
	return out, nil
}
