package market

import (
	"math"
	"slices"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

var _ IncomeSource = (*ledger.Ledger)(nil)

var officer = fishpond.Principal{UserID: "u-officer", Role: fishpond.RoleCountyOfficer, Counties: []string{povertyCounty}}

func appleBrand() BrandInput {
	return BrandInput{CountyCode: povertyCounty, Name: "阜平苹果", Description: "太行山区红富士",
		Criteria: []Criterion{
			{Kind: CriterionQuality, Name: "含糖量 sugar content", Unit: "%Brix", Op: OpAtLeast, Threshold: 14},
			{Kind: CriterionPlanting, Name: "套袋栽培 bagged on the tree", Op: OpEqual, Threshold: 1},
			{Kind: CriterionQuality, Name: "农药残留 pesticide residue", Unit: "mg/kg", Op: OpAtMost, Threshold: 0.01},
		}}
}

func mustBrand(t *testing.T, c *catalog) Brand {
	t.Helper()
	b, err := c.m.CreateBrand(ctx, officer, appleBrand())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func inspect(c *catalog, b Brand, productID, date string, sugar, bagged, residue float64) (Inspection, error) {
	return c.m.RecordInspection(ctx, officer, InspectionInput{BrandID: b.ID, ProductID: productID, Inspector: "阜平县农产品质量检测站",
		Date: date, Values: map[int]float64{1: sugar, 2: bagged, 3: residue}})
}

func TestBrandCreation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		bad := []struct {
			edit  func(*BrandInput)
			field string
		}{
			{func(in *BrandInput) { in.Name = " " }, "name"},
			{func(in *BrandInput) { in.Criteria = nil }, "criteria"},
			{func(in *BrandInput) { in.Criteria[0].Op = ">" }, "criteria[0].op"},
			{func(in *BrandInput) { in.Criteria[1].Kind = "taste" }, "criteria[1].kind"},
			{func(in *BrandInput) { in.Criteria[2].Threshold = math.NaN() }, "criteria[2].threshold"},
			{func(in *BrandInput) { in.Criteria[2].Name = in.Criteria[0].Name }, "criteria[2].name"},
			{func(in *BrandInput) { in.CountyCode = "999999" }, "county_code"},
		}
		for _, tc := range bad {
			in := appleBrand()
			tc.edit(&in)
			_, err := c.m.CreateBrand(ctx, officer, in)
			wantCode(t, err, fishpond.EInvalid, tc.field)
		}
		_, err := c.m.CreateBrand(ctx, householdP(c.hh[0]), appleBrand())
		wantCode(t, err, fishpond.EForbidden, "")
		stranger := fishpond.Principal{UserID: "u-o2", Role: fishpond.RoleCountyOfficer, Counties: []string{richCounty}}
		_, err = c.m.CreateBrand(ctx, stranger, appleBrand())
		wantCode(t, err, fishpond.EForbidden, "")
		if n := count(t, d, "SELECT COUNT(*) FROM market_brands") + count(t, d, "SELECT COUNT(*) FROM market_brand_criteria"); n != 0 {
			t.Fatalf("refused brands left %d rows", n)
		}
		b := mustBrand(t, c)
		if b.CountyName == "" || len(b.Criteria) != 3 || b.Criteria[2].Threshold != 0.01 || b.Criteria[1].Seq != 2 {
			t.Fatalf("brand: %+v", b)
		}
		if got := b.Criteria[0].String(); got != "含糖量 sugar content >= 14 %Brix" {
			t.Errorf("criterion text %q", got)
		}
		_, err = c.m.CreateBrand(ctx, officer, appleBrand())
		wantCode(t, err, fishpond.EConflict, "")
		list, err := c.m.Brands(ctx, povertyCounty)
		if err != nil || len(list) != 1 || len(list[0].Criteria) != 3 {
			t.Fatalf("Brands: %v %+v", err, list)
		}
		if list, _ := c.m.Brands(ctx, richCounty); len(list) != 0 {
			t.Fatalf("another county's brands: %+v", list)
		}
		_, err = c.m.Brand(ctx, "nope")
		wantCode(t, err, fishpond.ENotFound, "")
	})
}

func TestBrandInspection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		b := mustBrand(t, c)
		bad := []struct {
			in    InspectionInput
			field string
		}{
			{InspectionInput{ProductID: c.chips.ID, Date: "2020-05-01", Values: map[int]float64{1: 15, 2: 1, 3: 0}}, "product_id"},
			{InspectionInput{ProductID: "nope", Date: "2020-05-01", Values: map[int]float64{1: 15, 2: 1, 3: 0}}, "product_id"},
			{InspectionInput{ProductID: c.apples.ID, Date: "2020-05-01", Values: map[int]float64{1: 15, 3: 0}}, "values[2]"},
			{InspectionInput{ProductID: c.apples.ID, Date: "2020-05-01", Values: map[int]float64{1: 15, 2: 1, 3: 0, 9: 1}}, "values[9]"},
			{InspectionInput{ProductID: c.apples.ID, Date: "2020-05-01", Values: map[int]float64{1: math.Inf(1), 2: 1, 3: 0}}, "values[1]"},
			{InspectionInput{ProductID: c.apples.ID, Date: "2030-01-01", Values: map[int]float64{1: 15, 2: 1, 3: 0}}, "date"},
			{InspectionInput{ProductID: c.apples.ID, Date: "1.5.2020", Values: map[int]float64{1: 15, 2: 1, 3: 0}}, "date"},
		}
		for _, tc := range bad {
			tc.in.BrandID, tc.in.Inspector = b.ID, "检测站"
			_, err := c.m.RecordInspection(ctx, officer, tc.in)
			wantCode(t, err, fishpond.EInvalid, tc.field)
		}
		_, err := inspect(c, Brand{ID: "nope"}, c.apples.ID, "2020-05-01", 15, 1, 0)
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = c.m.RecordInspection(ctx, householdP(c.hh[0]), InspectionInput{BrandID: b.ID, ProductID: c.apples.ID, Inspector: "自检", Date: "2020-05-01",
			Values: map[int]float64{1: 20, 2: 1, 3: 0}})
		wantCode(t, err, fishpond.EForbidden, "")
		if n := count(t, d, "SELECT COUNT(*) FROM market_brand_inspections"); n != 0 {
			t.Fatalf("refused inspections left %d rows", n)
		}

		// 13.9 %Brix fails: recorded, not admitted.
		fail, err := inspect(c, b, c.apples.ID, "2020-05-01", 13.9, 1, 0.005)
		if err != nil {
			t.Fatal(err)
		}
		if fail.Passed || fail.Measurements[0].Met || !fail.Measurements[1].Met || !fail.Measurements[2].Met {
			t.Fatalf("failing inspection: %+v", fail)
		}
		if ms, _ := c.m.BrandMembers(ctx, b.ID); len(ms) != 0 {
			t.Fatalf("a failed product joined: %+v", ms)
		}
		// Exactly at the thresholds passes.
		pass, err := inspect(c, b, c.apples.ID, "2020-05-10", 14, 1, 0.01)
		if err != nil || !pass.Passed {
			t.Fatalf("passing inspection: %v %+v", err, pass)
		}
		ms, err := c.m.BrandMembers(ctx, b.ID)
		if err != nil || len(ms) != 1 || ms[0].ProductID != c.apples.ID || ms[0].JoinedOn != "2020-05-10" || ms[0].InspectionID != pass.ID {
			t.Fatalf("members: %v %+v", err, ms)
		}
		if got := searchIDs(t, c, SearchQuery{BrandID: b.ID}); !slices.Equal(got, []string{c.apples.ID}) {
			t.Errorf("brand filter: %v", got)
		}
		page, err := c.m.Search(ctx, SearchQuery{Text: "套袋 阜平苹果"})
		if err == nil && len(page.Hits) != 0 {
			t.Errorf("criteria are not searchable text: %+v", page.Hits)
		}
		page, err = c.m.Search(ctx, SearchQuery{Text: "阜平苹果"})
		if err != nil || len(page.Hits) != 1 || !slices.Equal(page.Hits[0].Brands, []string{"阜平苹果"}) || page.Hits[0].Score != scoreTags {
			t.Fatalf("search by brand name: %v %+v", err, page.Hits)
		}
		// A passing re-inspection keeps the first join date; a failing one takes the
		// product out of the brand.
		if _, err := inspect(c, b, c.apples.ID, "2020-05-20", 15, 1, 0); err != nil {
			t.Fatal(err)
		}
		if ms, _ := c.m.BrandMembers(ctx, b.ID); len(ms) != 1 || ms[0].JoinedOn != "2020-05-10" {
			t.Fatalf("re-inspection changed membership: %+v", ms)
		}
		if _, err := inspect(c, b, c.apples.ID, "2020-05-30", 15, 0, 0); err != nil {
			t.Fatal(err)
		}
		if ms, _ := c.m.BrandMembers(ctx, b.ID); len(ms) != 0 {
			t.Fatalf("a product failing re-inspection stayed: %+v", ms)
		}
		if got := searchIDs(t, c, SearchQuery{Text: "阜平苹果"}); len(got) != 0 {
			t.Errorf("search still finds the brand's name on a product that left: %v", got)
		}
		hist, err := c.m.ProductInspections(ctx, c.apples.ID)
		if err != nil || len(hist) != 4 || hist[0].Date != "2020-05-30" || hist[0].Passed || len(hist[0].Measurements) != 3 ||
			hist[0].Measurements[0].Criterion.Name != "含糖量 sugar content" {
			t.Fatalf("inspection history: %v %+v", err, hist)
		}
	})
}

func TestBrandIncomePerMu(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		b := mustBrand(t, c)
		shared := mustProduct(t, c.fixture, c.shop, func(in *ProductInput) {
			in.Name, in.BatchCode = "合作苹果", "FP-COOP-1"
			in.Producers = []Share{{HouseholdID: c.hh[1], Bp: 6000}, {HouseholdID: c.hh[2], Bp: 4000}}
		})
		for _, p := range []string{c.apples.ID, shared.ID} {
			if _, err := inspect(c, b, p, "2020-03-01", 15, 1, 0); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []float64{0, -1, math.NaN(), 1e9} {
			wantCode(t, c.m.SetCultivatedLand(ctx, officer, c.hh[0], bad), fishpond.EInvalid, "mu")
		}
		stranger := fishpond.Principal{UserID: "u-o2", Role: fishpond.RoleCountyOfficer, Counties: []string{richCounty}}
		wantCode(t, c.m.SetCultivatedLand(ctx, stranger, c.hh[0], 2), fishpond.ENotFound, "")
		wantCode(t, c.m.SetCultivatedLand(ctx, officer, "nope", 2), fishpond.ENotFound, "")
		if mu, err := c.m.CultivatedLand(ctx, officer, c.hh[0]); err != nil || mu != 0 {
			t.Fatalf("refused land was recorded: %v %v", mu, err)
		}
		if err := c.m.SetCultivatedLand(ctx, officer, c.hh[0], 3); err != nil {
			t.Fatal(err)
		}
		if err := c.m.SetCultivatedLand(ctx, officer, c.hh[0], 2.5); err != nil {
			t.Fatal(err)
		}
		if err := c.m.SetCultivatedLand(ctx, admin, c.hh[1], 0.5); err != nil {
			t.Fatal(err)
		}
		if mu, err := c.m.CultivatedLand(ctx, householdP(c.hh[0]), c.hh[0]); err != nil || mu != 2.5 {
			t.Fatalf("land: %v %v", mu, err)
		}
		*c.now = time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
		for year, yuan := range map[int]int64{2019: 5000, 2020: 8000} {
			if _, err := c.l.DeclareIncome(ctx, c.hh[0], ledger.CatOperating, fishpond.Yuan(yuan), year, "2020年入户调查 survey", "survey-"+c.hh[0]+string(rune('0'+year%10))); err != nil {
				t.Fatal(err)
			}
		}
		inc, err := c.m.BrandIncome(ctx, b.ID, c.l)
		if err != nil {
			t.Fatal(err)
		}
		if len(inc.Households) != 3 || inc.Measured != 1 {
			t.Fatalf("income: %+v", inc)
		}
		byMu := map[float64]HouseholdPerMu{}
		for _, h := range inc.Households {
			byMu[h.Mu] = h
			if h.JoinedOn != "2020-03-01" || h.VillageName == "" || h.Label == "" {
				t.Errorf("household row: %+v", h)
			}
		}
		h0 := byMu[2.5]
		if !h0.BeforeMeasured || !h0.AfterMeasured || h0.BeforePerMu != fishpond.Yuan(2000) || h0.AfterPerMu != fishpond.Yuan(3200) ||
			h0.Change != fishpond.Yuan(1200) || h0.Note != "" {
			t.Errorf("measured household: %+v", h0)
		}
		if h := byMu[0.5]; h.BeforeMeasured || h.Note != noteNoBefore {
			t.Errorf("household without income: %+v", h)
		}
		if h := byMu[0]; h.BeforeMeasured || h.Note != noteNoLand {
			t.Errorf("household without land: %+v", h)
		}
		if inc.AvgBeforePerMu != fishpond.Yuan(2000) || inc.AvgAfterPerMu != fishpond.Yuan(3200) || inc.AvgChange != fishpond.Yuan(1200) {
			t.Errorf("averages: %+v", inc)
		}
		// A year after joining has not passed: the after side is not measured.
		*c.now = time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)
		inc, err = c.m.BrandIncome(ctx, b.ID, c.l)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range inc.Households {
			if h.AfterMeasured || (h.Mu == 2.5 && (h.Note != noteNotElapsed || h.BeforePerMu != fishpond.Yuan(2000))) {
				t.Errorf("before a year has passed: %+v", h)
			}
		}
		if inc.Measured != 0 || inc.AvgChange != 0 {
			t.Errorf("averages before a year has passed: %+v", inc)
		}
		_, err = c.m.BrandIncome(ctx, "nope", c.l)
		wantCode(t, err, fishpond.ENotFound, "")
	})
}
