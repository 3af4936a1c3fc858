package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Result is a run's outcome. Its JSON form is the report's last line, the stable
// interface for scripts and the benchmark notes.
type Result struct {
	Mode        string             `json:"mode"`
	Pay         string             `json:"pay"`
	Concurrency int                `json:"concurrency,omitempty"`
	Buyers      int                `json:"buyers"`
	Seconds     float64            `json:"duration_s"`
	Checkouts   int                `json:"checkouts"` // completed: paid (or placed with pay=skip)
	Attempts    int                `json:"attempts"`
	SoldOut     int                `json:"sold_out,omitempty"`
	Throughput  float64            `json:"throughput_per_s"` // completed checkouts per second
	RequestRate float64            `json:"requests_per_s"`
	P50         float64            `json:"p50_ms"` // of whole completed checkouts
	P90         float64            `json:"p90_ms"`
	P99         float64            `json:"p99_ms"`
	Errors      int                `json:"errors"`
	ErrorKinds  map[string]int     `json:"error_kinds,omitempty"`
	Steps       map[string]Latency `json:"steps"`
	Oversold    int64              `json:"oversold"`
	Verify      Verification       `json:"db"`
}

func (b *bench) result(t *tally, wall time.Duration) Result {
	r := Result{Mode: b.cfg.mode(), Pay: b.cfg.Pay, Buyers: len(b.fx.Buyers), Seconds: wall.Seconds(), Checkouts: t.completed,
		Attempts: t.attempts, SoldOut: t.soldOut, ErrorKinds: t.errs, Steps: map[string]Latency{}}
	if !b.cfg.Flash {
		r.Concurrency = b.cfg.Concurrency
	}
	if s := wall.Seconds(); s > 0 {
		r.Throughput, r.RequestRate = float64(t.completed)/s, float64(t.requests)/s
	}
	for k, ds := range t.lat {
		r.Steps[k] = summarise(ds)
	}
	c := r.Steps[StepCheckout]
	r.P50, r.P90, r.P99 = c.P50, c.P90, c.P99
	for _, n := range t.errs {
		r.Errors += n
	}
	return r
}

// write prints the human-readable report, then the JSON line.
func (r Result) write(w io.Writer) {
	fmt.Fprintf(w, "\n%s run, pay=%s: %d buyers, %.2f s\n", r.Mode, r.Pay, r.Buyers, r.Seconds)
	fmt.Fprintf(w, "completed checkouts: %d of %d attempts", r.Checkouts, r.Attempts)
	if r.SoldOut > 0 {
		fmt.Fprintf(w, " (%d found it sold out)", r.SoldOut)
	}
	fmt.Fprintf(w, "\nthroughput: %.1f checkouts/s, %.1f requests/s\n\n", r.Throughput, r.RequestRate)
	fmt.Fprintf(w, "%-10s %8s %9s %9s %9s %9s\n", "step", "count", "p50 ms", "p90 ms", "p99 ms", "max ms")
	for _, s := range stepOrder {
		if l, ok := r.Steps[s]; ok {
			fmt.Fprintf(w, "%-10s %8d %9.1f %9.1f %9.1f %9.1f\n", s, l.Count, l.P50, l.P90, l.P99, l.Max)
		}
	}
	fmt.Fprintf(w, "\nerrors: %d\n", r.Errors)
	for _, k := range slices.Sorted(maps.Keys(r.ErrorKinds)) {
		fmt.Fprintf(w, "  %-40s %d\n", k, r.ErrorKinds[k])
	}
	v := r.Verify
	fmt.Fprintf(w, "\ndatabase after the run: stock %d → %d, %d units in live orders, %d orders paid", v.InitialStock, v.StockLeft, v.Sold, v.PaidOrders)
	if v.FlashUnits > 0 {
		fmt.Fprintf(w, ", flash %d of %d sold", v.FlashSold, v.FlashUnits)
	}
	fmt.Fprintf(w, "\noversold: %d", v.Oversold)
	if !v.Consistent {
		fmt.Fprint(w, " — INCONSISTENT: stock taken ≠ units in orders")
	}
	fmt.Fprintln(w)
	b, _ := json.Marshal(r)
	fmt.Fprintf(w, "%s\n", b)
}
