package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"log/slog"
	"net/http/httptest"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/demo"
	"fishpond/internal/browsertest"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/internal/testenv"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
	"fishpond/report"
	"fishpond/web"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestPublicReportHasNoPersonalData serves the demo (registered households with
// names, ID and phone numbers; orders with recipients and addresses) and checks
// that no public report output, page, download or open-data answer, carries any of
// them, that the open API needs no login, and that the exports parse.
func TestPublicReportHasNoPersonalData(t *testing.T) {
	unplugStaffEngaged(t)
	ctx := context.Background()
	srv, d := reportDemo(t)
	// Personal strings to look for: household heads' names and the demo buyers'
	// recipients, phone masks and address details, read straight from the tables.
	var personal []string
	for _, q := range []string{"SELECT head_name FROM households", "SELECT name FROM market_addresses", "SELECT detail FROM market_addresses",
		"SELECT phone_mask FROM market_addresses", "SELECT ship_name FROM market_orders WHERE ship_name <> ''", "SELECT id_mask FROM members"} {
		rows, err := d.Read().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(q, err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			if len([]rune(s)) >= 3 {
				personal = append(personal, s)
			}
		}
		rows.Close()
	}
	if len(personal) < 100 {
		t.Fatalf("only %d personal strings found: the demo changed", len(personal))
	}

	status, b := get(t, srv.URL+"/api/v1/open/reports")
	var ps struct{ Periods []string }
	if status != 200 || json.Unmarshal(b, &ps) != nil || len(ps.Periods) < 3 {
		t.Fatalf("open periods without login = %d %s", status, b)
	}
	outputs := map[string][]byte{}
	for _, p := range ps.Periods {
		for _, path := range []string{"/reports/" + p, "/api/v1/open/reports/" + p, "/reports/" + p + "/report.json", "/reports/" + p + "/counties.csv",
			"/reports/" + p + "/metrics.csv", "/reports/" + p + "/provinces.csv", "/reports/" + p + "/report.xlsx"} {
			status, b := get(t, srv.URL+path)
			if status != 200 {
				t.Fatalf("GET %s = %d %s", path, status, b)
			}
			outputs[path] = b
		}
	}
	status, b = get(t, srv.URL+"/reports")
	outputs["/reports"] = b
	status, b = get(t, srv.URL+"/api/v1/open/metrics")
	outputs["/api/v1/open/metrics"] = b
	for path, b := range outputs {
		text := string(b)
		if strings.HasSuffix(path, ".xlsx") {
			f, err := excelize.OpenReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s does not open as a workbook: %v", path, err)
			}
			var all strings.Builder
			for _, sh := range f.GetSheetList() {
				rows, _ := f.GetRows(sh)
				for _, r := range rows {
					all.WriteString(strings.Join(r, "\t") + "\n")
				}
			}
			text = all.String()
			if !strings.Contains(text, "poverty_county_gmv_fen") {
				t.Fatalf("%s has no metrics sheet", path)
			}
		}
		for _, s := range personal {
			if strings.Contains(text, s) {
				t.Fatalf("%s contains personal data %q", path, s)
			}
		}
	}
	// The demo report of 2020H1 has sales, households, and unmeasured capabilities.
	var rep struct {
		Metrics map[string]struct {
			Status string `json:"status"`
			Value  *int64 `json:"value"`
		} `json:"metrics"`
		Counties []struct {
			Households *int64 `json:"households_covered"`
			Suppressed bool   `json:"suppressed"`
		} `json:"counties"`
	}
	if err := json.Unmarshal(outputs["/api/v1/open/reports/2020H1"], &rep); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"poverty_county_gmv_fen", "poverty_counties_with_sales", "households_covered", "households_exited", "live_sessions", "farmer_anchors", "channel_products"} {
		if _, ok := rep.Metrics[id]; !ok {
			t.Errorf("metric %s missing", id)
		}
	}
	if m := rep.Metrics["poverty_county_gmv_fen"]; m.Value == nil || *m.Value <= 0 {
		t.Errorf("2020H1 GMV = %+v", m)
	}
	if m := rep.Metrics["staff_engaged"]; m.Status != "not_measured" || m.Value != nil {
		t.Errorf("staff_engaged = %+v, want not measured and null", m)
	}
	if m := rep.Metrics["households_covered"]; m.Value == nil || *m.Value < 1000 {
		t.Errorf("households covered = %+v", m)
	}
	if !strings.Contains(string(outputs["/reports/2020H1"]), "尚未统计") {
		t.Error("the page does not say 'not yet measured'")
	}
	// The admin drill-down: fund staff see every province and county, unsuppressed;
	// a county officer only their own county.
	fund := login(t, srv.URL, "fund", "fishpond-demo")
	for path, want := range map[string]string{"/admin/reports/2020H1": "甘肃省", "/admin/reports/2020H1?province=62": "东乡族自治县",
		"/admin/reports/2020H1?county=622926": "东乡族自治县"} {
		resp, err := fund.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("fund GET %s = %d, want a page naming %s", path, resp.StatusCode, want)
		}
	}
	officer := login(t, srv.URL, "fuping", "fishpond-demo")
	resp, err := officer.Get(srv.URL + "/admin/reports/2020H1?county=622926")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("Fuping's officer opening Dongxiang's drill-down = %d, want 404", resp.StatusCode)
	}
	consumer := login(t, srv.URL, "consumer", "fishpond-demo")
	resp, err = consumer.Get(srv.URL + "/admin/reports/2020H1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a consumer opening the admin report = %d, want 403", resp.StatusCode)
	}
}

// TestReportPDF prints a report with headless chromium (skipped where it is not
// installed, failed under CI=true).
func TestReportPDF(t *testing.T) {
	unplugStaffEngaged(t)
	testenv.LookPath(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	d := dbtest.SQLite(t)
	keys, _ := secret.New(make([]byte, 32))
	if _, _, _, err := registry.NewStore(d, keys, nil).LoadPlaces(context.Background()); err != nil {
		t.Fatal(err)
	}
	rg, _ := report.ParseRange("2018H1")
	rep, err := report.Build(context.Background(), d.Read(), rg, time.Now(), true)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := web.ReportPDF(context.Background(), rep, "zh")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 10000 {
		t.Fatalf("not a PDF: %d bytes %q", len(pdf), pdf[:min(len(pdf), 20)])
	}
	var html bytes.Buffer
	if err := web.ReportHTML(&html, rep, "en"); err != nil {
		t.Fatal(err)
	}
	if s := html.String(); strings.Contains(s, `src="/static/`) || !strings.Contains(s, "echarts") || !strings.Contains(s, "not yet measured") {
		t.Fatal("standalone HTML still links the server's assets or lacks the charts library")
	}
}

// reportDemo serves the demo dataset (with its generated sales history) on a fresh
// SQLite database.
func reportDemo(t *testing.T) (*httptest.Server, *db.DB) {
	t.Helper()
	ctx := context.Background()
	d := dbtest.SQLite(t)
	keys, _ := secret.New(make([]byte, 32))
	clock := fishpond.SystemClock{}
	reg, acc, led := registry.NewStore(d, keys, clock), access.New(d, clock), ledger.New(d, clock)
	t.Cleanup(led.Close)
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	svc := web.Services{Access: acc, Registry: reg, Ledger: led, Assessor: assess.New(d, reg, led, clock), Market: market.NewStore(d, keys, clock, cfg)}
	if err := demo.Load(ctx, demo.Deps{Registry: reg, Access: acc, Ledger: led, Assessor: svc.Assessor, Market: svc.Market, DB: d}, nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(d, svc, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(srv.Close)
	return srv, d
}

// TestBrowserReportPage opens the public report on a phone: every chart draws
// (the content security policy allows no inline script), nothing scrolls sideways,
// no console errors.
func TestBrowserReportPage(t *testing.T) {
	unplugStaffEngaged(t)
	ctx := browsertest.New(t)
	srv, _ := reportDemo(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/reports/2020H1"), chromedp.WaitVisible(chromedp.CSS(".chart svg")))
	if n := browsertest.Eval[int](t, ctx, "document.querySelectorAll('.chart svg').length"); n != 5 {
		t.Fatalf("%d charts drawn, want 5", n)
	}
	if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
		t.Fatalf("report page is %dpx wide on a %dpx phone", w, browsertest.Width)
	}
	if got := browsertest.Text(t, ctx, "#m-staff_engaged .fig-value"); got != "尚未统计" {
		t.Fatalf("staff engaged shown as %q, want 尚未统计", got)
	}
	browsertest.NoPageErrors(t, ctx)
}

// unplugStaffEngaged takes one metric's event measure away for the test, so the
// pages can be checked to say "not yet measured" (never 0) for a metric no
// capability measures: every metric of today's catalogue is plugged in.
func unplugStaffEngaged(t *testing.T) {
	report.UnplugForTest("staff_engaged")
	t.Cleanup(func() {
		report.Measure("staff_engaged", report.EventMeasure{Event: "fund.staff.engaged", Kind: report.Cumulative})
	})
}
