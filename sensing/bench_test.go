package sensing

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"fishpond"
	"fishpond/internal/dbtest"
)

// BenchmarkMQTTIngest: simulated devices publish compact batches over MQTT (QoS 1,
// acknowledged after commit) to the embedded broker, into SQLite, with rollups
// and rules on the write path; a probe device meanwhile crosses the barn
// temperature threshold up and down, and the time from its publish to the
// alert's commit is the alert latency.
//
//	go test -run '^$' -bench MQTTIngest -benchtime 1x ./sensing
//
// SENSING_BENCH_SECONDS (default 10), SENSING_BENCH_DEVICES (default 120) and
// SENSING_BENCH_INFLIGHT (unacknowledged messages per device, default 8) change the run.
func BenchmarkMQTTIngest(b *testing.B) {
	secs, _ := strconv.Atoi(os.Getenv("SENSING_BENCH_SECONDS"))
	if secs <= 0 {
		secs = 10
	}
	ndev, _ := strconv.Atoi(os.Getenv("SENSING_BENCH_DEVICES"))
	if ndev <= 0 {
		ndev = 120
	}
	d := dbtest.SQLite(b)
	places(b, d)
	var mu sync.Mutex
	sent := map[int64]time.Time{} // probe reading's event time → when it was published
	var lat []time.Duration
	inflight, _ := strconv.Atoi(os.Getenv("SENSING_BENCH_INFLIGHT"))
	if inflight <= 0 {
		inflight = 8
	}
	cfg := DefaultConfig
	cfg.OnAlert = func(a Alert) {
		at := a.RaisedAt
		if a.Transition == "cleared" {
			at = a.ClearedAt
		}
		mu.Lock()
		if t0, ok := sent[at.UnixMilli()]; ok {
			lat = append(lat, time.Since(t0))
		}
		mu.Unlock()
	}
	s := New(d, fishpond.SystemClock{}, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer s.Close()
	field := must[Site](b)(s.CreateSite(ctx, manager, NewSite{Name: "bench field", Kind: "field", OwnerKind: "coop", OwnerID: "coop-1", AreaMu: 100}))
	barn := must[Site](b)(s.CreateSite(ctx, manager, NewSite{Name: "bench barn", Kind: "barn", OwnerKind: "coop", OwnerID: "coop-1", HeadCount: 500}))
	var devs []SimDevice
	for i := range ndev {
		site, typ := field, []string{"soil", "weather", "barn"}[i%3]
		if typ == "barn" {
			site = barn
		}
		dv := must[Device](b)(s.CreateDevice(ctx, manager, site.ID, NewDevice{Name: fmt.Sprintf("d%04d", i), Type: typ}))
		devs = append(devs, SimDevice{dv.ID, dv.Secret, dv.Type})
	}
	probe := must[Device](b)(s.CreateDevice(ctx, manager, barn.ID, NewDevice{Name: "probe", Type: "barn"}))
	br, err := s.StartBroker("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	pc, err := simConnect(ctx, br.Addr(), SimDevice{ID: probe.ID, Secret: probe.Secret})
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Disconnect(&paho.Disconnect{})

	b.ResetTimer()
	var total SimStats
	for range b.N {
		done := make(chan struct{})
		go func() { // the probe: 35 °C then 20 °C, every 250 ms
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-time.After(250 * time.Millisecond):
				case <-time.After(time.Duration(secs) * time.Second):
					return
				}
				if i >= secs*4-2 {
					return
				}
				now := time.Now()
				v := 35.0
				if i%2 == 1 {
					v = 20
				}
				mu.Lock()
				sent[now.UnixMilli()] = now
				mu.Unlock()
				pc.Publish(ctx, &paho.Publish{Topic: Topic(probe.ID), QoS: 1, Payload: single(probe.ID, now, "barn_temp", v)})
			}
		}()
		st, err := Simulate(ctx, SimConfig{Broker: br.Addr(), Devices: devs, Duration: time.Duration(secs) * time.Second, Rows: 20, Inflight: inflight,
			Start: time.Now().Add(-6 * 24 * time.Hour), Step: 10 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		<-done
		total.Readings += st.Readings
		total.Elapsed += st.Elapsed
	}
	b.StopTimer()
	rate := float64(total.Readings) / total.Elapsed.Seconds()
	b.ReportMetric(rate, "readings/s")
	mu.Lock()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "alert-p50-ms")
		b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "alert-p95-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "alert-max-ms")
	}
	b.ReportMetric(float64(len(lat)), "alerts")
	mu.Unlock()
	var stored int64
	d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM sensing_readings").Scan(&stored)
	b.Logf("%d devices, %s: %d readings acknowledged, %d stored, %.0f readings/s, %d alert transitions timed", ndev, total.Elapsed.Round(time.Millisecond), total.Readings, stored, rate, len(lat))
}
