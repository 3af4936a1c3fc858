package farms

import (
	"errors"
	"sync"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

var errCrash = errors.New("simulated crash")

// rentFixture: three households, each with a 2-year contract from 2019-10-01 paid
// quarterly in arrears (8 installments each, 24 in all).
func rentFixture(t *testing.T, d *db.DB) (*fixture, []string, []Contract) {
	f := newFixture(t, d)
	hh := []string{f.household(t, "R001", 2), f.household(t, "R002", 3), f.household(t, "R003", 4)}
	c := f.farm(t, []market.Share{{HouseholdID: hh[0], Bp: 10000}}, []MemberInput{{HouseholdID: hh[0], Shares: 1}})
	var cs []Contract
	// 10.5 mu × 650 = 6,825.00 a year; 7 × 600 = 4,200.00; 3.33 mu × 700 = 2,331.00
	areas := []Area{1050, 700, 333}
	rates := []fishpond.Money{fishpond.Yuan(650), fishpond.Yuan(600), fishpond.Yuan(700)}
	for i, h := range hh {
		ct, err := f.s.SignContract(ctx, manager, c.ID, ContractInput{HouseholdID: h, Area: areas[i], Rate: rates[i], Years: 2,
			PaymentsPerYear: 4, StartsOn: "2019-10-01", IdempotencyKey: "contract-" + h})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, ct)
	}
	return f, hh, cs
}

func TestScheduleSplitsEachYearExactly(t *testing.T) {
	start, _ := parseDate("2019-10-01")
	got := schedule(start, 2, 4, 233100) // 3.33 mu × 700 yuan
	if len(got) != 8 {
		t.Fatalf("%d installments, want 8", len(got))
	}
	// 2,331.00 / 4 = 582.75 each: exact; 2,331.01 would put the extra fen last.
	for _, i := range got {
		if i.Amount != 58275 {
			t.Fatalf("installment %d = %d", i.Seq, i.Amount)
		}
	}
	odd := schedule(start, 1, 4, 100001)
	if odd[0].Amount != 25000 || odd[3].Amount != 25001 {
		t.Fatalf("remainder not on the last installment: %+v", odd)
	}
	if got[0].PeriodEnd != "2020-01-01" || !got[0].DueAt.Equal(cst(2020, 1, 1, 0)) || got[7].PeriodEnd != "2021-10-01" {
		t.Fatalf("periods: %+v … %+v", got[0], got[7])
	}
}

// TestRentCatchesUpAfterDowntimeWithoutPayingTwice: the server is down from
// September 2019 to August 2020; three quarterly installments per contract fell due
// meanwhile. The first run after restart crashes after 4 payments; the restarted
// scheduler pays the other 5 and nothing twice; further runs pay nothing.
func TestRentCatchesUpAfterDowntimeWithoutPayingTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, _ := rentFixture(t, d)
		c := f.coopID(t)
		f.deposit(t, c, fishpond.Yuan(100000))

		// Nothing is due before 2020-01-01 00:00 China time.
		f.clock.Set(cst(2019, 12, 31, 23))
		if run, err := f.s.RunDueRent(ctx); err != nil || run.Paid != 0 {
			t.Fatalf("before due: %+v %v", run, err)
		}

		f.clock.Set(cst(2020, 8, 15, 9)) // due: 2020-01-01, 04-01, 07-01
		crashing := f.service(t)
		n := 0
		crashing.afterRent = func(installmentKey) error {
			if n++; n == 4 {
				return errCrash
			}
			return nil
		}
		run, err := crashing.RunDueRent(ctx)
		if !errors.Is(err, errCrash) || run.Paid != 4 {
			t.Fatalf("crashing run: %+v %v", run, err)
		}
		restarted := f.service(t)
		run, err = restarted.RunDueRent(ctx)
		if err != nil || run.Paid != 5 {
			t.Fatalf("after restart: %+v %v, want the 5 left", run, err)
		}
		if run, err := restarted.RunDueRent(ctx); err != nil || run.Paid != 0 {
			t.Fatalf("second run paid again: %+v %v", run, err)
		}
		// Three quarters each: 6,825 × 3/4, 4,200 × 3/4, 2,331 × 3/4.
		want := []fishpond.Money{511875, 315000, 174825}
		for i, h := range hh {
			in := f.income(t, h, 2020)
			if in.Property != want[i] || in.Wage != 0 || in.Operating != 0 {
				t.Errorf("household %d: %+v, want property %d", i, in, want[i])
			}
		}
		if got := f.countEvents(t, "farms.rent.paid"); got != 9 {
			t.Fatalf("%d farms.rent.paid events, want 9", got)
		}
		cash, err := f.s.Cash(ctx, manager, c)
		if err != nil || cash != fishpond.Yuan(100000)-511875-315000-174825 {
			t.Fatalf("cash %d %v", cash, err)
		}
		f.verifyLedger(t)
	})
}

// TestConcurrentSchedulersPayOnce: two servers' schedulers run at the same moment
// on the same database; every installment is paid exactly once.
func TestConcurrentSchedulersPayOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, _ := rentFixture(t, d)
		f.clock.Set(cst(2021, 12, 1, 9)) // all 8 installments of each contract are due
		a, b := f.service(t), f.service(t)
		var wg sync.WaitGroup
		runs := make([]RentRun, 2)
		errs := make([]error, 2)
		for i, s := range []*Service{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); runs[i], errs[i] = s.RunDueRent(ctx) }()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if runs[0].Paid+runs[1].Paid != 24 {
			t.Fatalf("paid %d + %d, want 24 in all", runs[0].Paid, runs[1].Paid)
		}
		// Whole contracts: two years' rent, 2020 gets four quarters, 2021 four.
		want := []fishpond.Money{682500, 420000, 233100}
		for i, h := range hh {
			if in := f.income(t, h, 2020); in.Property != want[i] {
				t.Errorf("2020 household %d: %d, want %d", i, in.Property, want[i])
			}
			if in := f.income(t, h, 2021); in.Property != want[i] {
				t.Errorf("2021 household %d: %d, want %d", i, in.Property, want[i])
			}
		}
		f.verifyLedger(t)
	})
}

// TestTerminateSettlesPartialPeriod: a contract ended on 2020-02-15 pays the days
// used of the quarter it ends in and cancels the rest.
func TestTerminateSettlesPartialPeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, cs := rentFixture(t, d)
		f.clock.Set(cst(2020, 3, 1, 9))
		if _, err := f.s.RunDueRent(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Terminate(ctx, manager, cs[0].ID, "2019-12-01", "退租 return"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("terminating inside a paid period: %v", err)
		}
		if _, err := f.s.Terminate(ctx, other, cs[0].ID, "2020-02-15", "x"); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("another cooperative's manager: %v", err)
		}
		ct, err := f.s.Terminate(ctx, manager, cs[0].ID, "2020-02-15", "农户收回自种 the household farms it again")
		if err != nil {
			t.Fatal(err)
		}
		// Quarter 2020-01-01..04-01 has 91 days; 45 used: 170,625 × 45 / 91 = 84,375 (exactly).
		if ct.Status != ContractTerminated || ct.Schedule[1].Status != RentPaid || ct.Schedule[1].Amount != 84375 || ct.Schedule[1].PeriodEnd != "2020-02-15" {
			t.Fatalf("settlement: %+v", ct.Schedule[1])
		}
		for _, i := range ct.Schedule[2:] {
			if i.Status != RentCancelled {
				t.Fatalf("installment %d not cancelled: %s", i.Seq, i.Status)
			}
		}
		f.clock.Set(cst(2022, 1, 1, 9))
		if _, err := f.s.RunDueRent(ctx); err != nil {
			t.Fatal(err)
		}
		if in := f.income(t, hh[0], 2020); in.Property != 170625+84375 {
			t.Fatalf("terminated household's 2020 rent %d", in.Property)
		}
		if _, err := f.s.Terminate(ctx, manager, cs[0].ID, "2020-03-01", "again"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("terminating twice: %v", err)
		}
		f.verifyLedger(t)
	})
}
