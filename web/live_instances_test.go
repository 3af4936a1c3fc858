package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/live"
	"fishpond/market"
	"fishpond/web"
)

// TestLiveTwoServersShareOnePostgres runs two Fishpond servers on one PostgreSQL
// database, each with its own live hub on the LISTEN/NOTIFY bus: a viewer
// connected to server B receives a comment posted through server A's API, and
// the anchor's end on server B reaches a viewer of server A.
func TestLiveTwoServersShareOnePostgres(t *testing.T) {
	d := dbtest.Postgres(t)
	f := newFixture(t, d)
	ctx := context.Background()
	keys, _ := secret.New(make([]byte, 32))
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	mk := market.NewStore(d, keys, fishpond.SystemClock{}, cfg)
	farmer := fishpond.Principal{UserID: "farmer-live", Name: "农户", Role: fishpond.RoleHousehold, HouseholdID: f.hhA.ID}
	sh, err := mk.OpenShop(ctx, farmer, market.ShopInput{Name: "阜平山货", OwnerKind: market.OwnerHousehold, OwnerID: f.hhA.ID})
	if err != nil {
		t.Fatal(err)
	}

	var bases [2]string
	var svcs [2]*live.Service
	for i := range svcs {
		bus, err := live.NewPGBus(ctx, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		svcs[i] = live.NewService(d, mk, f.reg, keys, nil, testLiveConfig, bus)
		t.Cleanup(svcs[i].Close)
		select {
		case <-bus.Ready():
		case <-time.After(5 * time.Second):
			t.Fatal("bus not listening")
		}
		s := web.New(d, web.Services{Access: f.acc, Registry: f.reg, Ledger: f.led, Assessor: f.asr, Market: mk, Live: svcs[i]}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		srv := httptest.NewServer(s.Handler())
		t.Cleanup(srv.Close)
		bases[i] = srv.URL
	}
	a, err := svcs[0].Apply(ctx, farmer, live.AnchorInput{Kind: live.KindHousehold, DisplayName: "阜平农户"})
	if err != nil {
		t.Fatal(err)
	}
	officer := fishpond.Principal{UserID: "o", Role: fishpond.RoleCountyOfficer, Counties: []string{countyA}}
	if _, err := svcs[0].RecordTraining(ctx, officer, a.ID, live.TrainingInput{Course: "直播", Minutes: 60, Passed: true, TrainedOn: "2020-05-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svcs[0].Certify(ctx, officer, a.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	room, err := svcs[0].CreateRoom(ctx, farmer, sh.ID, "阜平山货直播间")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := svcs[0].Publish(ctx, room.ID, room.StreamKey)
	if err != nil {
		t.Fatal(err)
	}

	onB := viewer(t, &http.Client{}, bases[1], ss.ID)
	await(t, onB, "hello")
	onA := viewer(t, &http.Client{}, bases[0], ss.ID)
	await(t, onA, "hello")
	req := func(base, method, path, body string) int {
		r, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+f.tokens["consumer"])
		r.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := req(bases[0], "POST", "/api/v1/live/sessions/"+ss.ID+"/comments", `{"body":"从A实例发出的评论"}`); st != 202 {
		t.Fatalf("comment on A: %d", st)
	}
	if m := await(t, onB, "comment"); m.Text != "从A实例发出的评论" {
		t.Fatalf("viewer on B received %+v", m)
	}
	if m := await(t, onA, "comment"); m.Text != "从A实例发出的评论" {
		t.Fatalf("viewer on A received %+v", m)
	}
	// The anchor ends the broadcast through the other server.
	if _, err := svcs[1].End(ctx, farmer, ss.ID); err != nil {
		t.Fatal(err)
	}
	if m := await(t, onA, "status"); m.Status != live.StatusEnded {
		t.Fatalf("viewer on A after the end on B: %+v", m)
	}
}
