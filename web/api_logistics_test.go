package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"fishpond"
	"fishpond/logistics"
	"fishpond/web"
)

// TestLogisticsAPI: scans through the JSON API answer 201 for a new event, 200 with
// duplicate=true for a repeat, 409 with the field for a wrong site and 404 for an
// unknown number, in the one error shape.
func TestLogisticsAPI(t *testing.T) {
	srv, _, svc := demoServer(t)
	ctx := context.Background()
	admin := login(t, srv.URL, "admin", "fishpond-admin")
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var out map[string]any
		json.Unmarshal(b, &out)
		return res.StatusCode, out
	}
	whs, _ := svc.Logistics.Sites(ctx, logistics.SiteFilter{County: "410225", Kind: logistics.Warehouse})
	fpWH, _ := svc.Logistics.Sites(ctx, logistics.SiteFilter{County: "130624", Kind: logistics.Warehouse})
	// A 兰考 parcel accepted at its station but not yet in the warehouse.
	var tn string
	for _, st := range mustSites(t, svc, "410225") {
		ps, _ := svc.Logistics.SiteParcels(ctx, fishpond.System, st.ID)
		for _, p := range ps {
			if p.Status == logistics.StatusAccepted && p.OriginCounty == "410225" {
				tn = p.TrackingNo
			}
		}
	}
	if tn == "" {
		t.Fatal("no accepted 兰考 parcel in the demo")
	}
	scan := `{"kind":"warehouse_in","site_id":"` + whs[0].ID + `"}`
	if status, body := call("POST", "/api/v1/logistics/parcels/"+tn+"/scans", scan); status != 201 || body["duplicate"] != false {
		t.Fatalf("first scan: %d %v", status, body)
	}
	if status, body := call("POST", "/api/v1/logistics/parcels/"+tn+"/scans", scan); status != 200 || body["duplicate"] != true {
		t.Fatalf("repeated scan: %d %v", status, body)
	}
	status, body := call("POST", "/api/v1/logistics/parcels/"+tn+"/scans", `{"kind":"handed_over","site_id":"`+fpWH[0].ID+`"}`)
	e, _ := body["error"].(map[string]any)
	if status != 409 || e == nil || e["code"] != "conflict" || e["fields"].(map[string]any)["site_id"] == nil {
		t.Fatalf("wrong-site scan: %d %v", status, body)
	}
	if status, body := call("POST", "/api/v1/logistics/parcels/FPNOSUCH/scans", scan); status != 404 {
		t.Fatalf("unknown parcel: %d %v", status, body)
	}
	if status, body := call("GET", "/api/v1/logistics/parcels/"+tn, ""); status != 200 || len(body["events"].([]any)) < 3 || len(body["legs"].([]any)) != 4 {
		t.Fatalf("parcel: %d %v", status, body)
	}
	if status, body := call("GET", "/api/v1/logistics/network", ""); status != 200 || len(body["items"].([]any)) != 4 {
		t.Fatalf("network: %d %v", status, body)
	}
}

func mustSites(t *testing.T, svc web.Services, county string) []logistics.Site {
	t.Helper()
	sites, err := svc.Logistics.Sites(context.Background(), logistics.SiteFilter{County: county, Kind: logistics.Station})
	if err != nil {
		t.Fatal(err)
	}
	return sites
}
