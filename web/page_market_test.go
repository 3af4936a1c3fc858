package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/market"
)

// TestBuyPayReceiveRefund is the marketplace's "done when": a consumer finds a
// poverty-county product, buys it, pays at the (sandbox) wallet, the seller ships,
// the consumer confirms receipt, and the producing households' operating income
// rises by exactly their share; a full refund takes it back to the fen.
func TestBuyPayReceiveRefund(t *testing.T) {
	srv, _, svc := demoServer(t)
	ctx := context.Background()
	// A visitor signs up as a shopper (the cookie jar keeps the new session).
	jar, _ := cookiejar.New(nil)
	buyer := &http.Client{Jar: jar}
	if status, body := page(t, buyer, "POST", srv.URL+"/signup", url.Values{"name": {"li.ming"}, "display_name": {"李明"}, "password": {"short"}}); status != 400 || !strings.Contains(body, "password") {
		t.Fatalf("sign-up with a short password: %d", status)
	}
	if status, body := page(t, buyer, "POST", srv.URL+"/signup", url.Values{"name": {"li.ming"}, "display_name": {"李明"}, "password": {"li-ming-2020"}}); status != 200 || !strings.Contains(body, "贫困县好物") {
		t.Fatalf("sign-up did not land in the shop: %d", status)
	}

	_, body := page(t, buyer, "GET", srv.URL+"/shop", nil)
	m := regexp.MustCompile(`href="/products/([0-9a-f-]{36})" class="product-card">\s*<b>兰考蜜瓜`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("storefront does not list 兰考蜜瓜")
	}
	productID := m[1]
	prod, err := svc.Market.Product(ctx, productID)
	if err != nil {
		t.Fatal(err)
	}
	income := func() map[string]fishpond.Money {
		out := map[string]fishpond.Money{}
		for _, sh := range prod.Producers {
			in, err := svc.Ledger.HouseholdIncome(ctx, sh.HouseholdID, time.Now().AddDate(-1, 0, 0), time.Now().AddDate(1, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			out[sh.HouseholdID] = in.Operating
		}
		return out
	}
	before := income()

	if status, _ := page(t, buyer, "POST", srv.URL+"/cart", url.Values{"product": {productID}, "qty": {"3"}}); status != 200 {
		t.Fatalf("add to cart: %d", status)
	}
	if status, body := page(t, buyer, "POST", srv.URL+"/addresses", url.Values{"name": {"李明"}, "phone": {"12345"}, "county": {"110105"}, "detail": {"朝阳路1号"}}); status != 400 || !strings.Contains(body, "phone") {
		t.Fatalf("bad phone accepted: %d", status)
	}
	if status, _ := page(t, buyer, "POST", srv.URL+"/addresses", url.Values{"name": {"李明"}, "phone": {"13800138000"}, "county": {"110105"}, "detail": {"朝阳路1号"}}); status != 200 {
		t.Fatalf("address: %d", status)
	}
	_, body = page(t, buyer, "GET", srv.URL+"/cart", nil)
	key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(body)
	addr := regexp.MustCompile(`name="address" value="([^"]+)"`).FindStringSubmatch(body)
	if key == nil || addr == nil || !strings.Contains(body, "179.40") {
		t.Fatal("cart page lacks the checkout form or the total of 3 × 59.80")
	}
	// Checkout lands on the sandbox cashier; confirming pays.
	status, body := page(t, buyer, "POST", srv.URL+"/checkout", url.Values{"key": {key[1]}, "address": {addr[1]}})
	tok := regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(body)
	if status != 200 || tok == nil || !strings.Contains(body, "179.40") {
		t.Fatalf("checkout did not reach the cashier: %d", status)
	}
	// A forged notification (no valid signature) is refused and pays nothing.
	forged := url.Values{"out_trade_no": {"x"}, "trade_no": {"T1"}, "total_amount": {"179.40"}, "trade_status": {"TRADE_SUCCESS"},
		"notify_id": {"n1"}, "notify_time": {time.Now().Format("2006-01-02 15:04:05")}, "app_id": {"sandbox"}, "sign_type": {"RSA2"}, "sign": {"Zm9yZ2Vk"}}
	if _, body := page(t, buyer, "POST", srv.URL+"/pay/notify", forged); body != "failure" {
		t.Fatalf("forged notification answered %q", body)
	}
	status, _ = page(t, buyer, "POST", srv.URL+"/sandbox/pay/cashier", url.Values{"t": {tok[1]}, "action": {"pay"}})
	if status != 200 {
		t.Fatalf("cashier confirm: %d", status)
	}
	_, body = page(t, buyer, "GET", srv.URL+"/orders", nil)
	om := regexp.MustCompile(`href="/orders/([0-9a-f-]{36})"`).FindStringSubmatch(body)
	if om == nil {
		t.Fatal("order list is empty")
	}
	orderID := om[1]
	var o market.Order
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if o, err = svc.Market.Order(ctx, fishpond.System, orderID); err == nil && o.Status == market.StatusPaid {
			break
		}
	}
	if o.Status != market.StatusPaid || o.Total != 17940 {
		t.Fatalf("after the wallet's notification the order is %s, total %s", o.Status, o.Total)
	}
	if p, _ := svc.Market.Product(ctx, productID); p.Stock != prod.Stock-3 {
		t.Fatalf("stock %d, want %d", p.Stock, prod.Stock-3)
	}

	// The county's service centre ships; the buyer confirms receipt; the order settles.
	seller := login(t, srv.URL, "lankao", "fishpond-demo")
	if status, _ := page(t, buyer, "POST", srv.URL+"/orders/"+orderID+"/ship", url.Values{"tracking_no": {"SF1"}}); status != 404 && status != 403 {
		t.Fatalf("the buyer shipped the order: %d", status)
	}
	if status, _ := page(t, seller, "POST", srv.URL+"/orders/"+orderID+"/ship", url.Values{"tracking_no": {"SF123456789"}, "back": {"seller"}}); status != 200 {
		t.Fatalf("ship: %d", status)
	}
	// The seller's own carrier number is shown, not linked to tracking that does not know it.
	if status, body := page(t, buyer, "GET", srv.URL+"/orders/"+orderID, nil); status != 200 || !strings.Contains(body, "SF123456789") || strings.Contains(body, "/SF123456789") {
		t.Fatalf("order page after shipping with the carrier's number: %d", status)
	}
	if status, body := page(t, buyer, "POST", srv.URL+"/orders/"+orderID+"/received", nil); status != 200 || !strings.Contains(body, "货款去向") {
		t.Fatalf("confirm receipt: %d", status)
	}
	after := income()
	// 179.40 − 2% fee (3.58) − pledge 3 × 1.00 = 172.82 to the five producers.
	var gained fishpond.Money
	for id, v := range after {
		gained += v - before[id]
	}
	if gained != 17282 {
		t.Fatalf("producers' operating income rose by %s, want 172.82", gained)
	}
	// A full refund after settlement takes every fen back.
	if status, _ := page(t, seller, "POST", srv.URL+"/orders/"+orderID+"/refund", url.Values{"amount": {"179.40"}, "reason": {"瓜裂"}, "key": {"r1"}, "back": {"seller"}}); status != 200 {
		t.Fatalf("refund: %d", status)
	}
	for id, v := range income() {
		if v != before[id] {
			t.Fatalf("after the refund household %s has operating income %s, want %s", id, v, before[id])
		}
	}
	rep, err := svc.Ledger.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("ledger verify after buy, settle and refund: %v %v", err, rep.Err())
	}
}
