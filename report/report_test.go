package report_test

import (
	"context"
	"testing"
	"time"

	"fishpond"
	"fishpond/assess"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
	"fishpond/report"
)

var ctx = context.Background()

const povertyCounty = "130624" // 阜平县

type clock struct{ t *time.Time }

func (c clock) Now() time.Time { return *c.t }

// world is a small marketplace with registered households, driven through the
// capabilities' own APIs so that they append their real events.
type world struct {
	d    *db.DB
	now  *time.Time
	reg  *registry.Store
	m    *market.Store
	a    *assess.Assessor
	log  *events.Log
	hh   []registry.Household
	shop market.Shop
	prs  []market.Product
	addr market.Address
}

var buyer = fishpond.Principal{UserID: "u-buyer", Name: "买家", Role: fishpond.RoleConsumer}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	keys, err := secret.New(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2020, 1, 20, 4, 0, 0, 0, time.UTC) // registered as the registry stood in 2020
	w := &world{d: d, now: &now}
	c := clock{&now}
	w.reg = registry.NewStore(d, keys, c)
	if _, _, _, err := w.reg.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	county, err := w.reg.County(ctx, povertyCounty)
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.reg.CreateVillage(ctx, fishpond.System, povertyCounty, "龙泉关镇", "骆驼湾村")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range registry.Synthesize(11, county, []string{v.ID}, 12) {
		h, err := w.reg.CreateHousehold(ctx, fishpond.System, in)
		if err != nil {
			t.Fatal(err)
		}
		w.hh = append(w.hh, h)
	}
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	w.m = market.NewStore(d, keys, c, cfg)
	led := ledger.New(d, c)
	t.Cleanup(led.Close)
	w.a = assess.New(d, w.reg, led, c)
	w.log = events.New(d, c)
	seller := fishpond.Principal{UserID: "u-" + w.hh[0].ID, Role: fishpond.RoleHousehold, HouseholdID: w.hh[0].ID}
	if w.shop, err = w.m.OpenShop(ctx, seller, market.ShopInput{Name: "骆驼湾土特产", OwnerKind: market.OwnerHousehold, OwnerID: w.hh[0].ID}); err != nil {
		t.Fatal(err)
	}
	for i, cat := range []string{"干果", "杂粮"} {
		pr, err := w.m.AddProduct(ctx, seller, market.ProductInput{ShopID: w.shop.ID, Name: cat + "礼盒", Category: cat, Unit: "盒",
			Price: fishpond.Money(1000 * (i + 2)), Stock: 10000, OriginCounty: povertyCounty, BatchCode: "B1", HarvestDate: "2017-10-01"})
		if err != nil {
			t.Fatal(err)
		}
		w.prs = append(w.prs, pr)
	}
	if w.addr, err = w.m.AddAddress(ctx, buyer, market.AddressInput{Name: "张三丰", Phone: "138 0013 8000", ProvinceCode: "11", CountyCode: "110101", Detail: "东直门大街1号"}); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2018, 1, 20, 4, 0, 0, 0, time.UTC)
	return w
}

func (w *world) at(t time.Time) { *w.now = t }

// sell places and pays an order of qty of product i; refund > 0 refunds that much
// a day later.
func (w *world) sell(t *testing.T, key string, i int, qty int64, refund fishpond.Money) market.Order {
	t.Helper()
	o, err := w.m.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: key, AddressID: w.addr.ID,
		Lines: []market.LineRequest{{ProductID: w.prs[i].ID, Qty: qty}, {ProductID: w.prs[1-i].ID, Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = w.m.MarkPaid(ctx, o.ID, "sandbox", "T-"+key, o.Total); err != nil {
		t.Fatal(err)
	}
	if refund > 0 {
		*w.now = w.now.Add(24 * time.Hour)
		seller := fishpond.Principal{UserID: "u-" + w.hh[0].ID, Role: fishpond.RoleHousehold, HouseholdID: w.hh[0].ID}
		if _, err := w.m.Refund(ctx, seller, market.RefundRequest{OrderID: o.ID, Amount: refund, Reason: "破损 damaged", IdempotencyKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func drain(t *testing.T, c *events.Consumer) {
	t.Helper()
	for {
		n, err := c.ProcessBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func mustEqualRebuild(t *testing.T, d *db.DB) report.Facts {
	t.Helper()
	inc, err := report.AllFacts(ctx, d.Read())
	if err != nil {
		t.Fatal(err)
	}
	re, _, err := report.Recompute(ctx, d.Read())
	if err != nil {
		t.Fatal(err)
	}
	if diff := report.Diff(inc, re, 20); diff != "" {
		t.Fatalf("incremental aggregates differ from a rebuild (incremental vs rebuilt):\n%s", diff)
	}
	return inc
}

// TestIncrementalEqualsRebuild drives orders, refunds (one crossing a month end),
// assessment runs and a plugged capability's events through the real APIs, lets the
// consumer fold them in batches, and checks the aggregates equal a recomputation
// from the raw tables, then that Rebuild leaves them unchanged and the consumer
// carries on after it.
func TestIncrementalEqualsRebuild(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		c := report.NewConsumer(w.log)
		c.Batch = 3 // several batches, and a batch boundary inside a county's status events

		w.sell(t, "a", 0, 2, 0)
		w.sell(t, "b", 1, 1, 500)
		w.at(time.Date(2018, 1, 31, 16, 30, 0, 0, time.UTC)) // still January in UTC, 00:30 on 1 February in China
		w.sell(t, "c", 0, 3, 1000)
		drain(t, c)
		mustEqualRebuild(t, d)

		// A second refund of the same order adds only its own amount.
		seller := fishpond.Principal{UserID: "u-" + w.hh[0].ID, Role: fishpond.RoleHousehold, HouseholdID: w.hh[0].ID}
		o := w.sell(t, "d", 1, 2, 0)
		w.at(time.Date(2018, 3, 2, 4, 0, 0, 0, time.UTC))
		for _, k := range []string{"r1", "r2"} {
			if _, err := w.m.Refund(ctx, seller, market.RefundRequest{OrderID: o.ID, Amount: 300, Reason: "少发 short", IdempotencyKey: k}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.a.SetPovertyLine(ctx, fishpond.System, 2018, fishpond.Yuan(3535), "2018 line"); err != nil {
			t.Fatal(err)
		}
		if err := w.a.SetRuralPopulation(ctx, fishpond.System, povertyCounty, 2018, 400, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.a.Run(ctx, fishpond.System, 2018, povertyCounty); err != nil {
			t.Fatal(err)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error {
			return events.AppendMany(ctx, tx, *w.now, []events.Event{
				{Type: "live.session.ended", Subject: "s1", CountyCode: povertyCounty},
				{Type: "live.session.ended", Subject: "s2", CountyCode: "622926"},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		drain(t, c)
		facts := mustEqualRebuild(t, d)
		if len(facts) < 8 {
			t.Fatalf("only %d facts: the test drove too little", len(facts))
		}

		st, err := report.Rebuild(ctx, d, *w.now)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := report.AllFacts(ctx, d.Read())
		if diff := report.Diff(facts, after, 20); diff != "" {
			t.Fatalf("Rebuild changed the aggregates:\n%s", diff)
		}
		if cp, _ := w.log.Checkpoint(ctx, report.ConsumerName); cp != st.Through || st.Through == 0 {
			t.Fatalf("checkpoint %d after rebuild through %d", cp, st.Through)
		}
		// After a rebuild the consumer carries on with new events only.
		w.at(time.Date(2018, 4, 2, 4, 0, 0, 0, time.UTC))
		w.sell(t, "e", 0, 1, 200)
		drain(t, c)
		mustEqualRebuild(t, d)

		rg, _ := report.ParseRange("2018H1")
		rep, err := report.Build(ctx, d.Read(), rg, *w.now, false)
		if err != nil {
			t.Fatal(err)
		}
		p0, p1 := int64(w.prs[0].Price), int64(w.prs[1].Price)
		wantGMV := (2*p0 + p1) + (p1 + p0) + (3*p0 + p1) + (2*p1 + p0) + (p0 + p1)
		if f := rep.Figure("poverty_county_gmv_fen"); f.Status != report.Measured || f.V != wantGMV {
			t.Errorf("GMV = %+v, want %d", f.Value, wantGMV)
		}
		if f := rep.Figure("poverty_county_refunds_fen"); f.V != 500+1000+600+200 {
			t.Errorf("refunds = %d", f.V)
		}
		if f := rep.Figure("poverty_counties_with_sales"); f.V != 1 {
			t.Errorf("counties with sales = %d", f.V)
		}
		if f := rep.Figure("households_covered"); f.V != 12 {
			t.Errorf("households covered = %d, want the 12 assessed", f.V)
		}
		if f := rep.Figure("live_sessions"); f.Status != report.Measured || f.V != 2 {
			t.Errorf("plugged live_sessions = %+v, want 2", f.Value)
		}
		// A metric whose capability is not plugged in says so, never zero.
		report.UnplugForTest("staff_engaged")
		unplugged, err := report.Build(ctx, d.Read(), rg, *w.now, false)
		report.Measure("staff_engaged", report.EventMeasure{Event: "fund.staff.engaged", Kind: report.Cumulative})
		if err != nil {
			t.Fatal(err)
		}
		if f := unplugged.Figure("staff_engaged"); f.Status != report.NotMeasured {
			t.Errorf("unplugged staff_engaged = %+v; a metric no event measures must be not measured, never zero", f.Value)
		}
		if f := rep.Figure("agri_sales_yoy_bp"); f.Status != report.NoBase {
			t.Errorf("YoY with no sales a year earlier = %+v, want no_base", f.Value)
		}
		cats := map[string]int64{}
		for _, c := range rep.Categories {
			cats[c.Name] = c.Fen
		}
		if cats["干果"] != 8*p0 || cats["杂粮"] != 6*p1 || len(cats) != 2 {
			t.Errorf("categories = %v, want 干果 %d and 杂粮 %d", cats, 8*p0, 6*p1)
		}
		var jan, feb int64
		for _, m := range rep.Months {
			switch m.Month {
			case "2018-01":
				jan = m.GMVFen
			case "2018-02":
				feb = m.GMVFen
			}
		}
		if jan != (2*p0+p1)+(p1+p0) || feb != (3*p0+p1)+(2*p1+p0) {
			t.Errorf("months: January %d, February %d: an order paid at 16:30 on 31 January UTC is February in China", jan, feb)
		}
	})
}

func TestSummariesMatchReports(t *testing.T) {
	d := dbtest.SQLite(t)
	w := newWorld(t, d)
	w.sell(t, "a", 0, 2, 0)
	w.at(time.Date(2018, 8, 1, 4, 0, 0, 0, time.UTC))
	w.sell(t, "b", 1, 1, 0)
	drain(t, report.NewConsumer(w.log))
	sums, err := report.Summaries(ctx, d.Read())
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || sums[0].Period != "2018H2" || sums[1].Period != "2018H1" {
		t.Fatalf("summaries %+v", sums)
	}
	for _, s := range sums {
		rg, _ := report.ParseRange(s.Period)
		rep, err := report.Build(ctx, d.Read(), rg, *w.now, true)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Figure("poverty_county_gmv_fen").V != s.GMVFen || rep.Figure("poverty_counties_with_sales").V != s.CountiesWithSales {
			t.Errorf("%s: summary %+v, report %d / %d", s.Period, s, rep.Figure("poverty_county_gmv_fen").V, rep.Figure("poverty_counties_with_sales").V)
		}
	}
}
