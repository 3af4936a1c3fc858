package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"fishpond"
	"fishpond/fund"
	"fishpond/registry"
)

// TestFundPagesFourEyesEligibilityAndScope drives the fund's pages over the demo
// dataset: the fund administrator lands on the dashboard, requests a grant above
// the four-eyes amount and cannot approve it herself, a request over the
// allocation is refused and writes nothing, an ineligible enrolment shows the
// rule's reasons, county officers see their own households' programme history
// only, and the report's figures come out of the API.
func TestFundPagesFourEyesEligibilityAndScope(t *testing.T) {
	srv, _, svc := demoServer(t)
	ctx := context.Background()
	fc := login(t, srv.URL, "fund", "fishpond-demo")
	status, body := page(t, fc, "GET", srv.URL+"/", nil)
	if status != 200 || !strings.Contains(body, "基金概览") || !strings.Contains(body, "百亿公益扶贫基金") {
		t.Fatalf("fund administrator's home: %d", status)
	}
	funds, err := svc.Fund.Funds(ctx, fishpond.System)
	if err != nil || len(funds) != 1 {
		t.Fatalf("funds: %v %v", funds, err)
	}
	allocs, err := svc.Fund.Allocations(ctx, fishpond.System, funds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var lankao fund.Allocation
	for _, a := range allocs {
		if a.CountyCode == "410225" {
			lankao = a
		}
	}
	count := func() int {
		ds, err := svc.Fund.Disbursements(ctx, fishpond.System, fund.DisbursementFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
	}
	before := count()
	status, body = page(t, fc, "POST", srv.URL+"/fund/disbursements", url.Values{"allocation": {lankao.ID}, "payee_kind": {"partner"},
		"payee": {"兰考县职业技术学校"}, "purpose": {"电商实训室 e-commerce training room"}, "amount": {"150000"}, "key": {"page-test-1"}})
	if status != 200 || !strings.Contains(body, "电商实训室") {
		t.Fatalf("request above the four-eyes amount: %d, want the approvals queue", status)
	}
	pending, _ := svc.Fund.Disbursements(ctx, fishpond.System, fund.DisbursementFilter{Status: fund.StatusPending})
	var mine fund.Disbursement
	for _, d := range pending {
		if strings.HasPrefix(d.Purpose, "电商实训室") {
			mine = d
		}
	}
	if mine.ID == "" || mine.Status != fund.StatusPending {
		t.Fatalf("the grant is not pending: %+v", mine)
	}
	status, body = page(t, fc, "POST", srv.URL+"/fund/disbursements/"+mine.ID+"/approve", nil)
	if status != 403 || !strings.Contains(body, "申请人不能审批") {
		t.Fatalf("requester approving: %d", status)
	}
	// Over what the allocation has left: refused with the reason, nothing written.
	status, body = page(t, fc, "POST", srv.URL+"/fund/disbursements", url.Values{"allocation": {lankao.ID}, "payee_kind": {"partner"},
		"payee": {"x"}, "purpose": {"too much"}, "amount": {"900000"}, "key": {"page-test-2"}})
	if status != 400 || !strings.Contains(body, "超出分配预算") {
		t.Fatalf("over the allocation: %d", status)
	}
	if n := count(); n != before+1 {
		t.Fatalf("disbursements %d, want %d", n, before+1)
	}
	// The admin, a second person, approves; the queue then holds only the demo's.
	ac := login(t, srv.URL, "admin", "fishpond-admin")
	if status, _ = page(t, ac, "POST", srv.URL+"/fund/disbursements/"+mine.ID+"/approve", nil); status != 400 {
		t.Fatalf("approval without a document: %d, want 400", status)
	}
	if _, err := svc.Fund.AttachDocument(ctx, fishpond.System, mine.ID, "合同.pdf", []byte("%PDF-1.4 contract")); err != nil {
		t.Fatal(err)
	}
	if status, _ = page(t, ac, "POST", srv.URL+"/fund/disbursements/"+mine.ID+"/approve", nil); status != 200 {
		t.Fatalf("second approver: %d", status)
	}
	if d, _ := svc.Fund.Disbursement(ctx, fishpond.System, mine.ID); d.Status != fund.StatusPaid || d.TransferID == "" {
		t.Fatalf("after approval: %+v", d)
	}

	// Eligibility through the household's page: a women's programme refuses a man.
	hs, _, err := svc.Registry.Households(ctx, fishpond.System, registry.HouseholdFilter{CountyCode: "130624", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := svc.Registry.Household(ctx, fishpond.System, hs[0].ID)
	var man registry.Member
	for _, m := range h.Members {
		if m.Sex == "M" {
			man = m
		}
	}
	lo, hi := fund.Ages(18, 60)
	pr, err := svc.Fund.CreateProgramme(ctx, fishpond.System, fund.ProgrammeInput{FundID: funds[0].ID, Area: fund.AreaWomen, Kind: fund.KindOther,
		Name: "阜平县妇女手工合作", Rule: fund.Rule{Sex: "F", MinAge: lo, MaxAge: hi}, Capacity: 20, StartsOn: "2020-01-01", EndsOn: "2099-12-31", Counties: []string{"130624"}})
	if err != nil {
		t.Fatal(err)
	}
	status, body = page(t, fc, "POST", srv.URL+"/households/"+h.ID+"/programmes", url.Values{"member": {man.ID}, "programme": {pr.ID}, "role": {"participant"}, "on": {"2020-05-01"}})
	if status != 400 || !strings.Contains(body, "项目只面向女性") {
		t.Fatalf("ineligible enrolment: %d", status)
	}
	if es, _ := svc.Fund.Enrolments(ctx, fishpond.System, pr.ID); len(es) != 0 {
		t.Fatalf("refused enrolment wrote %d", len(es))
	}

	// Scope: 阜平's officer sees the household's programmes, 兰考's does not, and
	// neither sees the fund's dashboard.
	fp := login(t, srv.URL, "fuping", "fishpond-demo")
	if status, _ = page(t, fp, "GET", srv.URL+"/households/"+h.ID+"/programmes", nil); status != 200 {
		t.Fatalf("own county officer: %d", status)
	}
	lk := login(t, srv.URL, "lankao", "fishpond-demo")
	if status, _ = page(t, lk, "GET", srv.URL+"/households/"+h.ID+"/programmes", nil); status != 404 {
		t.Fatalf("other county officer: %d, want 404", status)
	}
	if status, _ = page(t, lk, "GET", srv.URL+"/fund", nil); status != 403 {
		t.Fatalf("officer on the fund dashboard: %d, want 403", status)
	}

	// The report's figures over the API, and a bad period refused.
	status, body = page(t, fc, "GET", srv.URL+"/api/v1/fund-metrics?period=2020H2", nil)
	var m fund.Metrics
	if status != 200 || json.Unmarshal([]byte(body), &m) != nil {
		t.Fatalf("metrics: %d %s", status, body)
	}
	if m.People == 0 || m.Women == 0 || m.Students == 0 || m.Teachers == 0 || m.WagesPaid == 0 || m.PiecePaid == 0 || m.VolunteerMinutes == 0 || m.Disbursed == 0 {
		t.Fatalf("2020H2 figures: %+v", m)
	}
	if status, _ = page(t, fc, "GET", srv.URL+"/api/v1/fund-metrics?period=2020H3", nil); status != 400 {
		t.Fatalf("bad period: %d", status)
	}
	// The JSON API: a retried request with the same idempotency key is answered
	// with the first disbursement (200), not paid twice.
	post := func(body string) (int, fund.Disbursement) {
		t.Helper()
		res, err := fc.Post(srv.URL+"/api/v1/disbursements", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var d fund.Disbursement
		json.NewDecoder(res.Body).Decode(&d)
		return res.StatusCode, d
	}
	req := `{"allocation_id":"` + lankao.ID + `","payee_kind":"partner","payee":"兰考县物流站","purpose":"快递柜","amount_fen":500000,"idempotency_key":"api-1"}`
	st1, d1 := post(req)
	st2, d2 := post(req)
	if st1 != 201 || st2 != 200 || d1.ID == "" || d1.ID != d2.ID || !d2.Replayed || d1.Status != fund.StatusPaid {
		t.Fatalf("API replay: %d %+v / %d %+v", st1, d1, st2, d2)
	}
	if st, _ := post(`{"allocation_id":"` + lankao.ID + `","payee_kind":"partner","payee":"x","purpose":"y","amount_fen":-5,"idempotency_key":"api-2"}`); st != 400 {
		t.Fatalf("negative amount: %d", st)
	}
	// Volunteer hours through the page.
	if status, body = page(t, fc, "POST", srv.URL+"/fund/volunteers/hours", url.Values{"staff_ref": {"E9"}, "county": {"130624"}, "project": {"读书会"},
		"hours": {"abc"}, "on": {"2020-05-01"}, "key": {"k1"}}); status != 400 || !strings.Contains(body, "时长有误") {
		t.Fatalf("bad hours: %d", status)
	}
	if status, _ = page(t, fc, "POST", srv.URL+"/fund/volunteers/hours", url.Values{"staff_ref": {"E9"}, "county": {"130624"}, "project": {"读书会"},
		"hours": {"1.5"}, "on": {"2020-05-01"}, "key": {"k1"}}); status != 200 {
		t.Fatalf("log hours: %d", status)
	}
	if v, _ := svc.Fund.Volunteers(ctx, fishpond.System, 2020); !containsStaff(v, "E9", 90) {
		t.Fatal("1.5 hours were not logged as 90 minutes")
	}
	// Every fund page renders for the administrator.
	for _, p := range []string{"/fund?period=2020H2", "/fund/approvals", "/fund/programmes/" + pr.ID, "/fund/volunteers?year=2020", "/lang/en", "/fund"} {
		if status, _ := page(t, fc, "GET", srv.URL+p, nil); status != 200 {
			t.Fatalf("GET %s: %d", p, status)
		}
	}
}

func containsStaff(v fund.VolunteerSummary, ref string, minutes int64) bool {
	for _, p := range v.People {
		if p.StaffRef == ref && p.Minutes == minutes {
			return true
		}
	}
	return false
}
