package ledger_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

// TestConcurrentRandomTransfersKeepInvariants hammers the ledger from many
// goroutines — group-committed Posts and PostTx inside callers' transactions, with
// duplicate keys, rule-triggering inflows and reversals — then checks the
// invariants: Verify passes, everything sums to zero, no rule exceeds its cap, and
// every key produced exactly one transfer.
func TestConcurrentRandomTransfersKeepInvariants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		const nh, workers, ops, keys = 12, 12, 60, 400
		var hs []ledger.HouseholdAccounts
		var rules []ledger.Rule
		lender := f.account(t, "coop:lender", "loans", ledger.KindAsset)
		for i := range nh {
			h := f.household(t, fmt.Sprint(i))
			hs = append(hs, h)
			if i%3 == 0 {
				for j := range 2 {
					r, err := f.l.AddRule(f.ctx, ledger.RuleSpec{Source: h.Wallet.ID, Dest: lender.ID, Bp: fishpond.Bp(2500 + 2500*j), Cap: fishpond.Yuan(30), Reference: "loan"})
					if err != nil {
						t.Fatal(err)
					}
					rules = append(rules, r)
				}
			}
		}
		// Each key always means the same request, so duplicates must replay.
		request := func(k int) ledger.TransferRequest {
			r := rand.New(rand.NewPCG(uint64(k), 7))
			h := hs[r.IntN(nh)]
			amt := fishpond.Money(1 + r.IntN(5000))
			inc := []string{h.Wage.ID, h.Operating.ID, h.Property.ID, h.Transfer.ID}[r.IntN(4)]
			legs := []ledger.Posting{leg(h.Wallet.ID, amt), leg(inc, -amt)}
			if r.IntN(5) == 0 { // an outflow: production cost paid from the wallet
				legs = []ledger.Posting{leg(h.Cost.ID, amt), leg(h.Wallet.ID, -amt)}
			}
			return ledger.TransferRequest{IdempotencyKey: fmt.Sprintf("key-%d", k), Kind: "random", At: t2020.Add(time.Duration(k) * time.Minute), Postings: legs}
		}
		// Keys below 40 are posted first; later requests with other content for them
		// must be refused.
		const fixed = 40
		for k := range fixed {
			if _, err := f.l.Post(f.ctx, request(k)); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		ids := map[string]string{} // key -> transfer id
		var wg sync.WaitGroup
		errs := make(chan error, workers*ops)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 99))
				for range ops {
					k := r.IntN(keys)
					req := request(k)
					var tr ledger.Transfer
					var err error
					switch r.IntN(10) {
					case 0, 1: // inside a caller's transaction
						err = d.InTx(f.ctx, func(tx *db.Tx) error {
							tr, err = ledger.PostTx(f.ctx, tx, time.Now(), req)
							return err
						})
					case 2: // same key, different content: must be refused or be the first
						req = request(r.IntN(fixed))
						req.Memo = "different"
						if _, err := f.l.Post(f.ctx, req); fishpond.Code(err) != fishpond.EConflict {
							errs <- fmt.Errorf("%s with other content: %v, want a conflict", req.IdempotencyKey, err)
						}
						continue
					case 3: // reverse something already posted
						mu.Lock()
						id := ids[fmt.Sprintf("key-%d", k)]
						mu.Unlock()
						if id != "" {
							_, err := f.l.Reverse(f.ctx, id, "rev-"+id, "test reversal")
							if err != nil && fishpond.Code(err) != fishpond.EConflict {
								errs <- err
							}
						}
						continue
					default:
						tr, err = f.l.Post(f.ctx, req)
					}
					if err != nil {
						errs <- fmt.Errorf("%s: %w", req.IdempotencyKey, err)
						continue
					}
					mu.Lock()
					if prev, ok := ids[req.IdempotencyKey]; ok && prev != tr.ID {
						errs <- fmt.Errorf("key %s gave transfers %s and %s", req.IdempotencyKey, prev, tr.ID)
					}
					ids[req.IdempotencyKey] = tr.ID
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		rep := f.verify(t)
		var n int
		if err := d.Read().QueryRowContext(f.ctx, "SELECT COUNT(*) FROM ledger_transfers WHERE kind = 'random'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(ids)+fixed-countBelow(ids, fixed) {
			t.Fatalf("%d transfers for %d distinct keys", n, len(ids))
		}
		var total fishpond.Money
		var accts []ledger.Account
		for _, h := range hs {
			a, _ := f.l.AccountsOf(f.ctx, h.Wallet.Owner)
			accts = append(accts, a...)
		}
		a, _ := f.l.AccountsOf(f.ctx, lender.Owner)
		for _, x := range append(accts, a...) {
			total += x.Balance
		}
		if total != 0 || rep.Total != 0 {
			t.Fatalf("balances sum to %s", total)
		}
		var moved fishpond.Money
		for _, r := range rules {
			got, err := f.l.Rule(f.ctx, r.ID)
			if err != nil || got.Moved > got.Cap || got.Moved < 0 {
				t.Fatalf("rule %+v, %v", got, err)
			}
			moved += got.Moved
		}
		if moved == 0 || f.balance(t, lender.ID) != moved {
			t.Fatalf("rules moved %s, lender holds %s", moved, f.balance(t, lender.ID))
		}
		t.Logf("%d transfers, %d postings, rules moved %s", rep.Transfers, rep.Postings, moved)
	})
}

func countBelow(ids map[string]string, n int) int {
	c := 0
	for k := range n {
		if ids[fmt.Sprintf("key-%d", k)] != "" {
			c++
		}
	}
	return c
}
