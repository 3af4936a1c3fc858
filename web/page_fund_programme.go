package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/fund"
	"fishpond/registry"
)

// enrolmentRow is an enrolment with the household number people can find in the
// village, and its placement if any.
type enrolmentRow struct {
	fund.Enrolment
	Number    string
	Placement *fund.PlacementView
}

func (s *Server) programmePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderProgramme(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderProgramme(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	ctx, p := r.Context(), u.Principal()
	pr, err := s.Fund.Programme(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := s.Fund.ProgrammeOutcome(ctx, p, pr.ID)
	if err != nil {
		return err
	}
	es, err := s.Fund.Enrolments(ctx, p, pr.ID)
	if err != nil {
		return err
	}
	pls, err := s.Fund.Placements(ctx, p, pr.ID)
	if err != nil {
		return err
	}
	var ids []string
	for _, e := range es {
		if e.HouseholdID != "" {
			ids = append(ids, e.HouseholdID)
		}
	}
	numbers, err := s.Registry.HouseholdNumbers(ctx, ids)
	if err != nil {
		return err
	}
	byEnrolment := map[string]*fund.PlacementView{}
	for i := range pls {
		if pls[i].EndsOn == "" || byEnrolment[pls[i].EnrolmentID] == nil {
			byEnrolment[pls[i].EnrolmentID] = &pls[i]
		}
	}
	rows := make([]enrolmentRow, 0, len(es))
	var visitors []enrolmentRow
	for _, e := range es {
		row := enrolmentRow{e, numbers[e.HouseholdID], byEnrolment[e.ID]}
		rows = append(rows, row)
		if e.Role == fund.RoleVisitor && e.Status != fund.EnrolDropped {
			visitors = append(visitors, row)
		}
	}
	var counties []string
	for _, c := range pr.Counties {
		name := c
		if cty, err := s.Registry.County(ctx, c); err == nil {
			name = cty.Name
		}
		counties = append(counties, name)
	}
	v := s.view(r, "fund_programme")
	v.Title = pr.Name
	canManage := false
	for _, c := range pr.Counties {
		canManage = canManage || u.Role == fishpond.RoleAdmin || u.Role == fishpond.RoleFundAdmin || (u.Role == fishpond.RoleCountyOfficer && p.CanEditRegistry(c))
	}
	now := time.Now().In(fishpond.ChinaTime)
	v.Data = map[string]any{"P": pr, "O": out, "Rows": rows, "Visitors": visitors, "CountyNames": strings.Join(counties, "、"), "Rule": ruleWords(v.Lang, pr.Rule),
		"CanManage": canManage, "Error": formErr, "Month": now.AddDate(0, -1, 0).Format("2006-01"), "Today": now.Format(time.DateOnly),
		"Funnel": funnelChart(v.Lang, out), "Piece": pr.PieceRate > 0}
	s.render(w, r, status, "fund_programme", v)
	return nil
}

// ruleWords says who may join, in the page's language.
func ruleWords(lang string, r fund.Rule) []string {
	zh := lang != "en"
	pick := func(c, e string) string {
		if zh {
			return c
		}
		return e
	}
	var out []string
	switch r.Sex {
	case "F":
		out = append(out, pick("女性", "women"))
	case "M":
		out = append(out, pick("男性", "men"))
	}
	if r.MinAge != nil || r.MaxAge != nil {
		lo, hi := "0", "…"
		if r.MinAge != nil {
			lo = strconv.Itoa(*r.MinAge)
		}
		if r.MaxAge != nil {
			hi = strconv.Itoa(*r.MaxAge)
		}
		out = append(out, pick("年龄 ", "aged ")+lo+"–"+hi)
	}
	if r.InSchool != nil {
		if *r.InSchool {
			out = append(out, pick("在校学生", "in school"))
		} else {
			out = append(out, pick("不在校", "not in school"))
		}
	}
	if r.NoSkills {
		out = append(out, pick("无技能劳动力", "working age without skills"))
	}
	if len(r.Statuses) > 0 {
		var st []string
		for _, x := range r.Statuses {
			st = append(st, statusLabel(lang, x))
		}
		out = append(out, pick("户状态：", "household status: ")+strings.Join(st, pick("、", ", ")))
	}
	out = append(out, pick("项目所在县的建档立卡户", "registered households of the programme's counties"))
	return out
}

// funnelChart shows enrolled → completed → certified → placed.
func funnelChart(lang string, o fund.Outcome) map[string]any {
	names := []string{fundWord(lang, "Enrolled"), fundWord(lang, "Completed"), fundWord(lang, "Certified"), fundWord(lang, "Placed in jobs")}
	vals := []int{o.People, o.Completed, o.Certified, o.Placed}
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"grid":    map[string]any{"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": true},
		"xAxis":   map[string]any{"type": "value", "minInterval": 1},
		"yAxis":   map[string]any{"type": "category", "inverse": true, "data": names},
		"series":  []map[string]any{{"type": "bar", "data": vals, "label": map[string]any{"show": true, "position": "right"}}},
	}
}

// programmeSubmit handles the programme page's forms: an enrolment's progress,
// a placement, a month's wage or piece-rate pay, and home visits.
func (s *Server) programmeSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	ctx, p, id := r.Context(), u.Principal(), r.PathValue("id")
	enrolment := r.FormValue("enrolment")
	var err error
	switch r.PathValue("action") {
	case "progress":
		_, err = s.Fund.Progress(ctx, p, enrolment, r.FormValue("status"), r.FormValue("certificate"), r.FormValue("on"))
	case "place":
		wage, e := yuanParam(r, "wage")
		if e != nil {
			return s.renderProgramme(w, r, u, http.StatusBadRequest, e)
		}
		_, err = s.Fund.Place(ctx, p, fund.PlaceInput{EnrolmentID: enrolment, Employer: r.FormValue("employer"), MonthlyWage: wage, StartsOn: r.FormValue("starts_on")})
	case "wage":
		_, err = s.Fund.PayWage(ctx, p, r.FormValue("placement"), r.FormValue("month"))
	case "end":
		_, err = s.Fund.EndPlacement(ctx, p, r.FormValue("placement"), r.FormValue("ends_on"))
	case "piece":
		units, _ := strconv.ParseInt(r.FormValue("units"), 10, 64)
		_, err = s.Fund.PayPiece(ctx, p, enrolment, r.FormValue("month"), units)
	case "visit":
		err = s.logVisitByNumber(r, u, id)
	default:
		return errNoRoute
	}
	if err != nil {
		return s.formFailed(w, r, u, err, s.renderProgramme)
	}
	http.Redirect(w, r, "/fund/programmes/"+id, http.StatusSeeOther)
	return nil
}

// logVisitByNumber finds the visited family by its household number in the
// programme's counties and its youngest child, the one the visits are for.
func (s *Server) logVisitByNumber(r *http.Request, u access.User, programmeID string) error {
	ctx, p := r.Context(), u.Principal()
	pr, err := s.Fund.Programme(ctx, p, programmeID)
	if err != nil {
		return err
	}
	number := strings.TrimSpace(r.FormValue("number"))
	var found registry.Household
	for _, c := range pr.Counties {
		hs, _, err := s.Registry.Households(ctx, p, registry.HouseholdFilter{CountyCode: c, Query: number, Limit: 5})
		if err != nil {
			return err
		}
		for _, h := range hs {
			if h.Number == number {
				found = h
			}
		}
	}
	if found.ID == "" || number == "" {
		return fishpond.Invalid("未找到该户 / no household with this number in the programme's counties", map[string]string{"number": "户编号 / household number"})
	}
	h, err := s.Registry.Household(ctx, p, found.ID)
	if err != nil {
		return err
	}
	var childID, youngest string
	for _, m := range h.Members {
		if m.BirthDate > youngest {
			childID, youngest = m.ID, m.BirthDate
		}
	}
	_, err = s.Fund.LogVisit(ctx, p, fund.VisitInput{EnrolmentID: r.FormValue("enrolment"), HouseholdID: h.ID, ChildMemberID: childID, On: r.FormValue("on"), Note: r.FormValue("note")})
	return err
}

func (s *Server) householdProgrammesPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderHouseholdProgrammes(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderHouseholdProgrammes(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	ctx, p := r.Context(), u.Principal()
	h, err := s.Registry.Household(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	hist, err := s.Fund.HouseholdProgrammes(ctx, p, h.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, m := range h.Members {
		names[m.ID] = m.Name
	}
	canEnrol := u.Role == fishpond.RoleAdmin || u.Role == fishpond.RoleFundAdmin || (u.Role == fishpond.RoleCountyOfficer && p.CanEditRegistry(h.CountyCode))
	var open []fund.Programme
	if canEnrol {
		progs, err := s.Fund.Programmes(ctx, p, "")
		if err != nil {
			return err
		}
		today := time.Now().In(fishpond.ChinaTime).Format(time.DateOnly)
		for _, pr := range progs {
			for _, c := range pr.Counties {
				if c == h.CountyCode && pr.EndsOn >= today {
					open = append(open, pr)
				}
			}
		}
	}
	progNames := map[string]string{}
	for _, e := range hist.Enrolments {
		progNames[e.ProgrammeID] = e.ProgrammeName
	}
	statuses, err := s.Assessor.StatusHistory(ctx, p, h.ID)
	if err != nil {
		return err
	}
	v := s.view(r, "fund_household")
	v.Title = h.HeadName + " · " + fundWord(v.Lang, "Programmes")
	v.Data = map[string]any{"H": h, "Hist": hist, "Names": names, "CanEnrol": canEnrol, "Open": open, "Error": formErr, "ProgNames": progNames, "Statuses": statuses,
		"Roles": []string{fund.RoleParticipant, fund.RoleStudent, fund.RoleWorker, fund.RoleVisitor}, "Today": time.Now().In(fishpond.ChinaTime).Format(time.DateOnly)}
	s.render(w, r, status, "fund_household", v)
	return nil
}

func (s *Server) householdEnrolSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	_, err := s.Fund.Enrol(r.Context(), u.Principal(), fund.EnrolInput{ProgrammeID: r.FormValue("programme"), HouseholdID: r.PathValue("id"),
		MemberID: r.FormValue("member"), Role: r.FormValue("role"), Course: r.FormValue("course"), On: r.FormValue("on")})
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound && r.FormValue("programme") == "" {
			e = fishpond.Invalid("请选择项目 / choose a programme", map[string]string{"programme": "required"})
		}
		return s.formFailed(w, r, u, e, s.renderHouseholdProgrammes)
	}
	http.Redirect(w, r, "/households/"+r.PathValue("id")+"/programmes", http.StatusSeeOther)
	return nil
}

func (s *Server) volunteersPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderVolunteers(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderVolunteers(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	ctx, p := r.Context(), u.Principal()
	now := time.Now().In(fishpond.ChinaTime)
	year := now.Year()
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil {
		year = y
	}
	sum, err := s.Fund.Volunteers(ctx, p, year)
	if err != nil {
		return err
	}
	sps, err := s.Fund.Specialists(ctx, p)
	if err != nil {
		return err
	}
	counties := map[string]string{}
	for _, sp := range sps {
		if c, err := s.Registry.County(ctx, sp.CountyCode); err == nil {
			counties[sp.CountyCode] = c.Name
		}
	}
	for _, e := range sum.Recent {
		if c, err := s.Registry.County(ctx, e.CountyCode); err == nil {
			counties[e.CountyCode] = c.Name
		}
	}
	var years []int
	for y := now.Year(); y >= 2017; y-- {
		years = append(years, y)
	}
	v := s.view(r, "fund_volunteers")
	v.Title = fundWord(v.Lang, "Volunteer hours")
	v.Data = map[string]any{"S": sum, "Specialists": sps, "Counties": counties, "Years": years, "Year": year, "Error": formErr,
		"Today": now.Format(time.DateOnly), "Key": formKey("vol"), "Chart": volunteerChart(v.Lang, sum), "Target": fund.Hours(fund.VolunteerTargetMinutes)}
	s.render(w, r, status, "fund_volunteers", v)
	return nil
}

// volunteerChart shows each person's hours against the three-hour target line.
func volunteerChart(lang string, sum fund.VolunteerSummary) map[string]any {
	var names []string
	var vals []map[string]any
	for _, p := range sum.People {
		names = append(names, p.StaffRef)
		color := "#f79009"
		if p.Met {
			color = "#1f7a4d"
		}
		vals = append(vals, map[string]any{"value": float64(p.Minutes) / 60, "itemStyle": map[string]any{"color": color}})
	}
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"grid":    map[string]any{"left": 8, "right": 24, "top": 24, "bottom": 8, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": names},
		"yAxis":   map[string]any{"type": "value", "name": fundWord(lang, "hours")},
		"series": []map[string]any{{"type": "bar", "data": vals, "markLine": map[string]any{"symbol": "none", "data": []map[string]any{{"yAxis": 3, "name": fundWord(lang, "target")}},
			"label": map[string]any{"formatter": translate(lang, "3-hour target"), "position": "insideEndTop"}}}},
	}
}

func (s *Server) volunteersSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	ctx, p := r.Context(), u.Principal()
	var err error
	switch r.PathValue("action") {
	case "hours":
		hours, perr := fishpond.ParseMoney(r.FormValue("hours")) // hours with up to two decimals, read like an amount
		if perr != nil || hours <= 0 {
			return s.renderVolunteers(w, r, u, http.StatusBadRequest, fishpond.Invalid("时长有误 / invalid hours", map[string]string{"hours": "e.g. 1.5"}))
		}
		_, err = s.Fund.LogVolunteer(ctx, p, fund.VolunteerInput{StaffRef: r.FormValue("staff_ref"), CountyCode: strings.TrimSpace(r.FormValue("county")),
			Project: r.FormValue("project"), Minutes: int64(hours) * 60 / 100, On: r.FormValue("on"), IdempotencyKey: r.FormValue("key")})
	case "specialists":
		_, err = s.Fund.PostSpecialist(ctx, p, fund.SpecialistInput{StaffRef: r.FormValue("staff_ref"), DisplayName: r.FormValue("display_name"),
			CountyCode: strings.TrimSpace(r.FormValue("county")), StartsOn: r.FormValue("starts_on"), EndsOn: r.FormValue("ends_on")})
	case "reports":
		err = s.Fund.ReportVisit(ctx, p, r.FormValue("specialist"), r.FormValue("on"), r.FormValue("summary"))
	default:
		return errNoRoute
	}
	if err != nil {
		return s.formFailed(w, r, u, err, s.renderVolunteers)
	}
	http.Redirect(w, r, "/fund/volunteers", http.StatusSeeOther)
	return nil
}
