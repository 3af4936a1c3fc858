package assess_test

import (
	"strings"
	"testing"

	"fishpond"
	"fishpond/assess"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// A household exited in 2019 whose income collapses in 2020 has returned to
// poverty; re-running a year on unchanged data changes nothing but records a run.
func TestReturnedIdempotentAndScoped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.a.SetPovertyLine(e.ctx, admin, 2019, fishpond.Yuan(3750), "test line"); err != nil {
			t.Fatal(err)
		}
		hh := e.household(t, eastCounty, "RT-1", family4, allMet())
		west := e.household(t, westCounty, "RT-W", family4, allMet())
		e.income(t, hh, "wage", "rt-2019", cst(2019, 6, 1), fishpond.Yuan(40000)) // 10,000 per person
		e.income(t, hh, "wage", "rt-2020", cst(2020, 6, 1), fishpond.Yuan(8000))  // 2,000 per person
		e.run(t, admin, 2019, "")
		if s := e.status(t, hh, 2019); s.Status != assess.StatusExited || s.Line != fishpond.Yuan(3750) {
			t.Fatalf("2019: %s line %s %q", s.Status, s.Line, s.Reasons)
		}
		rep := e.run(t, officer(eastCounty), 2020, "")
		if rep.Households != 1 || rep.Changed != 1 {
			t.Fatalf("officer run saw %+v", rep)
		}
		s := e.status(t, hh, 2020)
		if s.Status != assess.StatusReturned || s.PreviousStatus != assess.StatusExited || !hasReason(s, "exited in 2019") ||
			!hasReason(s, "per-capita income 2,000.00 < line 4,000.00") {
			t.Fatalf("2020: %s prev %s %q", s.Status, s.PreviousStatus, s.Reasons)
		}
		// The officer's run left the western county alone.
		if _, err := e.a.HouseholdStatus(e.ctx, admin, west, 2020); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("west assessed by east officer: %v", err)
		}
		again := e.run(t, admin, 2020, eastCounty)
		if again.Changed != 0 || again.Unchanged != 1 || again.HouseholdsUpdated != 0 {
			t.Fatalf("re-run changed something: %+v", again)
		}
		hist, err := e.a.StatusHistory(e.ctx, admin, hh)
		if err != nil || len(hist) != 2 || hist[0].Year != 2019 || hist[1].RunID != rep.RunID {
			t.Fatalf("history %+v %v", hist, err)
		}
		// Re-running 2019 reports that 2020 must be re-run and keeps the registry at 2020.
		old := e.run(t, admin, 2019, "")
		if len(old.LaterYears) != 1 || old.LaterYears[0] != 2020 {
			t.Fatalf("later years %v", old.LaterYears)
		}
		h, _ := e.reg.Household(e.ctx, admin, hh)
		if h.Status != assess.StatusReturned || h.StatusYear != 2020 {
			t.Fatalf("registry rolled back to %s %d", h.Status, h.StatusYear)
		}

		// Scoping: another county's officer, a household and an outsider see nothing.
		for _, p := range []fishpond.Principal{officer(westCounty), {UserID: "h", Role: fishpond.RoleHousehold, HouseholdID: west},
			{UserID: "c", Role: fishpond.RoleConsumer}} {
			if _, err := e.a.HouseholdStatus(e.ctx, p, hh, 2020); fishpond.Code(err) != fishpond.ENotFound {
				t.Fatalf("%s sees household: %v", p.UserID, err)
			}
			if _, err := e.a.StatusHistory(e.ctx, p, hh); fishpond.Code(err) != fishpond.ENotFound {
				t.Fatalf("%s sees history: %v", p.UserID, err)
			}
			if _, err := e.a.CountyReport(e.ctx, p, eastCounty, 2020); fishpond.Code(err) != fishpond.ENotFound {
				t.Fatalf("%s sees county: %v", p.UserID, err)
			}
		}
		if _, err := e.a.Run(e.ctx, officer(westCounty), 2020, eastCounty); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("west officer ran east: %v", err)
		}
		if _, err := e.a.HouseholdStatus(e.ctx, fishpond.Principal{UserID: "h", Role: fishpond.RoleHousehold, HouseholdID: hh}, hh, 2020); err != nil {
			t.Fatalf("household cannot see itself: %v", err)
		}
	})
}

func TestBadInputsChangeNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hh := e.household(t, eastCounty, "BI-1", family4, allMet())
		_ = hh
		wantCode(t, func() error { _, err := e.a.SetPovertyLine(e.ctx, admin, 2021, -fishpond.Yuan(1), ""); return err }(), fishpond.EInvalid)
		wantCode(t, func() error { _, err := e.a.SetPovertyLine(e.ctx, admin, 1850, fishpond.Yuan(4000), ""); return err }(), fishpond.EInvalid)
		wantCode(t, func() error {
			_, err := e.a.SetPovertyLine(e.ctx, officer(eastCounty), 2021, fishpond.Yuan(4000), "")
			return err
		}(), fishpond.EForbidden)
		// No line for 2021: a clear error naming the year, nothing written.
		_, err := e.a.Run(e.ctx, admin, 2021, "")
		wantCode(t, err, fishpond.EInvalid)
		if !containsAll(err.Error(), "2021", "set") {
			t.Fatalf("line error does not say what to do: %v", err)
		}
		wantCode(t, func() error { _, err := e.a.Run(e.ctx, admin, 2020, "999999"); return err }(), fishpond.EInvalid)
		wantCode(t, e.a.SetRuralPopulation(e.ctx, admin, "999999", 2020, 1000, ""), fishpond.EInvalid)
		wantCode(t, e.a.SetRuralPopulation(e.ctx, admin, eastCounty, 2020, -5, ""), fishpond.EInvalid)
		wantCode(t, e.a.SetRuralPopulation(e.ctx, officer(westCounty), eastCounty, 2020, 5000, ""), fishpond.ENotFound)
		wantCode(t, func() error {
			_, err := e.a.DrawSample(e.ctx, admin, assess.SampleRequest{Kind: assess.KindHouseholds, Scope: eastCounty, Year: 2020, RateBp: 10001})
			return err
		}(), fishpond.EInvalid)
		var runs, lines, pops, samples int
		d.Read().QueryRowContext(e.ctx, "SELECT (SELECT COUNT(*) FROM assessment_runs), (SELECT COUNT(*) FROM poverty_lines), (SELECT COUNT(*) FROM county_population), (SELECT COUNT(*) FROM audit_samples)").Scan(&runs, &lines, &pops, &samples)
		if runs+lines+pops+samples != 0 {
			t.Fatalf("bad inputs wrote rows: %d %d %d %d", runs, lines, pops, samples)
		}
		ls, err := e.a.PovertyLines(e.ctx)
		if err != nil || len(ls) != 2 || ls[0].Amount != fishpond.Yuan(2300) || ls[1].Amount != fishpond.Yuan(4000) {
			t.Fatalf("default lines %+v %v", ls, err)
		}
	})
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
