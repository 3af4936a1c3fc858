package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestCatalogPages walks search, the 兴农扶贫 channel with its review queue, a
// county brand and a public origin page over the demo dataset.
func TestCatalogPages(t *testing.T) {
	srv, _, _ := demoServer(t)
	anon := &http.Client{}
	status, body := page(t, anon, "GET", srv.URL+"/shop?q="+url.QueryEscape("小米"), nil)
	if status != 200 || !strings.Contains(body, "阜平骆驼湾小米") || strings.Contains(body, "兰考蜜瓜") {
		t.Fatalf("search 小米: %d", status)
	}
	if status, _ := page(t, anon, "GET", srv.URL+"/shop?min_price=abc", nil); status != 400 {
		t.Fatalf("bad price filter: %d", status)
	}
	_, body = page(t, anon, "GET", srv.URL+"/shop?province=41", nil)
	if !strings.Contains(body, "兰考蜜瓜") || strings.Contains(body, "阜平骆驼湾小米") {
		t.Fatal("province filter 41 (河南) does not select 兰考's products only")
	}
	// Channel: the admin reviews the one pending application.
	admin := login(t, srv.URL, "admin", "fishpond-admin")
	_, body = page(t, admin, "GET", srv.URL+"/channel", nil)
	app := regexp.MustCompile(`action="/channel/applications/([^"]+)"`).FindStringSubmatch(body)
	if app == nil || !strings.Contains(body, "东乡手抓羊肉") {
		t.Fatal("the review queue does not show the pending application")
	}
	if status, _ := page(t, admin, "POST", srv.URL+"/channel/applications/"+app[1], url.Values{"decision": {"reject"}, "reason": {""}}); status != 400 {
		t.Fatalf("rejecting without a reason: %d", status)
	}
	if status, _ := page(t, admin, "POST", srv.URL+"/channel/applications/"+app[1], url.Values{"decision": {"approve"}}); status != 200 {
		t.Fatalf("approve: %d", status)
	}
	if _, body = page(t, anon, "GET", srv.URL+"/shop?channel=true&q="+url.QueryEscape("羊肉"), nil); !strings.Contains(body, "东乡手抓羊肉") {
		t.Fatal("the approved product is not in the channel")
	}
	// Brand page and origin page are public.
	_, body = page(t, anon, "GET", srv.URL+"/shop?q="+url.QueryEscape("蜜瓜"), nil)
	pm := regexp.MustCompile(`href="/products/([0-9a-f-]{36})"`).FindStringSubmatch(body)
	if pm == nil {
		t.Fatal("no melon")
	}
	_, body = page(t, anon, "GET", srv.URL+"/products/"+pm[1], nil)
	bm := regexp.MustCompile(`href="/brands/([^"]+)"`).FindStringSubmatch(body)
	tm := regexp.MustCompile(`href="/trace/([0-9A-F]{12})"`).FindStringSubmatch(body)
	if bm == nil || tm == nil {
		t.Fatal("product page links neither its brand nor its origin")
	}
	if status, body := page(t, anon, "GET", srv.URL+"/brands/"+bm[1], nil); status != 200 || !strings.Contains(body, "%Brix") {
		t.Fatalf("brand page: %d", status)
	}
	status, body = page(t, anon, "GET", srv.URL+"/trace/"+tm[1], nil)
	if status != 200 || !strings.Contains(body, "兰考县") || !strings.Contains(body, "15.2") {
		t.Fatalf("origin page: %d", status)
	}
	if regexp.MustCompile(`\d{17}[\dX]`).MatchString(body) {
		t.Fatal("the public origin page shows an identity-number-like value")
	}
	res, err := anon.Get(srv.URL + "/trace/" + tm[1] + "/qr.png")
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR image: %v %v", err, res)
	}
	res.Body.Close()
	if status, _ := page(t, anon, "GET", srv.URL+"/trace/NOSUCHCODE00", nil); status != 404 {
		t.Fatalf("unknown trace code: %d", status)
	}
}
