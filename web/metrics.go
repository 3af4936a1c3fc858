package web

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metrics is a small Prometheus text-format registry: request counts and latency
// histograms per route. Hand-written because these few series do not justify the
// client library's dependency tree.
type metrics struct {
	mu       sync.Mutex
	requests map[[3]string]uint64 // method, route, status
	hist     map[string]*histogram
	started  time.Time
	gauges   []gauge
}

type gauge struct {
	name, help string
	value      func() float64
}

var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[3]string]uint64{}, hist: map[string]*histogram{}, started: time.Now()}
}

// Gauge registers a value read at scrape time (e.g. households in the registry).
func (m *metrics) Gauge(name, help string, value func() float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gauges = append(m.gauges, gauge{name, help, value})
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[3]string{method, route, strconv.Itoa(status)}]++
	h := m.hist[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.hist[route] = h
	}
	sec := d.Seconds()
	for i, b := range buckets {
		if sec <= b {
			h.counts[i]++
		}
	}
	h.sum += sec
	h.n++
}

func esc(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) }

func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.mu.Lock()
	var b strings.Builder
	b.WriteString("# HELP fishpond_http_requests_total HTTP requests by method, route pattern and status.\n# TYPE fishpond_http_requests_total counter\n")
	keys := make([][3]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i][:], " ") < strings.Join(keys[j][:], " ") })
	for _, k := range keys {
		fmt.Fprintf(&b, "fishpond_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %d\n", esc(k[0]), esc(k[1]), k[2], m.requests[k])
	}
	b.WriteString("# HELP fishpond_http_request_duration_seconds Request latency by route pattern.\n# TYPE fishpond_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.hist))
	for r := range m.hist {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, route := range routes {
		h := m.hist[route]
		for i, bk := range buckets {
			fmt.Fprintf(&b, "fishpond_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %d\n", esc(route), bk, h.counts[i])
		}
		fmt.Fprintf(&b, "fishpond_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", esc(route), h.n)
		fmt.Fprintf(&b, "fishpond_http_request_duration_seconds_sum{route=\"%s\"} %g\n", esc(route), h.sum)
		fmt.Fprintf(&b, "fishpond_http_request_duration_seconds_count{route=\"%s\"} %d\n", esc(route), h.n)
	}
	gauges := append([]gauge(nil), m.gauges...)
	m.mu.Unlock()
	fmt.Fprintf(&b, "# HELP fishpond_uptime_seconds Seconds since the server started.\n# TYPE fishpond_uptime_seconds gauge\nfishpond_uptime_seconds %g\n", time.Since(m.started).Seconds())
	fmt.Fprintf(&b, "# HELP go_goroutines Goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	for _, g := range gauges {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", g.name, g.help, g.name, g.name, g.value())
	}
	w.Write([]byte(b.String()))
}
