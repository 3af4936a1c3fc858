package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/logistics"
	"fishpond/market"
)

// TestLogisticsPagesOverDemo walks the logistics pages over the demo dataset: the
// public network and tracking pages (no personal data), the buyer's parcel page
// with its pickup code, the station console refusing a wrong code and a wrong
// station, then handing the parcel over with the right code, which settles the
// order and raises the producers' income.
func TestLogisticsPagesOverDemo(t *testing.T) {
	srv, _, svc := demoServer(t)
	ctx := context.Background()
	sites, err := svc.Logistics.Sites(ctx, logistics.SiteFilter{County: "110101"})
	if err != nil || len(sites) != 1 {
		t.Fatalf("city station: %v %v", sites, err)
	}
	city := sites[0]
	waiting, err := svc.Logistics.SiteParcels(ctx, fishpond.System, city.ID)
	if err != nil {
		t.Fatal(err)
	}
	var pc logistics.Parcel
	for _, p := range waiting {
		if p.Status == logistics.StatusAwaiting && !p.ColdChain {
			pc = p
			break
		}
	}
	if pc.ID == "" {
		t.Fatal("the demo has no parcel waiting at the city station")
	}
	anon := login(t, srv.URL, "consumer", "fishpond-demo") // the jar is replaced below for anonymous reads
	anon.Jar = nil

	if status, body := page(t, anon, "GET", srv.URL+"/logistics", nil); status != 200 || !strings.Contains(body, "物流网络") || !strings.Contains(body, `data-chart="custom"`) {
		t.Fatalf("network page: %d", status)
	}
	status, body := page(t, anon, "GET", srv.URL+"/track/"+strings.ToLower(pc.TrackingNo), nil)
	if status != 200 || !strings.Contains(body, pc.TrackingNo) || !strings.Contains(body, "东直门社区服务站") {
		t.Fatalf("tracking page: %d", status)
	}
	consumer := login(t, srv.URL, "consumer", "fishpond-demo")
	_, mine := page(t, consumer, "GET", srv.URL+"/parcels/"+pc.TrackingNo, nil)
	m := regexp.MustCompile(`<p class="code">(\d{6})</p>`).FindStringSubmatch(mine)
	if m == nil {
		t.Fatal("the buyer's parcel page shows no pickup code")
	}
	code := m[1]
	for _, secret := range []string{"王晓明", "13800138000", "138****8000", "东直门内大街", code, pc.OrderID} {
		if strings.Contains(body, secret) {
			t.Fatalf("public tracking page shows %q", secret)
		}
	}
	if status, _ := page(t, anon, "GET", srv.URL+"/track/FPNOSUCHPARCEL", nil); status != 404 {
		t.Fatalf("unknown tracking number: %d", status)
	}
	if status, _ := page(t, consumer, "GET", srv.URL+"/parcels/"+pc.TrackingNo+"/qr.png", nil); status != 200 {
		t.Fatalf("pickup QR: %d", status)
	}
	// Another consumer cannot see the code.
	fuping := login(t, srv.URL, "fuping", "fishpond-demo")
	if status, _ := page(t, fuping, "GET", srv.URL+"/parcels/"+pc.TrackingNo+"/qr.png", nil); status != 404 {
		t.Fatalf("someone else's pickup QR: %d", status)
	}

	o, err := svc.Market.Order(ctx, fishpond.System, pc.OrderID)
	if err != nil || o.Status != market.StatusShipped {
		t.Fatalf("order before pickup: %s %v", o.Status, err)
	}
	prod, err := svc.Market.Product(ctx, o.Lines[0].ProductID)
	if err != nil {
		t.Fatal(err)
	}
	operating := func() fishpond.Money {
		var sum fishpond.Money
		seen := map[string]bool{}
		for _, sh := range prod.Producers {
			if seen[sh.HouseholdID] {
				continue
			}
			seen[sh.HouseholdID] = true
			in, err := svc.Ledger.HouseholdIncome(ctx, sh.HouseholdID, time.Now().AddDate(-1, 0, 0), time.Now().AddDate(1, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			sum += in.Operating
		}
		return sum
	}
	before := operating()

	// The farmer runs 骆驼湾村服务站: the parcel is not his to hand over.
	farmer := login(t, srv.URL, "farmer", "fishpond-demo")
	status, body = page(t, farmer, "GET", srv.URL+"/stations", nil)
	if status != 200 || !strings.Contains(body, "骆驼湾村服务站") || !strings.Contains(body, "派件收入") {
		t.Fatalf("farmer's station console: %d", status)
	}
	fs, _ := svc.Logistics.Sites(ctx, logistics.SiteFilter{County: "130624", Kind: logistics.Station})
	var ltw logistics.Site
	for _, s := range fs {
		if s.Name == "骆驼湾村服务站" {
			ltw = s
		}
	}
	status, body = page(t, farmer, "POST", srv.URL+"/stations/"+ltw.ID+"/pickup", url.Values{"tracking_no": {pc.TrackingNo}, "code": {code}})
	if status != 409 || !strings.Contains(body, "不是送往本站") {
		t.Fatalf("pickup at the wrong station: %d", status)
	}
	admin := login(t, srv.URL, "admin", "fishpond-admin")
	wrong := "000000"
	if code == wrong {
		wrong = "999999"
	}
	status, body = page(t, admin, "POST", srv.URL+"/stations/"+city.ID+"/pickup", url.Values{"tracking_no": {pc.TrackingNo}, "code": {wrong}})
	if status != 400 || !strings.Contains(body, "取件码错误") || !strings.Contains(body, "还可尝试4次") {
		t.Fatalf("wrong code: %d", status)
	}
	// The QR text carries the tracking number and the code together.
	status, body = page(t, admin, "POST", srv.URL+"/stations/"+city.ID+"/pickup", url.Values{"code": {logistics.PickupQRText(pc.TrackingNo, code)}})
	if status != 200 || !strings.Contains(body, "订单已结算") {
		t.Fatalf("pickup with the QR text: %d\n%s", status, body)
	}
	if o, _ := svc.Market.Order(ctx, fishpond.System, pc.OrderID); o.Status != market.StatusSettled {
		t.Fatalf("order after pickup: %s", o.Status)
	}
	if after := operating(); after <= before {
		t.Fatalf("producers' operating income %v → %v", before, after)
	}

	// The JSON API: public tracking and the report's metrics.
	_, body = page(t, consumer, "GET", srv.URL+"/api/v1/logistics/track/"+pc.TrackingNo, nil)
	var tr struct {
		Status string `json:"status"`
		Events []struct {
			Kind string `json:"kind"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(body), &tr); err != nil || tr.Status != "delivered" || tr.Events[len(tr.Events)-1].Kind != "picked_up" {
		t.Fatalf("API tracking %s: %v", body, err)
	}
	// The demo's parcels were sent in the last six days: this half-year and,
	// early in January or July, the one before.
	periodOf := func(at time.Time) string {
		at = at.In(fishpond.ChinaTime)
		if at.Month() >= time.July {
			return at.Format("2006") + "H2"
		}
		return at.Format("2006") + "H1"
	}
	periods := []string{periodOf(time.Now())}
	if p := periodOf(time.Now().AddDate(0, 0, -7)); p != periods[0] {
		periods = append(periods, p)
	}
	sent, stations := 0.0, 0.0
	for i, period := range periods {
		_, body = page(t, admin, "GET", srv.URL+"/api/v1/logistics/metrics?period="+period, nil)
		var met map[string]any
		if err := json.Unmarshal([]byte(body), &met); err != nil {
			t.Fatalf("metrics %s: %v", body, err)
		}
		sent += met["parcels_sent_poverty"].(float64)
		if i == 0 {
			stations = met["stations_poverty"].(float64)
		}
	}
	if sent != 12 || stations != 7 {
		t.Fatalf("metrics: %v parcels sent from poverty counties, %v stations in them", sent, stations)
	}
}
