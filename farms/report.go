package farms

import (
	"context"
	"sort"
	"strconv"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// HouseholdIncome is what one household earned from the farm in a year, by source.
// Rent and dividends are its net property income, wages its wage income, sales its
// operating income; inputs advanced to it are production cost.
type HouseholdIncome struct {
	HouseholdID string
	Number      string // the registry's household number (户编号)
	Rent        fishpond.Money
	Wages       fishpond.Money
	Sales       fishpond.Money
	Dividends   fishpond.Money
	Inputs      fishpond.Money
	WorkDays    Days
	ContractMu  Area
}

// Net is the household's net farm income: every payment less inputs.
func (h HouseholdIncome) Net() fishpond.Money {
	return h.Rent + h.Wages + h.Sales + h.Dividends - h.Inputs
}

// Report is a farm's year: who benefited and how much, what the land yielded and
// how much of it consumers claimed. Amounts are by effective date in China time.
type Report struct {
	CoopID        string
	Year          int
	Households    []HouseholdIncome // sorted by household number
	Benefiting    int               // households with any farm income
	Rent          fishpond.Money
	Wages         fishpond.Money
	Sales         fishpond.Money
	Dividends     fishpond.Money
	Inputs        fishpond.Money
	ContractedMu  Area // under contracts in force during the year
	Fields        int
	FieldMu       Area
	Yield         Weight // harvested from the season's fields
	ClaimableMu   int64
	ClaimedMu     int64 // paid claims
	Claims        int
	ClaimRevenue  fishpond.Money
	ShippedClaims int
}

// Total is every payment to households in the year.
func (r Report) Total() fishpond.Money { return r.Rent + r.Wages + r.Sales + r.Dividends }

// Report computes a farm's report for a year, for its manager and its county's
// officers.
func (s *Service) Report(ctx context.Context, p fishpond.Principal, coopID string, year int) (Report, error) {
	if year < 2000 || year > 2100 {
		return Report{}, fishpond.Invalid("年份有误 invalid year", map[string]string{"year": "2000–2100"})
	}
	co, err := s.Coop(ctx, p, coopID)
	if err != nil {
		return Report{}, err
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime)
	to := from.AddDate(1, 0, 0)
	fromT, toT := db.FormatTime(from), db.FormatTime(to)
	q := s.db.Read()
	r := Report{CoopID: co.ID, Year: year}
	byHH := map[string]*HouseholdIncome{}
	get := func(id string) *HouseholdIncome {
		h := byHH[id]
		if h == nil {
			h = &HouseholdIncome{HouseholdID: id}
			byHH[id] = h
		}
		return h
	}
	sum := func(query string, add func(h *HouseholdIncome, v int64), args ...any) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return internal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var v int64
			if err := rows.Scan(&id, &v); err != nil {
				return internal(err)
			}
			add(get(id), v)
		}
		return internal(rows.Err())
	}
	steps := []struct {
		query string
		add   func(h *HouseholdIncome, v int64)
	}{
		{`SELECT c.household_id, SUM(r.amount) FROM farms_rent r JOIN farms_contracts c ON c.id = r.contract_id
			WHERE c.coop_id = ? AND r.status = 'paid' AND r.due_at >= ? AND r.due_at < ? GROUP BY c.household_id`,
			func(h *HouseholdIncome, v int64) { h.Rent += fishpond.Money(v) }},
		{`SELECT l.household_id, SUM(l.amount) FROM farms_payroll_lines l JOIN farms_payrolls p ON p.id = l.payroll_id
			WHERE p.coop_id = ? AND p.paid_at >= ? AND p.paid_at < ? GROUP BY l.household_id`,
			func(h *HouseholdIncome, v int64) { h.Wages += fishpond.Money(v) }},
		{`SELECT l.household_id, SUM(l.days_x10) FROM farms_payroll_lines l JOIN farms_payrolls p ON p.id = l.payroll_id
			WHERE p.coop_id = ? AND p.paid_at >= ? AND p.paid_at < ? GROUP BY l.household_id`,
			func(h *HouseholdIncome, v int64) { h.WorkDays += Days(v) }},
		{`SELECT household_id, SUM(amount) FROM farms_deliveries WHERE coop_id = ? AND delivered_at >= ? AND delivered_at < ? GROUP BY household_id`,
			func(h *HouseholdIncome, v int64) { h.Sales += fishpond.Money(v) }},
		{`SELECT l.household_id, SUM(l.amount) FROM farms_dividend_lines l JOIN farms_dividends d ON d.id = l.dividend_id
			WHERE d.coop_id = ? AND d.paid_at >= ? AND d.paid_at < ? AND l.household_id IS NOT NULL GROUP BY l.household_id`,
			func(h *HouseholdIncome, v int64) { h.Dividends += fishpond.Money(v) }},
		{`SELECT household_id, SUM(value) FROM farms_inputs WHERE coop_id = ? AND advanced_at >= ? AND advanced_at < ? AND household_id IS NOT NULL GROUP BY household_id`,
			func(h *HouseholdIncome, v int64) { h.Inputs += fishpond.Money(v) }},
	}
	for _, st := range steps {
		if err := sum(st.query, st.add, co.ID, fromT, toT); err != nil {
			return Report{}, err
		}
	}
	// Contracts in force during the year: started before its end, ended (or
	// terminated) after its start.
	yStart, yEnd := from.Format(dateLayout), to.Format(dateLayout)
	if err := sum(`SELECT household_id, SUM(area_cmu) FROM farms_contracts WHERE coop_id = ? AND starts_on < ? AND ends_on > ?
		AND (terminated_on = '' OR terminated_on > ?) GROUP BY household_id`,
		func(h *HouseholdIncome, v int64) { h.ContractMu += Area(v) }, co.ID, yEnd, yStart, yStart); err != nil {
		return Report{}, err
	}
	if _, err := s.fillNumbers(ctx, byHH); err != nil {
		return Report{}, err
	}
	for _, h := range byHH {
		r.Rent += h.Rent
		r.Wages += h.Wages
		r.Sales += h.Sales
		r.Dividends += h.Dividends
		r.Inputs += h.Inputs
		r.ContractedMu += h.ContractMu
		if h.Rent+h.Wages+h.Sales+h.Dividends > 0 {
			r.Benefiting++
		}
		r.Households = append(r.Households, *h)
	}
	sort.Slice(r.Households, func(i, j int) bool {
		a, b := r.Households[i], r.Households[j]
		if a.Number != b.Number {
			return a.Number < b.Number
		}
		return a.HouseholdID < b.HouseholdID
	})
	fields, err := s.Fields(ctx, co.ID)
	if err != nil {
		return Report{}, err
	}
	for _, fl := range fields {
		if fl.Season != strconv.Itoa(year) {
			continue
		}
		r.Fields++
		r.FieldMu += fl.Area
		r.Yield += fl.Yield
		r.ClaimableMu += fl.ClaimableMu
		r.ClaimedMu += fl.ClaimedMu
		r.ClaimRevenue += fl.ClaimPrice * fishpond.Money(fl.ClaimedMu)
		claims, err := s.listClaims(ctx, "c.field_id = ?", fl.ID)
		if err != nil {
			return Report{}, err
		}
		for _, c := range claims {
			for _, st := range paidStatuses {
				if c.OrderStatus == st {
					r.Claims++
				}
			}
			if c.Status == ClaimShipped {
				r.ShippedClaims++
			}
		}
	}
	return r, nil
}

// fillNumbers reads the registry numbers of the households in the report.
func (s *Service) fillNumbers(ctx context.Context, byHH map[string]*HouseholdIncome) (int, error) {
	n := 0
	for id, h := range byHH {
		if err := s.db.Read().QueryRowContext(ctx, "SELECT number FROM households WHERE id = ?", id).Scan(&h.Number); err != nil {
			return n, internal(err)
		}
		n++
	}
	return n, nil
}
