package sensing

import (
	"math"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// On generated history the regression recovers the true effects, and its
// backtest error is close to the noise the generator put in.
func TestYieldModelRecoversTruthAndBacktests(t *testing.T) {
	var hist []siteSeason
	for f, ss := range GenerateSeasons(7, 12, 2014, 10) {
		for _, s := range ss {
			hist = append(hist, siteSeason{string(rune('a' + f)), s})
		}
	}
	m, err := fitYield(hist)
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range []float64{YieldTruth.Temp, YieldTruth.Moisture, YieldTruth.Dry} {
		if got := m.lin.coef[j+1]; math.Abs(got-want) > math.Abs(want)*0.5 {
			t.Errorf("coefficient %s = %.2f, truth %.2f", yieldFeatures[j].name, got, want)
		}
	}
	bt := backtestYield(hist)
	if bt.N < 50 || bt.MAPE > 8 || bt.RMSE > 2*YieldTruth.NoiseSD {
		t.Fatalf("backtest: %+v", bt)
	}
}

func TestMortalityModelBacktests(t *testing.T) {
	var weeks []BarnWeek
	for _, ws := range GenerateBarnWeeks(3, 6, 104, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) {
		weeks = append(weeks, ws...)
	}
	l, err := fitMortality(weeks)
	if err != nil {
		t.Fatal(err)
	}
	if l.coef[1] <= 0 || l.coef[2] <= 0 {
		t.Fatalf("heat and ammonia should raise mortality: %v", l.coef)
	}
	bt := backtestMortality(weeks)
	if bt.N == 0 || bt.MAE > 3 {
		t.Fatalf("backtest: %+v", bt)
	}
}

// Forecasts through the service: a field with season readings and recorded
// history gets a yield with an interval, contributions and the backtest; a
// barn running hot gets an elevated mortality risk.
func TestForecastsFromReadings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		field := f.site(t, "field")
		others := []Site{field}
		for i := range 5 {
			st := must[Site](t)(f.s.CreateSite(ctx, manager, NewSite{Name: "f" + string(rune('0'+i)), Kind: "field", OwnerKind: "coop", OwnerID: f.coop, Crop: "小米", AreaMu: 50}))
			others = append(others, st)
		}
		for i, ss := range GenerateSeasons(11, len(others), 2016, 10) {
			for _, s := range ss {
				if err := f.s.RecordSeason(ctx, manager, others[i].ID, s); err != nil {
					t.Fatal(err)
				}
			}
		}
		soil, weather := f.device(t, field, "soil", "s1"), f.device(t, field, "weather", "w1")
		// 6 days of a dry, hot spell, hourly.
		now := f.clock.Now()
		var at []int64
		var sv, wv [][]float64
		for h := 6 * 24; h > 0; h-- {
			at = append(at, now.Add(-time.Duration(h)*time.Hour).UnixMilli())
			sv = append(sv, []float64{16, 22})
			wv = append(wv, []float64{26, 40, 0})
		}
		must[Result](t)(f.s.Ingest(ctx, soil.ID, EncodeBatch(soil.ID, DeviceTypes["soil"], at, sv), true))
		must[Result](t)(f.s.Ingest(ctx, weather.ID, EncodeBatch(weather.ID, DeviceTypes["weather"], at, wv), true))
		fc := must[Forecast](t)(f.s.YieldForecast(ctx, manager, field.ID))
		if fc.Backtest.N == 0 || fc.Low >= fc.Value || fc.High <= fc.Value || len(fc.Contributions) != 3 || fc.PresaleKg > fc.TotalKg {
			t.Fatalf("yield forecast: %+v", fc)
		}
		var dryEffect float64
		for _, c := range fc.Contributions {
			if c.Feature == "dry_share" {
				dryEffect = c.Effect
			}
		}
		if dryEffect >= 0 {
			t.Fatalf("an all-dry season should lower the forecast: %+v", fc.Contributions)
		}

		barn := f.site(t, "barn")
		for _, ws := range GenerateBarnWeeks(5, 4, 52, now) {
			for _, w := range ws {
				if err := f.s.RecordBarnWeek(ctx, manager, barn.ID, w); err != nil {
					t.Fatal(err)
				}
			}
		}
		b := f.device(t, barn, "barn", "b1")
		var bv [][]float64
		for range at {
			bv = append(bv, []float64{31.5, 80, 30})
		}
		must[Result](t)(f.s.Ingest(ctx, b.ID, EncodeBatch(b.ID, DeviceTypes["barn"], at, bv), true))
		mf := must[Forecast](t)(f.s.MortalityForecast(ctx, manager, barn.ID))
		if mf.Risk != "high" || mf.Deaths <= 0 || mf.Backtest.N == 0 {
			t.Fatalf("mortality forecast for a hot, stuffy barn: %+v", mf)
		}
		if _, err := f.s.YieldForecast(ctx, officer, field.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("out of scope: %v", err)
		}
	})
}
