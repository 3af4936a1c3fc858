package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fishpond"
	"fishpond/internal/browsertest"
	"fishpond/logistics"
)

// TestBrowserStationConsole uses the station console on a phone as the farmer who
// runs 骆驼湾村服务站: it fits the screen, shows the pay earned, and a wrong
// pickup code is answered on the page; the network view draws its charts. No page
// is wider than the phone.
func TestBrowserStationConsole(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _, svc := demoServer(t)
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
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/logistics"), chromedp.WaitVisible(chromedp.CSS(".chart svg")))
	fits("network view")
	shot("logistics-network")
	// /stations asks for a login first and comes back to the farmer's one station.
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/stations"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "farmer"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#pickup-form")))
	if got := browsertest.Text(t, ctx, "h1"); got != "骆驼湾村服务站" {
		t.Fatalf("station console h1 = %q", got)
	}
	if kpis := browsertest.Text(t, ctx, ".kpis"); !strings.Contains(kpis, "派件收入") || !strings.Contains(kpis, "¥") {
		t.Fatalf("console KPIs %q", kpis)
	}
	fits("station console")
	shot("logistics-station")
	browsertest.NoPageErrors(t, ctx)
	// The refusal comes back as the console with a 404 status and the message in
	// place (the browser logs the status as a page error, which is expected here).
	browsertest.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#pickup-form input[name=tracking_no]"), "FPNOSUCHPARCEL"),
		chromedp.SendKeys(chromedp.CSS("#pickup-form input[name=code]"), "123456"),
		chromedp.Click(chromedp.CSS("#pickup-form button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".alert")))
	if msg := browsertest.Text(t, ctx, ".alert"); !strings.Contains(msg, "运单号") {
		t.Fatalf("unknown parcel message %q", msg)
	}
	fits("station console with an error")

	// The 阜平 officer's warehouse board, in a fresh browser.
	whs, err := svc.Logistics.Sites(context.Background(), logistics.SiteFilter{County: "130624", Kind: logistics.Warehouse})
	if err != nil || len(whs) != 1 {
		t.Fatalf("warehouses %v %v", whs, err)
	}
	ctx = browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/warehouses/"+whs[0].ID),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "fuping"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("table.board")))
	if alerts := browsertest.Text(t, ctx, "body"); !strings.Contains(alerts, "超时") {
		t.Fatal("the warehouse board shows no late alert (the demo leaves a parcel at 城南庄 too long)")
	}
	fits("warehouse board")
	shot("logistics-warehouse")
	browsertest.NoPageErrors(t, ctx)

	// The consumer's parcel waiting in the city, with its pickup code and QR.
	city, _ := svc.Logistics.Sites(context.Background(), logistics.SiteFilter{County: "110101"})
	ps, _ := svc.Logistics.SiteParcels(context.Background(), fishpond.System, city[0].ID)
	var tn string
	for _, p := range ps {
		if p.Status == logistics.StatusAwaiting {
			tn = p.TrackingNo
		}
	}
	ctx = browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/parcels/"+tn),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "consumer"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".pickup-code img")))
	if code := browsertest.Text(t, ctx, ".pickup-code .code"); len(code) != 6 {
		t.Fatalf("pickup code %q", code)
	}
	fits("parcel page")
	shot("logistics-parcel")
	browsertest.NoPageErrors(t, ctx)
}
