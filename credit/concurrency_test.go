package credit_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// Sales settling while the daily sync and manual repayments run on the same loan,
// and two applications racing for one household: the loan ends exactly repaid, no
// fen lost or taken twice, one application wins, and the ledger verifies clean.
func TestConcurrentSalesSyncAndApplications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d, time.Date(2020, 3, 5, 9, 0, 0, 0, fishpond.ChinaTime))
		cfg := credit.DefaultConfig
		cfg.Model.Name, cfg.Model.Approve, cfg.Model.Refer = "test-open", -100, -200
		f.c = credit.New(d, f.l, f.reg, clock{f.now}, cfg)
		pr := seedProduct()
		pr.Instalments, pr.TermMonths, pr.HarvestMonth = 1, 1, 0
		p := mustProduct(t, f, pr)
		hh := f.hh[0]
		me := householdP(hh)
		// Two applications at once: one loan.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = f.c.Apply(ctx, me, credit.ApplicationRequest{IdempotencyKey: fmt.Sprintf("race-%d", i), HouseholdID: hh, ProductID: p.ID, Amount: fishpond.Yuan(1000)})
			}(i)
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || (fishpond.Code(errs[0]) != fishpond.EConflict && fishpond.Code(errs[1]) != fishpond.EConflict) {
			t.Fatalf("two applications at once: %v / %v", errs[0], errs[1])
		}
		loans, err := f.c.Loans(ctx, me, hh)
		if err != nil || len(loans) != 1 {
			t.Fatalf("%d loans %v", len(loans), err)
		}
		loan := loans[0]
		s := mustSeller(t, f, hh, fishpond.Yuan(50))
		var mu sync.Mutex
		var failures []error
		fail := func(err error) {
			mu.Lock()
			failures = append(failures, err)
			mu.Unlock()
		}
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 4; i++ {
					f.sell(t, s, fmt.Sprintf("c-%d-%d", g, i), 5)
				}
			}(g)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := f.c.Sweep(ctx); err != nil {
					fail(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				if _, err := f.c.Repay(ctx, me, loan.ID, fishpond.Yuan(50), fmt.Sprintf("m-%d", i)); err != nil && fishpond.Code(err) != fishpond.EConflict {
					fail(err)
				}
			}
		}()
		wg.Wait()
		if len(failures) > 0 {
			t.Fatal(failures)
		}
		f.sweep(t)
		loan, err = f.c.Loan(ctx, me, loan.ID)
		if err != nil {
			t.Fatal(err)
		}
		// 16 sales of 250 yuan (less fee and pledge) at 30 % cover the 1,005 yuan.
		if loan.Status != credit.StatusSettled || loan.Owed != 0 || loan.Repaid != loan.TotalPayable() {
			t.Fatalf("loan %s owed %s repaid %s of %s", loan.Status, loan.Owed, loan.Repaid, loan.TotalPayable())
		}
		f.verify(t)
	})
}
