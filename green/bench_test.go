package green_test

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fishpond"
	"fishpond/green"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// The ingest benchmarks measure energy events recorded durably (each caller is
// answered after its commit), converted, capped and idempotent, through the
// group-commit Ingester. One b.N unit is one event.
//
//   - Batched: callers report 100 actions per call, as partners do through
//     POST /api/v1/green/actions, 32 callers at once.
//   - Single: 1,000 callers report one action per call.
//
// Actions are spread over benchUsers users, so the daily-cap counters are real
// rows read and written, not one hot row.
const benchUsers = 100_000

func BenchmarkIngestBatchedSQLite(b *testing.B) { benchIngest(b, dbtest.SQLite(b), 100, 32) }
func BenchmarkIngestSingleSQLite(b *testing.B)  { benchIngest(b, dbtest.SQLite(b), 1, 1000) }

func BenchmarkIngestBatchedPostgres(b *testing.B) {
	if os.Getenv(dbtest.EnvPostgres) == "" {
		b.Skip("set " + dbtest.EnvPostgres)
	}
	benchIngest(b, dbtest.Postgres(b), 100, 32)
}

func BenchmarkIngestSinglePostgres(b *testing.B) {
	if os.Getenv(dbtest.EnvPostgres) == "" {
		b.Skip("set " + dbtest.EnvPostgres)
	}
	benchIngest(b, dbtest.Postgres(b), 1, 1000)
}

var benchRun atomic.Int64

func benchIngest(b *testing.B, d *db.DB, per, callers int) {
	g := green.New(d, nil, nil, fishpond.SystemClock{}, green.DefaultConfig)
	defer g.Close()
	run := benchRun.Add(1)
	var seq atomic.Int64
	calls := int64((b.N + per - 1) / per)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]green.Action, per)
			for next.Add(1) <= calls {
				for i := range batch {
					n := seq.Add(1)
					batch[i] = green.Action{ID: fmt.Sprintf("bench:%d:%d", run, n), UserID: fmt.Sprintf("u%d", n%benchUsers),
						Kind: green.KindWalking, Quantity: 1000 + n%5000, Source: "partner:bench"}
				}
				res, err := g.Record(ctx, batch, true)
				if err != nil {
					b.Error(err)
					return
				}
				for _, r := range res {
					if r.Err != nil || r.Grams <= 0 {
						b.Errorf("%+v", r)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(seq.Load())/el.Seconds(), "events/s")
}
