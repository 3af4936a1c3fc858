package market

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// holdGroup occupies the group's worker with a use case that waits until the
// returned release is called, so that everything queued meanwhile is committed
// as one batch. queued reports how many use cases wait behind it.
func holdGroup(t *testing.T, g *TxGroup) (queued func() int, release func()) {
	t.Helper()
	g.Direct = false // batch on PostgreSQL too (serve runs it direct there), to test the batch path
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- g.InTx(ctx, func(context.Context, *db.Tx) error { close(started); <-gate; return nil })
	}()
	<-started
	queued = func() int { g.mu.Lock(); defer g.mu.Unlock(); return len(g.queue) }
	return queued, func() {
		close(gate)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestGroupCommitIsolatesFailures: 40 orders committed as one batch, half of which
// reserve stock of one product and then fail on another (out of stock). The failed
// half leaves nothing behind — no stock taken, no order, no event — and the other
// half commits: each use case has its own savepoint inside the shared transaction.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		plenty := mustProduct(t, f, sh, func(in *ProductInput) { in.Stock = 100 })
		none := mustProduct(t, f, sh, func(in *ProductInput) { in.Stock = 0 })
		addr := mustAddress(t, f, buyer).ID
		var events0 int
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE type = 'order.placed'").Scan(&events0)

		queued, release := holdGroup(t, f.m.group)
		const n = 40
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			lines := []LineRequest{{ProductID: plenty.ID, Qty: 1}}
			if i%2 == 1 {
				lines = append(lines, LineRequest{ProductID: none.ID, Qty: 1})
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: fmt.Sprint("iso-", i), AddressID: addr, Lines: lines})
			}()
		}
		for queued() < n {
			time.Sleep(time.Millisecond)
		}
		release()
		wg.Wait()
		for i, err := range errs {
			if i%2 == 0 && err != nil {
				t.Fatalf("order %d: %v", i, err)
			}
			if i%2 == 1 && fishpond.Code(err) != fishpond.EConflict {
				t.Fatalf("order %d: want conflict, got %v", i, err)
			}
		}
		if got := stockOf(t, f, plenty.ID); got != 100-n/2 {
			t.Fatalf("stock %d, want %d: a failed order's reservation survived", got, 100-n/2)
		}
		var orders, events int
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM market_orders WHERE buyer_id = ?", buyer.UserID).Scan(&orders)
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE type = 'order.placed'").Scan(&events)
		if orders != n/2 || events-events0 != n/2 {
			t.Fatalf("%d orders, %d placed events; want %d", orders, events-events0, n/2)
		}
		mustVerify(t, f)
	})
}

// TestGroupCommitSameKeyInOneBatch: two requests with the same idempotency key in
// one batch buy once; the second is the first's order, replayed.
func TestGroupCommitSameKeyInOneBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, nil)
		addr := mustAddress(t, f, buyer).ID
		queued, release := holdGroup(t, f.m.group)
		var got [2]Order
		var errs [2]error
		var wg sync.WaitGroup
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "same", AddressID: addr, Lines: []LineRequest{{ProductID: pr.ID, Qty: 2}}})
			}()
		}
		for queued() < 2 {
			time.Sleep(time.Millisecond)
		}
		release()
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || got[0].ID != got[1].ID || got[0].Replayed == got[1].Replayed {
			t.Fatalf("%v %v: %s (replayed %v) and %s (replayed %v)", errs[0], errs[1], got[0].ID, got[0].Replayed, got[1].ID, got[1].Replayed)
		}
		if s := stockOf(t, f, pr.ID); s != 98 {
			t.Fatalf("stock %d: bought twice", s)
		}
	})
}

// TestFlashSoldOutFromMemory: once a flash sale is found sold out, losers are
// answered from memory — but a retry of a winner's checkout still gets its order
// back, and a cancelled order's unit can be bought again at once.
func TestFlashSoldOutFromMemory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, nil)
		fs, err := f.m.CreateFlashSale(ctx, householdP(sh.OwnerID), FlashInput{ProductID: pr.ID, Price: fishpond.Yuan(9), Quantity: 2, StartsAt: t2020, EndsAt: t2020.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		line := LineRequest{ProductID: pr.ID, FlashID: fs.ID, Qty: 1}
		buyers := make([]fishpond.Principal, 4)
		addrs := make([]string, 4)
		for i := range buyers {
			buyers[i] = fishpond.Principal{UserID: fmt.Sprint("fb", i), Role: fishpond.RoleConsumer}
			addrs[i] = mustAddress(t, f, buyers[i]).ID
		}
		place := func(i int, key string) (Order, error) {
			return f.m.PlaceOrder(ctx, buyers[i], OrderRequest{IdempotencyKey: key, AddressID: addrs[i], Lines: []LineRequest{line}})
		}
		first := mustOrder(t, f, buyers[0], "k0", addrs[0], line)
		second := mustOrder(t, f, buyers[1], "k1", addrs[1], line)
		if _, err := place(2, "k2"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("third buyer: %v", err)
		}
		if _, ok := f.m.soldOut.Load(fs.ID); !ok {
			t.Fatal("sold-out flag not set after the conditional update failed")
		}
		if again, err := place(0, "k0"); err != nil || again.ID != first.ID || !again.Replayed {
			t.Fatalf("a winner's retry after the sell-out: %+v %v", again, err)
		}
		if _, err := place(3, "k3"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("fourth buyer: %v", err)
		}
		if _, err := f.m.Cancel(ctx, buyers[1], second.ID); err != nil {
			t.Fatal(err)
		}
		if o, err := place(3, "k3b"); err != nil || o.Lines[0].FlashID != fs.ID {
			t.Fatalf("a released unit was refused from memory: %v", err)
		}
		if got, _ := f.m.FlashSale(ctx, fs.ID); got.Sold != 2 {
			t.Fatalf("flash sold %d", got.Sold)
		}
	})
}

// TestWaitOrder: a buyer waiting for payment is answered with the paid order once
// the payment commits; an order nobody pays is answered as it stands when the wait
// ends; a stranger waits for nothing and gets not_found.
func TestWaitOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, nil)
		addr := mustAddress(t, f, buyer).ID
		o := mustOrder(t, f, buyer, "wait-1", addr, LineRequest{ProductID: pr.ID, Qty: 1})
		got := make(chan Order, 1)
		go func() {
			w, err := f.m.WaitOrder(ctx, buyer, o.ID, StatusPlaced, 20*time.Second)
			if err != nil {
				t.Error(err)
			}
			got <- w
		}()
		if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T-wait-1", o.Total); err != nil {
			t.Fatal(err)
		}
		if w := <-got; w.Status != StatusPaid || w.ShipPhone != "13800138000" {
			t.Fatalf("waiter got status %s, phone %q", w.Status, w.ShipPhone)
		}
		unpaid := mustOrder(t, f, buyer, "wait-2", addr, LineRequest{ProductID: pr.ID, Qty: 1})
		if w, err := f.m.WaitOrder(ctx, buyer, unpaid.ID, StatusPlaced, 10*time.Millisecond); err != nil || w.Status != StatusPlaced {
			t.Fatalf("unpaid order after the wait: %s %v", w.Status, err)
		}
		if _, err := f.m.WaitOrder(ctx, other, unpaid.ID, StatusPlaced, time.Hour); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("a stranger waited for someone's order: %v", err)
		}
		if n := len(f.m.watches); n != 0 {
			t.Fatalf("%d order watches left behind", n)
		}
	})
}

// TestGroupCommitSurvivesPanic: a use case that panics fails alone with an internal
// error; the others in its batch commit and the group keeps working.
func TestGroupCommitSurvivesPanic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, nil)
		addr := mustAddress(t, f, buyer).ID
		queued, release := holdGroup(t, f.m.group)
		var wg sync.WaitGroup
		var panicErr, orderErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			panicErr = f.m.group.InTx(ctx, func(context.Context, *db.Tx) error { panic("boom") })
		}()
		go func() {
			defer wg.Done()
			_, orderErr = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "after-panic", AddressID: addr, Lines: []LineRequest{{ProductID: pr.ID, Qty: 1}}})
		}()
		for queued() < 2 {
			time.Sleep(time.Millisecond)
		}
		release()
		wg.Wait()
		if fishpond.Code(panicErr) != fishpond.EInternal || orderErr != nil {
			t.Fatalf("panic: %v; order beside it: %v", panicErr, orderErr)
		}
		mustOrder(t, f, buyer, "later", addr, LineRequest{ProductID: pr.ID, Qty: 1})
	})
}
