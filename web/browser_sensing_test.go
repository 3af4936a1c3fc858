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
	"fishpond/demo"
	"fishpond/internal/browsertest"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
	"fishpond/sensing"
	"fishpond/web"
)

// TestBrowserFarmerSensing: on a phone, the demo farmer opens the sensors page,
// then the field's dashboard: the time-series charts draw, the forecast shows its
// interval and backtest error, and nothing scrolls sideways.
func TestBrowserFarmerSensing(t *testing.T) {
	ctx := browsertest.New(t)
	d := dbtest.SQLite(t)
	keys, _ := secret.New(make([]byte, 32))
	clock := fishpond.SystemClock{}
	reg, acc := registry.NewStore(d, keys, clock), access.New(d, clock)
	led := ledger.New(d, clock)
	defer led.Close()
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	svc := web.Services{Access: acc, Registry: reg, Ledger: led, Assessor: assess.New(d, reg, led, clock), Market: market.NewStore(d, keys, clock, cfg),
		Sensing: sensing.New(d, clock, sensing.DefaultConfig, nil)}
	defer svc.Sensing.Close()
	if err := demo.Load(context.Background(), demo.Deps{Registry: reg, Access: acc, Ledger: led, Assessor: svc.Assessor, Market: svc.Market, Sensing: svc.Sensing}, nil); err != nil {
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
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/login?next=/sensing"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "farmer"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("ul.list")),
	)
	if got := browsertest.Text(t, ctx, "h1"); got != "物联网监测" {
		t.Fatalf("sensors page heading %q", got)
	}
	shot("sensing-sites")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS(`ul.list a[href^="/sensing/sites/"]`)), chromedp.WaitVisible(chromedp.CSS(".chart svg")))
	if got := browsertest.Text(t, ctx, "#forecast h2"); got != "产量预测" {
		t.Fatalf("forecast card heading %q", got)
	}
	if n := browsertest.Eval[int](t, ctx, "document.querySelectorAll('.chart svg').length"); n < 4 {
		t.Fatalf("%d charts drew on the field dashboard, want one per metric (≥ 4)", n)
	}
	if got := browsertest.Text(t, ctx, "#forecast"); !strings.Contains(got, "回测误差") || !strings.Contains(got, "80%区间") {
		t.Fatalf("forecast card: %q", got)
	}
	if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
		t.Fatalf("field dashboard is %dpx wide on a %dpx phone", w, browsertest.Width)
	}
	browsertest.NoPageErrors(t, ctx)
	shot("sensing-field")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/sensing/alerts"), chromedp.WaitVisible(chromedp.CSS("ul.list")))
	shot("sensing-alerts")
}
