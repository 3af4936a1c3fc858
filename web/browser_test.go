package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/credit"
	"fishpond/demo"
	"fishpond/farms"
	"fishpond/fund"
	"fishpond/green"
	"fishpond/insurance"
	"fishpond/internal/browsertest"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/live"
	"fishpond/logistics"
	"fishpond/market"
	"fishpond/registry"
	"fishpond/sensing"
	"fishpond/web"
)

// TestBrowserOfficerJourney drives real headless Chromium on a phone viewport over
// the demo dataset: log in as a county officer, see the county's charts, open a
// household, reveal a member's identity number (audited), switch to English.
// FISHPOND_SCREENSHOTS=dir keeps the screenshots (docs/ uses them).
func TestBrowserOfficerJourney(t *testing.T) {
	ctx := browsertest.New(t)
	d := dbtest.SQLite(t)
	keys, _ := secret.New(make([]byte, 32))
	clock := fishpond.SystemClock{}
	reg, acc := registry.NewStore(d, keys, clock), access.New(d, clock)
	led := ledger.New(d, clock)
	defer led.Close()
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	svc := web.Services{Access: acc, Registry: reg, Ledger: led, Assessor: assess.New(d, reg, led, clock), Market: market.NewStore(d, keys, clock, cfg)}
	svc.Fund = fund.New(d, reg, clock)
	svc.Live = live.NewService(d, svc.Market, reg, keys, clock, live.DefaultConfig, nil)
	defer svc.Live.Close()
	svc.Sensing = sensing.New(d, clock, sensing.DefaultConfig, nil)
	t.Cleanup(svc.Sensing.Close)
	svc.Green = green.New(d, reg, svc.Market, clock, green.Config{PhotoDir: cfg.PhotoDir})
	defer svc.Green.Close()
	svc.Credit, svc.Insurance = credit.New(d, led, reg, clock, credit.DefaultConfig), insurance.New(d, clock)
	svc.Logistics = logistics.NewStore(d, keys, clock, svc.Market, nil, logistics.Config{})
	svc.Farms = farms.New(d, svc.Market, clock, farms.Config{FileDir: t.TempDir()})
	deps := demo.Deps{Registry: svc.Registry, Access: svc.Access, Ledger: svc.Ledger, Assessor: svc.Assessor, Market: svc.Market}
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
	srv := httptest.NewServer(web.New(d, svc, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()
	shots := os.Getenv("FISHPOND_SCREENSHOTS")
	shot := func(name string) {
		if shots != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(shots, name+".png"))
		}
	}

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/counties/130624"))
	if got := browsertest.Text(t, ctx, "h2"); got != "登录" {
		t.Fatalf("anonymous visitor sees %q, want the login form", got)
	}
	shot("login")
	browsertest.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "fuping"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.kpis")),
	)
	if got := browsertest.Text(t, ctx, "h1"); !strings.Contains(got, "阜平县") {
		t.Fatalf("after login the officer sees %q, want 阜平县", got)
	}
	// Both charts drew (ECharts renders SVG into the containers).
	browsertest.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".chart[data-chart=pie] svg")), chromedp.WaitVisible(chromedp.CSS(".chart[data-chart=bar] svg")))
	if n := browsertest.Eval[int](t, ctx, "document.querySelectorAll('ul.list li').length"); n < 10 {
		t.Fatalf("county page lists %d households", n)
	}
	if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
		t.Fatalf("county page is %dpx wide on a %dpx phone: it scrolls sideways", w, browsertest.Width)
	}
	shot("county")

	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("ul.list li a")))
	browsertest.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".member")))
	hhID := browsertest.Eval[string](t, ctx, "location.pathname.split('/').pop()")
	masked := browsertest.Text(t, ctx, ".member dd code")
	if !strings.Contains(masked, "*") {
		t.Fatalf("identity number shown unmasked on the household page: %q", masked)
	}
	if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
		t.Fatalf("household page is %dpx wide: it scrolls sideways", w)
	}
	shot("household")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(".member dd button")))
	browsertest.Do(t, ctx, chromedp.WaitNotPresent(chromedp.CSS(".member:first-child dd button")))
	full := browsertest.Text(t, ctx, ".member dd code")
	if _, reason := registry.ParseIDNumber(full); reason != "" {
		t.Fatalf("revealed identity number = %q", full)
	}
	var audited int
	d.Read().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM pii_audit WHERE field = 'id_number'").Scan(&audited)
	if audited != 1 {
		t.Fatalf("reveal wrote %d audit rows for the identity number, want 1", audited)
	}

	// Income and status: the monthly chart, per-capita income against the line, and
	// the computed status with its reasons.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("a.button.primary")))
	browsertest.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".chart svg")))
	if got := browsertest.Text(t, ctx, "ul.reasons li"); !strings.Contains(got, "人均纯收入") {
		t.Fatalf("income page reasons start with %q", got)
	}
	shot("income")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/counties/130624/assessment?year=2020"))
	if got := browsertest.Text(t, ctx, ".verdict h2"); !strings.Contains(got, "摘帽") {
		t.Fatalf("county assessment verdict = %q", got)
	}
	if n := browsertest.Eval[int](t, ctx, "document.querySelectorAll('ul.criteria li').length"); n != 4 {
		t.Fatalf("county assessment shows %d criteria, want 4 (incidence, wrong exits, missed, approval)", n)
	}
	browsertest.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".chart[data-chart=custom] svg")))
	shot("assessment")
	// Import a spreadsheet through the page (uploaded by script with progress), and
	// read the row report.
	tpl, err := registry.Template("csv")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "households.csv")
	if err := os.WriteFile(file, tpl, 0o600); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/import?county=130624"),
		chromedp.SetUploadFiles(chromedp.CSS("input[type=file]"), []string{file}),
		chromedp.Click(chromedp.CSS("#import-form button[type=submit]")))
	if got := browsertest.Text(t, ctx, ".report h2"); !strings.Contains(got, "导入报告") || !strings.Contains(got, "households.csv") {
		t.Fatalf("import report heading = %q", got)
	}
	shot("import")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/households/"+hhID))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("a.lang")))
	if got := browsertest.Text(t, ctx, ".card h2"); got != "Indicators" {
		t.Fatalf("after switching to English the first card is %q", got)
	}
	shot("household-en")
	browsertest.NoPageErrors(t, ctx)
}
