package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"fishpond"
)

// TestFarmsThroughAPI: scope, validation, replay and the admin-only rent run over the
// demo farm, through the JSON API with bearer tokens.
func TestFarmsThroughAPI(t *testing.T) {
	srv, _, svc := demoServer(t)
	tokens := map[string]string{}
	for _, name := range []string{"coop", "fuping", "lankao", "farmer", "admin", "consumer"} {
		tok, _, err := svc.Access.CreateToken(context.Background(), fishpond.System, name, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
	}
	call := func(user, method, path, body string) (int, map[string]any) {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, r)
		req.Header.Set("Authorization", "Bearer "+tokens[user])
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	items := func(m map[string]any) []any { v, _ := m["items"].([]any); return v }

	st, list := call("coop", "GET", "/api/v1/farms", "")
	if st != 200 || len(items(list)) != 1 {
		t.Fatalf("coop's farms: %d %v", st, list)
	}
	farm := items(list)[0].(map[string]any)
	id := farm["id"].(string)
	if _, l := call("lankao", "GET", "/api/v1/farms", ""); len(items(l)) != 0 {
		t.Fatalf("another county's officer lists %v", l)
	}
	if st, _ := call("lankao", "GET", "/api/v1/farms/"+id, ""); st != 404 {
		t.Fatalf("another county's officer reads the farm: %d", st)
	}
	st, one := call("fuping", "GET", "/api/v1/farms/"+id, "")
	if st != 200 || one["cash_fen"] == nil || len(one["members"].([]any)) != 31 {
		t.Fatalf("county officer reads the farm: %d %v", st, one)
	}
	members := one["members"].([]any)
	hh := members[5].(map[string]any)["household_id"].(string) // not the demo farmer's (the first)

	st, bad := call("coop", "POST", "/api/v1/farms/"+id+"/contracts", `{"household_id":"`+hh+`","area_cmu":0,"rate_fen":65000,"years":3,"payments_per_year":3,"starts_on":"2020-02-30","idempotency_key":"x"}`)
	if st != 400 {
		t.Fatalf("bad contract: %d %v", st, bad)
	}
	fields := bad["error"].(map[string]any)["fields"].(map[string]any)
	for _, f := range []string{"area", "payments_per_year", "starts_on"} {
		if fields[f] == nil {
			t.Fatalf("no message for %s: %v", f, fields)
		}
	}
	body := `{"household_id":"` + hh + `","area_cmu":250,"rate_fen":62000,"years":2,"payments_per_year":2,"starts_on":"2024-03-01","idempotency_key":"api-1"}`
	st, c := call("coop", "POST", "/api/v1/farms/"+id+"/contracts", body)
	if st != 201 || c["annual_rent_fen"].(float64) != 155000 || len(c["schedule"].([]any)) != 4 {
		t.Fatalf("contract: %d %v", st, c)
	}
	if st, again := call("coop", "POST", "/api/v1/farms/"+id+"/contracts", body); st != 200 || again["id"] != c["id"] {
		t.Fatalf("replayed contract: %d %v", st, again)
	}
	if st, _ := call("fuping", "POST", "/api/v1/farms/"+id+"/contracts", strings.Replace(body, "api-1", "api-2", 1)); st != 403 {
		t.Fatalf("an officer signs for the cooperative: %d", st)
	}
	if st, _ := call("coop", "POST", "/api/v1/farm-rent/run", ""); st != 403 {
		t.Fatalf("the manager runs the scheduler: %d", st)
	}
	// The contract started in 2024: its four installments are all due now.
	st, run := call("admin", "POST", "/api/v1/farm-rent/run", "")
	if st != 200 || run["paid"].(float64) != 4 || run["amount_fen"].(float64) != 310000 {
		t.Fatalf("rent run: %d %v", st, run)
	}
	st, got := call("coop", "GET", "/api/v1/farm-contracts/"+c["id"].(string), "")
	if st != 200 || got["schedule"].([]any)[3].(map[string]any)["status"] != "paid" {
		t.Fatalf("schedule after the run: %d %v", st, got)
	}
	// The demo farmer sees only its own contracts.
	st, mine := call("farmer", "GET", "/api/v1/farms/"+id+"/contracts", "")
	if st != 200 || len(items(mine)) != 1 {
		t.Fatalf("farmer's contracts: %d %d", st, len(items(mine)))
	}
	st, rep := call("fuping", "GET", "/api/v1/farms/"+id+"/report?year="+time.Now().In(fishpond.ChinaTime).Format("2006"), "")
	if st != 200 || rep["benefiting_households"].(float64) < 30 {
		t.Fatalf("report: %d %v", st, rep)
	}
	if st, fl := call("consumer", "GET", "/api/v1/fields", ""); st != 200 || len(items(fl)) != 2 {
		t.Fatalf("fields: %d %v", st, fl)
	}
	if st, cl := call("consumer", "GET", "/api/v1/farm-claims", ""); st != 200 || len(items(cl)) != 1 {
		t.Fatalf("the demo consumer's claims: %d %v", st, cl)
	}
}
