package web

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/fund"
)

// The fund's pages: the dashboard (committed, allocated, disbursed by area and
// county, with charts and the report's figures), the approvals queue for the second
// approver, programme pages, a household's programme history and the volunteer
// log with the specialists posted to counties.
func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /fund", s.page(s.fundPage))
		m.HandleFunc("POST /fund/funds", s.page(s.fundCreateSubmit))
		m.HandleFunc("POST /fund/allocations", s.page(s.fundAllocateSubmit))
		m.HandleFunc("POST /fund/disbursements", s.page(s.fundDisburseSubmit))
		m.HandleFunc("POST /fund/programmes", s.page(s.fundProgrammeSubmit))
		m.HandleFunc("GET /fund/approvals", s.page(s.fundApprovalsPage))
		m.HandleFunc("POST /fund/disbursements/{id}/{action}", s.page(s.fundDecisionSubmit))
		m.HandleFunc("GET /fund/documents/{id}", s.page(s.fundDocument))
		m.HandleFunc("GET /fund/programmes/{id}", s.page(s.programmePage))
		m.HandleFunc("POST /fund/programmes/{id}/{action}", s.page(s.programmeSubmit))
		m.HandleFunc("GET /households/{id}/programmes", s.page(s.householdProgrammesPage))
		m.HandleFunc("POST /households/{id}/programmes", s.page(s.householdEnrolSubmit))
		m.HandleFunc("GET /fund/volunteers", s.page(s.volunteersPage))
		m.HandleFunc("POST /fund/volunteers/{action}", s.page(s.volunteersSubmit))
	})
	addFunc("area", func(v view, a string) string { return wordsOf(v.Lang, fund.AreaWords[a], a) })
	addFunc("progkind", func(v view, k string) string { return wordsOf(v.Lang, fund.KindWords[k], k) })
	addFunc("hours", fund.Hours)
	addFunc("yuanShort", yuanShort)
	addFunc("pctOf", func(a, b fishpond.Money) string {
		if b <= 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", float64(a)*100/float64(b))
	})
}

// yuanShort writes a large amount so it fits a phone: 30亿 / 3.00 bn, 26.00万 /
// 260.00 k, smaller amounts in full. Integer arithmetic, truncating: a figure on
// a dashboard never rounds up money that is not there.
func yuanShort(v view, m fishpond.Money) string {
	yuan := int64(m) / 100
	neg := ""
	if yuan < 0 {
		neg, yuan = "-", -yuan
	}
	unit := func(n int64, suffix string) string {
		frac := strings.TrimRight(fmt.Sprintf(".%02d", yuan%n*100/n), "0")
		return neg + strconv.FormatInt(yuan/n, 10) + strings.TrimSuffix(frac, ".") + suffix
	}
	if v.Lang == "en" {
		switch {
		case yuan >= 1_000_000_000:
			return unit(1_000_000_000, " bn")
		case yuan >= 1_000_000:
			return unit(1_000_000, " m")
		case yuan >= 10_000:
			return unit(1_000, " k")
		}
		return m.String()
	}
	switch {
	case yuan >= 100_000_000:
		return unit(100_000_000, "亿")
	case yuan >= 10_000:
		return unit(10_000, "万")
	}
	return m.String()
}

func wordsOf(lang string, w [2]string, fallback string) string {
	switch {
	case w[0] == "":
		return fallback
	case lang == "en":
		return w[1]
	}
	return w[0]
}

// yuanParam reads an amount in yuan from a form field into fen.
func yuanParam(r *http.Request, name string) (fishpond.Money, *fishpond.Error) {
	m, err := fishpond.ParseMoney(r.FormValue(name))
	if err != nil {
		return 0, fishpond.Invalid("金额有误 / invalid amount", map[string]string{name: "yuan with at most two decimals / 金额（元），最多两位小数"})
	}
	return m, nil
}

// formKey is a fresh idempotency key for a form, so a double-submitted form
// records once.
func formKey(prefix string) string { return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()) }

func (s *Server) fundPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderFund(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderFund(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	ctx, p := r.Context(), u.Principal()
	funds, err := s.Fund.Funds(ctx, p)
	if err != nil {
		return err
	}
	v := s.view(r, "fund")
	v.Title = translate(v.Lang, "Fund dashboard")
	data := map[string]any{"Funds": funds, "Error": formErr, "Areas": fund.Areas, "Kinds": []string{fund.KindEducation, fund.KindVocational, fund.KindWomen, fund.KindAITrainer, fund.KindOther},
		"Key": formKey("disb"), "Today": time.Now().In(fishpond.ChinaTime).Format(time.DateOnly)}
	v.Data = data
	if len(funds) == 0 {
		s.render(w, r, status, "fund", v)
		return nil
	}
	f := funds[len(funds)-1]
	for _, x := range funds {
		if x.ID == r.URL.Query().Get("fund") {
			f = x
		}
	}
	allocs, err := s.Fund.Allocations(ctx, p, f.ID)
	if err != nil {
		return err
	}
	period := r.URL.Query().Get("period")
	var m fund.Metrics
	if period != "" {
		pp, perr := fishpond.ParsePeriod(period)
		if perr != nil {
			return fishpond.Invalid("bad period", map[string]string{"period": perr.Error()})
		}
		m, err = s.Fund.PeriodMetrics(ctx, p, pp)
	} else {
		m, err = s.Fund.Metrics(ctx, p, "", "")
	}
	if err != nil {
		return err
	}
	progs, err := s.Fund.Programmes(ctx, p, f.ID)
	if err != nil {
		return err
	}
	pending, err := s.Fund.Disbursements(ctx, p, fund.DisbursementFilter{FundID: f.ID, Status: fund.StatusPending})
	if err != nil {
		return err
	}
	recent, err := s.Fund.Disbursements(ctx, p, fund.DisbursementFilter{FundID: f.ID, Limit: 10})
	if err != nil {
		return err
	}
	var allocated, disbursed fishpond.Money
	for _, a := range allocs {
		if a.ParentID == "" {
			allocated += a.Budget
			disbursed += a.Actual
		}
	}
	names := s.countyNames(r, allocs, m)
	progNames := map[string]string{}
	for _, pr := range progs {
		progNames[pr.ID] = pr.Name
	}
	periods := fundPeriods(f, time.Now().In(fishpond.ChinaTime))
	data["F"], data["Allocs"], data["M"], data["Programmes"], data["Pending"], data["Recent"] = f, allocs, m, progs, pending, recent
	data["Allocated"], data["Disbursed"], data["Remaining"] = allocated, disbursed, f.Committed-disbursed
	data["Counties"], data["ProgNames"], data["Period"], data["Periods"] = names, progNames, period, periods
	data["AreaPie"], data["AreaUnit"], data["AreaChart"] = areaCharts(v.Lang, allocs)
	// The charts show the fund's whole life, like the allocations beside them;
	// the figures below follow the chosen period.
	all := m
	if period != "" {
		if all, err = s.Fund.Metrics(ctx, p, "", ""); err != nil {
			return err
		}
	}
	names = s.countyNames(r, allocs, all)
	data["Counties"], data["All"] = names, all
	data["CountyChart"] = countyChart(v.Lang, all.DisbursedByCounty, names)
	s.render(w, r, status, "fund", v)
	return nil
}

// fundPeriods lists the half-years of the fund's life up to now, newest first.
func fundPeriods(f fund.Fund, now time.Time) []string {
	last := f.EndsOn
	if today := now.Format(time.DateOnly); today < last {
		last = today
	}
	var out []string
	for y := atoiPrefix(last); y >= atoiPrefix(f.StartsOn) && len(out) < 20; y-- {
		for _, h := range []string{"H2", "H1"} {
			p := fishpond.Period(strconv.Itoa(y) + h)
			from, to := p.Bounds()
			if from.Format(time.DateOnly) <= last && to.Format(time.DateOnly) > f.StartsOn {
				out = append(out, string(p))
			}
		}
	}
	return out
}

func atoiPrefix(day string) int {
	n, _ := strconv.Atoi(day[:min(4, len(day))])
	return n
}

// countyNames names the counties the dashboard mentions.
func (s *Server) countyNames(r *http.Request, allocs []fund.Allocation, m fund.Metrics) map[string]string {
	out := map[string]string{}
	add := func(code string) {
		if code == "" || out[code] != "" {
			return
		}
		if c, err := s.Registry.County(r.Context(), code); err == nil {
			out[code] = c.Name
		} else {
			out[code] = code
		}
	}
	for _, a := range allocs {
		add(a.CountyCode)
	}
	for c := range m.DisbursedByCounty {
		add(c)
	}
	return out
}

// areaCharts are the allocation of the fund by area (pie of budgets) and what
// each area has disbursed and has waiting for approval (bars, yuan): budgets are
// thousands of times larger than a season's payments, so one axis cannot show both.
func areaCharts(lang string, allocs []fund.Allocation) (budget []chartItem, unit string, spent map[string]any) {
	// Budgets in 100 million yuan (亿元) when they are that large, else in 10,000
	// yuan (万元): short whole numbers fit the pie's labels on a phone.
	div, unit := fishpond.Money(10_000_00), "Allocated by area (10,000 yuan)"
	for _, a := range allocs {
		if a.ParentID == "" && a.Budget >= 100_000_000_00 {
			div, unit = 100_000_000_00, "Allocated by area (100 million yuan)"
		}
	}
	var xs []string
	var actual, pending []float64
	for _, a := range allocs {
		if a.ParentID != "" {
			continue
		}
		name := wordsOf(lang, fund.AreaWords[a.Area], a.Area)
		budget = append(budget, chartItem{Name: name, Value: int(a.Budget / div)})
		xs = append(xs, name)
		actual = append(actual, yuanF(a.Actual))
		pending = append(pending, yuanF(a.Pending))
	}
	spent = map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 8, "right": 24, "top": 8, "bottom": 32, "containLabel": true},
		"xAxis":   map[string]any{"type": "value", "name": translate(lang, "yuan")},
		"yAxis":   map[string]any{"type": "category", "inverse": true, "data": xs},
		"series": []map[string]any{
			{"name": fundWord(lang, "Disbursed"), "type": "bar", "stack": "s", "data": actual, "barMaxWidth": 24},
			{"name": fundWord(lang, "Awaiting approval"), "type": "bar", "stack": "s", "data": pending, "barMaxWidth": 24},
		},
	}
	return budget, unit, spent
}

// countyChart shows what was disbursed in each county (yuan), largest first.
func countyChart(lang string, by map[string]fishpond.Money, names map[string]string) map[string]any {
	type kv struct {
		code string
		v    fishpond.Money
	}
	var xs []kv
	for c, v := range by {
		xs = append(xs, kv{c, v})
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i].v > xs[j].v || (xs[i].v == xs[j].v && xs[i].code < xs[j].code) })
	var cats []string
	var vals []float64
	for _, x := range xs {
		cats = append(cats, names[x.code])
		vals = append(vals, yuanF(x.v))
	}
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"grid":    map[string]any{"left": 8, "right": 56, "top": 8, "bottom": 8, "containLabel": true},
		"xAxis":   map[string]any{"type": "value", "name": translate(lang, "yuan")},
		"yAxis":   map[string]any{"type": "category", "inverse": true, "data": cats},
		"series":  []map[string]any{{"type": "bar", "data": vals, "barMaxWidth": 24, "label": map[string]any{"show": true, "position": "right"}}},
	}
}

func (s *Server) fundCreateSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	committed, e1 := yuanParam(r, "committed")
	four, e2 := yuanParam(r, "four_eyes_above")
	if e := firstErr(e1, e2); e != nil {
		return s.renderFund(w, r, u, http.StatusBadRequest, e)
	}
	f, err := s.Fund.CreateFund(r.Context(), u.Principal(), fund.FundInput{Name: r.FormValue("name"), Committed: committed,
		StartsOn: r.FormValue("starts_on"), EndsOn: r.FormValue("ends_on"), FourEyesAbove: four})
	if err != nil {
		return s.formFailed(w, r, u, err, s.renderFund)
	}
	http.Redirect(w, r, "/fund?fund="+f.ID, http.StatusSeeOther)
	return nil
}

func firstErr(es ...*fishpond.Error) *fishpond.Error {
	for _, e := range es {
		if e != nil {
			return e
		}
	}
	return nil
}

// formFailed re-renders a form's page with the error, except for errors that
// mean the page itself is not the caller's to see.
func (s *Server) formFailed(w http.ResponseWriter, r *http.Request, u access.User, err error,
	render func(http.ResponseWriter, *http.Request, access.User, int, *fishpond.Error) error) error {
	e := asError(err)
	if e.Code == fishpond.EInternal || e.Code == fishpond.EUnauthorized {
		return err
	}
	return render(w, r, u, statusOf[e.Code], e)
}

func (s *Server) fundAllocateSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	budget, e := yuanParam(r, "budget")
	if e != nil {
		return s.renderFund(w, r, u, http.StatusBadRequest, e)
	}
	in := fund.AllocationInput{FundID: r.FormValue("fund"), Area: r.FormValue("area"), Budget: budget, Note: r.FormValue("note")}
	if c := strings.TrimSpace(r.FormValue("county")); c != "" {
		in.CountyCode = c
	} else if id, ok := strings.CutPrefix(r.FormValue("target"), "programme:"); ok {
		in.ProgrammeID = id
	}
	if _, err := s.Fund.Allocate(r.Context(), u.Principal(), in); err != nil {
		return s.formFailed(w, r, u, err, s.renderFund)
	}
	http.Redirect(w, r, "/fund?fund="+in.FundID, http.StatusSeeOther)
	return nil
}

func (s *Server) fundDisburseSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	amount, e := yuanParam(r, "amount")
	if e != nil {
		return s.renderFund(w, r, u, http.StatusBadRequest, e)
	}
	d, err := s.Fund.RequestDisbursement(r.Context(), u.Principal(), fund.DisbursementInput{AllocationID: r.FormValue("allocation"),
		PayeeKind: r.FormValue("payee_kind"), Payee: r.FormValue("payee"), HouseholdID: strings.TrimSpace(r.FormValue("household_id")),
		Purpose: r.FormValue("purpose"), Amount: amount, IdempotencyKey: r.FormValue("key")})
	if err != nil {
		return s.formFailed(w, r, u, err, s.renderFund)
	}
	if d.Status == fund.StatusPending {
		http.Redirect(w, r, "/fund/approvals#d-"+d.ID, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/fund?fund="+d.FundID, http.StatusSeeOther)
	return nil
}

func (s *Server) fundProgrammeSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	rate, e := yuanParam(r, "piece_rate")
	if r.FormValue("piece_rate") == "" {
		rate, e = 0, nil
	}
	if e != nil {
		return s.renderFund(w, r, u, http.StatusBadRequest, e)
	}
	capacity, _ := strconv.Atoi(r.FormValue("capacity"))
	rule := fund.Rule{Sex: r.FormValue("sex"), NoSkills: r.FormValue("no_skills") == "on"}
	if v := r.FormValue("min_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return s.renderFund(w, r, u, http.StatusBadRequest, fishpond.Invalid("年龄有误 / invalid age", map[string]string{"min_age": "a whole number"}))
		}
		rule.MinAge = &n
	}
	if v := r.FormValue("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return s.renderFund(w, r, u, http.StatusBadRequest, fishpond.Invalid("年龄有误 / invalid age", map[string]string{"max_age": "a whole number"}))
		}
		rule.MaxAge = &n
	}
	if r.FormValue("in_school") == "on" {
		yes := true
		rule.InSchool = &yes
	}
	rule.Statuses = r.Form["statuses"]
	var counties []string
	for _, c := range strings.FieldsFunc(r.FormValue("counties"), func(r rune) bool { return r == ',' || r == ' ' || r == '，' }) {
		counties = append(counties, c)
	}
	pr, err := s.Fund.CreateProgramme(r.Context(), u.Principal(), fund.ProgrammeInput{FundID: r.FormValue("fund"), Area: r.FormValue("area"), Kind: r.FormValue("kind"),
		Name: r.FormValue("name"), Rule: rule, Capacity: capacity, StartsOn: r.FormValue("starts_on"), EndsOn: r.FormValue("ends_on"), PieceRate: rate, Counties: counties})
	if err != nil {
		return s.formFailed(w, r, u, err, s.renderFund)
	}
	http.Redirect(w, r, "/fund/programmes/"+pr.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) fundApprovalsPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderApprovals(w, r, u, http.StatusOK, nil)
}

// pendingView is a pending disbursement with its documents.
type pendingView struct {
	fund.Disbursement
	Docs []fund.Document
	Mine bool
}

func (s *Server) renderApprovals(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	ctx, p := r.Context(), u.Principal()
	pending, err := s.Fund.Disbursements(ctx, p, fund.DisbursementFilter{Status: fund.StatusPending, Limit: 200})
	if err != nil {
		return err
	}
	var views []pendingView
	for _, d := range pending {
		docs, err := s.Fund.Documents(ctx, p, d.ID)
		if err != nil {
			return err
		}
		views = append(views, pendingView{d, docs, d.RequestedBy == p.UserID})
	}
	decided, err := s.Fund.Disbursements(ctx, p, fund.DisbursementFilter{Limit: 20})
	if err != nil {
		return err
	}
	var done []fund.Disbursement
	for _, d := range decided {
		if d.Status != fund.StatusPending {
			done = append(done, d)
		}
	}
	// Requesters and approvers by name: the queue is read by the fund's staff,
	// who know each other by name, not by account id.
	names := map[string]string{}
	if users, err := s.Access.Users(ctx, fishpond.System); err == nil {
		for _, x := range users {
			names[x.ID] = x.DisplayName
			if x.DisplayName == "" {
				names[x.ID] = x.Name
			}
		}
	}
	v := s.view(r, "fund_approvals")
	v.Title = fundWord(v.Lang, "Approvals")
	v.Data = map[string]any{"Pending": views, "Done": done, "Error": formErr, "Names": names}
	s.render(w, r, status, "fund_approvals", v)
	return nil
}

func (s *Server) fundDecisionSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "approve":
		_, err = s.Fund.ApproveDisbursement(r.Context(), u.Principal(), id)
	case "reject":
		_, err = s.Fund.RejectDisbursement(r.Context(), u.Principal(), id, r.FormValue("reason"))
	case "documents":
		r.Body = http.MaxBytesReader(w, r.Body, fund.MaxDocument+64<<10)
		file, hdr, ferr := r.FormFile("file")
		if ferr != nil {
			return s.renderApprovals(w, r, u, http.StatusBadRequest, fishpond.Invalid("请选择文件 / choose a file", map[string]string{"file": "required"}))
		}
		defer file.Close()
		content, rerr := io.ReadAll(io.LimitReader(file, fund.MaxDocument+1))
		if rerr != nil {
			return s.renderApprovals(w, r, u, http.StatusBadRequest, fishpond.Invalid("上传中断 / upload interrupted", map[string]string{"file": "try again"}))
		}
		_, err = s.Fund.AttachDocument(r.Context(), u.Principal(), id, hdr.Filename, content)
	default:
		return errNoRoute
	}
	if err != nil {
		return s.formFailed(w, r, u, err, s.renderApprovals)
	}
	http.Redirect(w, r, "/fund/approvals#d-"+id, http.StatusSeeOther)
	return nil
}

func (s *Server) fundDocument(w http.ResponseWriter, r *http.Request, u access.User) error {
	d, content, err := s.Fund.DocumentContent(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s", urlQueryEscape(d.Filename)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(content)
	return nil
}

// fundCodes names the fund's status, role and payee codes, and its short words, in both languages.
// They live here rather than in the shared catalogue because words such as
// "paid" or "completed" mean different things in other capabilities.
var fundCodes = map[string][2]string{
	"pending": {"待审批", "awaiting approval"}, "paid": {"已拨付", "paid"}, "rejected": {"已驳回", "rejected"},
	"programme": {"项目", "programme"}, "partner": {"合作机构", "partner"}, "household": {"农户（转移性收入）", "household (transfer income)"},
	"participant": {"学员", "participant"}, "student": {"学生", "student"}, "teacher": {"教师", "teacher"}, "principal": {"校长", "principal"},
	"worker": {"AI训练师", "AI trainer"}, "visitor": {"家访员", "home visitor"},
	"enrolled": {"在读", "enrolled"}, "completed": {"已结业", "completed"}, "certified": {"已取证", "certified"}, "dropped": {"已退出", "dropped"},
	"wage": {"工资", "wage"}, "piece": {"计件报酬", "piece-rate pay"},
	// Short, common words: kept here so they cannot clash with another
	// capability's translation of the same English word in the shared catalogue.
	"Actions":             {"操作", "Actions"},
	"Allocate":            {"分配资金", "Allocate"},
	"Allocated":           {"已分配", "Allocated"},
	"Allocation":          {"资金分配", "Allocation"},
	"Approvals":           {"审批", "Approvals"},
	"Area":                {"领域", "Area"},
	"Attach":              {"上传", "Attach"},
	"Awaiting approval":   {"待审批", "Awaiting approval"},
	"Budget":              {"预算", "Budget"},
	"Budget (yuan)":       {"预算（元）", "Budget (yuan)"},
	"awaiting":            {"待审批", "awaiting"},
	"wages paid":          {"已发工资", "wages paid"},
	"months":              {"个月", "months"},
	"Capacity":            {"名额", "Capacity"},
	"Certificate":         {"证书", "Certificate"},
	"Certificate number":  {"证书编号", "Certificate number"},
	"Certified":           {"已取证", "Certified"},
	"Committed":           {"承诺资金", "Committed"},
	"Completed":           {"已结业", "Completed"},
	"Course":              {"课程", "Course"},
	"Date":                {"日期", "Date"},
	"Disbursed":           {"已拨付", "Disbursed"},
	"Documents":           {"证明材料", "Documents"},
	"Employer":            {"用人单位", "Employer"},
	"Ends":                {"结束日期", "Ends"},
	"Enrol":               {"报名", "Enrol"},
	"Enrolled":            {"报名", "Enrolled"},
	"Enrolments":          {"报名记录", "Enrolments"},
	"Home visitor":        {"家访员", "Home visitor"},
	"Home visits":         {"家访次数", "Home visits"},
	"Hours":               {"时长（小时）", "Hours"},
	"Job":                 {"工作", "Job"},
	"Jobs":                {"就业", "Jobs"},
	"Left":                {"剩余", "Left"},
	"Log":                 {"登记", "Log"},
	"Maximum age":         {"最大年龄", "Maximum age"},
	"Member":              {"成员", "Member"},
	"Minimum age":         {"最小年龄", "Minimum age"},
	"Month":               {"月份", "Month"},
	"Monthly wage (yuan)": {"月工资（元）", "Monthly wage (yuan)"},
	"Note":                {"备注", "Note"},
	"Overview":            {"概览", "Overview"},
	"Payee":               {"收款方", "Payee"},
	"People covered":      {"覆盖人数", "People covered"},
	"Piece rate":          {"计件单价", "Piece rate"},
	"Piece-rate pay":      {"计件报酬", "Piece-rate pay"},
	"Placed in jobs":      {"就业安置", "Placed in jobs"},
	"Post":                {"派驻", "Post"},
	"Programme":           {"项目", "Programme"},
	"Programmes":          {"帮扶项目", "Programmes"},
	"Project":             {"公益项目", "Project"},
	"Purpose":             {"用途", "Purpose"},
	"Request":             {"提交申请", "Request"},
	"Specialist":          {"特派员", "Specialist"},
	"Staff":               {"员工", "Staff"},
	"Staff number":        {"员工编号", "Staff number"},
	"Starts":              {"开始日期", "Starts"},
	"Summary":             {"摘要", "Summary"},
	"Units":               {"件数", "Units"},
	"Volunteer hours":     {"志愿服务时长", "Volunteer hours"},
	"Volunteer log":       {"志愿服务记录", "Volunteer log"},
	"Volunteers":          {"志愿者", "Volunteers"},
	"Women":               {"女性", "Women"},
	"Women covered":       {"覆盖女性", "Women covered"},
	"anyone":              {"不限", "anyone"},
	"below target":        {"未达目标", "below target"},
	"hours":               {"小时", "hours"},
	"none yet":            {"尚无", "none yet"},
	"reports":             {"份报告", "reports"},
	"target":              {"目标", "target"},
	"target met":          {"已达标", "target met"},
	"transfer income":     {"转移性收入", "transfer income"},
	"wage income":         {"工资性收入", "wage income"},
	"yuan/month":          {"元/月", "yuan/month"},
	"Fund":                {"基金", "Fund"},
}

func init() {
	addFunc("fw", func(v view, code string) string { return wordsOf(v.Lang, fundCodes[code], code) })
	addMessages(map[string]string{
		"3-hour target":                        "3小时目标",
		"All time":                             "累计",
		"Allocations: budget against actual":   "资金分配：预算与实际",
		"Approve and pay":                      "批准并拨付",
		"Allocated by area (10,000 yuan)":      "各领域分配（万元）",
		"Allocated by area (100 million yuan)": "各领域分配（亿元）",
		"Disbursed by area":                    "各领域拨付",
		"Committed total (yuan)":               "承诺总额（元）",
		"Counties visited":                     "走访县数",
		"County codes (comma-separated)":       "县代码（逗号分隔）",
		"Create the fund":                      "设立基金",
		"Disbursed by county":                  "各县拨付",
		"Disbursements above the fund's four-eyes amount wait here for a second fund administrator. The requester cannot approve their own request; approval needs a supporting document.": "超过双人审批金额的拨付在此等待另一位基金管理员审批。申请人不能审批自己的申请；审批前须上传证明材料。",
		"Dropped out":                                     "退出",
		"End the job":                                     "结束就业",
		"Enrol in a programme":                            "报名参加项目",
		"Family visited (household number)":               "家访对象（户编号）",
		"Figures for the report":                          "报告数据",
		"From training to work":                           "从培训到就业",
		"Fund dashboard":                                  "基金概览",
		"Fund payments":                                   "基金拨付",
		"Home visits received":                            "接受的家访",
		"Hours per person against the target":             "每人时长与目标",
		"Household ID (for a household: transfer income)": "户ID（拨付给农户：计入转移性收入）",
		"Left to disburse":                                "待拨付",
		"Log a home visit":                                "登记家访",
		"Met the 3-hour target":                           "达到3小时目标",
		"New programme":                                   "新建项目",
		"No one enrolled yet. Enrol people from their household's programme page.": "尚无人报名。请在农户的项目页面为其成员报名。",
		"Nothing waits for approval.":            "没有待审批的拨付。",
		"Paid directly to households":            "直接拨付给农户",
		"Partner name (for a partner)":           "合作机构名称（拨付给合作机构时）",
		"Pay piece-rate work":                    "发放计件报酬",
		"Pay received":                           "收到的报酬",
		"Pay the month's wage":                   "发放当月工资",
		"Piece rate (yuan, for piece-rate work)": "计件单价（元，计件工作）",
		"Place in a job":                         "安置就业",
		"Placement wages paid":                   "已发就业工资",
		"Post a specialist":                      "派驻特派员",
		"Programme history":                      "项目记录",
		"Recent disbursements":                   "最近拨付",
		"Recently decided":                       "最近审批",
		"Record a specialist's report":           "登记特派员报告",
		"Request a disbursement":                 "申请拨付",
		"Requested by":                           "申请人",
		"Second approver above (yuan)":           "超过此金额须双人审批（元）",
		"Specialists posted":                     "派驻特派员",
		"Specialists posted to counties":         "派驻各县的扶贫特派员",
		"Students / teachers supported":          "资助学生 / 教师",
		"The programme's rule is checked against the registry; the reasons are shown if the person is not eligible.": "系统按建档立卡信息核对项目条件；不符合时会说明原因。",
		"To (empty: the whole area)": "分配给（留空：整个领域）",
		"Trained / placed in jobs":   "培训 / 就业人数",
		"Up to the four-eyes amount it is paid at once; above it a second fund administrator must approve.": "不超过双人审批金额的立即拨付；超过的须另一位基金管理员批准。",
		"Volunteers and specialists":     "志愿者与特派员",
		"Wages and piece-rate pay":       "工资与计件报酬",
		"Who may join":                   "参加条件",
		"Working members without skills": "无技能劳动力",
		"You requested this disbursement: another fund administrator must approve it.": "这笔拨付是你申请的：须由另一位基金管理员审批。",
		"or a county code":      "或县代码",
		"second approver above": "双人审批金额",
		"the whole area":        "整个领域",
	})
}

// fundWord translates one of the fund's own words (fundCodes) for Go-built text
// such as chart legends.
func fundWord(lang, key string) string { return wordsOf(lang, fundCodes[key], key) }
