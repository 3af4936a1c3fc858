package web

import (
	"net/http"
	"strconv"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/ledger"
)

// yearParam reads ?year= (default: last calendar year, the latest a survey covers).
func yearParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("year")
	if s == "" {
		return time.Now().In(fishpond.ChinaTime).Year() - 1, nil
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < 2000 || y > 2100 {
		return 0, fishpond.Invalid("bad year", map[string]string{"year": "a year from 2000 to 2100 / 年份应在2000至2100之间"})
	}
	return y, nil
}

type incomeJSON struct {
	WageFen              int64 `json:"wage_fen"`
	OperatingFen         int64 `json:"operating_fen"`
	PropertyFen          int64 `json:"property_fen"`
	TransferFen          int64 `json:"transfer_fen"`
	DeclaredWageFen      int64 `json:"declared_wage_fen"`
	DeclaredOperatingFen int64 `json:"declared_operating_fen"`
	DeclaredPropertyFen  int64 `json:"declared_property_fen"`
	DeclaredTransferFen  int64 `json:"declared_transfer_fen"`
	PlatformFen          int64 `json:"platform_fen"`
	DeclaredFen          int64 `json:"declared_fen"`
	TotalFen             int64 `json:"total_fen"`
}

func toIncome(in ledger.Income) incomeJSON {
	return incomeJSON{int64(in.Wage), int64(in.Operating), int64(in.Property), int64(in.Transfer),
		int64(in.DeclaredWage), int64(in.DeclaredOperating), int64(in.DeclaredProperty), int64(in.DeclaredTransfer),
		int64(in.Platform()), int64(in.Declared()), int64(in.Total())}
}

type statusJSON struct {
	Year           int       `json:"year"`
	Status         string    `json:"status"`
	PreviousStatus string    `json:"previous_status"`
	Exited         bool      `json:"exited"`
	Members        int       `json:"members"`
	PerCapitaFen   int64     `json:"per_capita_fen"`
	LineFen        int64     `json:"line_fen"`
	Reasons        []string  `json:"reasons"`
	AssessedAt     time.Time `json:"assessed_at"`
}

func toStatus(s assess.HouseholdStatus) statusJSON {
	return statusJSON{s.Year, s.Status, s.PreviousStatus, assess.Exited(s.Status), s.Members, int64(s.PerCapita), int64(s.Line), s.Reasons, s.AssessedAt}
}

// householdIncome gathers a household's year: monthly income by category, the
// year's totals, per-capita income, the line and the assessed status if any.
type householdIncome struct {
	Year         int            `json:"year"`
	Members      int            `json:"members"`
	Months       [12]incomeJSON `json:"months"`
	Total        incomeJSON     `json:"total"`
	PerCapitaFen int64          `json:"per_capita_fen"`
	LineFen      int64          `json:"line_fen,omitempty"`
	Status       *statusJSON    `json:"status,omitempty"`

	months [12]ledger.Income
	total  ledger.Income
}

func (s *Server) householdIncome(r *http.Request, u access.User, id string, year int) (householdIncome, error) {
	h, err := s.Registry.Household(r.Context(), u.Principal(), id)
	if err != nil {
		return householdIncome{}, err
	}
	months, err := s.Ledger.MonthlyIncome(r.Context(), h.ID, year)
	if err != nil {
		return householdIncome{}, err
	}
	out := householdIncome{Year: year, Members: h.Size, months: months}
	for i, m := range months {
		out.Months[i] = toIncome(m)
		out.total.Wage += m.Wage
		out.total.Operating += m.Operating
		out.total.Property += m.Property
		out.total.Transfer += m.Transfer
		out.total.DeclaredWage += m.DeclaredWage
		out.total.DeclaredOperating += m.DeclaredOperating
		out.total.DeclaredProperty += m.DeclaredProperty
		out.total.DeclaredTransfer += m.DeclaredTransfer
	}
	out.Total = toIncome(out.total)
	out.PerCapitaFen = int64(out.total.PerCapita(h.Size))
	if line, err := s.Assessor.PovertyLine(r.Context(), year); err == nil {
		out.LineFen = int64(line.Amount)
	}
	if st, err := s.Assessor.HouseholdStatus(r.Context(), u.Principal(), h.ID, year); err == nil {
		j := toStatus(st)
		out.Status = &j
	} else if fishpond.Code(err) != fishpond.ENotFound {
		return out, err
	}
	return out, nil
}

func (s *Server) apiHouseholdIncome(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, err := yearParam(r)
	if err != nil {
		return err
	}
	out, err := s.householdIncome(r, u, r.PathValue("id"), year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiHouseholdStatuses(w http.ResponseWriter, r *http.Request, u access.User) error {
	hist, err := s.Assessor.StatusHistory(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]statusJSON, 0, len(hist))
	for _, h := range hist {
		out = append(out, toStatus(h))
	}
	writeJSON(w, http.StatusOK, listPage[statusJSON]{Items: out})
	return nil
}

type declareJSON struct {
	Year           int    `json:"year"`
	Category       string `json:"category"`
	AmountFen      int64  `json:"amount_fen"`
	Evidence       string `json:"evidence"`
	IdempotencyKey string `json:"idempotency_key"`
}

// declareIncome records survey income for a household the caller may edit.
func (s *Server) declareIncome(r *http.Request, u access.User, id string, in declareJSON) (ledger.Transfer, error) {
	h, err := s.Registry.Household(r.Context(), u.Principal(), id)
	if err != nil {
		return ledger.Transfer{}, err
	}
	if !u.Principal().CanEditRegistry(h.CountyCode) {
		return ledger.Transfer{}, fishpond.Errorf(fishpond.EForbidden, "only the county's officers record survey income / 只有本县干部可以录入调查收入")
	}
	if in.IdempotencyKey == "" {
		return ledger.Transfer{}, fishpond.Invalid("missing idempotency key", map[string]string{"idempotency_key": "required, so that a retried request is not counted twice / 必填，防止重复计入"})
	}
	return s.Ledger.DeclareIncome(r.Context(), h.ID, in.Category, fishpond.Money(in.AmountFen), in.Year, in.Evidence, "declare:"+h.ID+":"+in.IdempotencyKey)
}

func (s *Server) apiDeclareIncome(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in declareJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.declareIncome(r, u, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeCreated(w, t.Replayed, map[string]any{"transfer_id": t.ID, "replayed": t.Replayed})
	return nil
}

type lineJSON struct {
	Year      int    `json:"year"`
	AmountFen int64  `json:"amount_fen"`
	Note      string `json:"note"`
	Source    string `json:"source"`
}

func (s *Server) apiPovertyLines(w http.ResponseWriter, r *http.Request, u access.User) error {
	ls, err := s.Assessor.PovertyLines(r.Context())
	if err != nil {
		return err
	}
	out := make([]lineJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, lineJSON{l.Year, int64(l.Amount), l.Note, l.Source})
	}
	writeJSON(w, http.StatusOK, listPage[lineJSON]{Items: out})
	return nil
}

func (s *Server) apiSetPovertyLine(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return fishpond.Invalid("bad year", map[string]string{"year": "a year such as 2020"})
	}
	var in struct {
		AmountFen int64  `json:"amount_fen"`
		Note      string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	l, err := s.Assessor.SetPovertyLine(r.Context(), u.Principal(), year, fishpond.Money(in.AmountFen), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lineJSON{l.Year, int64(l.Amount), l.Note, l.Source})
	return nil
}

type runJSON struct {
	RunID      string         `json:"run_id"`
	Year       int            `json:"year"`
	County     string         `json:"county,omitempty"`
	LineFen    int64          `json:"line_fen"`
	Households int            `json:"households"`
	Changed    int            `json:"changed"`
	Unchanged  int            `json:"unchanged"`
	ByStatus   map[string]int `json:"by_status"`
	LaterYears []int          `json:"later_years,omitempty"`
	DurationMS int64          `json:"duration_ms"`
}

func (s *Server) apiRunAssessment(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Year   int    `json:"year"`
		County string `json:"county"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rep, err := s.Assessor.Run(r.Context(), u.Principal(), in.Year, in.County)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, runJSON{rep.RunID, rep.Year, rep.County, int64(rep.Line.Amount), rep.Households, rep.Changed, rep.Unchanged,
		rep.ByStatus, rep.LaterYears, rep.Duration.Milliseconds()})
	return nil
}

type rateJSON struct {
	Num     int64   `json:"numerator"`
	Den     int64   `json:"denominator"`
	Percent float64 `json:"percent"`
	Known   bool    `json:"measured"`
}

func toRate(r assess.Rate) rateJSON {
	out := rateJSON{Num: r.Num, Den: r.Den, Known: r.Known()}
	if r.Known() {
		out.Percent = float64(r.Num) * 100 / float64(r.Den)
	}
	return out
}

type criterionJSON struct {
	Key       string `json:"key"`
	Name      string `json:"name"`
	Value     string `json:"value"`
	Threshold string `json:"threshold"`
	Result    string `json:"result"`
	Words     string `json:"words"`
}

func toCriteria(cs []assess.Criterion) []criterionJSON {
	out := make([]criterionJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, criterionJSON{c.Key, c.Name, c.Value, c.Threshold, c.Result, c.Words})
	}
	return out
}

type countyAssessmentJSON struct {
	County               string          `json:"county_code"`
	Year                 int             `json:"year"`
	RegisteredHouseholds int             `json:"registered_households"`
	RegisteredPeople     int             `json:"registered_people"`
	Assessed             int             `json:"assessed"`
	Households           map[string]int  `json:"households_by_status"`
	People               map[string]int  `json:"people_by_status"`
	PoorPersons          int             `json:"poor_persons"`
	RuralPopulation      int64           `json:"rural_population,omitempty"`
	Incidence            rateJSON        `json:"incidence"`
	ThresholdBp          int64           `json:"incidence_threshold_bp"`
	Criteria             []criterionJSON `json:"criteria"`
	Eligible             bool            `json:"eligible_to_exit"`
	Verdict              string          `json:"verdict"`
	Trend                []trendJSON     `json:"trend"`
}

type trendJSON struct {
	Year       int            `json:"year"`
	Households map[string]int `json:"households_by_status"`
	Incidence  rateJSON       `json:"incidence"`
}

func toCountyAssessment(c assess.CountyReport) countyAssessmentJSON {
	out := countyAssessmentJSON{c.County.Code, c.Year, c.RegisteredHouseholds, c.RegisteredPeople, c.Assessed, c.Households, c.People,
		c.PoorPersons, c.RuralPopulation, toRate(c.Incidence), c.IncidenceThresholdBp, toCriteria(c.Criteria), c.Eligible, c.EligibilityWords, nil}
	for _, y := range c.Trend {
		out.Trend = append(out.Trend, trendJSON{y.Year, y.Households, toRate(y.Incidence)})
	}
	return out
}

func (s *Server) apiCountyAssessment(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, err := yearParam(r)
	if err != nil {
		return err
	}
	rep, err := s.Assessor.CountyReport(r.Context(), u.Principal(), r.PathValue("code"), year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCountyAssessment(rep))
	return nil
}

func (s *Server) apiSetRuralPopulation(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return fishpond.Invalid("bad year", map[string]string{"year": "a year such as 2020"})
	}
	var in struct {
		RuralPopulation int64  `json:"rural_population"`
		Note            string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Assessor.SetRuralPopulation(r.Context(), u.Principal(), r.PathValue("code"), year, in.RuralPopulation, in.Note); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
