package loadgen_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/live"
	"fishpond/loadgen"
	"fishpond/market"
	"fishpond/payment"
	"fishpond/payment/sandbox"
	"fishpond/registry"
	"fishpond/web"
)

// liveServer is server with live selling: viewers' event streams are taken over
// by the hub and written to directly, as under `fishpond serve`.
func liveServer(t *testing.T) (string, loadgen.Deps) {
	t.Helper()
	d := dbtest.SQLite(t)
	keys, _ := secret.New(make([]byte, 32))
	clock := fishpond.SystemClock{}
	reg, acc, led := registry.NewStore(d, keys, clock), access.New(d, clock), ledger.New(d, clock)
	t.Cleanup(led.Close)
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	m := market.NewStore(d, keys, clock, cfg)
	lcfg := live.DefaultConfig
	lcfg.CallbackSecret = "test"
	lv := live.NewService(d, m, reg, keys, clock, lcfg, nil)
	t.Cleanup(lv.Close)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	t.Cleanup(lv.Hub().Shutdown) // streams end, so the server can close
	sb, err := sandbox.New(sandbox.Config{BaseURL: srv.URL + "/sandbox/pay", KeyDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	svc := web.Services{Access: acc, Registry: reg, Ledger: led, Assessor: assess.New(d, reg, led, clock), Market: m,
		Payments:       payment.NewService(d, sb, clock, payment.Options{NotifyURL: srv.URL + "/pay/notify", ReturnURL: srv.URL + "/orders/return"}),
		PaymentSandbox: sb.Handler(), Live: lv}
	h = web.New(d, svc, slog.New(slog.DiscardHandler)).Handler()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); lv.Run(ctx, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv.URL, loadgen.Deps{DB: d, Access: acc, Registry: reg, Market: m, Live: lv}
}

// TestBenchLiveDeliversEverything: a small `bench live` run over HTTP; every
// comment the server accepted reaches every viewer of its room exactly once (the
// generator checks each (room, sequence) for each viewer), and purchases are
// announced.
func TestBenchLiveDeliversEverything(t *testing.T) {
	url, deps := liveServer(t)
	var out bytes.Buffer
	res, err := loadgen.RunLive(context.Background(), loadgen.LiveConfig{URL: url, Rooms: 3, Viewers: 30, Rate: 4, BuyRate: 1, Duration: 2 * time.Second}, deps, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.ViewersConnected != 30 || res.CommentsAccepted == 0 || res.Expected != res.CommentsAccepted*10 {
		t.Fatalf("viewers %d, accepted %d, expected %d: want 30 viewers, each expecting every accepted comment\n%s",
			res.ViewersConnected, res.CommentsAccepted, res.Expected, out.String())
	}
	if res.Lost != 0 || res.Duplicates != 0 || res.Delivered != res.Expected {
		t.Fatalf("delivered %d of %d (%d lost, %d twice)\n%s", res.Delivered, res.Expected, res.Lost, res.Duplicates, out.String())
	}
	lastJSON := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	if l := lastJSON[len(lastJSON)-1]; !bytes.HasPrefix(l, []byte(`{"rooms":3`)) {
		t.Fatalf("last line is not the JSON report: %s", l)
	}
}
