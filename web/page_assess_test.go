package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/credit"
	"fishpond/demo"
	"fishpond/farms"
	"fishpond/fund"
	"fishpond/green"
	"fishpond/insurance"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/live"
	"fishpond/logistics"
	"fishpond/market"
	"fishpond/partners"
	"fishpond/payment"
	"fishpond/payment/sandbox"
	"fishpond/registry"
	"fishpond/sensing"
	"fishpond/web"
)

// demoServer serves the demo dataset on a fresh SQLite database, with the payment
// sandbox mounted as `fishpond serve` mounts it.
func demoServer(t *testing.T) (*httptest.Server, *syncLog, web.Services) {
	t.Helper()
	d := dbtest.SQLite(t)
	keys, _ := secret.New(make([]byte, 32))
	clock := fishpond.SystemClock{}
	reg, acc, led := registry.NewStore(d, keys, clock), access.New(d, clock), ledger.New(d, clock)
	t.Cleanup(led.Close)
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	svc := web.Services{Access: acc, Registry: reg, Ledger: led, Assessor: assess.New(d, reg, led, clock), Market: market.NewStore(d, keys, clock, cfg)}
	svc.Fund = fund.New(d, reg, clock)
	svc.Live = live.NewService(d, svc.Market, reg, keys, clock, testLiveConfig, nil)
	t.Cleanup(svc.Live.Close)
	svc.Sensing = sensing.New(d, clock, sensing.DefaultConfig, nil)
	t.Cleanup(svc.Sensing.Close)
	svc.Green = green.New(d, reg, svc.Market, clock, green.Config{PhotoDir: cfg.PhotoDir})
	t.Cleanup(svc.Green.Close)
	svc.Credit, svc.Insurance = credit.New(d, led, reg, clock, credit.DefaultConfig), insurance.New(d, clock)
	svc.Partners = partners.New(d, keys, acc, clock)
	svc.Logistics = logistics.NewStore(d, keys, clock, svc.Market, nil, logistics.Config{})
	svc.Farms = farms.New(d, svc.Market, clock, farms.Config{FileDir: t.TempDir()})
	deps := demo.Deps{Registry: reg, Access: acc, Ledger: led, Assessor: svc.Assessor, Market: svc.Market}
	deps.Partners = svc.Partners
	deps.Logistics = svc.Logistics
	deps.Farms = svc.Farms
	deps.Credit = svc.Credit
	deps.Insurance = svc.Insurance
	deps.Fund = svc.Fund
	deps.Green = svc.Green
	deps.Sensing = svc.Sensing
	deps.Live = svc.Live
	deps.DB = d
	if err := demo.Load(context.Background(), deps, nil); err != nil {
		t.Fatal(err)
	}
	// The handler is set once the server's URL, which the wallet calls back, is known.
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Config{BaseURL: srv.URL + "/sandbox/pay", KeyDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	svc.Payments = payment.NewService(d, sb, clock, payment.Options{NotifyURL: srv.URL + "/pay/notify", ReturnURL: srv.URL + "/orders/return"})
	svc.PaymentSandbox = sb.Handler()
	logs := &syncLog{}
	h = web.New(d, svc, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))).Handler()
	return srv, logs, svc
}

// syncLog is a log buffer written by the server's goroutines and read by the test.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func login(t *testing.T, base, name, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.PostForm(base+"/login", url.Values{"name": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("login %s: %d", name, res.StatusCode)
	}
	return c
}

func page(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string) {
	t.Helper()
	var res *http.Response
	var err error
	if method == "POST" {
		res, err = c.PostForm(u, form)
	} else {
		res, err = c.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestAuditAndAssessmentPages walks the audit workflow as an auditor and the county
// dashboard as an officer, over the demo dataset, and checks that no identity
// number reaches the log on the way.
func TestAuditAndAssessmentPages(t *testing.T) {
	srv, logs, _ := demoServer(t)
	aud := login(t, srv.URL, "auditor", "fishpond-demo")
	status, body := page(t, aud, "GET", srv.URL+"/audits", nil)
	m := regexp.MustCompile(`href="/audits/([0-9a-f-]{36})"`).FindStringSubmatch(body)
	if status != 200 || m == nil {
		t.Fatalf("audits page: %d, no sample link", status)
	}
	id := m[1]
	status, body = page(t, aud, "GET", srv.URL+"/audits/"+id, nil)
	if status != 200 || !strings.Contains(body, "抽查通过") || !strings.Contains(body, "错退率") {
		t.Fatalf("audit page: %d", status)
	}
	units := regexp.MustCompile(`name="unit" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(units) < 10 {
		t.Fatalf("audit page shows %d units", len(units))
	}
	// Two more wrong exits push the rate over 2%: the audit fails.
	for _, u := range units[:2] {
		if status, _ := page(t, aud, "POST", srv.URL+"/audits/"+id+"/findings", url.Values{"unit": {u[1]}, "finding": {"wrong_exit"}, "note": {"复核"}}); status != 200 {
			t.Fatalf("record finding: %d", status)
		}
	}
	if _, body = page(t, aud, "GET", srv.URL+"/audits/"+id, nil); !strings.Contains(body, "抽查未通过") {
		t.Fatal("three wrong exits in the sample did not fail the audit")
	}
	status, body = page(t, aud, "POST", srv.URL+"/audits/"+id+"/survey", url.Values{"answers": {"S-1, 是\nS-2 maybe"}})
	if status != 400 || !strings.Contains(body, "lines 2") {
		t.Fatalf("bad survey line: %d", status)
	}
	if status, _ := page(t, aud, "POST", srv.URL+"/audits/"+id+"/findings", url.Values{"unit": {units[0][1]}, "finding": {"maybe"}}); status != 400 {
		t.Fatalf("bad finding: %d", status)
	}

	off := login(t, srv.URL, "dongxiang", "fishpond-demo")
	status, body = page(t, off, "GET", srv.URL+"/counties/622926/assessment?year=2020", nil)
	if status != 200 || !strings.Contains(body, "贫困发生率") || !strings.Contains(body, "≤ 3%") {
		t.Fatalf("west county dashboard: %d (threshold 3%% expected)", status)
	}
	if status, _ := page(t, off, "GET", srv.URL+"/counties/130624/assessment?year=2020", nil); status != 404 {
		t.Fatalf("officer of 东乡 opening 阜平's dashboard: %d", status)
	}
	if status, _ := page(t, off, "GET", srv.URL+"/audits/"+id, nil); status != 404 && status != 403 {
		t.Fatalf("officer of 东乡 opening 阜平's audit: %d", status)
	}
	status, body = page(t, off, "POST", srv.URL+"/counties/622926/assessment", url.Values{"year": {"2020"}})
	if status != 200 || !strings.Contains(body, "unchanged") && !strings.Contains(body, "未变") {
		t.Fatalf("re-running the assessment from the page: %d", status)
	}
	if status, _ := page(t, off, "POST", srv.URL+"/counties/622926/rural-population", url.Values{"year": {"2020"}, "rural_population": {"many"}}); status != 400 {
		t.Fatalf("non-numeric population: %d", status)
	}
	// Nothing personal in the logs.
	if regexp.MustCompile(`\d{17}[\dX]`).MatchString(logs.String()) {
		t.Fatal("an identity-number-like value reached the log")
	}
}
