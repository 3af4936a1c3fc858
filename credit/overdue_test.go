package credit_test

import (
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

// A monthly schedule loan the household cannot pay: the fake clock walks it past
// its due date into overdue with penalty interest, an officer restructures it, and
// the wallet is collected on the new dates until it is settled.
func TestOverduePenaltyRestructureSettle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d, time.Date(2020, 3, 10, 9, 0, 0, 0, fishpond.ChinaTime))
		// A permissive model: the thresholds are configuration.
		cfg := credit.DefaultConfig
		cfg.Model.Name, cfg.Model.Approve, cfg.Model.Refer = "test-open", -100, -200
		f.c = credit.New(d, f.l, f.reg, clock{f.now}, cfg)
		hh := f.hh[1]
		me := householdP(hh)
		pr := mustProduct(t, f, credit.Product{Name: "耕牛贷 livestock", Purpose: credit.PurposeLivestock, MinAmount: fishpond.Yuan(100), MaxAmount: fishpond.Yuan(3000),
			TermMonths: 2, Instalments: 2, RateBp: 1200, Interest: credit.InterestFlat, Repayment: credit.RepaySchedule, PenaltyBp: 1825, Disbursement: credit.DisburseWallet})
		app, err := f.c.Apply(ctx, me, credit.ApplicationRequest{IdempotencyKey: "cow", HouseholdID: hh, ProductID: pr.ID, Amount: fishpond.Yuan(1000)})
		if err != nil || app.Status != credit.AppApproved {
			t.Fatalf("%+v %v", app, err)
		}
		loan, _ := f.c.Loan(ctx, me, app.LoanID)
		if loan.Schedule[0].DueOn != "2020-04-10" || loan.Schedule[1].DueOn != "2020-05-10" || loan.Schedule[0].Amount() != fishpond.Yuan(510) {
			t.Fatalf("schedule %+v", loan.Schedule)
		}
		acc, _ := f.l.EnsureHouseholdAccounts(ctx, hh)
		// The household spends the money on the cow.
		if _, err := f.l.Post(ctx, ledger.TransferRequest{IdempotencyKey: "cow-bought", Kind: "purchase", Postings: []ledger.Posting{{AccountID: acc.Cost.ID, Amount: fishpond.Yuan(1000)}, {AccountID: acc.Wallet.ID, Amount: -fishpond.Yuan(1000)}}}); err != nil {
			t.Fatal(err)
		}
		// The day after the due date: nothing to collect, one day late.
		*f.now = time.Date(2020, 4, 11, 9, 0, 0, 0, fishpond.ChinaTime)
		f.sweep(t)
		loan, _ = f.c.Loan(ctx, me, app.LoanID)
		if loan.Status != credit.StatusOverdue || loan.DaysLate != 1 || loan.OverdueAmount != fishpond.Yuan(510) || loan.Penalties != 25 {
			t.Fatalf("after 1 day: status %s late %d overdue %s penalties %s", loan.Status, loan.DaysLate, loan.OverdueAmount, loan.Penalties)
		}
		// Ten more days: 0.05 % a day on 510 yuan; a second sweep the same day adds nothing.
		*f.now = time.Date(2020, 4, 21, 9, 0, 0, 0, fishpond.ChinaTime)
		f.sweep(t)
		f.sweep(t)
		loan, _ = f.c.Loan(ctx, me, app.LoanID)
		if loan.Penalties != 25+255 || loan.DaysLate != 11 || loan.Schedule[0].State != "overdue" || loan.Schedule[1].State != "due" {
			t.Fatalf("after 11 days: penalties %s late %d schedule %+v", loan.Penalties, loan.DaysLate, loan.Schedule)
		}
		port, err := f.c.Portfolio(ctx, officer(povertyCounty))
		if err != nil || len(port) != 1 || port[0].OverdueLoans != 1 || port[0].OverdueAmount != fishpond.Yuan(510) || port[0].RepaymentRateBp() != 0 {
			t.Fatalf("portfolio %+v %v", port, err)
		}
		// Bad repayments change nothing.
		_, err = f.c.Repay(ctx, me, loan.ID, fishpond.Yuan(100), "r0")
		wantCode(t, err, fishpond.EInvalid, "amount") // the wallet is empty
		_, err = f.c.Repay(ctx, me, loan.ID, loan.Outstanding()+1, "r0")
		wantCode(t, err, fishpond.EInvalid, "amount")
		_, err = f.c.Repay(ctx, householdP(f.hh[2]), loan.ID, 100, "r0")
		wantCode(t, err, fishpond.ENotFound, "")
		if again, _ := f.c.Loan(ctx, me, app.LoanID); again.Owed != loan.Owed {
			t.Fatalf("a refused repayment changed the loan: %s → %s", loan.Owed, again.Owed)
		}
		// Money arrives; a manual repayment of 500, repeated with the same key, pays once.
		if _, err := f.l.Post(ctx, ledger.TransferRequest{IdempotencyKey: "wage", Kind: "wage", Postings: []ledger.Posting{{AccountID: acc.Wallet.ID, Amount: fishpond.Yuan(3000)}, {AccountID: acc.Wage.ID, Amount: -fishpond.Yuan(3000)}}}); err != nil {
			t.Fatal(err)
		}
		// (The sync before it collects the overdue instalment and its penalty first.)
		var repaid []fishpond.Money
		for i := 0; i < 2; i++ {
			if loan, err = f.c.Repay(ctx, me, app.LoanID, fishpond.Yuan(500), "r1"); err != nil {
				t.Fatal(err)
			}
			repaid = append(repaid, loan.Repaid)
		}
		if repaid[0] != fishpond.Yuan(510)+25+255+fishpond.Yuan(500) || repaid[1] != repaid[0] || loan.Status != credit.StatusActive {
			t.Fatalf("repaid %v (%s) after one repayment sent twice", repaid, loan.Status)
		}
		// Restructure: what is owed over three monthly instalments from 1 June.
		_, err = f.c.Restructure(ctx, officer("110101"), loan.ID, credit.RestructureRequest{Instalments: 3, IntervalMonths: 1, FirstDue: "2020-06-01", Reason: "因病 illness"})
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = f.c.Restructure(ctx, officer(povertyCounty), loan.ID, credit.RestructureRequest{Instalments: 3, IntervalMonths: 1, FirstDue: "2020-04-01", Reason: "x"})
		wantCode(t, err, fishpond.EInvalid, "first_due")
		loan, err = f.c.Restructure(ctx, officer(povertyCounty), loan.ID, credit.RestructureRequest{Instalments: 3, IntervalMonths: 1, FirstDue: "2020-06-01", Reason: "因病 illness"})
		if err != nil {
			t.Fatal(err)
		}
		owed := fishpond.Yuan(1000+20) + 25 + 255 - repaid[0]
		if loan.Status != credit.StatusActive || loan.Restructures != 1 || len(loan.Schedule) != 3 || loan.Owed != owed || loan.Outstanding() != owed {
			t.Fatalf("restructured: %s owed %s outstanding %s schedule %+v", loan.Status, loan.Owed, loan.Outstanding(), loan.Schedule)
		}
		// On the new due dates the wallet is collected; by August the loan is settled.
		for _, day := range []int{1, 2} {
			*f.now = time.Date(2020, 6, day, 9, 0, 0, 0, fishpond.ChinaTime)
			f.sweep(t)
		}
		loan, _ = f.c.Loan(ctx, me, app.LoanID)
		if loan.Status != credit.StatusActive || loan.Schedule[0].State != "paid" {
			t.Fatalf("June: %s %+v", loan.Status, loan.Schedule)
		}
		*f.now = time.Date(2020, 8, 1, 9, 0, 0, 0, fishpond.ChinaTime)
		f.sweep(t)
		loan, _ = f.c.Loan(ctx, me, app.LoanID)
		if loan.Status != credit.StatusSettled || loan.Owed != 0 || loan.MaxDaysLate != 11 {
			t.Fatalf("August: %s owed %s max late %d", loan.Status, loan.Owed, loan.MaxDaysLate)
		}
		st, err := f.c.Statement(ctx, me, loan.ID)
		if err != nil || len(st.Restructurings) != 1 {
			t.Fatalf("statement %+v %v", st.Restructurings, err)
		}
		_, err = f.c.Repay(ctx, me, loan.ID, 100, "late")
		wantCode(t, err, fishpond.EConflict, "")
		f.verify(t)
		// A loan once 11 days late is not "late" for the default model (30 days).
		in, err := f.c.Apply(ctx, me, credit.ApplicationRequest{IdempotencyKey: "second", HouseholdID: hh, ProductID: pr.ID, Amount: fishpond.Yuan(100)})
		if err != nil || in.Inputs.LoansRepaid != 1 || in.Inputs.LoansLate != 0 {
			t.Fatalf("%+v %v", in.Inputs, err)
		}
	})
}
