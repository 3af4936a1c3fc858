package credit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
	"fishpond/market"
)

// producerPart is what a settled order paid the producing household.
func producerPart(t *testing.T, f *fixture, orderID string) fishpond.Money {
	t.Helper()
	parts, err := f.m.SettlementParts(ctx, admin, orderID)
	if err != nil {
		t.Fatal(err)
	}
	var sum fishpond.Money
	for _, p := range parts {
		if p.Kind == market.PartProducer {
			sum += p.Amount
		}
	}
	return sum
}

// The "done when": a household with a sales history borrows for seeds in
// spring, is approved in the same call, sells its harvest through the marketplace,
// and 30 % of each sale repays the loan in the ledger until it is settled; the
// marketplace knows nothing of the loan and the ledger verifies clean.
func TestSeedLoanRepaidFromHarvestSales(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d, time.Date(2019, 5, 10, 10, 0, 0, 0, fishpond.ChinaTime))
		hh := f.hh[0]
		me := householdP(hh)
		s := mustSeller(t, f, hh, fishpond.Yuan(60))
		// Ten months of sales history, May 2019 to February 2020.
		for m := 0; m < 10; m++ {
			f.sell(t, s, fmt.Sprintf("hist-%d", m), 10)
			f.advance(31 * 24 * time.Hour)
		}
		*f.now = time.Date(2020, 3, 5, 9, 0, 0, 0, fishpond.ChinaTime)
		pr := mustProduct(t, f, seedProduct())
		acc, err := f.l.EnsureHouseholdAccounts(ctx, hh)
		if err != nil {
			t.Fatal(err)
		}
		walletBefore := f.balance(t, acc.Wallet.ID)

		app, err := f.c.Apply(ctx, me, credit.ApplicationRequest{IdempotencyKey: "spring", HouseholdID: hh, ProductID: pr.ID, Amount: fishpond.Yuan(2000), Note: "买谷种和化肥"})
		if err != nil {
			t.Fatal(err)
		}
		if app.Status != credit.AppApproved || app.LoanID == "" {
			t.Fatalf("application %+v, want approved with a loan", app.Decision)
		}
		if app.Inputs.SalesMonths != 10 || app.Inputs.Orders12 != 10 || app.Inputs.HouseholdStatus == "" || len(app.Decision.Reasons) < 4 {
			t.Fatalf("inputs %+v reasons %+v", app.Inputs, app.Decision.Reasons)
		}
		// The same request again returns the same application, no second loan.
		again, err := f.c.Apply(ctx, me, credit.ApplicationRequest{IdempotencyKey: "spring", HouseholdID: hh, ProductID: pr.ID, Amount: fishpond.Yuan(2000)})
		if err != nil || again.ID != app.ID || again.LoanID != app.LoanID {
			t.Fatalf("replay: %+v %v", again, err)
		}
		loan, err := f.c.Loan(ctx, me, app.LoanID)
		if err != nil {
			t.Fatal(err)
		}
		// Harvest month September: one instalment on 30 September, 6 months at 6 %.
		if len(loan.Schedule) != 1 || loan.Schedule[0].DueOn != "2020-09-30" || loan.Schedule[0].Interest != fishpond.Yuan(60) {
			t.Fatalf("schedule %+v", loan.Schedule)
		}
		total := fishpond.Yuan(2060)
		if loan.Owed != total || loan.Outstanding() != total {
			t.Fatalf("owed %s outstanding %s, want %s", loan.Owed, loan.Outstanding(), total)
		}
		if got := f.balance(t, acc.Wallet.ID) - walletBefore; got != fishpond.Yuan(2000) {
			t.Fatalf("wallet got %s from the disbursement", got)
		}

		// Harvest: September sales. Each takes 30 % of the producer's proceeds until
		// the loan is covered; the marketplace is called exactly as for anyone.
		*f.now = time.Date(2020, 9, 12, 9, 0, 0, 0, fishpond.ChinaTime)
		var deducted, proceeds fishpond.Money
		for i := 0; i < 6; i++ {
			before := loan.Owed
			o := f.sell(t, s, fmt.Sprintf("harvest-%d", i), 40)
			part := producerPart(t, f, o.ID)
			proceeds += part
			loan, err = f.c.Loan(ctx, me, app.LoanID)
			if err != nil {
				t.Fatal(err)
			}
			want := min(fishpond.Bp(3000).Of(part), before)
			if got := before - loan.Owed; got != want {
				t.Fatalf("sale %d of %s: loan took %s, want %s", i, part, got, want)
			}
			deducted += want
		}
		if deducted != total || loan.Owed != 0 {
			t.Fatalf("deducted %s, owed %s; want %s repaid", deducted, loan.Owed, total)
		}
		rule, err := f.l.Rule(ctx, loan.RuleID)
		if err != nil || rule.Status != ledger.RuleDone || rule.Moved != total {
			t.Fatalf("rule %+v %v", rule, err)
		}
		if got := f.balance(t, acc.Wallet.ID) - walletBefore; got != fishpond.Yuan(2000)+proceeds-total {
			t.Fatalf("wallet moved %s, want disbursement + proceeds − repayment", got)
		}
		// The daily sweep marks the loan settled and records the event.
		f.sweep(t)
		loan, err = f.c.Loan(ctx, me, app.LoanID)
		if err != nil || loan.Status != credit.StatusSettled || loan.Repaid != total || loan.Schedule[0].State != "paid" {
			t.Fatalf("loan %+v %v", loan, err)
		}
		if got := f.balance(t, loan.AccountID); got != 0 {
			t.Fatalf("settled loan account holds %s", got)
		}
		// Interest is the household's production cost: it lowers net operating income.
		if got := f.balance(t, acc.Cost.ID); got != fishpond.Yuan(60) {
			t.Fatalf("production cost %s, want the 60 yuan interest", got)
		}
		st, err := f.c.Statement(ctx, me, loan.ID)
		if err != nil {
			t.Fatal(err)
		}
		byRule := 0
		for _, ln := range st.Lines {
			if ln.ByRule {
				byRule++
			}
		}
		if byRule == 0 || st.Lines[len(st.Lines)-1].Owed != 0 {
			t.Fatalf("statement %+v", st.Lines)
		}
		f.verify(t)
		evs, err := events.New(d, nil).Read(ctx, 0, []string{"credit.loan.disbursed", "credit.loan.repaid"}, 10)
		if err != nil || len(evs) != 2 || evs[0].CountyCode != povertyCounty || !strings.Contains(string(evs[0].Payload), `"new_borrower":1`) {
			t.Fatalf("events %+v %v", evs, err)
		}
		// The report's figures: lent in a poverty county in 2020H1, repaid on time in 2020H2.
		h1, err := f.c.Metrics(ctx, "2020H1")
		if err != nil || h1.Loans != 1 || h1.PovertyLoans != 1 || h1.PovertyBorrowers != 1 || h1.PovertyLent != fishpond.Yuan(2000) || h1.AutoDecided != 1 || h1.Settled != 0 {
			t.Fatalf("2020H1 metrics %+v %v", h1, err)
		}
		h2, err := f.c.Metrics(ctx, "2020H2")
		if err != nil || h2.Loans != 0 || h2.Settled != 1 || h2.SettledOnTime != 1 || h2.Repaid != total || h2.RepaymentRateBp() != 10000 {
			t.Fatalf("2020H2 metrics %+v %v", h2, err)
		}
		// A later sale is the household's alone.
		o := f.sell(t, s, "after", 10)
		if got := f.balance(t, loan.AccountID); got != 0 || producerPart(t, f, o.ID) == 0 {
			t.Fatalf("a sale after settlement moved %s to the loan", got)
		}
		// Repaid on time: the next application scores the repayment.
		next, err := f.c.Apply(ctx, me, credit.ApplicationRequest{IdempotencyKey: "autumn", HouseholdID: hh, ProductID: pr.ID, Amount: fishpond.Yuan(1000)})
		if err != nil || next.Inputs.LoansRepaid != 1 {
			t.Fatalf("next application %+v %v", next.Inputs, err)
		}
		f.verify(t)
	})
}
