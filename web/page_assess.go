package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/ledger"
)

// yuanF converts fen to yuan for charts only: the figures people read in tables are
// formatted from integer fen.
func yuanF(m fishpond.Money) float64 { return float64(m) / 100 }

// incomeChart is the ECharts option for monthly income stacked by category.
func incomeChart(lang string, months [12]ledger.Income) map[string]any {
	names := []string{"Wage income", "Net operating income", "Net property income", "Net transfer income", "Declared (off-platform)"}
	vals := make([][]float64, len(names))
	for _, m := range months {
		vals[0] = append(vals[0], yuanF(m.Wage))
		vals[1] = append(vals[1], yuanF(m.Operating))
		vals[2] = append(vals[2], yuanF(m.Property))
		vals[3] = append(vals[3], yuanF(m.Transfer))
		vals[4] = append(vals[4], yuanF(m.Declared()))
	}
	var series []map[string]any
	var legend []string
	for i, n := range names {
		label := translate(lang, n)
		legend = append(legend, label)
		series = append(series, map[string]any{"name": label, "type": "bar", "stack": "income", "data": vals[i]})
	}
	var xs []string
	for i := 1; i <= 12; i++ {
		if lang == "en" {
			xs = append(xs, time.Month(i).String()[:3])
		} else {
			xs = append(xs, strconv.Itoa(i)+"月")
		}
	}
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"data": legend, "bottom": 0, "type": "scroll"},
		"grid":    map[string]any{"left": 8, "right": 8, "top": 16, "bottom": 40, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": xs},
		"yAxis":   map[string]any{"type": "value", "name": translate(lang, "yuan")},
		"series":  series,
	}
}

// lineChart compares per-capita income with the poverty line and the monitoring line.
func lineChart(lang string, perCapita, line fishpond.Money, marginalBp fishpond.Bp) map[string]any {
	names := []string{translate(lang, "Per-capita net income"), translate(lang, "Poverty line"), translate(lang, "Monitoring line")}
	colors := []string{"#1f7a4d", "#d92d20", "#f79009"}
	if perCapita < line {
		colors[0] = "#d92d20"
	}
	var data []map[string]any
	for i, v := range []fishpond.Money{perCapita, line, marginalBp.Of(line)} {
		data = append(data, map[string]any{"value": yuanF(v), "itemStyle": map[string]any{"color": colors[i]}})
	}
	return map[string]any{
		"grid":   map[string]any{"left": 8, "right": 56, "top": 8, "bottom": 8, "containLabel": true},
		"xAxis":  map[string]any{"type": "value"},
		"yAxis":  map[string]any{"type": "category", "inverse": true, "data": names},
		"series": []map[string]any{{"type": "bar", "data": data, "label": map[string]any{"show": true, "position": "right"}}},
	}
}

func (s *Server) incomePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, err := yearParam(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("year") == "" {
		// Without a year, show the latest assessed one: that is what people ask about.
		hist, err := s.Assessor.StatusHistory(r.Context(), u.Principal(), r.PathValue("id"))
		if err != nil {
			return err
		}
		if len(hist) > 0 {
			year = hist[len(hist)-1].Year // StatusHistory is ordered by year
		}
	}
	return s.renderIncome(w, r, u, year, http.StatusOK, nil)
}

func (s *Server) renderIncome(w http.ResponseWriter, r *http.Request, u access.User, year, status int, formErr *fishpond.Error) error {
	id := r.PathValue("id")
	h, err := s.Registry.Household(r.Context(), u.Principal(), id)
	if err != nil {
		return err
	}
	inc, err := s.householdIncome(r, u, id, year)
	if err != nil {
		return err
	}
	v := s.view(r, "income")
	v.Title = h.HeadName + " · " + translate(v.Lang, "Income")
	line := fishpond.Money(inc.LineFen)
	hist, err := s.Assessor.StatusHistory(r.Context(), u.Principal(), id)
	if err != nil {
		return err
	}
	var years []int
	for y := year - 3; y <= year+1; y++ {
		years = append(years, y)
	}
	v.Data = map[string]any{"H": h, "Year": year, "Years": years, "Inc": inc, "Total": inc.total, "PerCapita": fishpond.Money(inc.PerCapitaFen),
		"Line": line, "History": hist, "Error": formErr, "CanDeclare": u.Principal().CanEditRegistry(h.CountyCode),
		"MonthlyChart": incomeChart(v.Lang, inc.months), "LineChart": lineChart(v.Lang, fishpond.Money(inc.PerCapitaFen), line, s.Assessor.MarginalBp),
		"Key": fmt.Sprintf("%d-%d", year, time.Now().UnixNano())}
	s.render(w, r, status, "income", v)
	return nil
}

func (s *Server) declareSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, _ := strconv.Atoi(r.FormValue("year"))
	amount, perr := fishpond.ParseMoney(r.FormValue("amount"))
	in := declareJSON{Year: year, Category: r.FormValue("category"), AmountFen: int64(amount), Evidence: r.FormValue("evidence"), IdempotencyKey: r.FormValue("key")}
	var err error
	if perr != nil {
		err = fishpond.Invalid("bad amount", map[string]string{"amount": "yuan with at most two decimals / 金额（元），最多两位小数"})
	} else {
		_, err = s.declareIncome(r, u, r.PathValue("id"), in)
	}
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound || e.Code == fishpond.EForbidden {
			return err
		}
		if year < 2000 || year > 2100 {
			year = time.Now().Year() - 1
		}
		return s.renderIncome(w, r, u, year, statusOf[e.Code], e)
	}
	http.Redirect(w, r, fmt.Sprintf("/households/%s/income?year=%d", r.PathValue("id"), year), http.StatusSeeOther)
	return nil
}

func statusLabel(lang, st string) string {
	w, ok := assess.StatusWords[st]
	if !ok {
		return st
	}
	if lang == "en" {
		return w[1]
	}
	return w[0]
}

func (s *Server) assessmentPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, err := yearParam(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("year") == "" {
		// Without a year, open the latest assessed year of the county.
		rep, err := s.Assessor.CountyReport(r.Context(), u.Principal(), r.PathValue("code"), year)
		if err != nil {
			return err
		}
		if n := len(rep.Trend); n > 0 && rep.Trend[n-1].Year != year {
			http.Redirect(w, r, fmt.Sprintf("/counties/%s/assessment?year=%d", r.PathValue("code"), rep.Trend[n-1].Year), http.StatusSeeOther)
			return nil
		}
	}
	return s.renderAssessment(w, r, u, year, http.StatusOK, nil, nil)
}

func (s *Server) renderAssessment(w http.ResponseWriter, r *http.Request, u access.User, year, status int, formErr *fishpond.Error, run *assess.RunReport) error {
	rep, err := s.Assessor.CountyReport(r.Context(), u.Principal(), r.PathValue("code"), year)
	if err != nil {
		return err
	}
	v := s.view(r, "assessment")
	v.Title = rep.County.Name + " · " + translate(v.Lang, "Poverty assessment")
	var pie []chartItem
	for _, st := range assess.Statuses {
		if n := rep.Households[st]; n > 0 {
			pie = append(pie, statusItem(statusLabel(v.Lang, st), st, n))
		}
	}
	// Trend: households by status per assessed year, and incidence where measured.
	var years []string
	series := map[string][]int{}
	var incidence []any
	for _, y := range rep.Trend {
		years = append(years, strconv.Itoa(y.Year))
		for _, st := range assess.Statuses {
			series[st] = append(series[st], y.Households[st])
		}
		if y.Incidence.Known() {
			incidence = append(incidence, float64(y.Incidence.Num)*100/float64(y.Incidence.Den))
		} else {
			incidence = append(incidence, nil)
		}
	}
	var ser []map[string]any
	var legend []string
	for _, st := range assess.Statuses {
		name := statusLabel(v.Lang, st)
		legend = append(legend, name)
		ser = append(ser, map[string]any{"name": name, "type": "bar", "stack": "h", "data": series[st], "itemStyle": map[string]any{"color": statusColors[st]}})
	}
	incName := translate(v.Lang, "Poverty incidence") + " %"
	legend = append(legend, incName)
	ser = append(ser, map[string]any{"name": incName, "type": "line", "yAxisIndex": 1, "data": incidence, "connectNulls": true, "itemStyle": map[string]any{"color": "#175cd3"}})
	trend := map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"data": legend, "bottom": 0, "type": "scroll"},
		"grid":    map[string]any{"left": 8, "right": 8, "top": 24, "bottom": 40, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": years},
		"yAxis":   []map[string]any{{"type": "value", "name": translate(v.Lang, "Households")}, {"type": "value", "name": "%", "splitLine": map[string]any{"show": false}}},
		"series":  ser,
	}
	var yearsNav []int
	for y := year - 3; y <= year+1; y++ {
		yearsNav = append(yearsNav, y)
	}
	p := u.Principal()
	v.Data = map[string]any{"R": rep, "Year": year, "Years": yearsNav, "Pie": pie, "Trend": trend, "HasTrend": len(rep.Trend) > 0,
		"CanRun": p.Role == fishpond.RoleAdmin || (p.Role == fishpond.RoleCountyOfficer && p.CanSeeCounty(rep.County.Code)),
		"Error":  formErr, "Run": run, "Statuses": assess.Statuses}
	s.render(w, r, status, "assessment", v)
	return nil
}

func (s *Server) assessmentSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, _ := strconv.Atoi(r.FormValue("year"))
	rep, err := s.Assessor.Run(r.Context(), u.Principal(), year, r.PathValue("code"))
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound || year < 2000 || year > 2100 {
			return err
		}
		return s.renderAssessment(w, r, u, year, statusOf[e.Code], e, nil)
	}
	return s.renderAssessment(w, r, u, year, http.StatusOK, nil, &rep)
}

func (s *Server) populationSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, _ := strconv.Atoi(r.FormValue("year"))
	n, perr := strconv.ParseInt(strings.TrimSpace(r.FormValue("rural_population")), 10, 64)
	var err error
	if perr != nil {
		err = fishpond.Invalid("bad number", map[string]string{"rural_population": "a whole number of people / 请输入人数"})
	} else {
		err = s.Assessor.SetRuralPopulation(r.Context(), u.Principal(), r.PathValue("code"), year, n, r.FormValue("note"))
	}
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound || year < 2000 || year > 2100 {
			return err
		}
		return s.renderAssessment(w, r, u, year, statusOf[e.Code], e, nil)
	}
	http.Redirect(w, r, fmt.Sprintf("/counties/%s/assessment?year=%d", r.PathValue("code"), year), http.StatusSeeOther)
	return nil
}

func (s *Server) auditsPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderAudits(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderAudits(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	ss, err := s.Assessor.Samples(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	v := s.view(r, "audits")
	v.Title = translate(v.Lang, "Audits")
	canDraw := u.Role == fishpond.RoleAdmin || u.Role == fishpond.RoleAuditor
	v.Data = map[string]any{"Samples": ss, "CanDraw": canDraw, "Counties": u.Counties, "Error": formErr, "Year": time.Now().Year() - 1}
	s.render(w, r, status, "audits", v)
	return nil
}

func (s *Server) auditsSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, _ := strconv.Atoi(r.FormValue("year"))
	pct, _ := strconv.ParseFloat(r.FormValue("rate_pct"), 64)
	seed, _ := strconv.ParseInt(r.FormValue("seed"), 10, 64)
	smp, err := s.Assessor.DrawSample(r.Context(), u.Principal(), assess.SampleRequest{Kind: r.FormValue("kind"), Scope: strings.TrimSpace(r.FormValue("scope")),
		Year: year, RateBp: fishpond.Bp(pct * 100), Seed: seed})
	if err != nil {
		e := asError(err)
		return s.renderAudits(w, r, u, statusOf[e.Code], e)
	}
	http.Redirect(w, r, "/audits/"+smp.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderAudit(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderAudit(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	rep, err := s.Assessor.AuditReport(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.view(r, "audit")
	v.Title = translate(v.Lang, "Audit") + " " + rep.Sample.Scope + " " + strconv.Itoa(rep.Sample.Year)
	canRecord := u.Role == fishpond.RoleAdmin || u.Role == fishpond.RoleAuditor
	v.Data = map[string]any{"A": rep, "CanRecord": canRecord, "Error": formErr, "Findings": []string{"correct", "wrong_exit", "missed"}}
	s.render(w, r, status, "audit", v)
	return nil
}

func (s *Server) findingSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	err := s.Assessor.RecordFinding(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("unit"), r.FormValue("finding"), r.FormValue("note"))
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound {
			return err
		}
		return s.renderAudit(w, r, u, statusOf[e.Code], e)
	}
	http.Redirect(w, r, "/audits/"+r.PathValue("id")+"#u-"+r.FormValue("unit"), http.StatusSeeOther)
	return nil
}

// surveySubmit records survey answers typed one per line: "form number, yes|no[, note]".
func (s *Server) surveySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	var answers []assess.SurveyAnswer
	var bad []string
	for i, line := range strings.Split(r.FormValue("answers"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.SplitN(strings.NewReplacer("，", ",").Replace(line), ",", 3)
		if len(parts) < 2 {
			bad = append(bad, fmt.Sprintf("%d", i+1))
			continue
		}
		a := assess.SurveyAnswer{Respondent: strings.TrimSpace(parts[0])}
		switch strings.ToLower(strings.TrimSpace(parts[1])) {
		case "yes", "y", "是", "满意", "认可", "1":
			a.Approve = true
		case "no", "n", "否", "不满意", "不认可", "0":
		default:
			bad = append(bad, fmt.Sprintf("%d", i+1))
			continue
		}
		if len(parts) == 3 {
			a.Note = strings.TrimSpace(parts[2])
		}
		answers = append(answers, a)
	}
	var err error
	if len(bad) > 0 {
		err = fishpond.Invalid("some lines are not 'form number, yes|no' / 部分行格式应为“表号, 是|否”", map[string]string{"answers": "lines " + strings.Join(bad, ", ")})
	} else {
		err = s.Assessor.RecordSurvey(r.Context(), u.Principal(), r.PathValue("id"), answers)
	}
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound {
			return err
		}
		return s.renderAudit(w, r, u, statusOf[e.Code], e)
	}
	http.Redirect(w, r, "/audits/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}
