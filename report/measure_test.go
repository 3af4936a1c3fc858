package report_test

import (
	"testing"
	"time"

	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/report"
)

// TestPluggedCapabilities appends the events the capabilities emit (with their
// real payload fields) in a poverty county, another poverty county of another
// province and a county that is not one, and checks each wired metric, that the
// metrics left unwired stay not measured, and that the consumer's aggregates
// equal a rebuild from the log.
func TestPluggedCapabilities(t *testing.T) {
	const other, rich = "622926", "110101" // 东乡族自治县 (Gansu, poverty), 东城区 (Beijing)
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		c := report.NewConsumer(w.log)
		c.Batch = 4

		rg, _ := report.ParseRange("2018H1")
		rep, err := report.Build(ctx, d.Read(), rg, *w.now, false)
		if err != nil {
			t.Fatal(err)
		}
		if f := rep.Figure("live_sessions"); f.Status != report.Measured || f.V != 0 {
			t.Fatalf("live_sessions before any session = %+v, want measured 0", f.Value)
		}

		app := func(at time.Time, evs ...events.Event) {
			t.Helper()
			if err := d.InTx(ctx, func(tx *db.Tx) error { return events.AppendMany(ctx, tx, at, evs) }); err != nil {
				t.Fatal(err)
			}
		}
		ev := func(typ, county string, payload map[string]any) events.Event {
			return events.Event{Type: typ, Subject: "x", CountyCode: county, Payload: payload}
		}
		// An anchor certified before the period counts in the stock at its end.
		app(time.Date(2017, 12, 5, 4, 0, 0, 0, time.UTC),
			ev("live.anchor.certified", povertyCounty, map[string]any{"kind": "household_member", "household": true}))
		app(time.Date(2018, 2, 10, 4, 0, 0, 0, time.UTC),
			ev("live.anchor.certified", povertyCounty, map[string]any{"kind": "household_member", "household": true}),
			ev("live.anchor.certified", rich, map[string]any{"kind": "official", "household": false}),
			ev("live.anchor.applied", povertyCounty, nil),
			ev("live.session.started", povertyCounty, map[string]any{"anchor_id": "a1"}),
			ev("live.session.started", other, map[string]any{"anchor_id": "a2"}),
			ev("live.session.started", rich, map[string]any{"anchor_id": "a3"}),
			ev("live.session.ended", povertyCounty, map[string]any{"anchor_id": "a1", "poverty_county": true, "minutes": 30, "orders": 3, "gmv_fen": 1500}),
			ev("live.session.ended", other, map[string]any{"anchor_id": "a2", "poverty_county": true, "minutes": 45, "orders": 5, "gmv_fen": 2500}),
			ev("credit.loan.disbursed", povertyCounty, map[string]any{"loan_id": "l1", "fen": 100000, "borrower_kind": "household", "poverty_county": true, "new_borrower": 1}),
			ev("credit.loan.disbursed", povertyCounty, map[string]any{"loan_id": "l3", "fen": 20000, "borrower_kind": "household", "poverty_county": true, "new_borrower": 0}),
			ev("credit.loan.disbursed", rich, map[string]any{"loan_id": "l2", "fen": 50000, "borrower_kind": "household", "poverty_county": false}),
			ev("insurance.household.enrolled", povertyCounty, map[string]any{"plan_id": "p1", "persons": 3, "premium_fen": 36000, "fund": "f"}),
			ev("logistics.parcel.sent", povertyCounty, map[string]any{"parcel_id": "p1", "poverty_county": true, "weight_g": 500}),
			ev("logistics.parcel.sent", povertyCounty, map[string]any{"parcel_id": "p2", "poverty_county": true, "weight_g": 800}),
			ev("logistics.parcel.sent", rich, map[string]any{"parcel_id": "p3", "poverty_county": false, "weight_g": 100}),
			ev("logistics.station.opened", povertyCounty, map[string]any{"site_id": "s1", "kind": "station", "capacity": 50}),
			ev("logistics.station.opened", rich, map[string]any{"site_id": "s2", "kind": "station", "capacity": 50}),
			ev("logistics.warehouse.opened", povertyCounty, map[string]any{"site_id": "s3", "kind": "warehouse", "capacity": 500}),
			ev("green.tree.planted", povertyCounty, map[string]any{"project_id": "g1", "count": 30}),
			ev("green.tree.planted", other, map[string]any{"project_id": "g2", "count": 12}),
			ev("green.job.paid", povertyCounty, map[string]any{"project_id": "g1", "kind": "planting", "fen": 9000}),
			ev("green.job.assigned", povertyCounty, map[string]any{"job_id": "j1", "project_id": "g1", "kind": "planting"}),
			ev("green.job.assigned", other, map[string]any{"job_id": "j2", "project_id": "g2", "kind": "guarding"}),
			ev("fund.specialist.posted", povertyCounty, map[string]any{"specialist_id": "s1"}),
			ev("fund.specialist.posted", povertyCounty, map[string]any{"specialist_id": "s2"}),
			ev("fund.staff.engaged", povertyCounty, map[string]any{"first_row": "s1"}),
			ev("fund.staff.engaged", other, map[string]any{"first_row": "v9"}),
			ev("fund.enrolment.made", povertyCounty, map[string]any{"woman": true, "student": false, "teacher": false}),
			ev("fund.enrolment.made", other, map[string]any{"woman": true, "student": true, "teacher": false}),
			ev("fund.enrolment.made", other, map[string]any{"woman": false, "student": false, "teacher": true}),
			ev("fund.volunteer.logged", povertyCounty, map[string]any{"minutes": 90, "hours": 1.5}),
			ev("fund.volunteer.logged", other, map[string]any{"minutes": 45, "hours": 0.75}),
		)
		drain(t, c)
		facts := mustEqualRebuild(t, d)
		st, err := report.Rebuild(ctx, d, *w.now)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := report.AllFacts(ctx, d.Read())
		if diff := report.Diff(facts, after, 20); diff != "" {
			t.Fatalf("Rebuild changed the aggregates:\n%s", diff)
		}
		if st.Through == 0 {
			t.Fatal("rebuild moved the checkpoint nowhere")
		}

		rep, err = report.Build(ctx, d.Read(), rg, *w.now, false)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{
			"live_sessions":                 2,
			"live_gmv_fen":                  4000,
			"live_counties":                 3,
			"live_provinces":                3,
			"farmer_anchors":                3,
			"loan_amount_fen":               120000,
			"loan_borrowers":                1,
			"insured_households":            1,
			"parcels_from_poverty_counties": 2,
			"stations_in_poverty_counties":  1,
			"trees_planted":                 42,
			"green_job_pay_fen":             9000,
			"women_covered":                 2,
			"students_supported":            1,
			"teachers_supported":            1,
			"volunteer_hours":               2, // 135 minutes, rounded to the hour
			"green_jobs":                    2,
			"counties_visited":              1,
			"staff_engaged":                 2,
		}
		for id, v := range want {
			if f := rep.Figure(id); f.Status != report.Measured || f.V != v {
				t.Errorf("%s = %+v, want %d", id, f.Value, v)
			}
		}
		// The stock of anchors and stations carries into the next half-year.
		rg2, _ := report.ParseRange("2018H2")
		rep2, err := report.Build(ctx, d.Read(), rg2, *w.now, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep2.Figure("farmer_anchors").V != 3 || rep2.Figure("stations_in_poverty_counties").V != 1 || rep2.Figure("live_sessions").V != 0 {
			t.Errorf("2018H2: anchors %d, stations %d, sessions %d; want 3, 1, 0", rep2.Figure("farmer_anchors").V,
				rep2.Figure("stations_in_poverty_counties").V, rep2.Figure("live_sessions").V)
		}
	})
}
