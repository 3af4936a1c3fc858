package assess_test

import (
	"strings"
	"testing"

	"fishpond"
	"fishpond/assess"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// The worked example of issue 3: a household of 4 in 2020 with rent for 5 mu at
// 650 yuan/mu (3,250), 180 days of farm wages at 100 yuan/day (18,000) and 300 kg of
// millet at 8 yuan/kg (2,400): 23,650 yuan, 5,912.50 per person. Against the 2020
// line of 4,000 it is exited when every indicator is met; the same household with a
// school-age child out of school is not. 5,912.50 < 6,000 (150% of the line), so
// "exited" here means exited-but-at-risk: status marginal.
func TestWorkedExample2020(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		inSchool := e.household(t, eastCounty, "WE-1", family4, allMet())
		outOfSchool := e.household(t, eastCounty, "WE-2", []person{{"户主", 45, false}, {"配偶", 43, false}, {"子", 14, false}, {"女", 10, true}}, allMet())
		e.workedExampleIncome(t, inSchool, "we1", 2020)
		e.workedExampleIncome(t, outOfSchool, "we2", 2020)
		// Income outside 2020 (China time) does not count.
		e.income(t, inSchool, "operating", "we1-2019", cst(2019, 12, 31), fishpond.Yuan(999))

		rep := e.run(t, admin, 2020, "")
		if rep.Households != 2 || rep.Changed != 2 || rep.Line.Amount != fishpond.Yuan(4000) || rep.Line.Source != "default" {
			t.Fatalf("report = %+v", rep)
		}
		s := e.status(t, inSchool, 2020)
		if s.PerCapita.String() != "5912.50" || s.Line != fishpond.Yuan(4000) || s.Members != 4 {
			t.Fatalf("per capita %s line %s members %d", s.PerCapita, s.Line, s.Members)
		}
		// Exited, as the worked example says; at 5,912.50 < 6,000 (150% of the
		// line) it is also flagged at risk, which is what marginal means.
		if !assess.Exited(s.Status) || s.Status != assess.StatusMarginal || s.PreviousStatus != assess.StatusPoor {
			t.Fatalf("status %s (previous %s), reasons %q", s.Status, s.PreviousStatus, s.Reasons)
		}
		for _, r := range []string{"人均纯收入 5,912.50 元 ≥ 贫困线 4,000.00 元 / per-capita income 5,912.50 ≥ line 4,000.00",
			"两不愁三保障全部达标", "monitoring line 6,000.00 (150% of the line)"} {
			if !hasReason(s, r) {
				t.Errorf("missing reason %q in %q", r, s.Reasons)
			}
		}
		// With the monitoring line at 140% (5,600) the same household is plainly exited.
		e.a.MarginalBp = 14000
		e.run(t, admin, 2020, "")
		if s := e.status(t, inSchool, 2020); s.Status != assess.StatusExited || hasReason(s, "monitoring") {
			t.Fatalf("at 140%%: %s %q", s.Status, s.Reasons)
		}
		h, err := e.reg.Household(e.ctx, admin, inSchool)
		if err != nil || h.Status != assess.StatusExited || h.StatusYear != 2020 {
			t.Fatalf("registry status %q %d %v", h.Status, h.StatusYear, err)
		}

		s = e.status(t, outOfSchool, 2020)
		if s.Status != assess.StatusPoor || s.PerCapita.String() != "5912.50" || !hasReason(s, "有义务教育阶段子女失学 / a school-age child is not in school") {
			t.Fatalf("out of school: %s %s %q", s.Status, s.PerCapita, s.Reasons)
		}
	})
}

func TestEvaluateRules(t *testing.T) {
	line := fishpond.Yuan(4000)
	inc := func(y int64) assess.Facts {
		f := assess.Facts{Members: 1, Indicators: allMet()}
		f.Income.Wage = fishpond.Yuan(y)
		return f
	}
	cases := []struct {
		name  string
		f     assess.Facts
		prior assess.Prior
		want  string
		why   string
	}{
		{"below line", inc(3850), assess.Prior{}, assess.StatusPoor, "人均纯收入 3,850.00 元 < 贫困线 4,000.00 元 / per-capita income 3,850.00 < line 4,000.00"},
		{"at line is marginal", inc(4000), assess.Prior{}, assess.StatusMarginal, "≥ line 4,000.00"},
		{"just below monitoring line", func() assess.Facts { f := inc(6000); f.Income.Wage--; return f }(), assess.Prior{}, assess.StatusMarginal, "5,999.99 < monitoring line 6,000.00"},
		{"at monitoring line", inc(6000), assess.Prior{}, assess.StatusExited, "every indicator"},
		{"rich but unsafe house", func() assess.Facts { f := inc(9000); f.Indicators.HousingSafety = "C"; return f }(), assess.Prior{}, assess.StatusPoor, "housing grade C is not safe"},
		{"no insurance", func() assess.Facts { f := inc(9000); f.Indicators.MedicalInsurance = false; return f }(), assess.Prior{}, assess.StatusPoor, "basic medical insurance"},
		{"no water", func() assess.Facts { f := inc(9000); f.Indicators.SafeWater = false; return f }(), assess.Prior{}, assess.StatusPoor, "safe drinking water"},
		{"food", func() assess.Facts { f := inc(9000); f.Indicators.FoodClothingSecure = false; return f }(), assess.Prior{}, assess.StatusPoor, "food and clothing"},
		{"two out of school", func() assess.Facts { f := inc(9000); f.OutOfSchool = 2; return f }(), assess.Prior{}, assess.StatusPoor, "2 school-age children are not in school"},
		{"returned", inc(3000), assess.Prior{Status: assess.StatusExited, LastExitYear: 2019}, assess.StatusReturned, "exited in 2019 and now fails"},
		{"returned stays returned", inc(3000), assess.Prior{Status: assess.StatusReturned, LastExitYear: 2018}, assess.StatusReturned, "exited in 2018"},
		{"returned exits again", inc(7000), assess.Prior{Status: assess.StatusReturned, LastExitYear: 2018}, assess.StatusExited, "every indicator"},
		{"no members", assess.Facts{Indicators: allMet()}, assess.Prior{}, assess.StatusPoor, "no members"},
		{"negative operating", func() assess.Facts { f := inc(0); f.Income.Operating = -fishpond.Yuan(100); return f }(), assess.Prior{}, assess.StatusPoor, "-100.00 < line"},
	}
	for _, c := range cases {
		o := assess.Evaluate(c.f, c.prior, line, assess.DefaultMarginalBp)
		ok := false
		for _, r := range o.Words() {
			if strings.Contains(r, c.why) {
				ok = true
			}
		}
		if o.Status != c.want || !ok {
			t.Errorf("%s: %s %q, want %s with %q", c.name, o.Status, o.Words(), c.want, c.why)
		}
	}
}
