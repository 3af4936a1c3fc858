package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/registry"
	"fishpond/web"
)

// fixture is a running server over a real database with two counties, a few
// households in each, and one user per scoped role.
type fixture struct {
	t      *testing.T
	d      *db.DB
	srv    *httptest.Server
	reg    *registry.Store
	acc    *access.Service
	led    *ledger.Ledger
	asr    *assess.Assessor
	hhA    registry.Household // in county A (阜平 130624)
	hhB    registry.Household // in county B (兰考 410225)
	tokens map[string]string  // user name -> bearer token
	plainA string             // a plain identity number of a member of hhA
}

const countyA, countyB = "130624", "410225"

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := fishpond.SystemClock{}
	f := &fixture{t: t, d: d, reg: registry.NewStore(d, keys, clock), acc: access.New(d, clock), tokens: map[string]string{}}
	if _, _, _, err := f.reg.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{countyA, countyB} {
		c, err := f.reg.County(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.reg.CreateVillage(ctx, fishpond.System, code, "城关镇", "试点村")
		if err != nil {
			t.Fatal(err)
		}
		ins := registry.Synthesize(int64(i+1), c, []string{v.ID}, 3)
		if i == 0 {
			f.plainA = ins[0].Members[0].IDNumber
		}
		for j, in := range ins {
			h, err := f.reg.CreateHousehold(ctx, fishpond.System, in)
			if err != nil {
				t.Fatal(err)
			}
			if j == 0 && i == 0 {
				f.hhA = h
			} else if j == 0 {
				f.hhB = h
			}
		}
	}
	users := []access.NewUser{
		{Name: "admin", Role: fishpond.RoleAdmin, Password: "password-admin"},
		{Name: "officerA", Role: fishpond.RoleCountyOfficer, Counties: []string{countyA}, Password: "password-a"},
		{Name: "officerB", Role: fishpond.RoleCountyOfficer, Counties: []string{countyB}, Password: "password-b"},
		{Name: "auditorA", Role: fishpond.RoleAuditor, Counties: []string{countyA}, Password: "password-aud"},
		{Name: "coopA", Role: fishpond.RoleCoopManager, Counties: []string{countyA}, Password: "password-coop"},
		{Name: "partnerA", Role: fishpond.RolePartner, Counties: []string{countyA}, Password: "password-partner"},
		{Name: "farmerA", Role: fishpond.RoleHousehold, HouseholdID: f.hhA.ID, Password: "password-farmer"},
		{Name: "consumer", Role: fishpond.RoleConsumer, Password: "password-consumer"},
		{Name: "fund", Role: fishpond.RoleFundAdmin, Password: "password-fund"},
	}
	for _, u := range users {
		if _, err := f.acc.CreateUser(ctx, fishpond.System, u); err != nil {
			t.Fatal(err)
		}
		tok, _, err := f.acc.CreateToken(ctx, fishpond.System, u.Name, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[u.Name] = tok
	}
	led := ledger.New(d, clock)
	t.Cleanup(led.Close)
	f.led, f.asr = led, assess.New(d, f.reg, led, clock)
	s := web.New(d, web.Services{Access: f.acc, Registry: f.reg, Ledger: led, Assessor: f.asr}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.srv = httptest.NewServer(s.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// get calls the API as a user and returns status and body.
func (f *fixture) do(user, method, path string, body io.Reader) (int, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, body)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestScopingThroughAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a, b := "/api/v1/households/"+f.hhA.ID, "/api/v1/households/"+f.hhB.ID
		cases := []struct {
			user       string
			path       string
			wantStatus int
		}{
			{"admin", a, 200}, {"admin", b, 200},
			{"officerA", a, 200}, {"officerA", b, 404}, {"officerB", a, 404}, {"officerB", b, 200},
			{"auditorA", a, 200}, {"auditorA", b, 404},
			{"coopA", b, 404}, {"partnerA", b, 404},
			{"farmerA", a, 200}, {"farmerA", b, 404},
			{"consumer", a, 404},
			{"fund", a, 200},
			{"", a, 401},
			{"officerA", a + "/history", 200}, {"officerA", b + "/history", 404},
			{"officerA", b + "/members", 404},
			{"officerA", "/api/v1/counties/" + countyB + "/stats", 404},
			{"officerA", "/api/v1/counties/" + countyB + "/villages", 404},
			{"officerA", "/api/v1/counties/" + countyA + "/stats", 200},
		}
		for _, c := range cases {
			status, body := f.do(c.user, "GET", c.path, nil)
			if status != c.wantStatus {
				t.Errorf("%s GET %s = %d, want %d: %s", c.user, c.path, status, c.wantStatus, body)
			}
			if status == 404 && !strings.Contains(body, `"code":"not_found"`) {
				t.Errorf("%s GET %s: 404 without the error shape: %s", c.user, c.path, body)
			}
		}
		// Lists are scoped too: officer A never sees a household of county B.
		for _, user := range []string{"officerA", "auditorA", "farmerA", "consumer"} {
			_, body := f.do(user, "GET", "/api/v1/households?limit=500", nil)
			if strings.Contains(body, f.hhB.ID) {
				t.Errorf("%s lists a household of county B", user)
			}
			_, body = f.do(user, "GET", "/api/v1/households?county="+countyB, nil)
			if strings.Contains(body, f.hhB.ID) {
				t.Errorf("%s lists county B by filter", user)
			}
		}
		_, body := f.do("farmerA", "GET", "/api/v1/households", nil)
		var list struct{ Items []map[string]any }
		json.Unmarshal([]byte(body), &list)
		if len(list.Items) != 1 || list.Items[0]["id"] != f.hhA.ID {
			t.Errorf("household user lists %d households, want only itself: %s", len(list.Items), body)
		}
	})
}

func TestIdentityNumbersMaskedAndRevealAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		path := "/api/v1/households/" + f.hhA.ID
		for _, user := range []string{"admin", "officerA", "auditorA", "fund", "farmerA"} {
			_, body := f.do(user, "GET", path, nil)
			if strings.Contains(body, f.plainA) {
				t.Errorf("%s sees a plain identity number in %s", user, path)
			}
			_, body = f.do(user, "GET", "/api/v1/households?county="+countyA, nil)
			if strings.Contains(body, f.plainA) {
				t.Errorf("%s sees a plain identity number in the list", user)
			}
		}
		memberID := f.hhA.Members[0].ID
		for _, user := range []string{"auditorA", "fund", "officerB", "consumer"} {
			status, body := f.do(user, "POST", "/api/v1/members/"+memberID+"/reveal", strings.NewReader(`{"purpose":"test"}`))
			if status != 403 && status != 404 {
				t.Errorf("%s reveal = %d, want 403/404: %s", user, status, body)
			}
			if strings.Contains(body, f.plainA) {
				t.Errorf("%s got the plain number", user)
			}
		}
		var before int
		d.Read().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM pii_audit").Scan(&before)
		status, body := f.do("officerA", "POST", "/api/v1/members/"+memberID+"/reveal", strings.NewReader(`{"purpose":"核实身份"}`))
		if status != 200 || !strings.Contains(body, f.plainA) {
			t.Fatalf("officer reveal = %d %s", status, body)
		}
		var after int
		d.Read().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM pii_audit").Scan(&after)
		if after <= before {
			t.Fatalf("reveal not audited: %d -> %d rows", before, after)
		}
	})
}

func TestErrorShapeAndPagination(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d)
	status, body := f.do("admin", "GET", "/api/v1/counties?limit=abc", nil)
	if status != 400 || !strings.Contains(body, `"fields":{"limit"`) {
		t.Fatalf("bad limit = %d %s", status, body)
	}
	status, body = f.do("admin", "GET", "/api/v1/nothing-here", nil)
	if status != 404 || !strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("unknown route = %d %s", status, body)
	}
	status, body = f.do("admin", "POST", "/api/v1/households", strings.NewReader(`{"county_code":"130624","nonsense":1}`))
	if status != 400 || !strings.Contains(body, "nonsense") {
		t.Fatalf("unknown field = %d %s", status, body)
	}
	// Walk all poverty counties page by page: 831 distinct codes, no duplicates.
	seen := map[string]bool{}
	next := ""
	for pages := 0; pages < 100; pages++ {
		_, body := f.do("consumer", "GET", "/api/v1/counties?poverty=true&limit=100&cursor="+url.QueryEscape(next), nil)
		var p struct {
			Items []struct {
				Code string `json:"code"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err, body)
		}
		for _, it := range p.Items {
			if seen[it.Code] {
				t.Fatalf("county %s on two pages", it.Code)
			}
			seen[it.Code] = true
		}
		if next = p.NextCursor; next == "" {
			break
		}
	}
	if len(seen) != 831 {
		t.Fatalf("paged through %d poverty counties, want 831", len(seen))
	}
}

func TestPagesLoginScopeAndCrossOrigin(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.PostForm(f.srv.URL+"/login", url.Values{"name": {"officerA"}, "password": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("wrong password page status %d", res.StatusCode)
	}
	res, err = c.PostForm(f.srv.URL+"/login", url.Values{"name": {"officerA"}, "password": {"password-a"}, "next": {"/households/" + f.hhA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), f.hhA.HeadName) {
		t.Fatalf("household page after login: %d", res.StatusCode)
	}
	if strings.Contains(string(b), f.plainA) {
		t.Fatal("household page shows a plain identity number")
	}
	res, _ = c.Get(f.srv.URL + "/households/" + f.hhB.ID)
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("officer A opening a county B household page: %d, want 404", res.StatusCode)
	}
	for _, p := range []string{"/counties?poverty=true", "/counties/" + countyA, "/import", "/tokens"} {
		res, _ = c.Get(f.srv.URL + p)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("GET %s = %d", p, res.StatusCode)
		}
	}
	res, _ = c.Get(f.srv.URL + "/admin/users")
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("officer opening users admin = %d, want 403", res.StatusCode)
	}
	// A cross-site form post (CSRF) is refused even with the session cookie.
	req, _ := http.NewRequest("POST", f.srv.URL+"/tokens", strings.NewReader("label=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("cross-site POST = %d, want 403", res.StatusCode)
	}
	// Unauthenticated pages redirect to login.
	res, _ = http.Get(f.srv.URL + "/counties")
	res.Body.Close()
	if res.Request.URL.Path != "/login" {
		t.Fatalf("anonymous /counties ended at %s", res.Request.URL.Path)
	}
}

func TestImportThroughAPI(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d)
	tpl, err := registry.Template("csv")
	if err != nil {
		t.Fatal(err)
	}
	status, body := f.do("officerA", "POST", "/api/v1/imports/households?county="+countyA+"&filename=t.csv", strings.NewReader(string(tpl)))
	if status != 200 || !strings.Contains(body, `"households_created":1`) {
		t.Fatalf("import template = %d %s", status, body)
	}
	status, body = f.do("officerA", "POST", "/api/v1/imports/households?county="+countyA+"&filename=t.csv", strings.NewReader(string(tpl)))
	if status != 200 || !strings.Contains(body, `"households_unchanged":1`) {
		t.Fatalf("re-import = %d %s", status, body)
	}
	status, body = f.do("officerA", "POST", "/api/v1/imports/households?county="+countyB+"&filename=t.csv", strings.NewReader(string(tpl)))
	if status != 403 {
		t.Fatalf("officer A importing into county B = %d %s", status, body)
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	b, err := web.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	routes := web.RouteList()
	served := map[string]bool{}
	for _, r := range routes {
		served[r] = true
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("openapi.json documents %s, which the server does not serve", r)
		}
	}
}

func TestIncomeAssessmentAndAuditThroughAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := "/api/v1/households/" + f.hhA.ID
		// Survey income: validated, idempotent, only the county's officers.
		body := `{"year":2020,"category":"wage","amount_fen":2000000,"evidence":"调查表 FP-1","idempotency_key":"k1"}`
		if status, b := f.do("officerB", "POST", a+"/declared-income", strings.NewReader(body)); status != 404 {
			t.Fatalf("officer of another county declaring = %d %s", status, b)
		}
		if status, b := f.do("auditorA", "POST", a+"/declared-income", strings.NewReader(body)); status != 403 {
			t.Fatalf("auditor declaring = %d %s", status, b)
		}
		if status, b := f.do("officerA", "POST", a+"/declared-income", strings.NewReader(`{"year":2020,"category":"gift","amount_fen":-5,"evidence":"","idempotency_key":"k0"}`)); status != 400 ||
			!strings.Contains(b, `"category"`) || !strings.Contains(b, `"evidence"`) {
			t.Fatalf("bad declaration = %d %s", status, b)
		}
		if status, b := f.do("officerA", "POST", a+"/declared-income", strings.NewReader(body)); status != 201 {
			t.Fatalf("declaration = %d %s", status, b)
		}
		if status, b := f.do("officerA", "POST", a+"/declared-income", strings.NewReader(body)); status != 200 || !strings.Contains(b, `"replayed":true`) {
			t.Fatalf("repeated declaration = %d %s", status, b)
		}
		if status, b := f.do("officerA", "POST", a+"/declared-income", strings.NewReader(strings.Replace(body, "2000000", "2000001", 1))); status != 409 {
			t.Fatalf("same key, other amount = %d %s", status, b)
		}
		status, b := f.do("officerA", "GET", a+"/income?year=2020", nil)
		if status != 200 || !strings.Contains(b, `"declared_wage_fen":2000000`) {
			t.Fatalf("income = %d %s", status, b)
		}
		if status, _ := f.do("officerB", "GET", a+"/income?year=2020", nil); status != 404 {
			t.Fatalf("officer B reading county A income = %d", status)
		}
		// Assessment: officers run their own county; results show per household and county.
		if status, b := f.do("officerA", "POST", "/api/v1/assessments", strings.NewReader(`{"year":2020,"county":"`+countyB+`"}`)); status != 404 {
			t.Fatalf("officer A assessing county B = %d %s", status, b)
		}
		if status, b := f.do("officerA", "POST", "/api/v1/assessments", strings.NewReader(`{"year":2019,"county":"`+countyA+`"}`)); status != 400 || !strings.Contains(b, "2019") {
			t.Fatalf("assessing a year without a line = %d %s", status, b)
		}
		status, b = f.do("officerA", "POST", "/api/v1/assessments", strings.NewReader(`{"year":2020,"county":"`+countyA+`"}`))
		if status != 200 || !strings.Contains(b, `"households":3`) {
			t.Fatalf("run = %d %s", status, b)
		}
		status, b = f.do("officerA", "GET", a+"/statuses", nil)
		if status != 200 || !strings.Contains(b, `"year":2020`) || !strings.Contains(b, "贫困线") {
			t.Fatalf("statuses = %d %s", status, b)
		}
		status, b = f.do("officerA", "GET", "/api/v1/counties/"+countyA+"/assessment?year=2020", nil)
		if status != 200 || !strings.Contains(b, `"measured":false`) {
			t.Fatalf("county assessment without population = %d %s", status, b)
		}
		if status, b := f.do("officerA", "PUT", "/api/v1/counties/"+countyA+"/rural-population/2020", strings.NewReader(`{"rural_population":-1}`)); status != 400 {
			t.Fatalf("negative population = %d %s", status, b)
		}
		if status, b := f.do("officerA", "PUT", "/api/v1/counties/"+countyA+"/rural-population/2020", strings.NewReader(`{"rural_population":150000,"note":"统计年鉴"}`)); status != 204 {
			t.Fatalf("population = %d %s", status, b)
		}
		status, b = f.do("officerA", "GET", "/api/v1/counties/"+countyA+"/assessment?year=2020", nil)
		if status != 200 || !strings.Contains(b, `"denominator":150000`) {
			t.Fatalf("county assessment = %d %s", status, b)
		}
		if status, _ := f.do("officerB", "GET", "/api/v1/counties/"+countyA+"/assessment?year=2020", nil); status != 404 {
			t.Fatalf("officer B reading county A assessment = %d", status)
		}
		// Audits: drawn by an auditor of the county, reproducible by seed.
		draw := `{"kind":"households","scope":"` + countyA + `","year":2020,"seed":7,"rate_bp":10000}`
		if status, b := f.do("officerA", "POST", "/api/v1/audits", strings.NewReader(draw)); status != 403 {
			t.Fatalf("officer drawing an audit = %d %s", status, b)
		}
		status, b = f.do("auditorA", "POST", "/api/v1/audits", strings.NewReader(draw))
		if status != 201 && !(status == 400 && strings.Contains(b, "exited")) {
			t.Fatalf("draw = %d %s", status, b)
		}
		if status, b := f.do("admin", "PUT", "/api/v1/poverty-lines/2019", strings.NewReader(`{"amount_fen":321800,"note":"2019"}`)); status != 200 {
			t.Fatalf("set line = %d %s", status, b)
		}
		if status, b := f.do("officerA", "PUT", "/api/v1/poverty-lines/2018", strings.NewReader(`{"amount_fen":299500}`)); status != 403 {
			t.Fatalf("officer setting a line = %d %s", status, b)
		}
	})
}
