package report

import (
	"fmt"
	"regexp"
	"sort"
	"sync"
)

// Kind says how an EventMeasure turns monthly per-county counters into one figure.
type Kind string

// The kinds of EventMeasure.
const (
	// Total sums the counter over the period's months and counties.
	Total Kind = "total"
	// CountiesWith counts the counties whose total over the period is positive.
	CountiesWith Kind = "counties_with"
	// ProvincesWith counts the provinces with a county whose total is positive.
	ProvincesWith Kind = "provinces_with"
	// Cumulative sums every month up to the period's end: a stock such as anchors
	// registered or stations opened, for events that record each addition.
	Cumulative Kind = "cumulative"
	// Growth3M is the growth in basis points of the cumulative total over the
	// period's last three months (the programme's "3-month growth" of anchors).
	Growth3M Kind = "growth_3m"
)

// EventMeasure feeds a catalogue metric from a capability's domain events: the
// report consumer keeps, per China-time month and county (the event's
// county_code), the number of events of type Event and, when Field is set, the sum
// of that integer payload field. This is the whole contract a capability needs to
// honour to appear in the report: append the event in the same transaction as the
// change, with the county and the figure in the payload, never personal data.
type EventMeasure struct {
	Event string // "live.session.ended"
	Field string // integer payload field to sum ("amount_fen"); "" counts events
	Kind  Kind   // how the figure is formed; Total if empty
	// PovertyOnly keeps only events of the 832 national poverty counties.
	PovertyOnly bool
	// Divisor, when above 1, turns the summed field into the metric's unit,
	// rounding half up: minutes logged into volunteer hours (Divisor 60).
	Divisor int64
}

// scale applies the divisor to a summed figure.
func (m EventMeasure) scale(v int64) int64 {
	if m.Divisor <= 1 {
		return v
	}
	return (v + m.Divisor/2) / m.Divisor
}

func (m EventMeasure) fact() string {
	if m.Field == "" {
		return "event:" + m.Event
	}
	return "event:" + m.Event + ":" + m.Field
}

var (
	plugMu  sync.RWMutex
	plugged = map[string]EventMeasure{} // metric id → measure
	fieldRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	eventRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
)

// Measure plugs a capability's events into catalogue metric id, which then reports a
// figure instead of "not yet measured". Call it from an init function in
// report/measure_<capability>.go once the capability appends the event, then run
// `fishpond report rebuild` once so that events already in the log are counted. It
// panics on an unknown metric, a metric measured twice or a malformed name: these
// are programming errors found at start-up.
func Measure(id string, m EventMeasure) {
	if m.Kind == "" {
		m.Kind = Total
	}
	if !eventRe.MatchString(m.Event) || (m.Field != "" && !fieldRe.MatchString(m.Field)) {
		panic(fmt.Sprintf("report.Measure(%q): bad event %q or field %q", id, m.Event, m.Field))
	}
	switch m.Kind {
	case Total, CountiesWith, ProvincesWith, Cumulative, Growth3M:
	default:
		panic(fmt.Sprintf("report.Measure(%q): unknown kind %q", id, m.Kind))
	}
	met, ok := byID[id]
	if !ok {
		panic(fmt.Sprintf("report.Measure: no metric %q in the catalogue", id))
	}
	plugMu.Lock()
	defer plugMu.Unlock()
	if _, dup := plugged[id]; dup || met.builtin != nil {
		panic(fmt.Sprintf("report.Measure: metric %q is already measured", id))
	}
	plugged[id] = m
}

// unplug removes a measure (tests only).
func unplug(id string) {
	plugMu.Lock()
	delete(plugged, id)
	plugMu.Unlock()
}

func measureOf(id string) (EventMeasure, bool) {
	plugMu.RLock()
	defer plugMu.RUnlock()
	m, ok := plugged[id]
	return m, ok
}

// pluggedMeasures lists the measures in metric order.
func pluggedMeasures() []EventMeasure {
	plugMu.RLock()
	defer plugMu.RUnlock()
	ids := make([]string, 0, len(plugged))
	for id := range plugged {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]EventMeasure, len(ids))
	for i, id := range ids {
		out[i] = plugged[id]
	}
	return out
}

// eventTypes is every event type the consumer reads: the built-in sources' and the
// plugged measures'.
func eventTypes() []string {
	seen := map[string]bool{}
	out := []string{"order.paid", "order.refunded", "household.status.changed"}
	for _, t := range out {
		seen[t] = true
	}
	for _, m := range pluggedMeasures() {
		if !seen[m.Event] {
			seen[m.Event] = true
			out = append(out, m.Event)
		}
	}
	return out
}

// UnplugForTest removes a measure registered by a test.
func UnplugForTest(id string) { unplug(id) }
