package loadgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/loadgen"
	"fishpond/market"
	"fishpond/payment"
	"fishpond/payment/sandbox"
	"fishpond/registry"
	"fishpond/web"
)

// server starts a real Fishpond server in-process on a fresh SQLite database,
// wired as `fishpond serve` wires it (sandbox wallet calling back over HTTP), and
// returns its URL and the capabilities of its database.
func server(t testing.TB) (string, loadgen.Deps) { return serverWith(t, sandbox.KeyRSA) }

// serverWith is server with the sandbox wallet's key type.
func serverWith(t testing.TB, keyType string) (string, loadgen.Deps) {
	t.Helper()
	d := dbtest.SQLite(t)
	keys, _ := secret.New(make([]byte, 32))
	clock := fishpond.SystemClock{}
	reg, acc, led := registry.NewStore(d, keys, clock), access.New(d, clock), ledger.New(d, clock)
	t.Cleanup(led.Close)
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	m := market.NewStore(d, keys, clock, cfg)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Config{BaseURL: srv.URL + "/sandbox/pay", KeyDir: t.TempDir(), KeyType: keyType})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	svc := web.Services{Access: acc, Registry: reg, Ledger: led, Assessor: assess.New(d, reg, led, clock), Market: m,
		Payments:       payment.NewService(d, sb, clock, payment.Options{NotifyURL: srv.URL + "/pay/notify", ReturnURL: srv.URL + "/orders/return", RunTx: m.InGroupTx}),
		PaymentSandbox: sb.Handler()}
	h = web.New(d, svc, slog.New(slog.DiscardHandler)).Handler()
	return srv.URL, loadgen.Deps{DB: d, Access: acc, Registry: reg, Market: m}
}

// lastJSON parses the report's last line, the interface scripts rely on.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"throughput_per_s", "p50_ms", "p99_ms", "errors", "oversold"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("JSON line lacks %q: %s", k, lines[len(lines)-1])
		}
	}
	return m
}

// TestFlashSaleNeverOversells: 300 buyers rush 50 units at once over HTTP; exactly
// 50 are sold and paid, everyone else is told it is sold out, nothing is oversold.
// A second run on the same database reuses the accounts and shop.
func TestFlashSaleNeverOversells(t *testing.T) {
	url, deps := server(t)
	ctx := context.Background()
	for run := 0; run < 2; run++ {
		var out bytes.Buffer
		res, err := loadgen.Run(ctx, loadgen.Config{URL: url, Flash: true, Units: 50, Buyers: 300, MaxInFlight: 64}, deps, &out)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, out.String())
		}
		m := lastJSON(t, out.String())
		v := res.Verify
		if res.Oversold != 0 || m["oversold"].(float64) != 0 || v.Sold != 50 || v.FlashSold != 50 || v.StockLeft != 0 || !v.Consistent {
			t.Fatalf("run %d: oversold %d, sold %d, flash sold %d, stock left %d\n%s", run, res.Oversold, v.Sold, v.FlashSold, v.StockLeft, out.String())
		}
		if res.Checkouts != 50 || v.PaidOrders != 50 || res.SoldOut != 250 || res.Errors != 0 {
			t.Fatalf("run %d: %d checkouts, %d paid, %d sold out, %d errors\n%s", run, res.Checkouts, v.PaidOrders, res.SoldOut, res.Errors, out.String())
		}
	}
}

// TestMixCompletesPaidCheckouts: a short mix of browse, view, order and sandbox
// payment; every completed checkout is a paid order in the database.
func TestMixCompletesPaidCheckouts(t *testing.T) {
	url, deps := server(t)
	var out bytes.Buffer
	res, err := loadgen.Run(context.Background(), loadgen.Config{URL: url, Checkouts: 60, Concurrency: 8, PaidTimeout: 10 * time.Second}, deps, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lastJSON(t, out.String())
	if res.Checkouts != 60 || res.Errors != 0 || res.Verify.PaidOrders != 60 || res.Verify.Sold != 60 || res.Oversold != 0 || !res.Verify.Consistent {
		t.Fatalf("%d checkouts, %d errors, %d paid, %d sold, oversold %d\n%s", res.Checkouts, res.Errors, res.Verify.PaidOrders, res.Verify.Sold, res.Oversold, out.String())
	}
	for _, s := range []string{loadgen.StepBrowse, loadgen.StepView, loadgen.StepOrder, loadgen.StepPay, loadgen.StepCashier, loadgen.StepPaidWait, loadgen.StepCheckout} {
		if res.Steps[s].Count == 0 {
			t.Fatalf("no %s latencies\n%s", s, out.String())
		}
	}
	if res.Throughput <= 0 || res.P99 < res.P50 {
		t.Fatalf("throughput %f, p50 %f, p99 %f", res.Throughput, res.P50, res.P99)
	}
}

// BenchmarkCheckoutMix runs the paid mix in-process (server and generator in one
// binary, over loopback), for CPU profiles; the sandbox wallet signs with ECDSA as
// in the documented bench runs (BenchmarkCheckoutMixRSA: with its RSA key).
// go test -run XXX -bench CheckoutMix -benchtime 3000x -cpuprofile cpu.out ./loadgen
func BenchmarkCheckoutMix(b *testing.B) { benchMix(b, sandbox.KeyECDSA) }

// BenchmarkCheckoutMixRSA is BenchmarkCheckoutMix with the sandbox's RSA-2048 key.
func BenchmarkCheckoutMixRSA(b *testing.B) { benchMix(b, sandbox.KeyRSA) }

func benchMix(b *testing.B, keyType string) {
	url, deps := serverWith(b, keyType)
	var out bytes.Buffer
	b.ResetTimer()
	res, err := loadgen.Run(context.Background(), loadgen.Config{URL: url, Checkouts: b.N, Concurrency: 64}, deps, &out)
	if err != nil || res.Errors != 0 || res.Checkouts != b.N {
		b.Fatalf("%v\n%s", err, out.String())
	}
	b.ReportMetric(res.Throughput, "checkouts/s")
	b.ReportMetric(res.P99, "p99_ms")
}
