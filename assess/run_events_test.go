package assess_test

import (
	"encoding/json"
	"testing"

	"fishpond"
	"fishpond/assess"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestRunAppendsStatusChangedEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.a.SetPovertyLine(e.ctx, admin, 2019, fishpond.Yuan(3750), "test line"); err != nil {
			t.Fatal(err)
		}
		hh := e.household(t, eastCounty, "EV-1", family4, allMet())
		west := e.household(t, westCounty, "EV-W", family4, allMet())
		e.income(t, hh, "wage", "ev-2019", cst(2019, 6, 1), fishpond.Yuan(40000))
		log := events.New(d, nil)
		type payload struct {
			Year                  int
			Status, Previous, Was string
		}
		read := func(after int64) []events.Stored {
			t.Helper()
			es, err := log.Read(e.ctx, after, []string{"household.status.changed"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			return es
		}

		e.run(t, admin, 2019, "")
		first := read(0)
		if len(first) != 2 {
			t.Fatalf("first run: %d events, want one per household", len(first))
		}
		got := map[string]payload{}
		for _, ev := range first {
			var p payload
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if (ev.Subject == hh && ev.CountyCode != eastCounty) || (ev.Subject == west && ev.CountyCode != westCounty) {
				t.Fatalf("event %+v has the wrong county", ev)
			}
			got[ev.Subject] = p
		}
		if p := got[hh]; p.Year != 2019 || p.Status != assess.StatusExited || p.Previous != assess.StatusPoor || p.Was != "" {
			t.Fatalf("household event %+v", p)
		}
		last := first[len(first)-1].Seq

		// Same data again: statuses unchanged, no events.
		e.run(t, admin, 2019, "")
		if es := read(last); len(es) != 0 {
			t.Fatalf("re-run appended %d events", len(es))
		}

		// A lower income for 2019 turns the household back to poor for that year.
		e.income(t, hh, "wage", "ev-2019-refund", cst(2019, 7, 1), -fishpond.Yuan(39000))
		e.run(t, admin, 2019, eastCounty)
		es := read(last)
		if len(es) != 1 || es[0].Subject != hh {
			t.Fatalf("after the change: %+v", es)
		}
		var p payload
		json.Unmarshal(es[0].Payload, &p)
		if p.Status == assess.StatusExited || p.Was != assess.StatusExited {
			t.Fatalf("change event %+v: want a move away from exited", p)
		}
	})
}

// The status event's payload is written by hand for speed; it must be exactly what
// encoding/json makes of the same fields, so consumers and partners see no change.
func TestStatusPayloadIsJSON(t *testing.T) {
	type fields struct {
		Year     int    `json:"year"`
		Status   string `json:"status"`
		Previous string `json:"previous"`
		Was      string `json:"was"`
	}
	for _, f := range []fields{
		{2020, assess.StatusExited, assess.StatusPoor, ""},
		{2019, assess.StatusReturned, assess.StatusMarginal, assess.StatusExited},
		{2000, assess.StatusPoor, assess.StatusPoor, assess.StatusPoor},
	} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := assess.StatusPayload(f.Year, f.Status, f.Previous, f.Was); string(got) != string(want) {
			t.Fatalf("payload %s, want %s", got, want)
		}
	}
}
