package generate_test

import (
	"context"
	"math"
	"testing"

	"fishpond"
	"fishpond/generate"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/registry"
	"fishpond/report"
)

var ctx = context.Background()

func places(t *testing.T, d *db.DB) {
	t.Helper()
	keys, _ := secret.New(make([]byte, secret.KeySize))
	if _, _, _, err := registry.NewStore(d, keys, nil).LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCountyScale checks the generated aggregates equal a rebuild from the rows it
// wrote, the anchor half-year hits its calibrated figure, a second run with the
// same seed is refused, and the same seed gives the same data elsewhere.
func TestCountyScale(t *testing.T) {
	var first report.Facts
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		places(t, d)
		cfg := generate.Config{Scale: generate.ScaleCounty, Factor: 0.02, Seed: 7, Counties: []string{"130624", "622926"}, TxOrders: 3000}
		res, err := generate.Run(ctx, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Orders < 5000 || res.Refunds == 0 || res.Shops < 4 {
			t.Fatalf("result %+v: too little generated", res)
		}
		inc, err := report.AllFacts(ctx, d.Read())
		if err != nil {
			t.Fatal(err)
		}
		re, _, err := report.Recompute(ctx, d.Read())
		if err != nil {
			t.Fatal(err)
		}
		if diff := report.Diff(inc, re, 10); diff != "" {
			t.Fatalf("generated aggregates differ from a rebuild:\n%s", diff)
		}
		rg, _ := report.ParseRange("2018H1")
		rep, err := report.Build(ctx, d.Read(), rg, fishpond.SystemClock{}.Now(), true)
		if err != nil {
			t.Fatal(err)
		}
		want := float64(generate.PublishedGMVFen) * 0.02 * 2 / generate.PublishedCountiesWithSales
		got := rep.Figure("poverty_county_gmv_fen").V
		if math.Abs(float64(got)-want)/want > 0.01 || got != res.AnchorGMVFen {
			t.Fatalf("2018H1 GMV %d (generator says %d), want %.0f ± 1%%", got, res.AnchorGMVFen, want)
		}
		if f := rep.Figure("agri_sales_yoy_bp"); f.Status != report.Measured || f.V < 4000 || f.V > 8000 {
			t.Fatalf("year-on-year growth %+v, want about 60%%", f.Value)
		}
		if _, err := generate.Run(ctx, d, cfg); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("second run with the same seed = %v, want conflict", err)
		}
		if first == nil {
			first = inc
		} else if diff := report.Diff(first, inc, 5); diff != "" {
			t.Fatalf("same seed, different data:\n%s", diff)
		}
	})
}

func TestBadConfig(t *testing.T) {
	d := dbtest.SQLite(t)
	places(t, d)
	for name, cfg := range map[string]generate.Config{
		"factor":      {Scale: "national", Factor: 0},
		"scale":       {Scale: "planet", Factor: 1},
		"county":      {Scale: "county", Factor: 1, Counties: []string{"110101"}},
		"anchor":      {Scale: "county", Factor: 1, Anchor: "2018"},
		"no counties": {Scale: "province", Factor: 1, Province: "11"},
	} {
		if _, err := generate.Run(ctx, d, cfg); fishpond.Code(err) != fishpond.EInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

// TestResume interrupts a run after its second transaction and resumes it: the
// result equals an uninterrupted run, row for row in the aggregates.
func TestResume(t *testing.T) {
	cfg := generate.Config{Scale: generate.ScaleCounty, Factor: 0.01, Seed: 3, Counties: []string{"130624", "410225"}, TxOrders: 1000}
	whole := dbtest.SQLite(t)
	places(t, whole)
	full, err := generate.Run(ctx, whole, cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := dbtest.SQLite(t)
	places(t, d)
	cctx, cancel := context.WithCancel(ctx)
	cut := cfg
	cut.Progress = func(p generate.Progress) {
		if p.Orders >= 2000 {
			cancel()
		}
	}
	if _, err := generate.Run(cctx, d, cut); err == nil {
		t.Fatal("interrupted run succeeded")
	}
	if _, err := generate.Run(ctx, d, cfg); fishpond.Code(err) != fishpond.EConflict {
		t.Fatalf("second run without resume = %v", err)
	}
	cfg.Resume = true
	rest, err := generate.Run(ctx, d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rest.Orders == 0 || rest.Orders >= full.Orders {
		t.Fatalf("resumed run wrote %d orders of %d", rest.Orders, full.Orders)
	}
	a, _ := report.AllFacts(ctx, whole.Read())
	b, _ := report.AllFacts(ctx, d.Read())
	if diff := report.Diff(a, b, 10); diff != "" {
		t.Fatalf("resumed run differs from an uninterrupted one:\n%s", diff)
	}
	var n1, n2 int
	whole.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM market_orders").Scan(&n1)
	d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM market_orders").Scan(&n2)
	if n1 != n2 || int64(n1) != full.Orders {
		t.Fatalf("orders %d vs %d", n1, n2)
	}
}
