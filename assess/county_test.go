package assess_test

import (
	"fmt"
	"testing"

	"fishpond"
	"fishpond/assess"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// One poor household of 4 in each county: with 160 rural people the incidence is
// 2.5% — above the eastern threshold (2%), below the western one (3%).
func TestCountyIncidenceEastWest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for _, c := range []string{eastCounty, westCounty} {
			e.household(t, c, "P-"+c, family4, allMet()) // no income: poor
			ok := e.household(t, c, "X-"+c, family4, allMet())
			e.income(t, ok, "wage", "x-"+c, cst(2020, 5, 1), fishpond.Yuan(40000))
		}
		e.run(t, admin, 2020, "")
		east, err := e.a.CountyReport(e.ctx, admin, eastCounty, 2020)
		if err != nil {
			t.Fatal(err)
		}
		if east.PopulationMeasured || east.Incidence.Known() || east.Criteria[0].Result != assess.NotMeasured || east.Eligible ||
			!containsAll(east.Criteria[0].Words, "not measured") {
			t.Fatalf("unknown population: %+v", east.Criteria[0])
		}
		for _, c := range []string{eastCounty, westCounty} {
			if err := e.a.SetRuralPopulation(e.ctx, officer(c), c, 2020, 160, "统计年鉴"); err != nil {
				t.Fatal(err)
			}
		}
		east, _ = e.a.CountyReport(e.ctx, officer(eastCounty), eastCounty, 2020)
		west, _ := e.a.CountyReport(e.ctx, admin, westCounty, 2020)
		if east.PoorPersons != 4 || east.Incidence.String() != "2.5%" || east.IncidenceThresholdBp != 200 || east.Criteria[0].Result != assess.Fail {
			t.Fatalf("east %+v %+v", east.Incidence, east.Criteria[0])
		}
		if west.IncidenceThresholdBp != 300 || west.Criteria[0].Result != assess.Pass || west.Households[assess.StatusExited] != 1 ||
			west.Households[assess.StatusPoor] != 1 || west.Assessed != 2 || west.RegisteredHouseholds != 2 || len(west.Trend) != 1 {
			t.Fatalf("west %+v", west)
		}
		// No audit yet: west passes incidence but is not eligible.
		if west.Eligible || west.Audit != nil || west.Criteria[1].Result != assess.NotMeasured {
			t.Fatalf("west eligible without an audit: %+v", west.Criteria)
		}
		s, err := e.a.DrawSample(e.ctx, admin, assess.SampleRequest{Kind: assess.KindHouseholds, Scope: westCounty, Year: 2020, Seed: 7})
		if err != nil || s.Size != 1 || s.Units[0].Label != "X-"+westCounty {
			t.Fatalf("sample %+v %v", s, err)
		}
		if err := e.a.RecordFinding(e.ctx, admin, s.ID, s.Units[0].ID, assess.FindingCorrect, "核实"); err != nil {
			t.Fatal(err)
		}
		var answers []assess.SurveyAnswer
		for i := 0; i < 20; i++ {
			answers = append(answers, assess.SurveyAnswer{Respondent: fmt.Sprintf("Q%02d", i), Approve: i != 0})
		}
		if err := e.a.RecordSurvey(e.ctx, admin, s.ID, answers); err != nil {
			t.Fatal(err)
		}
		west, _ = e.a.CountyReport(e.ctx, admin, westCounty, 2020)
		if !west.Eligible || west.Audit == nil || west.Audit.Approval.String() != "95%" {
			t.Fatalf("west not eligible: %s %+v", west.EligibilityWords, west.Criteria)
		}
	})
}

func TestAuditSampleAndRates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for i := 0; i < 12; i++ {
			hh := e.household(t, eastCounty, fmt.Sprintf("A-%02d", i), []person{{"户主", 40, false}}, allMet())
			e.income(t, hh, "wage", fmt.Sprintf("a-%d", i), cst(2020, 5, 1), fishpond.Yuan(9000))
		}
		e.run(t, admin, 2020, "")
		draw := func(seed int64, rate fishpond.Bp) assess.Sample {
			t.Helper()
			s, err := e.a.DrawSample(e.ctx, admin, assess.SampleRequest{Kind: assess.KindHouseholds, Scope: eastCounty, Year: 2020, Seed: seed, RateBp: rate})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		ids := func(s assess.Sample) string {
			out := ""
			for _, u := range s.Units {
				out += u.ID + ","
			}
			return out
		}
		a, b, c := draw(42, 0), draw(42, 0), draw(43, 0)
		if a.Size != 3 || a.Population != 12 || a.RateBp != 2000 || ids(a) != ids(b) || ids(a) == ids(c) {
			t.Fatalf("20%% of 12 → %d; same seed %v; different seed %v", a.Size, ids(a) == ids(b), ids(a) != ids(c))
		}
		if r := draw(0, 0); r.Seed == 0 {
			t.Fatal("no seed recorded")
		}
		all := draw(1, 10000)
		for i, u := range all.Units {
			f := assess.FindingCorrect
			if i == 0 {
				f = assess.FindingWrongExit
			}
			if err := e.a.RecordFinding(e.ctx, admin, all.ID, u.ID, f, ""); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, e.a.RecordFinding(e.ctx, admin, all.ID, "nobody", assess.FindingCorrect, ""), fishpond.EInvalid)
		wantCode(t, e.a.RecordFinding(e.ctx, admin, all.ID, all.Units[0].ID, "maybe", ""), fishpond.EInvalid)
		wantCode(t, e.a.RecordFinding(e.ctx, officer(westCounty), all.ID, all.Units[0].ID, assess.FindingCorrect, ""), fishpond.ENotFound)
		wantCode(t, e.a.RecordSurvey(e.ctx, admin, all.ID, []assess.SurveyAnswer{{Respondent: "a", Approve: true}, {Respondent: ""}}), fishpond.EInvalid)
		// 9 of 10 approve: 90% is not above 90%.
		var ans []assess.SurveyAnswer
		for i := 0; i < 10; i++ {
			ans = append(ans, assess.SurveyAnswer{Respondent: fmt.Sprint(i), Approve: i < 9})
		}
		if err := e.a.RecordSurvey(e.ctx, admin, all.ID, ans); err != nil {
			t.Fatal(err)
		}
		r, err := e.a.AuditReport(e.ctx, admin, all.ID)
		if err != nil {
			t.Fatal(err)
		}
		// 1 wrong exit of 12 checked: 8.33% ≥ 2%.
		if r.Checked != 12 || r.WrongExits != 1 || r.WrongExitRate.String() != "8.33%" || r.Criteria[0].Result != assess.Fail ||
			r.MissedRate.String() != "0%" || r.Criteria[1].Result != assess.Pass || r.Approval.String() != "90%" ||
			r.Criteria[2].Result != assess.Fail || r.Passed {
			t.Fatalf("report %+v", r)
		}
		// Province sample: Hebei's poverty counties exited by 2019 (45), 20% → 9, reproducible.
		p1, err := e.a.DrawSample(e.ctx, admin, assess.SampleRequest{Kind: assess.KindCounties, Scope: "13", Year: 2019, Seed: 5})
		p2, _ := e.a.DrawSample(e.ctx, admin, assess.SampleRequest{Kind: assess.KindCounties, Scope: "13", Year: 2019, Seed: 5})
		if err != nil || p1.Population != 45 || p1.Size != 9 || ids(p1) != ids(p2) || p1.Units[0].Label == "" {
			t.Fatalf("province sample %+v %v", p1, err)
		}
		wantCode(t, func() error {
			_, err := e.a.DrawSample(e.ctx, admin, assess.SampleRequest{Kind: assess.KindCounties, Scope: "99", Year: 2019})
			return err
		}(), fishpond.EInvalid)
		if _, err := e.a.AuditReport(e.ctx, officer(westCounty), all.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("other officer reads audit: %v", err)
		}
	})
}
