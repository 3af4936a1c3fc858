package ledger_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

// The benchmarks measure durable, individually acknowledged, idempotent transfers
// through Post (group commit) with 2,000 concurrent posters. Besides transfers/s
// they report the process's CPU time per transfer (posters, committer, driver and
// garbage collector together; the database server's is not counted on PostgreSQL).
//
// benchHouseholds is how many households the benchmark spreads sales over; every
// transfer debits one wallet and credits that household's operating income.
const benchHouseholds = 1000

func BenchmarkTransferSQLite(b *testing.B) { benchTransfer(b, dbtest.SQLite(b)) }

func BenchmarkTransferPostgres(b *testing.B) {
	if os.Getenv(dbtest.EnvPostgres) == "" {
		b.Skip("set " + dbtest.EnvPostgres)
	}
	benchTransfer(b, dbtest.Postgres(b))
}

var benchRun atomic.Int64

func benchTransfer(b *testing.B, d *db.DB) {
	ctx := context.Background()
	l := ledger.New(d, fishpond.SystemClock{})
	defer l.Close()
	hs := make([]ledger.HouseholdAccounts, benchHouseholds)
	for i := range hs {
		h, err := l.EnsureHouseholdAccounts(ctx, fmt.Sprint(i))
		if err != nil {
			b.Fatal(err)
		}
		hs[i] = h
	}
	run := benchRun.Add(1)
	var seq atomic.Int64
	b.SetParallelism(1000)
	b.ResetTimer()
	cpu0, start := processCPU(), time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			h := hs[n%benchHouseholds]
			_, err := l.Post(ctx, ledger.TransferRequest{
				IdempotencyKey: fmt.Sprintf("bench-%d-%d", run, n),
				Kind:           "sale",
				Postings: []ledger.Posting{
					{AccountID: h.Wallet.ID, Amount: 800},
					{AccountID: h.Operating.ID, Amount: -800},
				},
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "transfers/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/transfer")
	}
}
