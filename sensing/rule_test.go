package sensing

import (
	"encoding/json"
	"testing"
	"time"

	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// A barn's temperature wobbling around the threshold raises one alert and clears
// it once, because of the hysteresis band (raise above 30, clear at or below 28).
func TestThresholdAlertFiresOnceAndClears(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		barn := f.site(t, "barn")
		dev := f.device(t, barn, "barn", "b1")
		start := f.clock.Now().Add(-3 * time.Hour)
		temps := []float64{25, 29, 31, 29.5, 30.5, 29, 28.5, 30.2, 27.9, 29, 29.9}
		for i, v := range temps {
			// One payload per reading, as a sensor sends them.
			must[Result](t)(f.s.Ingest(ctx, dev.ID, single(dev.ID, start.Add(time.Duration(i)*time.Minute), "barn_temp", v), true))
		}
		got := drain(f.alert)
		if len(got) != 2 || got[0].Transition != "raised" || got[0].RaisedValue != 31 || got[1].Transition != "cleared" || got[1].ClearedValue != 27.9 {
			t.Fatalf("want one raise at 31 and one clear at 27.9, got %+v", got)
		}
		list := must[[]Alert](t)(f.s.Alerts(ctx, manager, AlertFilter{SiteID: barn.ID}))
		if len(list) != 1 || list[0].Open || list[0].DeviceName != "b1" {
			t.Fatalf("alert list: %+v", list)
		}
		if l := must[[]Alert](t)(f.s.Alerts(ctx, officer, AlertFilter{})); len(l) != 0 {
			t.Fatalf("officer of another county sees %d alerts", len(l))
		}
		evs := must[[]events.Stored](t)(events.New(d, f.clock).Read(ctx, 0, []string{"sensing.alert.raised", "sensing.alert.cleared"}, 10))
		if len(evs) != 2 || evs[0].Type != "sensing.alert.raised" || evs[1].Type != "sensing.alert.cleared" || evs[0].CountyCode != county {
			t.Fatalf("events: %+v", evs)
		}
		var p map[string]any
		json.Unmarshal([]byte(evs[0].Payload), &p)
		if p["device_type"] != "barn" || p["site_kind"] != "barn" || p["metric"] != "barn_temp" {
			t.Fatalf("event payload: %s", evs[0].Payload)
		}
		// A new service (a restart) remembers nothing open, and a new crossing raises again.
		f.s.Close()
		f.s = New(d, f.clock, Config{OnAlert: func(a Alert) { f.alert <- a }}, nil)
		must[Result](t)(f.s.Ingest(ctx, dev.ID, single(dev.ID, start.Add(20*time.Minute), "barn_temp", 33), true))
		must[Result](t)(f.s.Ingest(ctx, dev.ID, single(dev.ID, start.Add(21*time.Minute), "barn_temp", 34), true))
		if got := drain(f.alert); len(got) != 1 || got[0].Transition != "raised" {
			t.Fatalf("after restart: %+v", got)
		}
	})
}

// A hive losing 2 kg within an hour raises the drop alert; it clears when the
// change over the window is back within 0.5 kg.
func TestRateOfChangeAlert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		hive := f.site(t, "hive")
		dev := f.device(t, hive, "hive", "h1")
		start := f.clock.Now().Add(-5 * time.Hour)
		var at []int64
		var vs [][]float64
		w := 40.0
		for i := range 40 { // every 5 minutes
			switch {
			case i == 20:
				w -= 2.6 // a swarm leaves
			case i > 20:
				w += 0.02
			default:
				w += 0.01
			}
			at = append(at, start.Add(time.Duration(i)*5*time.Minute).UnixMilli())
			vs = append(vs, []float64{w, 34})
		}
		// In two payloads, so that the second needs the first's history.
		must[Result](t)(f.s.Ingest(ctx, dev.ID, EncodeBatch(dev.ID, []string{"hive_weight", "hive_temp"}, at[:21], vs[:21]), true))
		must[Result](t)(f.s.Ingest(ctx, dev.ID, EncodeBatch(dev.ID, []string{"hive_weight", "hive_temp"}, at[21:], vs[21:]), true))
		got := drain(f.alert)
		if len(got) != 2 || got[0].Transition != "raised" || got[0].RaisedAt.UnixMilli() != at[20] || got[1].Transition != "cleared" {
			t.Fatalf("want raise at the drop and a clear an hour later: %+v", got)
		}
		if got[1].ClearedAt.UnixMilli() < at[20]+3600000 {
			t.Fatalf("cleared before the drop left the window: %v", got[1].ClearedAt)
		}
	})
}

func drain(c chan Alert) []Alert {
	var out []Alert
	for {
		select {
		case a := <-c:
			out = append(out, a)
		default:
			return out
		}
	}
}
