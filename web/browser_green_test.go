package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fishpond"
	"fishpond/green"
	"fishpond/internal/browsertest"
	"fishpond/internal/dbtest"

	"github.com/chromedp/chromedp"
)

// TestBrowserConsumerEnergy drives headless Chromium on a phone: the consumer sees
// energy waiting with its expiry, collects it, redeems a tree and lands on the
// certificate. FISHPOND_SCREENSHOTS=dir keeps the screenshots.
func TestBrowserConsumerEnergy(t *testing.T) {
	ctx := browsertest.New(t)
	f := newFixture(t, dbtest.SQLite(t))
	g := greenServer(t, f)
	consumer, err := f.acc.UserByName(t.Context(), "consumer")
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Record(t.Context(), []green.Action{
		{ID: "partner:t:bus", UserID: consumer.ID, Kind: green.KindPublicTransport, Quantity: 2, Source: "partner:t"},
		{ID: "partner:t:walk", UserID: consumer.ID, Kind: green.KindWalking, Quantity: 9000, Source: "partner:t"}}, true)
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("record = %+v, %v", res, err)
	}
	officer := fishpond.Principal{UserID: "officer", Role: fishpond.RoleCountyOfficer, Counties: []string{countyA}}
	if _, err := g.CreateProject(t.Context(), officer, green.ProjectInput{Kind: green.ProjectTree, CountyCode: countyA, Name: "骆驼湾沙棘林", Species: "沙棘",
		Partner: "阜平县林业局", Place: "龙泉关镇骆驼湾村", Lat: 38.7712, Lon: 113.9521, PriceG: 200, Capacity: 100, SurvivalTargetBp: 8500,
		SeasonFrom: 3, SeasonTo: 5, PlantingWage: 500}); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("FISHPOND_SCREENSHOTS")
	shot := func(name string) {
		if shots != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(shots, name+".png"))
		}
	}
	browsertest.Do(t, ctx, chromedp.Navigate(f.srv.URL+"/login?next=/green"),
		chromedp.SendKeys(chromedp.CSS("input[name=name]"), "consumer"),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), "password-consumer"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.energy")))
	if n := browsertest.Eval[int](t, ctx, "document.querySelectorAll('ul.drops li').length"); n != 2 {
		t.Fatalf("energy page shows %d drops, want 2", n)
	}
	if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
		t.Fatalf("energy page is %dpx wide on a %dpx phone", w, browsertest.Width)
	}
	shot("green-energy")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("section.energy form button")), chromedp.WaitVisible(chromedp.CSS(".alert")))
	if got := browsertest.Text(t, ctx, "section.energy .big b"); got != "250" {
		t.Fatalf("balance after collecting = %q, want 250", got)
	}
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("form[action$='/redeem'] button")), chromedp.WaitVisible(chromedp.CSS("body.page-green_certificate h1")))
	if got := browsertest.Text(t, ctx, "h1"); !strings.Contains(got, "证书") {
		t.Fatalf("after redeeming the consumer sees %q, want the certificate", got)
	}
	shot("green-certificate")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("a[href^='/green/projects/']")), chromedp.WaitVisible(chromedp.CSS(".chart[data-chart=bar] svg")))
	shot("green-project")
	browsertest.NoPageErrors(t, ctx)
}
