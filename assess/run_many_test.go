package assess_test

import (
	"fmt"
	"testing"

	"fishpond"
	"fishpond/assess"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// A run over more households than one write statement holds, in two counties:
// Run writes household_status in (county, household) order, the order of its key,
// in 400-row statements. Every household must get exactly its own status, also
// when a re-run rewrites only some of them.
func TestRunWritesManyHouseholdsAcrossCounties(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.a.SetPovertyLine(e.ctx, admin, 2020, fishpond.Yuan(4000), "test line"); err != nil {
			t.Fatal(err)
		}
		const perCounty = 410
		var ids []string
		county := map[string]string{}
		for _, c := range []string{westCounty, eastCounty} {
			for i := 0; i < perCounty; i++ {
				id := e.household(t, c, fmt.Sprintf("M-%s-%03d", c, i), []person{{"户主", 45, false}}, allMet())
				ids = append(ids, id)
				county[id] = c
			}
		}
		want := map[string]string{}
		for i, id := range ids {
			want[id] = assess.StatusPoor
			if i%3 == 0 { // 7,000 yuan for one person: exited above the monitoring line
				e.income(t, id, "wage", "m-"+id, cst(2020, 5, 1), fishpond.Yuan(7000))
				want[id] = assess.StatusExited
			}
		}
		check := func(rep assess.RunReport, changed int) {
			t.Helper()
			if rep.Households != len(ids) || rep.Changed != changed {
				t.Fatalf("run: %d households, %d changed; want %d, %d", rep.Households, rep.Changed, len(ids), changed)
			}
			var rows int
			if err := d.Read().QueryRowContext(e.ctx, "SELECT COUNT(*) FROM household_status WHERE year = 2020").Scan(&rows); err != nil || rows != len(ids) {
				t.Fatalf("%d household_status rows (%v), want one per household", rows, err)
			}
			for _, id := range ids {
				s := e.status(t, id, 2020)
				if s.Status != want[id] || s.CountyCode != county[id] || s.HouseholdID != id || s.Members != 1 {
					t.Fatalf("household %s: %+v, want %s in %s", id, s, want[id], county[id])
				}
			}
		}
		check(e.run(t, admin, 2020, ""), len(ids))

		// More income for every fifth household: those that were poor exit, and
		// only their rows are written again.
		changed := 0
		for i, id := range ids {
			if i%5 == 0 {
				e.income(t, id, "wage", "m2-"+id, cst(2020, 9, 1), fishpond.Yuan(8000))
				if want[id] != assess.StatusExited {
					changed++
				}
				want[id] = assess.StatusExited
				if i%3 == 0 {
					changed++ // already exited: its per-capita income (a figure of the row) changed
				}
			}
		}
		check(e.run(t, admin, 2020, ""), changed)
		for _, c := range []string{westCounty, eastCounty} {
			rep, err := e.a.CountyReport(e.ctx, admin, c, 2020)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, k := range rep.Households {
				n += k
			}
			if n != perCounty {
				t.Fatalf("county %s report counts %d households, want %d", c, n, perCounty)
			}
		}
		h, err := e.a.StatusHistory(e.ctx, admin, ids[0])
		if err != nil || len(h) != 1 || h[0].Status != assess.StatusExited {
			t.Fatalf("history %+v %v", h, err)
		}
	})
}
