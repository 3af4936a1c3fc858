package farms

import (
	"fmt"
	"os"
	"testing"

	"fishpond"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

// BenchmarkRentCatchUp measures how fast the scheduler catches up after downtime:
// b.N installments (quarterly rent of b.N/4 one-year contracts, all due) paid by one
// RunDueRent, each in its own transaction. Run with -benchtime=Nx; set
// FISHPOND_BENCH_POSTGRES=1 (and FISHPOND_TEST_POSTGRES) to measure PostgreSQL.
func BenchmarkRentCatchUp(b *testing.B) {
	d := dbtest.SQLite(b)
	if os.Getenv("FISHPOND_BENCH_POSTGRES") != "" {
		d = dbtest.Postgres(b)
	}
	f := newFixture(b, d)
	hh := []string{f.household(b, "B1", 3)}
	c := f.farm(b, []market.Share{{HouseholdID: hh[0], Bp: 10000}}, []MemberInput{{HouseholdID: hh[0], Shares: 1}})
	contracts := (b.N + 3) / 4
	for i := 0; i < contracts; i++ {
		if _, err := f.s.SignContract(ctx, manager, c.ID, ContractInput{HouseholdID: hh[0], Area: Mu(1), Rate: fishpond.Yuan(650), Years: 1,
			PaymentsPerYear: 4, StartsOn: "2019-10-01", IdempotencyKey: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
	}
	f.clock.Set(cst(2021, 1, 1, 9))
	b.ResetTimer()
	run, err := f.s.RunDueRent(ctx)
	b.StopTimer()
	if err != nil || run.Paid != contracts*4 {
		b.Fatalf("paid %d of %d: %v", run.Paid, contracts*4, err)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(run.Paid), "µs/installment")
}
