package registry

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"fishpond"
	"fishpond/internal/db"
)

// AssessmentFacts is what poverty assessment needs to know about one household,
// besides its income: the indicators, the household size and whether a child of
// compulsory-school age is out of school. Assessment reads a million of these at
// once, so they come from two grouped queries, not from Household.
type AssessmentFacts struct {
	ID, CountyCode string
	Indicators     Indicators
	Status         string // status stored on the household now
	StatusYear     int    // year that status was assessed for, 0 if never
	Members        int
	// OutOfSchool counts members of compulsory-school age (6–15 in the assessed
	// year) who are not in school.
	OutOfSchool int
}

// SchoolAgeBirthRange is the birth-date range (inclusive, YYYY-MM-DD) of members
// of compulsory-school age in year: aged 6 to 15 at their birthday in that year.
// Assessment documents and tests this one rule, so it lives here once.
func SchoolAgeBirthRange(year int) (from, to string) {
	return fmt.Sprintf("%04d-01-01", year-15), fmt.Sprintf("%04d-12-31", year-6)
}

// scopeCounties turns a principal and an optional county into a SQL condition on
// column col, so assessment reads only what the caller may see. ok is false when
// the principal may see nothing of what was asked.
func scopeCounties(p fishpond.Principal, county, col string) (cond string, args []any, ok bool) {
	switch {
	case !p.SeesRegistry() || p.Role == fishpond.RoleHousehold:
		return "", nil, false
	case county != "":
		if !p.CanSeeCounty(county) {
			return "", nil, false
		}
		return col + " = ?", []any{county}, true
	case p.SeesAllCounties():
		return "1 = 1", nil, true
	case len(p.Counties) == 0 || !p.Role.CountyScoped():
		return "", nil, false
	}
	for _, c := range p.Counties {
		args = append(args, c)
	}
	return col + " IN (" + db.Placeholders(len(p.Counties)) + ")", args, true
}

// AssessmentFacts returns the facts of every household of county ("" = every
// county the principal may see) for assessing year. Households and member counts
// are read by two queries running in parallel and joined in memory, because that
// is what makes a million households take seconds, not minutes. A county outside
// the principal's scope yields not_found.
func (s *Store) AssessmentFacts(ctx context.Context, p fishpond.Principal, county string, year int) ([]AssessmentFacts, error) {
	cond, args, ok := scopeCounties(p, county, "county_code")
	if !ok {
		return nil, notFound("县不存在或无权查看 / county not found")
	}
	q := s.db.Read()
	var (
		wg      sync.WaitGroup
		facts   []AssessmentFacts
		factErr error
		counts  = map[string][2]int{}
		cntErr  error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		facts, factErr = readHouseholdFacts(ctx, q, cond, args)
	}()
	go func() {
		defer wg.Done()
		from, to := SchoolAgeBirthRange(year)
		// The covering index members_assessment(household_id, birth_date,
		// in_school) answers this without reading the member rows.
		mq := `SELECT household_id, COUNT(*), SUM(CASE WHEN in_school = 0 AND birth_date >= ? AND birth_date <= ? THEN 1 ELSE 0 END)
			FROM members GROUP BY household_id`
		margs := []any{from, to}
		if cond != "1 = 1" {
			mq = `SELECT m.household_id, COUNT(*), SUM(CASE WHEN m.in_school = 0 AND m.birth_date >= ? AND m.birth_date <= ? THEN 1 ELSE 0 END)
				FROM members m JOIN households h ON h.id = m.household_id WHERE h.` + cond + ` GROUP BY m.household_id`
			margs = append(margs, args...)
		}
		rows, err := q.QueryContext(ctx, mq, margs...)
		if err != nil {
			cntErr = err
			return
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n, out int
			if err := rows.Scan(&id, &n, &out); err != nil {
				cntErr = err
				return
			}
			counts[id] = [2]int{n, out}
		}
		cntErr = rows.Err()
	}()
	wg.Wait()
	if factErr != nil || cntErr != nil {
		return nil, fishpond.Internal(fmt.Errorf("assessment facts: %v %v", factErr, cntErr))
	}
	for i := range facts {
		c := counts[facts[i].ID]
		facts[i].Members, facts[i].OutOfSchool = c[0], c[1]
	}
	return facts, nil
}

func readHouseholdFacts(ctx context.Context, q db.Querier, cond string, args []any) ([]AssessmentFacts, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, county_code, food_clothing_secure, compulsory_education, medical_insurance,
		housing_safety, safe_water, status, COALESCE(status_year, 0) FROM households WHERE `+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]AssessmentFacts, 0, 1024)
	for rows.Next() {
		var f AssessmentFacts
		var food, edu, med, water int
		if err := rows.Scan(&f.ID, &f.CountyCode, &food, &edu, &med, &f.Indicators.HousingSafety, &water, &f.Status, &f.StatusYear); err != nil {
			return nil, err
		}
		f.Indicators.FoodClothingSecure, f.Indicators.CompulsoryEducation = food != 0, edu != 0
		f.Indicators.MedicalInsurance, f.Indicators.SafeWater = med != 0, water != 0
		out = append(out, f)
	}
	return out, rows.Err()
}

// statusBatch bounds the ids of one UPDATE, well under both engines' parameter limits.
const statusBatch = 900

// SetAssessedStatuses writes the status assessment computed for year onto the
// households (ids grouped by status), inside the assessment's transaction. A
// household already assessed for a later year keeps its newer status, so re-running
// an old year never rolls the registry back. Only assessment calls this: status is
// computed, never typed. It returns how many households changed.
func SetAssessedStatuses(ctx context.Context, tx *db.Tx, year int, byStatus map[string][]string) (int, error) {
	changed := 0
	in := func(n int) string {
		return "UPDATE households SET status = ?, status_year = ? WHERE id IN (" + db.Placeholders(n) + ") AND (status_year IS NULL OR status_year <= ?)"
	}
	var full *sql.Stmt // the full-size statement, prepared once and reused for every chunk
	for status, ids := range byStatus {
		for start := 0; start < len(ids); start += statusBatch {
			end := min(start+statusBatch, len(ids))
			args := make([]any, 0, end-start+3)
			args = append(args, status, year)
			for _, id := range ids[start:end] {
				args = append(args, id)
			}
			args = append(args, year)
			var res sql.Result
			var err error
			if end-start == statusBatch {
				if full == nil {
					full, err = tx.Stmt(ctx, in(statusBatch))
				}
				if err == nil {
					res, err = full.ExecContext(ctx, args...)
				}
			} else {
				res, err = tx.ExecContext(ctx, in(end-start), args...)
			}
			if err != nil {
				return changed, fishpond.Internal(fmt.Errorf("set household status: %w", err))
			}
			n, _ := res.RowsAffected()
			changed += int(n)
		}
	}
	return changed, nil
}

// HouseholdCounty returns the county of a household, the one fact assessment needs
// to decide whether a principal may see its status. Unknown ids are not_found.
func (s *Store) HouseholdCounty(ctx context.Context, id string) (string, error) {
	var county string
	err := s.db.Read().QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", id).Scan(&county)
	if err != nil {
		return "", db.NotFound(err, "户不存在 / household not found")
	}
	return county, nil
}

// HouseholdNumbers maps household ids to their numbers (户编号), so audit samples
// can show auditors a number they can find in the village, not an internal id.
func (s *Store) HouseholdNumbers(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for start := 0; start < len(ids); start += statusBatch {
		end := min(start+statusBatch, len(ids))
		args := make([]any, 0, end-start)
		for _, id := range ids[start:end] {
			args = append(args, id)
		}
		rows, err := s.db.Read().QueryContext(ctx, "SELECT id, number FROM households WHERE id IN ("+db.Placeholders(end-start)+")", args...)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		for rows.Next() {
			var id, num string
			if err := rows.Scan(&id, &num); err != nil {
				rows.Close()
				return nil, fishpond.Internal(err)
			}
			out[id] = num
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fishpond.Internal(err)
		}
	}
	return out, nil
}

// CountyRegistered counts the registered households and people of a county, so a
// county report can say how many of them an assessment covered.
func (s *Store) CountyRegistered(ctx context.Context, county string) (households, people int, err error) {
	err = s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM((SELECT COUNT(*) FROM members m WHERE m.household_id = h.id)), 0)
		FROM households h WHERE h.county_code = ?`, county).Scan(&households, &people)
	if err != nil {
		return 0, 0, fishpond.Internal(err)
	}
	return households, people, nil
}

// ExitedCounties lists the poverty counties of a province that exited (摘帽) in or
// before year, ordered by code: the population a provincial exit audit samples from.
func (s *Store) ExitedCounties(ctx context.Context, province string, year int) ([]County, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT code, name, region, exit_year FROM counties
		WHERE province_code = ? AND poverty = 1 AND exit_year IS NOT NULL AND exit_year > 0 AND exit_year <= ? ORDER BY code`, province, year)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []County
	for rows.Next() {
		c := County{ProvinceCode: province, Poverty: true}
		if err := rows.Scan(&c.Code, &c.Name, &c.Region, &c.ExitYear); err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PovertyLineFact is a poverty line shipped with Fishpond, from
// data/poverty_line.csv with its source, so the defaults have provenance.
type PovertyLineFact struct {
	Year   int
	Amount fishpond.Money
	Basis  string
	Source string
}

// DefaultPovertyLines reads the shipped poverty lines (2,300 yuan at 2010 prices
// and about 4,000 yuan at 2020 prices). Assessment uses them for years an
// administrator has not set.
func DefaultPovertyLines() ([]PovertyLineFact, error) {
	recs, err := readPlaceCSV("poverty_line.csv")
	if err != nil {
		return nil, err
	}
	var out []PovertyLineFact
	for _, r := range recs {
		if len(r) < 5 {
			return nil, fmt.Errorf("poverty_line.csv: short row %q", strings.Join(r, ","))
		}
		y, err1 := strconv.Atoi(strings.TrimSpace(r[3]))
		amt, err2 := fishpond.ParseMoney(r[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("poverty_line.csv: bad row %q", strings.Join(r, ","))
		}
		out = append(out, PovertyLineFact{Year: y, Amount: amt, Basis: r[2], Source: r[4]})
	}
	return out, nil
}
