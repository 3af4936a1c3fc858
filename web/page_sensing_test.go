package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The demo's sensing data through the pages and the API: the farmer sees their
// own field (charts, a forecast with its backtest error, the dry-spell alert
// raised and cleared) and not another household's barn; the county officer sees
// the barn's open heat alert; a device posts readings with its own credentials.
func TestSensingPagesAndIngest(t *testing.T) {
	srv, _, _ := demoServer(t)
	farmer := login(t, srv.URL, "farmer", "fishpond-demo")
	status, body := page(t, farmer, "GET", srv.URL+"/sensing", nil)
	if status != 200 || !strings.Contains(body, "骆驼湾村小米田") || strings.Contains(body, "布楞沟村羊舍") {
		t.Fatalf("farmer's sites page: %d\n%s", status, body)
	}
	var sites struct {
		Items []struct{ ID, Name, Kind string } `json:"items"`
	}
	apiGet(t, farmer, srv.URL+"/api/v1/sensing/sites", &sites)
	var field string
	for _, s := range sites.Items {
		if s.Name == "骆驼湾村小米田" {
			field = s.ID
		}
	}
	status, body = page(t, farmer, "GET", srv.URL+"/sensing/sites/"+field, nil)
	for _, want := range []string{"产量预测", "回测误差", "80%区间", `data-chart="custom"`, "土壤墒情偏低", "已解除"} {
		if status != 200 || !strings.Contains(body, want) {
			t.Fatalf("field dashboard lacks %q: %d\n%s", want, status, body)
		}
	}
	officer := login(t, srv.URL, "dongxiang", "fishpond-demo")
	var alerts struct {
		Items []struct {
			SiteID string `json:"site_id"`
			Metric string `json:"metric"`
			Open   bool   `json:"open"`
		} `json:"items"`
	}
	apiGet(t, officer, srv.URL+"/api/v1/sensing/alerts?open=true", &alerts)
	if len(alerts.Items) != 1 || alerts.Items[0].Metric != "barn_temp" || alerts.Items[0].SiteID == "" || !alerts.Items[0].Open {
		t.Fatalf("officer's open alerts: %+v", alerts)
	}
	if status, _ := page(t, farmer, "GET", srv.URL+"/sensing/sites/"+alerts.Items[0].SiteID, nil); status != 404 {
		t.Fatalf("farmer opening another household's barn: %d", status)
	}
	status, body = page(t, officer, "GET", srv.URL+"/sensing", nil)
	if status != 200 || !strings.Contains(body, "圈舍温度过高") {
		t.Fatalf("officer's sites page lacks the open alert: %d\n%s", status, body)
	}
	// The barn's dashboard: the mortality forecast runs hot (the barn is above 30 °C).
	status, body = page(t, officer, "GET", srv.URL+"/sensing/sites/"+alerts.Items[0].SiteID+"?range=7d", nil)
	for _, want := range []string{"死亡率预测", "下周预计死亡", "回测误差", "高温小时数"} {
		if status != 200 || !strings.Contains(body, want) {
			t.Fatalf("barn dashboard lacks %q: %d\n%s", want, status, body)
		}
	}

	// A new device on the farmer's field posts a reading with HTTP Basic.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/sensing/sites/"+field+"/devices", strings.NewReader(`{"name":"新探头","type":"soil"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := farmer.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var dev struct{ ID, Secret string }
	json.NewDecoder(res.Body).Decode(&dev)
	res.Body.Close()
	if res.StatusCode != 201 || dev.Secret == "" {
		t.Fatalf("create device: %d %+v", res.StatusCode, dev)
	}
	payload := fmt.Sprintf(`{"device":%q,"time":%q,"readings":{"soil_moisture":27.5,"soil_temp":140}}`, dev.ID, time.Now().UTC().Format(time.RFC3339))
	post := func(secret string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/sensing/ingest", strings.NewReader(payload))
		req.SetBasicAuth(dev.ID, secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, body := post("wrong"); status != 401 {
		t.Fatalf("wrong secret: %d %s", status, body)
	}
	if status, body := post(dev.Secret); status != 200 || !strings.Contains(body, `"accepted":1`) || !strings.Contains(body, "out of range") {
		t.Fatalf("ingest: %d %s", status, body)
	}
	if status, body := post(dev.Secret); status != 200 || !strings.Contains(body, `"duplicates":1`) {
		t.Fatalf("replayed ingest: %d %s", status, body)
	}
}

func apiGet(t *testing.T, c *http.Client, u string, v any) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
