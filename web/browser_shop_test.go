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

// TestBrowserShopperJourney buys in a real browser: sign up, search, add to cart,
// add an address, pay at the sandbox wallet's cashier, and see the order paid.
func TestBrowserShopperJourney(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _, _ := demoServer(t)
	shot := func(name string) {
		if dir := os.Getenv("FISHPOND_SCREENSHOTS"); dir != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(dir, name+".png"))
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/signup"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "wang.fang"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "wang-fang-2020"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("form.filters")))
	browsertest.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("input[name=q]"), "蜜瓜"),
		chromedp.Click(chromedp.CSS("form.filters button")),
		// The store already lists products before the search, so wait for the
		// results page itself (its search box carries the query as an attribute),
		// not for any product card: clicking a card of the page being left is lost.
		chromedp.WaitVisible(chromedp.CSS(`input[name=q][value="蜜瓜"]`)),
		chromedp.WaitVisible(chromedp.CSS(".product-card")))
	shot("search")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(".product-card")), chromedp.WaitVisible(chromedp.CSS("form.buy")))
	if got := browsertest.Text(t, ctx, "h1"); !strings.Contains(got, "兰考蜜瓜") {
		t.Fatalf("product page h1 = %q", got)
	}
	shot("product")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form.buy button")), chromedp.WaitVisible(chromedp.CSS("input[name=detail]")))
	browsertest.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "王芳"),
		chromedp.SendKeys(chromedp.CSS("input[name=phone]"), "13900139000"),
		chromedp.SendKeys(chromedp.CSS("input[name=county]"), "310101"),
		chromedp.SendKeys(chromedp.CSS("input[name=detail]"), "南京东路 100 号"),
		chromedp.Click(chromedp.CSS("form[action='/addresses'] button")),
		chromedp.WaitVisible(chromedp.CSS("form[action='/checkout']")))
	shot("cart")
	// Checkout goes to the wallet's cashier; confirming comes back to the order.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action='/checkout'] button")),
		chromedp.WaitVisible(chromedp.CSS("button[value=pay]")))
	shot("cashier")
	// The cashier sends the buyer back to the order; the wallet's signed notification
	// marks it paid, perhaps a moment later, so reload until it shows.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("button[value=pay]")), chromedp.WaitVisible(chromedp.CSS("p.total")))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		status := browsertest.Eval[string](t, ctx, "document.querySelector('h1 .status').className")
		if strings.Contains(status, "order-paid") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the order never showed as paid (status class %q)", status)
		}
		browsertest.Do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("p.total")))
	}
	shot("order")
	if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
		t.Fatalf("order page is %dpx wide on a %dpx phone", w, browsertest.Width)
	}
	browsertest.NoPageErrors(t, ctx)
}
