package generate_test

import (
	"fmt"
	"testing"

	"fishpond"
	"fishpond/assess"
	"fishpond/generate"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/registry"
	"fishpond/report"
)

func services(t *testing.T, d *db.DB) *generate.Services {
	t.Helper()
	keys, _ := secret.New(make([]byte, secret.KeySize))
	reg := registry.NewStore(d, keys, nil)
	led := ledger.New(d, nil)
	t.Cleanup(led.Close)
	return &generate.Services{Registry: reg, Ledger: led, Assessor: assess.New(d, reg, led, nil)}
}

// householdDigest lists every registered household with its head's identity-number
// hash, its size and its 2018 status: what the same seed must reproduce.
func householdDigest(t *testing.T, d *db.DB) []string {
	t.Helper()
	rows, err := d.Read().QueryContext(ctx, `SELECT h.county_code, h.number, m.id_hash, s.status, s.members
		FROM households h JOIN members m ON m.household_id = h.id AND m.relationship = ?
		JOIN household_status s ON s.household_id = h.id AND s.year = 2018 ORDER BY h.number`, registry.RelationshipHead)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var county, number, hash, status string
		var members int
		if err := rows.Scan(&county, &number, &hash, &status, &members); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(county, number, hash, status, members))
	}
	return out
}

// TestHouseholds generates a small province with households: every covered
// poverty county registers some, they earn 2018 income through the ledger and are
// assessed, the report measures them and equals a rebuild, the same seed gives the
// same households and statuses on both engines, and a resumed run registers
// nothing twice.
func TestHouseholds(t *testing.T) {
	var first []string
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		places(t, d)
		sv := services(t, d)
		// 宁夏 (64) has 8 poverty counties: 8 × 10M × 0.005 / 832 ≈ 481 households.
		cfg := generate.Config{Scale: generate.ScaleProvince, Province: "64", Factor: 0.005, Seed: 11, TxOrders: 20000, Households: sv}
		var stages = map[string]bool{}
		cfg.Progress = func(p generate.Progress) { stages[p.Stage] = true }
		res, err := generate.Run(ctx, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{generate.StageOrders, generate.StageHouseholds, generate.StageIncome, generate.StageAssessment} {
			if !stages[s] {
				t.Errorf("no progress reported for stage %s", s)
			}
		}
		if res.Households < 400 || res.Households > 560 || res.People < 3*res.Households {
			t.Fatalf("result %+v: want about 481 households of 3+ people", res)
		}
		if res.Transfers < 6*res.Households {
			t.Fatalf("%d income transfers for %d households", res.Transfers, res.Households)
		}
		// Every poverty county of the province registered households, unevenly.
		var counties, lo, hi int
		err = d.Read().QueryRowContext(ctx, `SELECT COUNT(*), MIN(n), MAX(n) FROM (SELECT h.county_code, COUNT(*) AS n FROM households h
			JOIN counties c ON c.code = h.county_code WHERE c.poverty = 1 AND c.province_code = '64' GROUP BY h.county_code) x`).Scan(&counties, &lo, &hi)
		if err != nil {
			t.Fatal(err)
		}
		var want int
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM counties WHERE poverty = 1 AND province_code = '64'").Scan(&want)
		if counties != want || lo < 1 || hi <= lo {
			t.Fatalf("households in %d of %d poverty counties, %d to %d each", counties, want, lo, hi)
		}
		// Personal data is stored as the registry stores it: encrypted and hashed.
		var plain int
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM members WHERE id_enc = '' OR id_hash = '' OR id_mask NOT LIKE '%*%'").Scan(&plain)
		if plain != 0 {
			t.Fatalf("%d members without an encrypted identity number", plain)
		}
		// A realistic 2018 mix: some exit, many stay poor.
		share := float64(res.Exited) / float64(res.Households)
		if share < 0.3 || share > 0.6 || res.Exited+res.Marginal >= res.Households {
			t.Fatalf("2018: %d exited, %d marginal of %d households", res.Exited, res.Marginal, res.Households)
		}
		var evs int
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE type = 'household.status.changed'").Scan(&evs)
		if int64(evs) != res.Households {
			t.Fatalf("%d status events for %d households", evs, res.Households)
		}
		rg, _ := report.ParseRange("2018H1")
		rep, err := report.Build(ctx, d.Read(), rg, fishpond.SystemClock{}.Now(), true)
		if err != nil {
			t.Fatal(err)
		}
		if f := rep.Figure("households_covered"); f.Status != report.Measured || f.V != res.Households {
			t.Fatalf("households_covered %+v, want %d", f.Value, res.Households)
		}
		if f := rep.Figure("households_exited"); f.Status != report.Measured || f.V != res.Exited {
			t.Fatalf("households_exited %+v, want %d", f.Value, res.Exited)
		}
		if f := rep.Figure("county_poverty_incidence_bp"); f.Status != report.Measured || f.V < 100 || f.V > 1000 {
			t.Fatalf("county poverty incidence %+v, want a few percent", f.Value)
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
			t.Fatalf("aggregates differ from a rebuild:\n%s", diff)
		}
		got := householdDigest(t, d)
		if int64(len(got)) != res.Households {
			t.Fatalf("%d assessed households with heads, want %d", len(got), res.Households)
		}
		if first == nil {
			first = got
		} else if fmt.Sprint(first) != fmt.Sprint(got) {
			t.Fatal("same seed, different households or statuses")
		}
		// Resuming registers nothing twice and changes no figure.
		cfg.Resume, cfg.Progress = true, nil
		again, err := generate.Run(ctx, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM households").Scan(&n)
		if again.Households != 0 || n != res.Households || again.People != res.People {
			t.Fatalf("resumed run registered %d, now %d households (was %d)", again.Households, n, res.Households)
		}
		after, _ := report.AllFacts(ctx, d.Read())
		if diff := report.Diff(inc, after, 10); diff != "" {
			t.Fatalf("resumed run changed the aggregates:\n%s", diff)
		}
	})
}

// TestNoHouseholdsWithoutServices: the demo's call (no services) registers none.
func TestNoHouseholdsWithoutServices(t *testing.T) {
	d := dbtest.SQLite(t)
	places(t, d)
	if _, err := generate.Run(ctx, d, generate.Config{Scale: generate.ScaleCounty, Factor: 0.002, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	var n int
	d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM households").Scan(&n)
	if n != 0 {
		t.Fatalf("%d households registered without services", n)
	}
}
