package loadgen

import (
	"slices"
	"time"
)

// The steps of a checkout, in the order a buyer takes them.
const (
	StepBrowse   = "browse"   // GET /api/v1/products?limit=20 (the storefront's list)
	StepView     = "view"     // GET /api/v1/products/{id}
	StepOrder    = "order"    // POST /api/v1/orders
	StepPay      = "pay"      // POST /api/v1/orders/{id}/pay → cashier URL
	StepCashier  = "cashier"  // POST /sandbox/pay/cashier (the buyer confirms)
	StepPaidWait = "paid"     // from the cashier's answer until GET /api/v1/orders/{id} says paid
	StepCheckout = "checkout" // a whole completed checkout, first step to paid
)

var stepOrder = []string{StepBrowse, StepView, StepOrder, StepPay, StepCashier, StepPaidWait, StepCheckout}

// tally is what one virtual buyer (one goroutine) observed; tallies are merged at
// the end so that recording never takes a lock on the hot path.
type tally struct {
	lat       map[string][]time.Duration
	errs      map[string]int
	completed int
	attempts  int
	soldOut   int
	requests  int
}

func newTally() *tally {
	return &tally{lat: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (t *tally) observe(step string, d time.Duration) {
	t.lat[step] = append(t.lat[step], d)
	t.requests++
}

func (t *tally) fail(step string, err error) {
	t.requests++
	kind := "other"
	if ce, ok := err.(*callError); ok {
		kind = ce.kind()
	}
	t.errs[step+": "+kind]++
}

func (t *tally) merge(o *tally) {
	for k, v := range o.lat {
		t.lat[k] = append(t.lat[k], v...)
	}
	for k, v := range o.errs {
		t.errs[k] += v
	}
	t.completed += o.completed
	t.attempts += o.attempts
	t.soldOut += o.soldOut
	t.requests += o.requests
}

// Latency summarises one step's durations in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func summarise(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(p*float64(len(s))+0.5) - 1
		i = min(max(i, 0), len(s)-1)
		return ms(s[i])
	}
	return Latency{Count: len(s), P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
