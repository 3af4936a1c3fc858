package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fishpond/internal/db"
)

// Value is a metric's figure for a period.
type Value struct {
	// Status is measured, not_measured (the capability does not exist in this
	// build: never reported as zero) or no_base (a ratio whose denominator is zero).
	Status string
	V      int64
}

// The statuses of a Value.
const (
	Measured    = "measured"
	NotMeasured = "not_measured"
	NoBase      = "no_base"
)

func val(v int64) Value { return Value{Status: Measured, V: v} }

// place is what reports need to know about a county.
type place struct {
	Name, Province, ProvinceName, Region string
	Poverty                              bool
}

// calc is the input of the metric functions for one range.
type calc struct {
	ctx    context.Context
	q      db.Querier
	r      Range
	cur    Facts // monthly facts of r but categories, yearly facts of r.Year()
	places map[string]place

	// Category sales summed by the database: per category for poverty counties,
	// the all-county total, and a year earlier per month (poverty counties) and in
	// all. Reading them grouped keeps a report at a few thousand rows whatever the
	// number of counties × categories × months.
	cats      map[string]int64
	catAll    int64
	ybByMonth map[string]int64
	ybAll     int64

	// Sums made in one pass over cur: per fact over poverty counties, per fact
	// over all counties, and per fact and county.
	pov, all map[string]int64
	county   map[string]map[string]int64
}

func (c *calc) index() {
	c.pov, c.all, c.county = map[string]int64{}, map[string]int64{}, map[string]map[string]int64{}
	for k, v := range c.cur {
		c.all[k.Fact] += v
		if c.poverty(k.County) {
			c.pov[k.Fact] += v
		}
		m := c.county[k.Fact]
		if m == nil {
			m = map[string]int64{}
			c.county[k.Fact] = m
		}
		m[k.County] += v
	}
}

var monthlyFacts = []string{FactGMV, FactOrders, FactRefunds}
var yearlyFacts = []string{FactHouseholds, FactPeople, FactExited, FactPeopleExited}

func (c *calc) poverty(county string) bool { return c.places[county].Poverty }

// sum adds up fact over every period and dim, for counties keep accepts (nil: all).
func sum(f Facts, fact string, keep func(string) bool) int64 {
	var n int64
	for k, v := range f {
		if k.Fact == fact && (keep == nil || keep(k.County)) {
			n += v
		}
	}
	return n
}

// byCounty adds up fact per county.
func byCounty(f Facts, fact string) map[string]int64 {
	out := map[string]int64{}
	for k, v := range f {
		if k.Fact == fact {
			out[k.County] += v
		}
	}
	return out
}

func gmv(c *calc) Value     { return val(sum(c.cur, FactGMV, c.poverty)) }
func orders(c *calc) Value  { return val(sum(c.cur, FactOrders, c.poverty)) }
func refunds(c *calc) Value { return val(sum(c.cur, FactRefunds, c.poverty)) }
func countiesWithSales(c *calc) Value {
	n := 0
	for county, v := range c.county[FactGMV] {
		if v > 0 && c.poverty(county) {
			n++
		}
	}
	return val(int64(n))
}

func agriYoY(c *calc) Value {
	now, before := c.catAll, c.ybAll
	if before == 0 {
		return Value{Status: NoBase}
	}
	return val(ratioBp(now-before, before))
}

// ratioBp is num/den in basis points, rounded half away from zero.
func ratioBp(num, den int64) int64 {
	x := num * 10000
	if (x < 0) != (den < 0) {
		return (x - den/2) / den
	}
	return (x + den/2) / den
}

func households(fact string) func(c *calc) Value {
	return func(c *calc) Value { return val(c.pov[fact]) }
}

// incidence is poor and returned people over the registered rural population of the
// poverty counties that have one for the year.
func incidence(c *calc) Value {
	pop, err := population(c.ctx, c.q, c.r.Year())
	if err != nil {
		return Value{Status: NoBase}
	}
	var poor, den int64
	for k, v := range c.cur {
		if k.Fact == FactPeople && (k.Dim == "poor" || k.Dim == "returned") && pop[k.County] > 0 && c.poverty(k.County) {
			poor += v
		}
	}
	for county, p := range pop {
		if c.poverty(county) {
			den += p
		}
	}
	if den == 0 {
		return Value{Status: NoBase}
	}
	return val(ratioBp(poor, den))
}

func population(ctx context.Context, q db.Querier, year string) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT county_code, rural_population FROM county_population WHERE year = ?", atoi(year))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var c string
		var n int64
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}

// channel reads the channel's coverage at the end of the period directly: it is a
// short curated list (hundreds of products), not a flow.
func channel(which int) func(c *calc) Value {
	return func(c *calc) Value {
		_, end := c.r.Bounds()
		var v [4]int64
		err := c.q.QueryRowContext(c.ctx, `SELECT COUNT(DISTINCT c.province_code), COUNT(DISTINCT c.code),
			COUNT(DISTINCT CASE WHEN c.poverty = 1 THEN c.code END), COUNT(*)
			FROM market_channel_products cp JOIN market_products p ON p.id = cp.product_id JOIN counties c ON c.code = p.origin_county
			WHERE cp.listed_at < ?`, db.FormatTime(end)).Scan(&v[0], &v[1], &v[2], &v[3])
		if err != nil {
			return Value{Status: NoBase}
		}
		return val(v[which])
	}
}

// plugValue computes a plugged metric from its event counters.
func plugValue(ctx context.Context, q db.Querier, m EventMeasure, r Range, places map[string]place) (Value, error) {
	keep := func(county string) bool { return !m.PovertyOnly || places[county].Poverty }
	switch m.Kind {
	case Cumulative, Growth3M:
		upto, err := readFacts(ctx, q, []string{m.fact()}, "0000", r.To)
		if err != nil {
			return Value{}, err
		}
		total := sum(upto, m.fact(), keep)
		if m.Kind == Cumulative {
			return val(m.scale(total)), nil
		}
		cut := addMonths(r.To, -3)
		var before int64
		for k, v := range upto {
			if k.Period <= cut && keep(k.County) {
				before += v
			}
		}
		if before == 0 {
			return Value{Status: NoBase}, nil
		}
		return val(ratioBp(total-before, before)), nil
	}
	f, err := readFacts(ctx, q, []string{m.fact()}, r.From, r.To)
	if err != nil {
		return Value{}, err
	}
	switch m.Kind {
	case CountiesWith, ProvincesWith:
		seen := map[string]bool{}
		for county, v := range byCounty(f, m.fact()) {
			if v > 0 && keep(county) {
				if m.Kind == ProvincesWith {
					county = places[county].Province
				}
				seen[county] = true
			}
		}
		return val(int64(len(seen))), nil
	}
	return val(m.scale(sum(f, m.fact(), keep))), nil
}

func loadPlaces(ctx context.Context, q db.Querier) (map[string]place, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.code, c.name, c.province_code, p.name, c.region, c.poverty
		FROM counties c JOIN provinces p ON p.code = c.province_code`)
	if err != nil {
		return nil, fmt.Errorf("report: places: %w", err)
	}
	defer rows.Close()
	out := map[string]place{}
	for rows.Next() {
		var code string
		var p place
		var pov int
		if err := rows.Scan(&code, &p.Name, &p.Province, &p.ProvinceName, &p.Region, &pov); err != nil {
			return nil, err
		}
		p.Poverty = pov == 1
		out[code] = p
	}
	return out, rows.Err()
}

// values computes every catalogue metric for r.
func values(ctx context.Context, q db.Querier, r Range, places map[string]place) (map[string]Value, *calc, error) {
	cur, err := readFacts(ctx, q, monthlyFacts, r.From, r.To)
	if err != nil {
		return nil, nil, err
	}
	yearly, err := readFacts(ctx, q, yearlyFacts, r.Year(), r.Year())
	if err != nil {
		return nil, nil, err
	}
	for k, v := range yearly {
		cur[k] = v
	}
	c := &calc{ctx: ctx, q: q, r: r, cur: cur, places: places, cats: map[string]int64{}, ybByMonth: map[string]int64{}}
	c.index()
	if err := c.categories(); err != nil {
		return nil, nil, err
	}
	out := map[string]Value{}
	for _, m := range Catalogue {
		switch pm, ok := measureOf(m.ID); {
		case m.builtin != nil:
			out[m.ID] = m.builtin(c)
		case ok:
			v, err := plugValue(ctx, q, pm, r, places)
			if err != nil {
				return nil, nil, err
			}
			out[m.ID] = v
		default:
			out[m.ID] = Value{Status: NotMeasured}
		}
	}
	return out, c, nil
}

// categories reads the grouped category sums of the range and a year before it.
func (c *calc) categories() error {
	rows, err := c.q.QueryContext(c.ctx, `SELECT f.dim, c.poverty, SUM(f.value) FROM report_facts f JOIN counties c ON c.code = f.county_code
		WHERE f.fact = ? AND f.period >= ? AND f.period <= ? GROUP BY f.dim, c.poverty`, FactCategory, c.r.From, c.r.To)
	if err != nil {
		return fmt.Errorf("report: categories: %w", err)
	}
	for rows.Next() {
		var dim string
		var pov int
		var v int64
		if err := rows.Scan(&dim, &pov, &v); err != nil {
			rows.Close()
			return err
		}
		c.catAll += v
		if pov == 1 {
			c.cats[dim] += v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	yb := c.r.YearBefore()
	rows, err = c.q.QueryContext(c.ctx, `SELECT f.period, c.poverty, SUM(f.value) FROM report_facts f JOIN counties c ON c.code = f.county_code
		WHERE f.fact = ? AND f.period >= ? AND f.period <= ? GROUP BY f.period, c.poverty`, FactCategory, yb.From, yb.To)
	if err != nil {
		return fmt.Errorf("report: categories a year before: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var period string
		var pov int
		var v int64
		if err := rows.Scan(&period, &pov, &v); err != nil {
			return err
		}
		c.ybAll += v
		if pov == 1 {
			c.ybByMonth[period] += v
		}
	}
	return rows.Err()
}

func atoi(s string) int {
	n := 0
	for _, ch := range s {
		n = n*10 + int(ch-'0')
	}
	return n
}

// Figure is one metric of a report with its previous-period comparison.
type Figure struct {
	*Metric
	Value
	Previous Value
	// ChangeBp is the change on the previous period in basis points, when both
	// periods are measured and the previous one is not zero.
	ChangeBp *int64
}

// MonthSales is one month of the sales chart.
type MonthSales struct {
	Month         string
	GMVFen        int64 // poverty counties
	Orders        int64
	YearBeforeFen int64 // the same month a year earlier
}

// Area is a province's or county's line in the breakdowns. Counts below MinCell
// are suppressed in public output (Suppressed set, figures zeroed).
type Area struct {
	Code, Name, Province string
	GMVFen, Orders       int64
	RefundsFen           int64
	Counties             int // provinces: poverty counties with sales
	Households, People   int64
	Exited               int64
	Suppressed           bool
}

// Category is one product category's sales.
type Category struct {
	Name   string
	Fen    int64
	Orders int64 // not kept per category; zero
}

// IncomeCategory is one of the four official income categories, platform and
// declared, summed over registered households for the period.
type IncomeCategory struct {
	Category    string
	PlatformFen int64
	DeclaredFen int64
}

// Report is a period's report as every output renders it.
type Report struct {
	Period, Previous string
	Range            Range
	GeneratedAt      time.Time
	Figures          []Figure
	Months           []MonthSales
	Provinces        []Area // sorted by sales
	Counties         []Area // poverty counties with sales or households, sorted by sales
	Categories       []Category
	Income           []IncomeCategory
	Public           bool // suppression applied
	// IncomeSuppressed is set when fewer than MinCell households had income in
	// the period, so the public income figures are withheld.
	IncomeSuppressed bool
}

// Figure returns the figure with the given id.
func (r *Report) Figure(id string) Figure {
	for _, f := range r.Figures {
		if f.ID == id {
			return f
		}
	}
	return Figure{}
}

// Build computes the report for rg from the aggregates. province or county narrow
// the breakdowns (admin drill-down; "" for all); public applies small-cell
// suppression to the breakdowns.
func Build(ctx context.Context, q db.Querier, rg Range, now time.Time, public bool) (*Report, error) {
	places, err := loadPlaces(ctx, q)
	if err != nil {
		return nil, err
	}
	cur, c, err := values(ctx, q, rg, places)
	if err != nil {
		return nil, err
	}
	prev, _, err := values(ctx, q, rg.Previous(), places)
	if err != nil {
		return nil, err
	}
	rep := &Report{Period: rg.String(), Previous: rg.Previous().String(), Range: rg, GeneratedAt: now, Public: public}
	for _, m := range Catalogue {
		f := Figure{Metric: m, Value: cur[m.ID], Previous: prev[m.ID]}
		if f.Status == Measured && f.Previous.Status == Measured && f.Previous.V != 0 && m.Unit != UnitBp {
			ch := ratioBp(f.V-f.Previous.V, f.Previous.V)
			f.ChangeBp = &ch
		}
		rep.Figures = append(rep.Figures, f)
	}
	// Months.
	byMonth := map[string]*MonthSales{}
	for _, m := range rg.Months() {
		byMonth[m] = &MonthSales{Month: m}
	}
	for k, v := range c.cur {
		if ms := byMonth[k.Period]; ms != nil && c.poverty(k.County) {
			switch k.Fact {
			case FactGMV:
				ms.GMVFen += v
			case FactOrders:
				ms.Orders += v
			}
		}
	}
	for period, v := range c.ybByMonth {
		if ms := byMonth[addMonths(period, 12)]; ms != nil {
			ms.YearBeforeFen += v
		}
	}
	for _, m := range rg.Months() {
		rep.Months = append(rep.Months, *byMonth[m])
	}
	// Areas.
	counties := map[string]*Area{}
	area := func(code string) *Area {
		a := counties[code]
		if a == nil {
			p := places[code]
			a = &Area{Code: code, Name: p.Name, Province: p.Province}
			counties[code] = a
		}
		return a
	}
	for k, v := range c.cur {
		if !c.poverty(k.County) {
			continue
		}
		switch k.Fact {
		case FactGMV:
			area(k.County).GMVFen += v
		case FactOrders:
			area(k.County).Orders += v
		case FactRefunds:
			area(k.County).RefundsFen += v
		case FactHouseholds:
			area(k.County).Households += v
		case FactPeople:
			area(k.County).People += v
		case FactExited:
			area(k.County).Exited += v
		}
	}
	provinces := map[string]*Area{}
	for code, a := range counties {
		p := places[code]
		pa := provinces[p.Province]
		if pa == nil {
			pa = &Area{Code: p.Province, Name: p.ProvinceName}
			provinces[p.Province] = pa
		}
		pa.GMVFen += a.GMVFen
		pa.Orders += a.Orders
		pa.RefundsFen += a.RefundsFen
		pa.Households += a.Households
		pa.People += a.People
		pa.Exited += a.Exited
		if a.GMVFen > 0 {
			pa.Counties++
		}
	}
	for _, a := range counties {
		rep.Counties = append(rep.Counties, *a)
	}
	for _, a := range provinces {
		rep.Provinces = append(rep.Provinces, *a)
	}
	for _, list := range [][]Area{rep.Counties, rep.Provinces} {
		sort.Slice(list, func(i, j int) bool {
			if list[i].GMVFen != list[j].GMVFen {
				return list[i].GMVFen > list[j].GMVFen
			}
			return list[i].Code < list[j].Code
		})
		if public {
			for i := range list {
				suppress(&list[i])
			}
		}
	}
	for name, v := range c.cats {
		rep.Categories = append(rep.Categories, Category{Name: name, Fen: v})
	}
	sort.Slice(rep.Categories, func(i, j int) bool {
		if rep.Categories[i].Fen != rep.Categories[j].Fen {
			return rep.Categories[i].Fen > rep.Categories[j].Fen
		}
		return rep.Categories[i].Name < rep.Categories[j].Name
	})
	var earners int64
	if rep.Income, earners, err = income(ctx, q, rg); err != nil {
		return nil, err
	}
	if public && earners < MinCell {
		// Fewer than MinCell households had income: their sums would be theirs.
		for i := range rep.Income {
			rep.Income[i].PlatformFen, rep.Income[i].DeclaredFen = 0, 0
		}
		rep.IncomeSuppressed = earners > 0
	}
	return rep, nil
}

// MinCell is the smallest count published for an area: a county with fewer
// households assessed, or fewer orders, than this shows those figures suppressed,
// so that no single household's income or sales can be read off a public table.
const MinCell = 10

func suppress(a *Area) {
	if a.Orders < MinCell {
		if a.Orders > 0 {
			a.Suppressed = true
		}
		a.GMVFen, a.Orders, a.RefundsFen = 0, 0, 0
	}
	if a.Households < MinCell {
		if a.Households > 0 {
			a.Suppressed = true
		}
		a.Households, a.People, a.Exited = 0, 0, 0
	}
}

// income sums registered households' income postings in the period by the four
// official categories, platform and declared. The ledger emits no events yet, so
// this reads its covering posting index directly; it is bounded by households'
// transfers, not by orders.
func income(ctx context.Context, q db.Querier, rg Range) ([]IncomeCategory, int64, error) {
	start, end := rg.Bounds()
	var earners int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT a.owner) FROM ledger_accounts a JOIN ledger_postings p ON p.account_seq = a.seq
		WHERE a.owner LIKE 'household:%' AND p.effective_at >= ? AND p.effective_at < ?
		AND a.category IN ('wage', 'operating', 'property', 'transfer', 'declared_wage', 'declared_operating', 'declared_property', 'declared_transfer')`,
		db.FormatTime(start), db.FormatTime(end)).Scan(&earners); err != nil {
		return nil, 0, fmt.Errorf("report: income earners: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT a.category, COALESCE(SUM(p.amount), 0) FROM ledger_accounts a
		JOIN ledger_postings p ON p.account_seq = a.seq
		WHERE a.owner LIKE 'household:%' AND p.effective_at >= ? AND p.effective_at < ?
		AND a.category IN ('wage', 'operating', 'property', 'transfer', 'cost', 'declared_wage', 'declared_operating', 'declared_property', 'declared_transfer')
		GROUP BY a.category`, db.FormatTime(start), db.FormatTime(end))
	if err != nil {
		return nil, 0, fmt.Errorf("report: income: %w", err)
	}
	defer rows.Close()
	by := map[string]*IncomeCategory{}
	order := []string{"wage", "operating", "property", "transfer"}
	for _, c := range order {
		by[c] = &IncomeCategory{Category: c}
	}
	for rows.Next() {
		var cat string
		var v int64
		if err := rows.Scan(&cat, &v); err != nil {
			return nil, 0, err
		}
		// Income accounts are credit-normal: credits are negative postings.
		switch {
		case cat == "cost":
			by["operating"].PlatformFen -= v
		case strings.HasPrefix(cat, "declared_"):
			by[strings.TrimPrefix(cat, "declared_")].DeclaredFen -= v
		default:
			by[cat].PlatformFen -= v
		}
	}
	out := make([]IncomeCategory, len(order))
	for i, c := range order {
		out[i] = *by[c]
	}
	return out, earners, rows.Err()
}
