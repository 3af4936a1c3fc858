package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fishpond/internal/browsertest"
)

// TestBrowserFundAdministrator walks the fund's pages as the demo's fund
// administrator on a phone: the dashboard's charts draw, nothing scrolls sideways,
// the pending grant another administrator requested is approved from the queue,
// and the programme, household and volunteer pages render without script errors.
// FISHPOND_SCREENSHOTS=dir keeps the screenshots.
func TestBrowserFundAdministrator(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _, _ := demoServer(t)
	shot := func(name string) {
		if dir := os.Getenv("FISHPOND_SCREENSHOTS"); dir != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(dir, name+".png"))
		}
	}
	narrow := func(what string) {
		t.Helper()
		shot("wide-" + strings.ReplaceAll(what, " ", "-"))
		if wide := browsertest.Eval[string](t, ctx, `Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391).slice(0, 5).map(e => e.tagName + '.' + e.className).join(' ')`); wide != "" {
			t.Logf("%s: too wide: %s", what, wide)
		}
		if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
			t.Fatalf("%s is %dpx wide on a %dpx phone: it scrolls sideways", what, w, browsertest.Width)
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "fund"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".chart svg")))
	if got := browsertest.Text(t, ctx, "h1"); got != "基金概览" {
		t.Fatalf("the fund administrator lands on %q, want the fund dashboard", got)
	}
	if n := browsertest.Eval[int](t, ctx, "document.querySelectorAll('.chart svg').length"); n != 3 {
		t.Fatalf("dashboard drew %d charts, want 3 (allocation by area, disbursed by area and by county)", n)
	}
	narrow("the fund dashboard")
	browsertest.NoPageErrors(t, ctx)
	shot("fund-dashboard")

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/fund/approvals"), chromedp.WaitVisible(chromedp.CSS("section.card h2")))
	if got := browsertest.Text(t, ctx, "section.card h2"); !strings.Contains(got, "直播间与冷库建设") {
		t.Fatalf("approvals queue starts with %q", got)
	}
	narrow("the approvals queue")
	shot("fund-approvals")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("section.card form.inline button.primary")), chromedp.WaitVisible(chromedp.CSS("p.card.muted")))
	if got := browsertest.Text(t, ctx, "table.compact tr td"); !strings.Contains(got, "直播间与冷库建设") {
		t.Fatalf("after approval the first decided disbursement is %q", got)
	}

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/fund"), chromedp.WaitVisible(chromedp.CSS(".chart svg")),
		chromedp.Click(chromedp.CSS("table.compact a[href^='/fund/programmes/']")), chromedp.WaitVisible(chromedp.CSS("section.kpis")))
	narrow("a programme page")
	browsertest.NoPageErrors(t, ctx)
	shot("fund-programme")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("ul.list a[href*='/programmes']")), chromedp.WaitVisible(chromedp.CSS("section.kpis")))
	if got := browsertest.Text(t, ctx, "h1"); got != "项目记录" {
		t.Fatalf("household programme page heading %q", got)
	}
	narrow("a household's programme history")
	shot("fund-household")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/fund/volunteers?year=2020"), chromedp.WaitVisible(chromedp.CSS(".chart svg")))
	narrow("the volunteer log")
	browsertest.NoPageErrors(t, ctx)
	shot("fund-volunteers")
	// In English too.
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/lang/en"), chromedp.Navigate(srv.URL+"/fund?period=2020H2"), chromedp.WaitVisible(chromedp.CSS(".chart svg")))
	if got := browsertest.Text(t, ctx, "h1"); got != "Fund dashboard" {
		t.Fatalf("English dashboard heading %q", got)
	}
	narrow("the English dashboard")
	shot("fund-dashboard-en")
}
