package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fishpond/internal/browsertest"
)

// TestBrowserPartnerPortal: the demo NGO's member opens the portal on a phone,
// issues a key (shown once), and an admin approves the waiting application.
func TestBrowserPartnerPortal(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _, _ := demoServer(t)
	shot := func(name string) {
		if dir := os.Getenv("FISHPOND_SCREENSHOTS"); dir != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(dir, name+".png"))
		}
	}
	narrow := func(page string) {
		if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
			t.Fatalf("%s is %dpx wide on a %dpx phone", page, w, browsertest.Width)
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/login?next=/partner"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "ngo"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section#keys")))
	if got := browsertest.Text(t, ctx, "section#keys"); !strings.Contains(got, "月度监测脚本") {
		t.Fatalf("keys section shows %q", got)
	}
	shot("partner-portal")
	narrow("the partner portal")
	browsertest.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("form[action='/partner/keys'] input[name=label]"), "数据看板"),
		chromedp.Click(chromedp.CSS("form[action='/partner/keys'] button")),
		chromedp.WaitVisible(chromedp.CSS(".card.fresh code.token")))
	if key := browsertest.Text(t, ctx, ".card.fresh code.token"); !strings.HasPrefix(key, "fpk_") {
		t.Fatalf("fresh key %q", key)
	}
	narrow("the portal with a fresh key")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/partner"), chromedp.WaitVisible(chromedp.CSS("section#keys")))
	if got := browsertest.Text(t, ctx, "section#keys"); strings.Contains(got, "fpk_") && strings.Count(got, "fpk_") > 2 {
		t.Fatalf("a key secret is shown again: %q", got)
	}

	// The admin approves the waiting application.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/logout'] button")), chromedp.WaitVisible(chromedp.CSS("header a[href=\"/login\"]")))
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/login?next=/admin/partners?status=pending"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-admin"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("button[value=approved]")))
	if got := browsertest.Text(t, ctx, "main"); !strings.Contains(got, "西部数字农业研究院") || strings.Contains(got, "0930-7123456") {
		t.Fatalf("pending list %q (the contact phone must be masked)", got)
	}
	shot("partner-admin")
	narrow("the partner admin page")
	// The header keeps an admin's daily links; the rest open under "More".
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("details.more summary")),
		chromedp.WaitVisible(chromedp.CSS(`details.more .menu a[href="/admin/partners"]`)))
	shot("nav-more")
	narrow("the open menu")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("details.more summary")))
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("button[value=approved]")), chromedp.WaitVisible(chromedp.CSS("form[action$='/grant']")))
	browsertest.NoPageErrors(t, ctx)
}
