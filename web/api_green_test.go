package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/green"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/web"
)

// greenServer replaces the fixture's server by one that also serves green.
func greenServer(t *testing.T, f *fixture) *green.Service {
	t.Helper()
	g := green.New(f.d, f.reg, nil, fishpond.SystemClock{}, green.Config{PhotoDir: t.TempDir()})
	t.Cleanup(g.Close)
	s := web.New(f.d, web.Services{Access: f.acc, Registry: f.reg, Ledger: f.led, Assessor: f.asr, Green: g}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.srv.Close()
	f.srv = httptest.NewServer(s.Handler())
	t.Cleanup(f.srv.Close)
	return g
}

func mustJSON(t *testing.T, status int, body string, want int, v any) {
	t.Helper()
	if status != want {
		t.Fatalf("status %d, want %d: %s", status, want, body)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
	}
}

// TestGreenThroughAPI walks the partner contract and the whole channel through the
// API: a partner reports actions (idempotently), the consumer collects and redeems,
// an officer opens a project and assigns a job, the household reports work with a
// photo, another officer verifies it, and the wage is the household's wage income.
func TestGreenThroughAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		greenServer(t, f)
		actions := `{"actions":[
			{"action_id":"bus-1","user":"consumer","kind":"public_transport","quantity":3},
			{"action_id":"walk-1","user":"consumer","kind":"walking","quantity":12000},
			{"action_id":"x-1","user":"nobody","kind":"walking","quantity":10},
			{"action_id":"r-1","user":"consumer","kind":"e_receipt","quantity":1}]}`
		var res struct {
			Results []struct {
				ActionID string `json:"action_id"`
				Grams    int64  `json:"grams"`
				Replayed bool   `json:"replayed"`
				Error    *struct{ Code string }
			}
		}
		st, body := f.do("partnerA", "POST", "/api/v1/green/actions", strings.NewReader(actions))
		mustJSON(t, st, body, 200, &res)
		if r := res.Results; r[0].Grams != 240 || r[1].Grams != 120 || r[2].Error == nil || r[3].Error == nil || r[3].Error.Code != "invalid" {
			t.Fatalf("results = %s", body)
		}
		st, body = f.do("partnerA", "POST", "/api/v1/green/actions", strings.NewReader(actions))
		mustJSON(t, st, body, 200, &res)
		if !res.Results[0].Replayed || res.Results[0].Grams != 240 {
			t.Fatalf("retried call = %s", body)
		}
		if st, _ := f.do("consumer", "POST", "/api/v1/green/actions", strings.NewReader(actions)); st != 403 {
			t.Fatalf("a consumer reporting actions: %d", st)
		}
		var coll struct{ Grams int64 }
		st, body = f.do("consumer", "POST", "/api/v1/green/energy/collect", nil)
		mustJSON(t, st, body, 200, &coll)
		if coll.Grams != 360 {
			t.Fatalf("collected %s", body)
		}

		var pr struct{ ID string }
		st, body = f.do("officerA", "POST", "/api/v1/green/projects", strings.NewReader(fmt.Sprintf(`{"kind":"tree","county_code":"130624","name":"城关沙棘林",
			"species":"沙棘","partner":"林业局","place":"城关镇试点村","lat":38.85,"lon":114.20,"price_g":100,"capacity":50,"survival_target_bp":8500,
			"season_from":%d,"season_to":%d,"planting_wage_fen":500,"guarding_wage_fen":6000}`, 1, 12)))
		mustJSON(t, st, body, 201, &pr)
		if st, _ := f.do("officerB", "POST", "/api/v1/green/projects/"+pr.ID+"/jobs", strings.NewReader(`{"household_id":"`+f.hhA.ID+`","kind":"planting"}`)); st != 403 {
			t.Fatalf("officer of another county assigns: %d", st)
		}
		redeem := func() (int, string) {
			req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/green/projects/"+pr.ID+"/redeem", strings.NewReader(`{"quantity":2}`))
			req.Header.Set("Authorization", "Bearer "+f.tokens["consumer"])
			req.Header.Set("Idempotency-Key", "first-trees")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		var cert struct{ Code string }
		st, body = redeem()
		mustJSON(t, st, body, 201, &cert)
		st, body = redeem()
		mustJSON(t, st, body, 200, nil)
		var energy struct {
			Balance int64 `json:"balance_g"`
		}
		st, body = f.do("consumer", "GET", "/api/v1/green/energy", nil)
		mustJSON(t, st, body, 200, &energy)
		if energy.Balance != 160 {
			t.Fatalf("balance after two trees (and a retry) = %d", energy.Balance)
		}

		var job struct{ ID string }
		st, body = f.do("officerA", "POST", "/api/v1/green/projects/"+pr.ID+"/jobs", strings.NewReader(`{"household_id":"`+f.hhA.ID+`","kind":"planting"}`))
		mustJSON(t, st, body, 201, &job)
		now := time.Now().In(fishpond.ChinaTime)
		var mb bytes.Buffer
		mw := multipart.NewWriter(&mb)
		for k, v := range map[string]string{"date": now.Format("2006-01-02"), "quantity": "2", "lat": "38.851", "lon": "114.201", "taken_at": now.Add(-time.Minute).Format(time.RFC3339)} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("photo", "tree.jpg")
		jpeg.Encode(fw, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
		mw.Close()
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/green/jobs/"+job.ID+"/work", &mb)
		req.Header.Set("Authorization", "Bearer "+f.tokens["farmerA"])
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Idempotency-Key", "plant-today")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var work struct {
			ID      string
			Status  string
			WageFen int64 `json:"wage_fen"`
		}
		mustJSON(t, resp.StatusCode, string(b), 201, &work)
		st, body = f.do("officerA", "POST", "/api/v1/green/work/"+work.ID+"/verify", strings.NewReader(`{"approve":true}`))
		mustJSON(t, st, body, 200, &work)
		if work.Status != "verified" || work.WageFen != 1000 {
			t.Fatalf("verified work = %s", body)
		}
		income, err := f.led.HouseholdIncome(context.Background(), f.hhA.ID, now.AddDate(0, 0, -2), now.AddDate(0, 0, 2))
		if err != nil || income.Wage != 1000 {
			t.Fatalf("household wage income = %+v, %v", income, err)
		}
		var m struct {
			TreesPlanted int64 `json:"trees_planted"`
			WagesPaid    int64 `json:"wages_paid_fen"`
			Participants int64
		}
		period := fmt.Sprintf("%dH%d", now.Year(), (int(now.Month())-1)/6+1)
		st, body = f.do("fund", "GET", "/api/v1/green/metrics?period="+period+"&county=130624", nil)
		mustJSON(t, st, body, 200, &m)
		if m.TreesPlanted != 2 || m.WagesPaid != 1000 || m.Participants != 1 {
			t.Fatalf("metrics = %s", body)
		}
		st, body = f.do("consumer", "GET", "/api/v1/green/certificates/"+cert.Code, nil)
		if st != 200 || !strings.Contains(body, `"planted":2`) {
			t.Fatalf("certificate = %d %s", st, body)
		}
	})
}
