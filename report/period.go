package report

import (
	"context"
	"sort"

	"fishpond/internal/db"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fishpond"
)

// Range is a reporting period: whole China-time months From..To inclusive
// ("2018-01".."2018-06"). A half-year is the common case; any run of months is a
// custom period.
type Range struct {
	From, To string
}

// ParseRange reads "2018H1", "2018H2", "2018" (a year) or "2018-03..2018-08".
func ParseRange(s string) (Range, error) {
	s = strings.TrimSpace(s)
	bad := fishpond.Invalid("报告期无效 not a reporting period", map[string]string{"period": "like 2018H1, 2018H2, 2018 or 2018-03..2018-08"})
	if p, err := fishpond.ParsePeriod(s); err == nil {
		start, _ := p.Bounds()
		from := start.Format("2006-01")
		return Range{from, addMonths(from, 5)}, nil
	}
	if len(s) == 4 {
		if y, err := strconv.Atoi(s); err == nil && y >= 2000 && y <= 2100 {
			return Range{s + "-01", s + "-12"}, nil
		}
		return Range{}, bad
	}
	from, to, ok := strings.Cut(s, "..")
	if !ok || !validMonth(from) || !validMonth(to) || to < from || monthsBetween(from, to) > 120 {
		return Range{}, bad
	}
	return Range{from, to}, nil
}

func validMonth(m string) bool {
	t, err := time.Parse("2006-01", m)
	return err == nil && t.Year() >= 2000 && t.Year() <= 2100
}

// String names the range the way ParseRange reads it, half-years and years short.
func (r Range) String() string {
	y := r.From[:4]
	switch {
	case r.From == y+"-01" && r.To == y+"-06":
		return y + "H1"
	case r.From == y+"-07" && r.To == y+"-12":
		return y + "H2"
	case r.From == y+"-01" && r.To == y+"-12":
		return y
	}
	return r.From + ".." + r.To
}

// Months lists the months of the range in order.
func (r Range) Months() []string {
	var out []string
	for m := r.From; m <= r.To; m = addMonths(m, 1) {
		out = append(out, m)
	}
	return out
}

// Len is the number of months.
func (r Range) Len() int { return monthsBetween(r.From, r.To) + 1 }

// Previous is the range of the same length just before r: 2018H1 → 2017H2.
func (r Range) Previous() Range {
	n := r.Len()
	return Range{addMonths(r.From, -n), addMonths(r.From, -1)}
}

// YearBefore is r shifted back twelve months: 2018H1 → 2017H1.
func (r Range) YearBefore() Range {
	return Range{addMonths(r.From, -12), addMonths(r.To, -12)}
}

// Year is the calendar year yearly facts (assessed households) are read for: the
// year of the range's last month.
func (r Range) Year() string { return r.To[:4] }

// Bounds is the half-open instant range [start, end) of the period in China time.
func (r Range) Bounds() (time.Time, time.Time) {
	s, _ := time.ParseInLocation("2006-01", r.From, fishpond.ChinaTime)
	e, _ := time.ParseInLocation("2006-01", r.To, fishpond.ChinaTime)
	return s, e.AddDate(0, 1, 0)
}

// HalfYear returns the half-year period containing t (China time).
func HalfYear(t time.Time) Range {
	t = t.In(fishpond.ChinaTime)
	h := "H1"
	if t.Month() > 6 {
		h = "H2"
	}
	r, _ := ParseRange(fmt.Sprintf("%d%s", t.Year(), h))
	return r
}

// Month is the China-time month of an instant, the grain of monthly facts.
func Month(t time.Time) string { return t.In(fishpond.ChinaTime).Format("2006-01") }

func addMonths(m string, n int) string {
	t, _ := time.Parse("2006-01", m)
	return t.AddDate(0, n, 0).Format("2006-01")
}

func monthsBetween(a, b string) int {
	ta, _ := time.Parse("2006-01", a)
	tb, _ := time.Parse("2006-01", b)
	return (tb.Year()-ta.Year())*12 + int(tb.Month()-ta.Month())
}

// LatestPeriod is the last half-year with sales in the aggregates, for a report
// asked for without a period.
func LatestPeriod(ctx context.Context, q db.Querier) (string, error) {
	var m string
	err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(period), '') FROM report_facts WHERE fact = ?", FactGMV).Scan(&m)
	if err != nil {
		return "", err
	}
	if m == "" {
		return HalfYear(time.Now()).String(), nil
	}
	t, _ := time.ParseInLocation("2006-01", m, fishpond.ChinaTime)
	return HalfYear(t).String(), nil
}

// Periods lists the half-years with sales or assessments, newest first: the archive.
func Periods(ctx context.Context, q db.Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT DISTINCT period FROM report_facts WHERE fact = ?", FactGMV)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		t, err := time.ParseInLocation("2006-01", m, fishpond.ChinaTime)
		if err != nil {
			continue
		}
		p := HalfYear(t).String()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out, rows.Err()
}

// Summary is a half-year's two headline figures, for the archive.
type Summary struct {
	Period            string
	GMVFen            int64
	CountiesWithSales int64
}

// Summaries gives every half-year with sales, newest first, with its
// poverty-county GMV and counties with sales, from one grouped read.
func Summaries(ctx context.Context, q db.Querier) ([]Summary, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.period, f.county_code, SUM(f.value) FROM report_facts f JOIN counties c ON c.code = f.county_code
		WHERE f.fact = ? AND c.poverty = 1 GROUP BY f.period, f.county_code`, FactGMV)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	gmv := map[string]int64{}
	counties := map[string]map[string]int64{}
	for rows.Next() {
		var m, county string
		var v int64
		if err := rows.Scan(&m, &county, &v); err != nil {
			return nil, err
		}
		t, err := time.ParseInLocation("2006-01", m, fishpond.ChinaTime)
		if err != nil {
			continue
		}
		p := HalfYear(t).String()
		gmv[p] += v
		if counties[p] == nil {
			counties[p] = map[string]int64{}
		}
		counties[p][county] += v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Summary
	for p, v := range gmv {
		s := Summary{Period: p, GMVFen: v}
		for _, x := range counties[p] {
			if x > 0 {
				s.CountiesWithSales++
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Period > out[j].Period })
	return out, nil
}
