package credit_test

import (
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// Over-limit, unknown-product and duplicate applications are clear errors that
// record nothing; a referred application waits for an officer of its county, who
// approves it (disbursing the loan) or declines it with a reason.
func TestApplicationsReferralAndBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d, time.Date(2020, 3, 10, 9, 0, 0, 0, fishpond.ChinaTime))
		cfg := credit.DefaultConfig
		cfg.Model.Name, cfg.Model.Approve, cfg.Model.Refer = "test-refer", 1000, -1000 // everything is referred
		f.c = credit.New(d, f.l, f.reg, clock{f.now}, cfg)
		pr := mustProduct(t, f, seedProduct())
		hh := f.hh[0]
		me := householdP(hh)
		req := func(key string, amount fishpond.Money) credit.ApplicationRequest {
			return credit.ApplicationRequest{IdempotencyKey: key, HouseholdID: hh, ProductID: pr.ID, Amount: amount}
		}
		_, err := f.c.Apply(ctx, me, req("a0", fishpond.Yuan(5001)))
		wantCode(t, err, fishpond.EInvalid, "amount")
		_, err = f.c.Apply(ctx, me, credit.ApplicationRequest{IdempotencyKey: "a0", HouseholdID: hh, ProductID: "nope", Amount: fishpond.Yuan(600)})
		wantCode(t, err, fishpond.EInvalid, "product_id")
		_, err = f.c.Apply(ctx, householdP(f.hh[1]), req("a0", fishpond.Yuan(600)))
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = f.c.Apply(ctx, me, req("", fishpond.Yuan(600)))
		wantCode(t, err, fishpond.EInvalid, "idempotency_key")
		if apps, err := f.c.Applications(ctx, me, hh); err != nil || len(apps) != 0 {
			t.Fatalf("refused applications were recorded: %+v %v", apps, err)
		}
		app, err := f.c.Apply(ctx, me, req("a1", fishpond.Yuan(600)))
		if err != nil || app.Status != credit.AppReferred || app.LoanID != "" {
			t.Fatalf("%+v %v", app, err)
		}
		_, err = f.c.Apply(ctx, me, req("a2", fishpond.Yuan(700)))
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.c.Apply(ctx, me, req("a1", fishpond.Yuan(700)))
		wantCode(t, err, fishpond.EConflict, "")

		q, err := f.c.Queue(ctx, officer(povertyCounty), 10)
		if err != nil || len(q) != 1 || q[0].ID != app.ID {
			t.Fatalf("queue %+v %v", q, err)
		}
		if q, _ := f.c.Queue(ctx, officer("110101"), 10); len(q) != 0 {
			t.Fatalf("another county's officer sees %+v", q)
		}
		_, err = f.c.Queue(ctx, me, 10)
		wantCode(t, err, fishpond.EForbidden, "")
		_, err = f.c.Review(ctx, officer("110101"), app.ID, true, "")
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = f.c.Review(ctx, officer(povertyCounty), app.ID, false, "")
		wantCode(t, err, fishpond.EInvalid, "note")
		app, err = f.c.Review(ctx, officer(povertyCounty), app.ID, true, "核实有订单 orders checked")
		if err != nil || app.Status != credit.AppApproved || app.LoanID == "" {
			t.Fatalf("%+v %v", app, err)
		}
		_, err = f.c.Review(ctx, officer(povertyCounty), app.ID, false, "again")
		wantCode(t, err, fishpond.EConflict, "")
		// One open loan at a time.
		_, err = f.c.Apply(ctx, me, req("a3", fishpond.Yuan(600)))
		wantCode(t, err, fishpond.EConflict, "")
		// Another household is declined by an officer with a reason it can read.
		other := householdP(f.hh[2])
		a2, err := f.c.Apply(ctx, other, credit.ApplicationRequest{IdempotencyKey: "b1", HouseholdID: f.hh[2], ProductID: pr.ID, Amount: fishpond.Yuan(600)})
		if err != nil {
			t.Fatal(err)
		}
		if a2, err = f.c.Review(ctx, officer(povertyCounty), a2.ID, false, "无销售记录 no sales yet"); err != nil || a2.Status != credit.AppDeclined {
			t.Fatalf("%+v %v", a2, err)
		}
		if got, err := f.c.Application(ctx, other, a2.ID); err != nil || got.ReviewNote != "无销售记录 no sales yet" {
			t.Fatalf("%+v %v", got, err)
		}
		_, err = f.c.Application(ctx, me, a2.ID)
		wantCode(t, err, fishpond.ENotFound, "")
		f.verify(t)
	})
}

func TestDecideExplainsEveryPoint(t *testing.T) {
	m := credit.DefaultModel
	for _, tc := range []struct {
		name string
		in   credit.Inputs
		want string
	}{
		{"steady seller", credit.Inputs{HouseholdStatus: "poor", SalesMonths: 10, Sales12Fen: 600000, Orders12: 20, AmountFen: 200000}, credit.Approve},
		{"new seller", credit.Inputs{HouseholdStatus: "poor", SalesMonths: 4, Sales12Fen: 100000, Orders12: 6, AmountFen: 50000}, credit.Refer},
		{"no history", credit.Inputs{HouseholdStatus: "exited", AmountFen: 50000}, credit.Decline},
		{"overdue now", credit.Inputs{HouseholdStatus: "poor", SalesMonths: 12, Sales12Fen: 9000000, Orders12: 100, Overdue: true, AmountFen: 100}, credit.Decline},
		{"many refunds", credit.Inputs{HouseholdStatus: "poor", SalesMonths: 10, Sales12Fen: 600000, Orders12: 20, RefundRateBp: 2000, AmountFen: 200000}, credit.Refer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := m.Decide(tc.in)
			if d.Outcome != tc.want {
				t.Fatalf("outcome %s (score %d), want %s: %+v", d.Outcome, d.Score, tc.want, d.Reasons)
			}
			sum := 0
			for _, r := range d.Reasons {
				sum += r.Points
				if r.Zh == "" || r.En == "" {
					t.Fatalf("reason without words: %+v", r)
				}
			}
			if sum != d.Score {
				t.Fatalf("reasons add up to %d, score %d", sum, d.Score)
			}
		})
	}
}

func TestBuildSchedule(t *testing.T) {
	start := time.Date(2020, 1, 31, 10, 0, 0, 0, fishpond.ChinaTime)
	p := credit.Product{TermMonths: 3, Instalments: 3, RateBp: 1200, Interest: credit.InterestDeclining}
	s := credit.BuildSchedule(p, 100000, start)
	// Month ends clamp (29 February); declining interest on 1000, 666.67, 333.34 yuan.
	want := []credit.Instalment{{No: 1, DueOn: "2020-02-29", Principal: 33333, Interest: 1000}, {No: 2, DueOn: "2020-03-31", Principal: 33333, Interest: 666},
		{No: 3, DueOn: "2020-04-30", Principal: 33334, Interest: 333}}
	for i := range want {
		if s[i] != want[i] {
			t.Fatalf("instalment %d = %+v, want %+v", i+1, s[i], want[i])
		}
	}
	// Harvest in June from a November start: first due the end of next June.
	p = credit.Product{TermMonths: 2, Instalments: 2, RateBp: 600, Interest: credit.InterestFlat, HarvestMonth: 6}
	s = credit.BuildSchedule(p, 100000, time.Date(2019, 11, 20, 0, 0, 0, 0, fishpond.ChinaTime))
	if s[0].DueOn != "2020-06-30" || s[1].DueOn != "2020-07-31" || s[0].Interest != 100000*600*7/120000 || s[1].Interest != 500 {
		t.Fatalf("harvest schedule %+v", s)
	}
}
