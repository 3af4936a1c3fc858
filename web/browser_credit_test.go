package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fishpond/internal/browsertest"
)

// TestBrowserLoanAndFund drives headless Chromium on a phone viewport over the demo
// dataset: the farmer opens its loans, sees the loan repaid by its walnut sales
// (rule deductions in the statement), the page never scrolls sideways; the public
// fund page draws its chart. FISHPOND_SCREENSHOTS=dir keeps the screenshots.
func TestBrowserLoanAndFund(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _, _ := demoServer(t)
	shots := os.Getenv("FISHPOND_SCREENSHOTS")
	shot := func(name string) {
		if shots != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(shots, name+".png"))
		}
	}
	narrow := func(what string) {
		t.Helper()
		if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
			t.Fatalf("%s is %dpx wide on a %dpx phone: it scrolls sideways", what, w, browsertest.Width)
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "farmer"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitReady(chromedp.CSS("form[action='/logout']")),
		chromedp.Navigate(srv.URL+"/loans"),
		chromedp.WaitVisible(chromedp.CSS("form[action='/loans/apply']")),
	)
	narrow("the loans page")
	shot("credit-loans")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("a[href^='/loans/']")), chromedp.WaitVisible(chromedp.CSS("section.kpis")))
	if got := browsertest.Text(t, ctx, "main"); !strings.Contains(got, "销售自动扣款") {
		t.Fatalf("the loan's statement shows no sales deduction: %q", got)
	}
	narrow("the loan page")
	shot("credit-loan")
	loanURL := browsertest.Eval[string](t, ctx, "location.href")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/lang/en"), chromedp.Navigate(loanURL), chromedp.WaitVisible(chromedp.CSS("section.kpis")))
	if got := browsertest.Text(t, ctx, "main"); !strings.Contains(got, "by sales rule") || !strings.Contains(got, "active loan") {
		t.Fatalf("the English loan page: %q", got)
	}
	shot("credit-loan-en")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/lang/zh"))
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/insurance"), chromedp.WaitVisible(chromedp.CSS("h1")))
	narrow("the insurance page")
	shot("insurance")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/funds/health-insurance"), chromedp.WaitVisible(chromedp.CSS(".chart[data-chart=pie] svg")))
	narrow("the fund page")
	shot("insurance-fund")
	browsertest.NoPageErrors(t, ctx)
}

// TestBrowserCoopLoan: the demo's cooperative manager opens the cooperative's
// loans on a phone, the decision with its reasons (purchase agreements, land
// contracts, member households) and the loan repaid from the cooperative's sales;
// no page scrolls sideways. FISHPOND_SCREENSHOTS=dir keeps the screenshots.
func TestBrowserCoopLoan(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _, _ := demoServer(t)
	shots := os.Getenv("FISHPOND_SCREENSHOTS")
	shot := func(name string) {
		if shots != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(shots, name+".png"))
		}
	}
	narrow := func(what string) {
		t.Helper()
		if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
			t.Fatalf("%s is %dpx wide on a %dpx phone: it scrolls sideways", what, w, browsertest.Width)
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "coop"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitReady(chromedp.CSS("form[action='/logout']")),
		chromedp.Navigate(srv.URL+"/loans"),
		chromedp.WaitVisible(chromedp.CSS("form[action='/loans/apply']")),
	)
	if got := browsertest.Text(t, ctx, "main"); !strings.Contains(got, "合作社的贷款") || !strings.Contains(got, "为合作社申请贷款") {
		t.Fatalf("the cooperative's loans page: %q", got)
	}
	narrow("the cooperative's loans page")
	shot("credit-coop-loans")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("a[href^='/loans/applications/']")), chromedp.WaitVisible(chromedp.CSS("table.compact")))
	if got := browsertest.Text(t, ctx, "main"); !strings.Contains(got, "收购协议") || !strings.Contains(got, "土地流转合同") {
		t.Fatalf("the decision shows no contract or agreement reasons: %q", got)
	}
	narrow("the cooperative's decision page")
	shot("credit-coop-decision")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("a[href^='/loans/0'], p a[href^='/loans/']:not([href*='?'])")), chromedp.WaitVisible(chromedp.CSS("section.kpis")))
	if got := browsertest.Text(t, ctx, "main"); !strings.Contains(got, "销售自动扣款") || !strings.Contains(got, "从合作社资金还款") {
		t.Fatalf("the cooperative's loan page: %q", got)
	}
	narrow("the cooperative's loan page")
	shot("credit-coop-loan")
	browsertest.NoPageErrors(t, ctx)
}
