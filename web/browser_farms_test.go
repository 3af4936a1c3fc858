package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fishpond/internal/browsertest"
)

// TestBrowserFarmJourney runs the farm pages in real headless Chromium on a phone
// over the demo dataset: a consumer claims a mu of the millet field and pays at the
// sandbox wallet, then sees the claim certificate; the cooperative's manager opens
// the dashboard, contracts, deliveries and payroll, none wider than the phone.
func TestBrowserFarmJourney(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _, _ := demoServer(t)
	shot := func(name string) {
		if dir := os.Getenv("FISHPOND_SCREENSHOTS"); dir != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(dir, name+".png"))
		}
	}
	fits := func(page string) {
		t.Helper()
		if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
			t.Fatalf("%s is %dpx wide on a %dpx phone", page, w, browsertest.Width)
		}
	}
	login := func(name string) {
		browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/login"),
			chromedp.SendKeys(chromedp.CSS("input[name=name]"), name),
			chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("header.top form.inline")))
	}

	login("consumer")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/farms"), chromedp.WaitVisible(chromedp.CSS("ul.list a.row")))
	shot("farms-index")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("ul.list a.row")), chromedp.WaitVisible(chromedp.CSS(".claim-box form")))
	before := browsertest.Text(t, ctx, "dl.facts")
	if !strings.Contains(before, "2 / 60") {
		t.Fatalf("field shows %q, want the demo consumer's 2 of 60 mu claimed", before)
	}
	shot("farms-field")
	fits("field page")
	// The demo consumer's saved address is preselected; the claim goes to the cashier.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(".claim-box button.primary")), chromedp.WaitVisible(chromedp.CSS("button[value=pay]")))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("button[value=pay]")), chromedp.WaitVisible(chromedp.CSS("p.total")))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/farms/claims"), chromedp.WaitVisible(chromedp.CSS(".certificate")))
		if n := browsertest.Eval[int](t, ctx, "document.querySelectorAll('.certificate .order-paid').length"); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new claim never showed as paid: %q", browsertest.Text(t, ctx, "main"))
		}
	}
	shot("farms-claims")
	fits("claims page")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("header.top form.inline button")), chromedp.WaitVisible(chromedp.CSS("form[action='/login']")))

	login("coop")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/farms"), chromedp.WaitVisible(chromedp.CSS("ul.list a.row")),
		chromedp.Click(chromedp.CSS("ul.list a.row")), chromedp.WaitVisible(chromedp.CSS(".chart svg")))
	if got := browsertest.Text(t, ctx, ".kpis"); !strings.Contains(got, "流转土地") || !strings.Contains(got, "325.00") {
		t.Fatalf("dashboard KPIs: %q", got)
	}
	shot("farms-dashboard")
	fits("dashboard")
	for _, tab := range []struct{ href, want string }{{"contracts", "土地流转合同"}, {"deliveries", "交售收购"}, {"payroll", "用工工资"}} {
		browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/`+tab.href+`"]`)), chromedp.WaitVisible(chromedp.CSS(`nav.tabs a.on[href$="/`+tab.href+`"]`)))
		if got := browsertest.Text(t, ctx, "h1"); got != tab.want {
			t.Fatalf("%s page h1 = %q", tab.href, got)
		}
		shot("farms-" + tab.href)
		fits(tab.href)
	}
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/farms"), chromedp.WaitVisible(chromedp.CSS("ul.list a.row")),
		chromedp.Click(chromedp.CSS("ul.list a.row")), chromedp.WaitVisible(chromedp.CSS(".chart svg")),
		chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/contracts"]`)), chromedp.WaitVisible(chromedp.CSS("ul.list a.row")),
		chromedp.Click(chromedp.CSS("ul.list a.row")), chromedp.WaitVisible(chromedp.CSS("table.money")))
	if got := browsertest.Text(t, ctx, "table.money"); !strings.Contains(got, "已付") {
		t.Fatalf("contract schedule shows no paid installment: %q", got)
	}
	shot("farms-contract")
	fits("contract page")
	browsertest.NoPageErrors(t, ctx)
}

// TestFarmerSeesOwnContract: the demo farmer's /farms lists its land contract and its
// paid rent, and not another household's.
func TestFarmerSeesOwnContract(t *testing.T) {
	srv, _, _ := demoServer(t)
	c := login(t, srv.URL, "farmer", "fishpond-demo")
	st, body := page(t, c, "GET", srv.URL+"/farms", nil)
	if st != 200 || !strings.Contains(body, "我家的土地流转合同") || strings.Count(body, `href="/farm-contracts/`) != 1 {
		t.Fatalf("farmer's farms page: %d", st)
	}
	i := strings.Index(body, `href="/farm-contracts/`)
	id := body[i+len(`href="/farm-contracts/`) : i+len(`href="/farm-contracts/`)+36]
	st, body = page(t, c, "GET", srv.URL+"/farm-contracts/"+id, nil)
	if st != 200 || !strings.Contains(body, "已付") || strings.Contains(body, "终止合同") {
		t.Fatalf("farmer's contract page: %d", st)
	}
}
