package assess

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// HouseholdStatus is a household's computed status for a year, with the figures
// and the reasons in words that justify it.
type HouseholdStatus struct {
	HouseholdID    string
	CountyCode     string
	Year           int
	Status         string
	PreviousStatus string // status of the latest earlier assessed year; "poor" (registration) if none
	Members        int
	PerCapita      fishpond.Money
	Line           fishpond.Money
	Reasons        []string // "中文 / English" sentences
	AssessedAt     time.Time
	RunID          string
}

// statusColumns selects a status with the time of the run that wrote it.
const statusColumns = `s.household_id, s.county_code, s.year, s.status, s.previous_status, s.members, s.per_capita_fen, s.line_fen,
	s.reasons, r.started_at, s.run_id FROM household_status s JOIN assessment_runs r ON r.id = s.run_id`

func scanStatus(sc interface{ Scan(...any) error }) (HouseholdStatus, error) {
	var s HouseholdStatus
	var pc, line int64
	var reasons, at string
	err := sc.Scan(&s.HouseholdID, &s.CountyCode, &s.Year, &s.Status, &s.PreviousStatus, &s.Members, &pc, &line, &reasons, &at, &s.RunID)
	s.PerCapita, s.Line, s.Reasons, s.AssessedAt = fishpond.Money(pc), fishpond.Money(line), decodeReasons(reasons), db.MustTime(at)
	return s, err
}

// checkHousehold makes a household outside the principal's scope look exactly like
// one that does not exist.
// It returns the household's county, part of household_status's key.
func (a *Assessor) checkHousehold(ctx context.Context, p fishpond.Principal, id string) (string, error) {
	county, err := a.reg.HouseholdCounty(ctx, id)
	if err != nil {
		if fishpond.Code(err) == fishpond.ENotFound {
			return "", notFound("户不存在 / household not found")
		}
		return "", err
	}
	if !p.SeesRegistry() || !p.CanSeeHousehold(county, id) {
		return "", notFound("户不存在 / household not found")
	}
	return county, nil
}

// HouseholdStatus returns the status of a household for year with its reasons,
// per-capita income and line — what the household page and an officer show a
// family asking "why are we (not) out of poverty?".
func (a *Assessor) HouseholdStatus(ctx context.Context, p fishpond.Principal, householdID string, year int) (HouseholdStatus, error) {
	if !validYear(year) {
		return HouseholdStatus{}, badYear(year)
	}
	county, err := a.checkHousehold(ctx, p, householdID)
	if err != nil {
		return HouseholdStatus{}, err
	}
	s, err := scanStatus(a.db.Read().QueryRowContext(ctx, "SELECT "+statusColumns+" WHERE s.year = ? AND s.county_code = ? AND s.household_id = ?",
		year, county, householdID))
	if err != nil {
		return HouseholdStatus{}, db.NotFound(err, "%s", words("该户%d年尚未评估", "the household has not been assessed for %d", year))
	}
	return s, nil
}

// StatusHistory returns every assessed year of a household, oldest first, for the
// trend on its page and for auditors tracing a return to poverty.
func (a *Assessor) StatusHistory(ctx context.Context, p fishpond.Principal, householdID string) ([]HouseholdStatus, error) {
	county, err := a.checkHousehold(ctx, p, householdID)
	if err != nil {
		return nil, err
	}
	// household_status is keyed by (year, county_code, household_id), and a
	// household never changes county, so look the household up in each assessed
	// year: a handful of point reads.
	yrows, err := a.db.Read().QueryContext(ctx, "SELECT DISTINCT year FROM assessment_runs")
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	args := []any{county, householdID}
	for yrows.Next() {
		var y int
		if err := yrows.Scan(&y); err != nil {
			yrows.Close()
			return nil, fishpond.Internal(err)
		}
		args = append(args, y)
	}
	yrows.Close()
	if err := yrows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	if len(args) == 2 {
		return nil, nil
	}
	rows, err := a.db.Read().QueryContext(ctx, "SELECT "+statusColumns+" WHERE s.county_code = ? AND s.household_id = ? AND s.year IN ("+
		db.Placeholders(len(args)-2)+") ORDER BY s.year", args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []HouseholdStatus
	for rows.Next() {
		s, err := scanStatus(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
