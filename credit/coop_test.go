package credit_test

import (
	"fmt"
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/farms"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
	"fishpond/registry"
)

var (
	coopManager  = fishpond.Principal{UserID: "u-coop", Name: "社长", Role: fishpond.RoleCoopManager, Counties: []string{povertyCounty}}
	otherManager = fishpond.Principal{UserID: "u-other-coop", Name: "别社社长", Role: fishpond.RoleCoopManager, Counties: []string{povertyCounty}}
)

// coopFixture is a farm cooperative of the fixture's county: members f.hh[0:5]
// (the marketplace shares) and f.hh[0:8] (shareholders), managed by coopManager.
type coopFixture struct {
	*fixture
	farms *farms.Service
	coop  farms.Coop
	other farms.Coop // a second cooperative of the same county, run by otherManager
}

func mustCoop(t *testing.T, f *fixture) *coopFixture {
	t.Helper()
	cf := &coopFixture{fixture: f, farms: farms.New(f.d, f.m, clock{f.now}, farms.Config{FileDir: t.TempDir()})}
	// Eight more households of the county (the fixture registers three).
	county, err := f.reg.County(ctx, povertyCounty)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.reg.CreateVillage(ctx, admin, povertyCounty, "龙泉关镇", "骆驼湾村")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range registry.Synthesize(13, county, []string{v.ID}, 8) {
		in.Number = "LT" + in.Number
		h, err := f.reg.CreateHousehold(ctx, admin, in)
		if err != nil {
			t.Fatalf("%v %v", err, err.(*fishpond.Error).Fields)
		}
		f.hh = append(f.hh, h.ID)
	}
	reg := func(name string, mgr fishpond.Principal, hh []string) farms.Coop {
		var shares []market.Share
		var members []farms.MemberInput
		for i, h := range hh {
			bp := fishpond.Bp(10000 / len(hh))
			if i == 0 {
				bp += fishpond.Bp(10000 % len(hh))
			}
			shares = append(shares, market.Share{HouseholdID: h, Bp: bp})
			members = append(members, farms.MemberInput{HouseholdID: h, Shares: 100})
		}
		members = append(members, farms.MemberInput{Label: "村集体 village collective", Shares: 200})
		mc, err := f.m.CreateCoop(ctx, admin, market.CoopInput{Name: name, CountyCode: povertyCounty, ManagerUserID: mgr.UserID, Members: shares})
		if err != nil {
			t.Fatal(err)
		}
		c, err := cf.farms.RegisterCoop(ctx, officer(povertyCounty), farms.CoopInput{CoopID: mc.ID, LegalRep: "王社长", Members: members})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cf.coop = reg("骆驼湾小米合作社", coopManager, f.hh[0:5])
	cf.other = reg("顾家台香菇合作社", otherManager, f.hh[8:10])
	return cf
}

func (cf *coopFixture) cash(t *testing.T) fishpond.Money {
	t.Helper()
	c, err := cf.farms.Cash(ctx, coopManager, cf.coop.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// buyAndSell runs one round of the cooperative's trade: it buys kg of millet from
// each agreement's household (paid from its cash as their operating income) and
// sells it on to a processor at 7 yuan per kg (its own sales, into its cash).
func (cf *coopFixture) buyAndSell(t *testing.T, agreements []farms.Agreement, key string, kg int64) farms.Sale {
	t.Helper()
	for i, a := range agreements {
		if _, err := cf.farms.RecordDelivery(ctx, coopManager, a.ID, farms.DeliveryInput{Weight: farms.Kg(kg), Grade: farms.GradeA,
			MarketPrice: 450, IdempotencyKey: fmt.Sprintf("%s-slip-%d", key, i)}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := cf.farms.RecordSale(ctx, coopManager, cf.coop.ID, farms.SaleInput{Buyer: "阜平县小米加工厂", Crop: "谷子",
		Weight: farms.Kg(kg * int64(len(agreements))), UnitPrice: 700, IdempotencyKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The "done when" for a cooperative: a farm cooperative with a year of
// trade under its purchase agreements borrows seeds in kind (paid to the supplier,
// booked as its inputs), buys its members' harvest and sells it on, and 30 % of each
// of its sales inflows repays the loan in the ledger until it is settled; the
// ledger verifies clean, the manager sees the loan and no one else's, and the
// portfolio and metrics count the cooperative as one borrower.
func TestCoopSeedLoanRepaidFromItsSales(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		// credit names the farms capability's kinds without importing it.
		if k := credit.DefaultConfig.CoopSalesKinds; len(k) != 1 || k[0] != farms.KindSale {
			t.Fatalf("cooperative sales kinds %v, farms books its sales as %s", k, farms.KindSale)
		}
		f := mustFixture(t, d, time.Date(2019, 5, 10, 10, 0, 0, 0, fishpond.ChinaTime))
		cf := mustCoop(t, f)
		if _, err := cf.farms.Deposit(ctx, coopManager, cf.coop.ID, fishpond.Yuan(50000), "股金 capital", "capital-2019"); err != nil {
			t.Fatal(err)
		}
		// Floor-price agreements with three member households, May 2019 to December
		// 2020, and a land-transfer contract paying rent quarterly.
		var ags []farms.Agreement
		for i, hh := range f.hh[0:3] {
			a, err := cf.farms.SignAgreement(ctx, coopManager, cf.coop.ID, farms.AgreementInput{HouseholdID: hh, Crop: "谷子", Pricing: farms.PricingFloor,
				Price: 500, StartsOn: "2019-05-01", EndsOn: "2020-12-31", IdempotencyKey: fmt.Sprintf("ag-%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ags = append(ags, a)
		}
		if _, err := cf.farms.SignContract(ctx, coopManager, cf.coop.ID, farms.ContractInput{HouseholdID: f.hh[3], Area: farms.Mu(10), Rate: fishpond.Yuan(650),
			Years: 3, PaymentsPerYear: 4, StartsOn: "2019-06-01", IdempotencyKey: "ltc-1"}); err != nil {
			t.Fatal(err)
		}
		// Eight months of trade, May to December 2019.
		for m := 0; m < 8; m++ {
			cf.buyAndSell(t, ags, fmt.Sprintf("hist-%d", m), 100)
			f.advance(31 * 24 * time.Hour)
			if _, err := cf.farms.RunDueRent(ctx); err != nil {
				t.Fatal(err)
			}
		}
		*f.now = time.Date(2020, 3, 5, 9, 0, 0, 0, fishpond.ChinaTime)
		if _, err := cf.farms.RunDueRent(ctx); err != nil {
			t.Fatal(err)
		}
		p := seedProduct()
		p.Name, p.MaxAmount, p.Disbursement = "合作社春耕农资贷 cooperative seed loan", fishpond.Yuan(20000), credit.DisburseSupplier
		pr := mustProduct(t, f, p)
		cashBefore := cf.cash(t)

		// Bad input changes nothing: each is refused before anything is written.
		count := func() (n int) {
			if err := d.Read().QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM credit_applications) + (SELECT COUNT(*) FROM credit_loans) + (SELECT COUNT(*) FROM events WHERE type LIKE 'credit.%')").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		req := credit.ApplicationRequest{IdempotencyKey: "coop-spring", CoopID: cf.coop.ID, ProductID: pr.ID, Amount: fishpond.Yuan(8000),
			Note: "谷种和复合肥", Supplier: "阜平县农资公司"}
		bad := func(p fishpond.Principal, r credit.ApplicationRequest, code fishpond.ErrorCode, field string) {
			t.Helper()
			before := count()
			_, err := f.c.Apply(ctx, p, r)
			wantCode(t, err, code, field)
			if count() != before {
				t.Fatal("a refused application changed something")
			}
		}
		bad(householdP(f.hh[0]), req, fishpond.ENotFound, "") // a member household is not the manager
		bad(otherManager, req, fishpond.EForbidden, "")       // another cooperative's manager
		over := req
		over.Amount = fishpond.Yuan(20001)
		bad(coopManager, over, fishpond.EInvalid, "amount")
		both := req
		both.HouseholdID = f.hh[0]
		bad(coopManager, both, fishpond.EInvalid, "coop_id")

		app, err := f.c.Apply(ctx, coopManager, req)
		if err != nil {
			t.Fatal(err)
		}
		if app.Status != credit.AppApproved || app.BorrowerKind != credit.BorrowerCoop || app.CoopID != cf.coop.ID || app.HouseholdID != "" {
			t.Fatalf("application %+v", app)
		}
		in := app.Inputs
		if in.BorrowerKind != credit.BorrowerCoop || in.SalesMonths != 8 || in.Sales12Fen != int64(fishpond.Yuan(8*3*100*7)) || in.AgreementsActive != 3 ||
			in.Deliveries12Fen != int64(fishpond.Yuan(8*3*100*5)) || in.ContractsActive != 1 || in.Rent12Fen != int64(fishpond.Yuan(650*10*3/4)) || in.MemberHouseholds != 5 || in.HouseholdStatus != "" {
			t.Fatalf("inputs %+v", in)
		}
		factors := map[string]int{}
		sum := 0
		for _, r := range app.Decision.Reasons {
			factors[r.Factor] = r.Points
			sum += r.Points
			if r.Zh == "" || r.En == "" {
				t.Fatalf("reason without words: %+v", r)
			}
		}
		if sum != app.Decision.Score || factors["purchase_agreements"] != 10 || factors["agreement_deliveries"] != 10 || factors["land_contracts"] != 3 ||
			factors["land_rent"] != 5 || factors["member_households"] != 0 {
			t.Fatalf("score %d reasons %+v", app.Decision.Score, app.Decision.Reasons)
		}
		if _, ok := factors["household_status"]; ok {
			t.Fatal("a cooperative scored on a household status")
		}
		// The same request again returns the same application; a second one while
		// the loan is open is a conflict.
		again, err := f.c.Apply(ctx, coopManager, req)
		if err != nil || again.ID != app.ID {
			t.Fatalf("replay %+v %v", again, err)
		}
		dup := req
		dup.IdempotencyKey, dup.Amount = "coop-spring-2", fishpond.Yuan(1000)
		bad(coopManager, dup, fishpond.EConflict, "")

		// In kind: the supplier was paid, the cooperative's cash is untouched and
		// the seeds are its inputs expense.
		if got := cf.cash(t); got != cashBefore {
			t.Fatalf("cash %s → %s on an in-kind loan", cashBefore, got)
		}
		inputs, err := f.l.Account(ctx, farms.CoopOwner(cf.coop.ID), farms.CatInputs)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.balance(t, inputs.ID); got != fishpond.Yuan(8000) {
			t.Fatalf("inputs expense %s", got)
		}
		loan, err := f.c.Loan(ctx, coopManager, app.LoanID)
		if err != nil {
			t.Fatal(err)
		}
		total := fishpond.Yuan(8240) // 6 % a year for 6 months, flat
		if loan.CoopID != cf.coop.ID || loan.Owed != total || len(loan.Schedule) != 1 || loan.Schedule[0].DueOn != "2020-09-30" {
			t.Fatalf("loan %+v", loan)
		}

		// Scope: the manager sees its cooperative's loans only; another manager, a
		// member household and an officer of another county do not.
		if ls, err := f.c.CoopLoans(ctx, coopManager, cf.coop.ID); err != nil || len(ls) != 1 {
			t.Fatalf("manager's loans %v %v", ls, err)
		}
		for _, p := range []fishpond.Principal{otherManager, householdP(f.hh[0]), officer("110101")} {
			if _, err := f.c.Loan(ctx, p, loan.ID); fishpond.Code(err) != fishpond.ENotFound {
				t.Fatalf("%s sees the cooperative's loan: %v", p.UserID, err)
			}
			if _, err := f.c.CoopLoans(ctx, p, cf.coop.ID); fishpond.Code(err) != fishpond.ENotFound {
				t.Fatalf("%s lists the cooperative's loans: %v", p.UserID, err)
			}
		}
		if _, err := f.c.Loan(ctx, officer(povertyCounty), loan.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.Applications(ctx, coopManager, f.hh[0]); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("a manager lists a household's applications: %v", err)
		}

		// Harvest 2020: the cooperative buys and sells again; 30 % of each of its
		// sales inflows goes to the loan, nothing of its purchases or deposits.
		*f.now = time.Date(2020, 9, 10, 9, 0, 0, 0, fishpond.ChinaTime)
		if _, err := cf.farms.Deposit(ctx, coopManager, cf.coop.ID, fishpond.Yuan(1000), "补助 grant", "grant-2020"); err != nil {
			t.Fatal(err)
		}
		if l, _ := f.c.Loan(ctx, coopManager, loan.ID); l.Repaid != 0 {
			t.Fatalf("a deposit repaid %s", l.Repaid)
		}
		// A manual repayment from the cooperative's cash, by its manager only.
		if _, err := f.c.Repay(ctx, householdP(f.hh[0]), loan.ID, fishpond.Yuan(240), "manual-1"); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("a member household repaid the cooperative's loan: %v", err)
		}
		cash0 := cf.cash(t)
		l, err := f.c.Repay(ctx, coopManager, loan.ID, fishpond.Yuan(240), "manual-1")
		if err != nil || l.Repaid != fishpond.Yuan(240) || cf.cash(t) != cash0-fishpond.Yuan(240) {
			t.Fatalf("manual repayment %+v %v", l, err)
		}
		repaid := l.Repaid
		for round := 0; ; round++ {
			if round > 10 {
				t.Fatal("the loan was never settled")
			}
			cash0 := cf.cash(t)
			s := cf.buyAndSell(t, ags, fmt.Sprintf("harvest-%d", round), 500) // 3 × 500 kg: 10,500 yuan
			bought := fishpond.Yuan(3 * 500 * 5)
			l, err := f.c.Loan(ctx, coopManager, loan.ID)
			if err != nil {
				t.Fatal(err)
			}
			took := l.Repaid - repaid
			want := min(fishpond.Bp(3000).Of(s.Amount), total-repaid)
			if took != want {
				t.Fatalf("round %d: the rule took %s of a %s sale, want %s", round, took, s.Amount, want)
			}
			if got := cf.cash(t); got != cash0-bought+s.Amount-took {
				t.Fatalf("round %d: cash %s, want %s", round, got, cash0-bought+s.Amount-took)
			}
			repaid = l.Repaid
			if l.Owed == 0 {
				break
			}
			f.advance(24 * time.Hour)
		}
		// The daily sweep marks the loan settled.
		f.sweep(t)
		if l, err := f.c.Loan(ctx, coopManager, loan.ID); err != nil || l.Status != credit.StatusSettled || l.Repaid != total || l.Owed != 0 {
			t.Fatalf("loan %+v %v", l, err)
		}
		// Settled: the next sale stays whole in the cooperative's cash.
		cash0 = cf.cash(t)
		s := cf.buyAndSell(t, ags, "after", 100)
		if got := cf.cash(t); got != cash0-fishpond.Yuan(3*100*5)+s.Amount {
			t.Fatalf("after settlement cash %s, want %s", got, cash0-fishpond.Yuan(3*100*5)+s.Amount)
		}
		f.verify(t)
		interest, err := f.l.Account(ctx, farms.CoopOwner(cf.coop.ID), "loan_interest")
		if err != nil || f.balance(t, interest.ID) != fishpond.Yuan(240) {
			t.Fatalf("interest expense %v", err)
		}

		// The portfolio and the report count the cooperative as one borrower.
		ps, err := f.c.Portfolio(ctx, officer(povertyCounty))
		if err != nil || len(ps) != 1 || ps[0].Borrowers != 1 || ps[0].CoopBorrowers != 1 || ps[0].Loans != 1 || ps[0].Lent != fishpond.Yuan(8000) || ps[0].Open != 0 {
			t.Fatalf("portfolio %+v %v", ps, err)
		}
		m, err := f.c.Metrics(ctx, fishpond.Period("2020H1"))
		if err != nil || m.Borrowers != 1 || m.PovertyBorrowers != 1 || m.CoopLoans != 1 || m.PovertyLent != fishpond.Yuan(8000) || m.Settled != 0 {
			t.Fatalf("metrics %+v %v", m, err)
		}
		var newBorrower int
		if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE type = 'credit.loan.disbursed' AND payload LIKE '%\"borrower_kind\":\"cooperative\"%' AND payload LIKE '%\"new_borrower\":1%'").Scan(&newBorrower); err != nil || newBorrower != 1 {
			t.Fatalf("disbursed events for the cooperative: %d %v", newBorrower, err)
		}
	})
}

// A cooperative's referred application waits in the officers' queue of its county
// (not the manager's, not another county's); a second one meanwhile is a conflict;
// the officer's approval pays the loan into the cooperative's cash.
func TestCoopApplicationReferredToOfficer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d, time.Date(2020, 3, 5, 9, 0, 0, 0, fishpond.ChinaTime))
		cf := mustCoop(t, f)
		cfg := credit.DefaultConfig
		cfg.Model.Approve, cfg.Model.Refer = 1000, -1000 // every application goes to an officer
		svc := credit.New(d, f.l, f.reg, clock{f.now}, cfg)
		p := seedProduct()
		p.MaxAmount = fishpond.Yuan(20000)
		pr := mustProduct(t, f, p)
		app, err := svc.Apply(ctx, otherManager, credit.ApplicationRequest{IdempotencyKey: "mushrooms", CoopID: cf.other.ID, ProductID: pr.ID, Amount: fishpond.Yuan(6000)})
		if err != nil || app.Status != credit.AppReferred || app.Inputs.MemberHouseholds != 2 {
			t.Fatalf("%+v %v", app, err)
		}
		_, err = svc.Apply(ctx, otherManager, credit.ApplicationRequest{IdempotencyKey: "mushrooms-2", CoopID: cf.other.ID, ProductID: pr.ID, Amount: fishpond.Yuan(1000)})
		wantCode(t, err, fishpond.EConflict, "")
		q, err := svc.Queue(ctx, officer(povertyCounty), 10)
		if err != nil || len(q) != 1 || q[0].CoopID != cf.other.ID || q[0].BorrowerKind != credit.BorrowerCoop {
			t.Fatalf("queue %+v %v", q, err)
		}
		if _, err := svc.Queue(ctx, otherManager, 10); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("a manager read the queue: %v", err)
		}
		if _, err := svc.Review(ctx, officer("110101"), app.ID, true, ""); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("another county's officer reviewed: %v", err)
		}
		if _, err := svc.Review(ctx, otherManager, app.ID, true, ""); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("the manager reviewed its own application: %v", err)
		}
		cash0, err := cf.farms.Cash(ctx, otherManager, cf.other.ID)
		if err != nil {
			t.Fatal(err)
		}
		app, err = svc.Review(ctx, officer(povertyCounty), app.ID, true, "香菇订单在册 orders on file")
		if err != nil || app.Status != credit.AppApproved || app.LoanID == "" {
			t.Fatalf("%+v %v", app, err)
		}
		if cash, _ := cf.farms.Cash(ctx, otherManager, cf.other.ID); cash != cash0+fishpond.Yuan(6000) {
			t.Fatalf("cash %s, want %s", cash, cash0+fishpond.Yuan(6000))
		}
		if as, err := svc.CoopApplications(ctx, otherManager, cf.other.ID); err != nil || len(as) != 1 || as[0].ReviewNote == "" {
			t.Fatalf("applications %+v %v", as, err)
		}
		if _, err := svc.CoopApplications(ctx, coopManager, cf.other.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("another manager listed the applications: %v", err)
		}
		f.verify(t)
	})
}
