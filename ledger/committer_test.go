package ledger_test

import (
	"fmt"
	"sync"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

// When a group commit's transaction fails on a constraint (on SQLite the
// committer's statements roll the whole transaction back: INSERT OR ROLLBACK),
// every request is retried alone: only the request that breaks the constraint
// fails, the others are recorded once, nothing half-written remains, and the
// writer goes on working. The constraint is planted by the test: a unique index on
// memos that start with "dup", which two of the transfers share.
func TestFailedGroupCommitFailsOnlyItsCause(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		if err := d.InTx(f.ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(f.ctx, "CREATE UNIQUE INDEX test_dup_memo ON ledger_transfers(memo) WHERE memo LIKE 'dup%'")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		const n = 60
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				memo := fmt.Sprintf("sale %d", i)
				if i == 10 || i == 40 {
					memo = "dup"
				}
				_, errs[i] = f.l.Post(f.ctx, ledger.TransferRequest{IdempotencyKey: fmt.Sprintf("k-%d", i), Kind: "sale", Memo: memo,
					Postings: []ledger.Posting{leg(h.Wallet.ID, 100), leg(h.Operating.ID, -100)}})
			}()
		}
		wg.Wait()
		failed := 0
		for i, err := range errs {
			if err != nil {
				if i != 10 && i != 40 {
					t.Errorf("request %d failed with its batch: %v", i, err)
				}
				failed++
			}
		}
		if failed != 1 {
			t.Fatalf("%d of the two duplicate memos failed, want exactly one", failed)
		}
		if got := f.balance(t, h.Wallet.ID); got != fishpond.Money(100*(n-1)) {
			t.Fatalf("wallet %v, want %v", got, fishpond.Money(100*(n-1)))
		}
		rep := f.verify(t)
		if rep.Transfers != n-1 || rep.Postings != 2*(n-1) {
			t.Fatalf("%d transfers and %d postings, want %d and %d", rep.Transfers, rep.Postings, n-1, 2*(n-1))
		}
		f.post(t, "after", t2020, leg(h.Wallet.ID, 1), leg(h.Operating.ID, -1))
	})
}
