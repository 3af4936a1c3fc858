package assess

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/registry"
)

// Exit thresholds of county poverty incidence (贫困发生率), in basis points: a
// county may exit when incidence is at or below 2% in the east and centre, 3% in
// the west ("降至2%以下", where 以下 includes the figure itself).
const (
	IncidenceThresholdBp     int64 = 200
	IncidenceThresholdWestBp int64 = 300
)

// IncidenceThreshold returns the exit threshold of a region in basis points.
func IncidenceThreshold(region string) int64 {
	if region == registry.RegionWest {
		return IncidenceThresholdWestBp
	}
	return IncidenceThresholdBp
}

// MaxRuralPopulation bounds a county's rural population so a typo is caught (the
// largest counties have about two million people).
const MaxRuralPopulation = 10_000_000

// SetRuralPopulation records a county's registered rural population for year, the
// denominator of poverty incidence, which the registry of poor households alone
// cannot know. Administrators and the county's officers may set it.
func (a *Assessor) SetRuralPopulation(ctx context.Context, p fishpond.Principal, county string, year int, people int64, note string) error {
	county, note = strings.TrimSpace(county), strings.TrimSpace(note)
	if !(p.Role == fishpond.RoleAdmin || p.Role == fishpond.RoleCountyOfficer) {
		return forbidden("只有管理员和县级干部可以设置农村人口 / only administrators and county officers may set the rural population")
	}
	if _, err := a.checkCounty(ctx, p, county); err != nil {
		return err
	}
	f := map[string]string{}
	if !validYear(year) {
		f["year"] = "年份应在2000至2100之间 / year must be between 2000 and 2100"
	}
	if people <= 0 || people > MaxRuralPopulation {
		f["rural_population"] = "农村人口应在1至10,000,000之间 / rural population must be between 1 and 10,000,000"
	}
	if utf8.RuneCountInString(note) > 500 {
		f["note"] = "说明最长500字 / the note may hold at most 500 characters"
	}
	if len(f) > 0 {
		return fishpond.Invalid("农村人口无效 / invalid rural population", f)
	}
	err := a.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO county_population (county_code, year, rural_population, note, set_by, set_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (county_code, year) DO UPDATE SET rural_population = excluded.rural_population,
			note = excluded.note, set_by = excluded.set_by, set_at = excluded.set_at`, county, year, people, note, p.UserID, db.FormatTime(a.now()))
		return err
	})
	if err != nil {
		return fishpond.Internal(err)
	}
	return nil
}

// Criterion is one test of county exit or of an audit, with its verdict in words.
type Criterion struct {
	Key       string // incidence, wrong_exit, missed, approval
	Name      string // "中文 / English"
	Value     string // "1.25%" or "未测 / not measured"
	Threshold string // "≤ 2%"
	Result    string // pass, fail or not_measured
	Words     string // the verdict as a sentence
}

// The results of a Criterion.
const (
	Pass        = "pass"
	Fail        = "fail"
	NotMeasured = "not_measured"
)

func criterion(key, zh, en string, r Rate, op string, bp int64, ok bool) Criterion {
	c := Criterion{Key: key, Name: zh + " / " + en, Value: r.String(), Threshold: op + " " + pct(bp)}
	switch {
	case !r.Known():
		c.Result = NotMeasured
		c.Words = zh + "未测量，无法判断 / " + en + " is not measured, so it cannot be judged"
	case ok:
		c.Result = Pass
		c.Words = zh + " " + r.String() + "，符合 " + c.Threshold + " 的要求 / " + en + " " + r.String() + " meets " + c.Threshold
	default:
		c.Result = Fail
		c.Words = zh + " " + r.String() + "，未达到 " + c.Threshold + " 的要求 / " + en + " " + r.String() + " fails " + c.Threshold
	}
	return c
}

// YearCount is one year of a county's trend.
type YearCount struct {
	Year       int
	Households map[string]int // by status
	People     map[string]int // members by status
	Population int64          // rural population, 0 when not measured
	Incidence  Rate
}

// CountyReport is a county's dashboard for a year: households and people by
// status, poverty incidence against its region's threshold, the latest audit's
// rates, whether the county meets each exit criterion, and the trend over years.
type CountyReport struct {
	County               registry.County
	Year                 int
	RegisteredHouseholds int
	RegisteredPeople     int
	Assessed             int // households assessed for Year
	Households           map[string]int
	People               map[string]int
	PoorPersons          int   // members of poor and returned households
	RuralPopulation      int64 // 0 when not measured
	PopulationMeasured   bool
	Incidence            Rate // unknown when the population is not measured
	IncidenceThresholdBp int64
	Audit                *AuditReport // latest household audit of the county up to Year, nil if none
	Criteria             []Criterion
	Eligible             bool   // every criterion passes
	EligibilityWords     string // the verdict in words
	Trend                []YearCount
}

// CountyReport builds the county dashboard. A county outside the principal's
// scope is not_found.
func (a *Assessor) CountyReport(ctx context.Context, p fishpond.Principal, county string, year int) (CountyReport, error) {
	county = strings.TrimSpace(county)
	if !p.SeesRegistry() || p.Role == fishpond.RoleHousehold {
		return CountyReport{}, notFound("县不存在或无权查看 / county not found")
	}
	if !validYear(year) {
		return CountyReport{}, badYear(year)
	}
	c, err := a.checkCounty(ctx, p, county)
	if err != nil {
		return CountyReport{}, err
	}
	rep := CountyReport{County: c, Year: year, Households: map[string]int{}, People: map[string]int{}, IncidenceThresholdBp: IncidenceThreshold(c.Region)}
	if rep.RegisteredHouseholds, rep.RegisteredPeople, err = a.reg.CountyRegistered(ctx, county); err != nil {
		return rep, err
	}
	q := a.db.Read()
	byYear := map[int]*YearCount{}
	// household_status is keyed (year, county_code, …): naming the assessed years
	// makes this one key range per year instead of a scan of every county's rows.
	rows, err := q.QueryContext(ctx, `SELECT year, status, COUNT(*), SUM(members) FROM household_status
		WHERE year IN (SELECT DISTINCT year FROM assessment_runs) AND county_code = ? GROUP BY year, status ORDER BY year`, county)
	if err != nil {
		return rep, fishpond.Internal(err)
	}
	for rows.Next() {
		var y, n, people int
		var st string
		if err := rows.Scan(&y, &st, &n, &people); err != nil {
			rows.Close()
			return rep, fishpond.Internal(err)
		}
		yc := byYear[y]
		if yc == nil {
			yc = &YearCount{Year: y, Households: map[string]int{}, People: map[string]int{}}
			byYear[y] = yc
			rep.Trend = append(rep.Trend, YearCount{})
		}
		yc.Households[st] += n
		yc.People[st] += people
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fishpond.Internal(err)
	}
	pops := map[int]int64{}
	rows, err = q.QueryContext(ctx, "SELECT year, rural_population FROM county_population WHERE county_code = ?", county)
	if err != nil {
		return rep, fishpond.Internal(err)
	}
	for rows.Next() {
		var y int
		var n int64
		if err := rows.Scan(&y, &n); err != nil {
			rows.Close()
			return rep, fishpond.Internal(err)
		}
		pops[y] = n
	}
	rows.Close()
	rep.Trend = rep.Trend[:0]
	for y := MinYear; y <= MaxYear; y++ {
		yc := byYear[y]
		if yc == nil {
			continue
		}
		yc.Population = pops[y]
		yc.Incidence = Rate{Num: int64(yc.People[StatusPoor] + yc.People[StatusReturned]), Den: yc.Population}
		rep.Trend = append(rep.Trend, *yc)
	}
	if yc := byYear[year]; yc != nil {
		rep.Households, rep.People = yc.Households, yc.People
		for _, n := range yc.Households {
			rep.Assessed += n
		}
	}
	rep.PoorPersons = rep.People[StatusPoor] + rep.People[StatusReturned]
	rep.RuralPopulation, rep.PopulationMeasured = pops[year], pops[year] > 0
	rep.Incidence = Rate{Num: int64(rep.PoorPersons), Den: rep.RuralPopulation}

	inc := criterion("incidence", "贫困发生率", "poverty incidence", rep.Incidence, "≤", rep.IncidenceThresholdBp, rep.Incidence.AtMost(rep.IncidenceThresholdBp))
	if !rep.PopulationMeasured {
		inc.Words = words("贫困发生率未测：%d年农村人口未登记（请设置农村人口）", "poverty incidence is not measured: the rural population of %d is not recorded (set it first)", year)
	}
	if rep.Assessed == 0 {
		inc.Result, inc.Value = NotMeasured, "未测 / not measured"
		inc.Words = words("%d年尚未评估，贫困发生率未测", "no assessment for %d yet, so poverty incidence is not measured", year)
	}
	rep.Criteria = append(rep.Criteria, inc)
	id, err := a.latestSample(ctx, KindHouseholds, county, year)
	if err != nil {
		return rep, err
	}
	if id != "" {
		ar, err := a.auditReport(ctx, id)
		if err != nil {
			return rep, err
		}
		rep.Audit = &ar
		rep.Criteria = append(rep.Criteria, ar.Criteria...)
	} else {
		for _, c := range auditCriteria(Rate{}, Rate{}, Rate{}) {
			c.Words = c.Name + "：尚无抽查 / no audit yet"
			rep.Criteria = append(rep.Criteria, c)
		}
	}
	rep.Eligible = true
	var failed []string
	for _, c := range rep.Criteria {
		if c.Result != Pass {
			rep.Eligible = false
			failed = append(failed, c.Name)
		}
	}
	if rep.Eligible {
		rep.EligibilityWords = words("%d年符合贫困县退出条件", "meets every county exit criterion for %d", year)
	} else {
		rep.EligibilityWords = "不符合或尚不能判断退出条件 / does not (yet) meet the exit criteria: " + strings.Join(failed, "; ")
	}
	return rep, nil
}

// latestSample is the id of the latest sample of kind and scope drawn for year or
// earlier, "" if none.
func (a *Assessor) latestSample(ctx context.Context, kind, scope string, year int) (string, error) {
	var id string
	err := a.db.Read().QueryRowContext(ctx, `SELECT id FROM audit_samples WHERE kind = ? AND scope_code = ? AND year <= ?
		ORDER BY year DESC, drawn_at DESC, id DESC LIMIT 1`, kind, scope, year).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fishpond.Internal(err)
	}
	return id, nil
}
