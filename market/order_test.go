package market

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestOrderLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		seller := householdP(sh.OwnerID)
		pr := mustProduct(t, f, sh, nil)
		addr := mustAddress(t, f, buyer)
		o := mustOrder(t, f, buyer, "k1", addr.ID, LineRequest{ProductID: pr.ID, Qty: 2})
		if o.Status != StatusPlaced || o.Total != fishpond.Yuan(60) || stockOf(t, f, pr.ID) != 98 {
			t.Fatalf("placed: %+v", o)
		}
		// Scope: the buyer sees the phone, the seller a mask, others nothing.
		if got, _ := f.m.Order(ctx, buyer, o.ID); got.ShipPhone != "13800138000" {
			t.Fatalf("buyer view phone %q", got.ShipPhone)
		}
		if got, _ := f.m.Order(ctx, seller, o.ID); got.ShipPhone != "138****8000" {
			t.Fatalf("seller view phone %q", got.ShipPhone)
		}
		_, err := f.m.Order(ctx, other, o.ID)
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = f.m.ShopOrders(ctx, householdP(f.hh[1]), sh.ID, 10)
		wantCode(t, err, fishpond.ENotFound, "")
		if list, _ := f.m.ShopOrders(ctx, seller, sh.ID, 10); len(list) != 1 {
			t.Fatalf("shop orders %d", len(list))
		}
		if list, _ := f.m.BuyerOrders(ctx, other, 10); len(list) != 0 {
			t.Fatal("another buyer lists the order")
		}
		// Illegal before payment.
		_, err = f.m.Ship(ctx, seller, o.ID, "SF1")
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.m.MarkDelivered(ctx, buyer, o.ID)
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.m.Settle(ctx, admin, o.ID)
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.m.Refund(ctx, seller, RefundRequest{OrderID: o.ID, Amount: 1, Reason: "r", IdempotencyKey: "r0"})
		wantCode(t, err, fishpond.EConflict, "")
		// Payment: wrong amount changes nothing; right amount pays; repeats are idempotent.
		_, err = f.m.MarkPaid(ctx, o.ID, "sandbox", "T1", o.Total-1)
		wantCode(t, err, fishpond.EInvalid, "amount")
		paid, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T1", o.Total)
		if err != nil || paid.Status != StatusPaid {
			t.Fatalf("%+v %v", paid, err)
		}
		if again, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T1", o.Total); err != nil || again.Status != StatusPaid {
			t.Fatalf("replay: %v", err)
		}
		_, err = f.m.MarkPaid(ctx, o.ID, "sandbox", "T2", o.Total)
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.m.Cancel(ctx, buyer, o.ID)
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.m.Ship(ctx, buyer, o.ID, "SF1")
		wantCode(t, err, fishpond.EForbidden, "")
		_, err = f.m.MarkDelivered(ctx, buyer, o.ID)
		wantCode(t, err, fishpond.EConflict, "")
		if _, err := f.m.Ship(ctx, seller, o.ID, "SF1"); err != nil {
			t.Fatal(err)
		}
		_, err = f.m.Ship(ctx, seller, o.ID, "SF2")
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.m.Settle(ctx, admin, o.ID)
		wantCode(t, err, fishpond.EConflict, "")
		if _, err := f.m.MarkDelivered(ctx, buyer, o.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.m.Settle(ctx, seller, o.ID)
		wantCode(t, err, fishpond.EForbidden, "")
		done, err := f.m.Settle(ctx, admin, o.ID)
		if err != nil || done.Status != StatusSettled || done.SettledAmount != o.Total {
			t.Fatalf("%+v %v", done, err)
		}
		_, err = f.m.Settle(ctx, admin, o.ID)
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.m.Cancel(ctx, buyer, o.ID)
		wantCode(t, err, fishpond.EConflict, "")
		// Cancel an unpaid order: stock comes back; paying it afterwards is refused.
		o2 := mustOrder(t, f, buyer, "k2", addr.ID, LineRequest{ProductID: pr.ID, Qty: 5})
		if _, err := f.m.Cancel(ctx, other, o2.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("stranger cancels: %v", err)
		}
		if c, err := f.m.Cancel(ctx, buyer, o2.ID); err != nil || c.Status != StatusCancelled {
			t.Fatalf("%+v %v", c, err)
		}
		if stockOf(t, f, pr.ID) != 98 {
			t.Fatalf("stock after cancel %d", stockOf(t, f, pr.ID))
		}
		_, err = f.m.MarkPaid(ctx, o2.ID, "sandbox", "T3", o2.Total)
		wantCode(t, err, fishpond.EConflict, "")
		mustVerify(t, f)
	})
}

func TestIdempotentCreate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, nil)
		addr := mustAddress(t, f, buyer)
		line := LineRequest{ProductID: pr.ID, Qty: 3}
		// Concurrent retries of one checkout produce one order.
		var wg sync.WaitGroup
		ids := make([]string, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "same", AddressID: addr.ID, Lines: []LineRequest{line}})
				if err != nil {
					t.Error(err)
				}
				ids[i] = o.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("different orders for one key: %v", ids)
			}
		}
		if stockOf(t, f, pr.ID) != 97 {
			t.Fatalf("stock %d", stockOf(t, f, pr.ID))
		}
		again := mustOrder(t, f, buyer, "same", addr.ID, line)
		if !again.Replayed || again.ID != ids[0] {
			t.Fatalf("replay %+v", again)
		}
		_, err := f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "same", AddressID: addr.ID, Lines: []LineRequest{{ProductID: pr.ID, Qty: 4}}})
		wantCode(t, err, fishpond.EConflict, "")
		// The key is per buyer.
		addr2 := mustAddress(t, f, other)
		if o := mustOrder(t, f, other, "same", addr2.ID, line); o.ID == ids[0] {
			t.Fatal("keys leak between buyers")
		}
		// Validation and somebody else's address.
		_, err = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "x", AddressID: addr2.ID, Lines: []LineRequest{line}})
		wantCode(t, err, fishpond.EInvalid, "address_id")
		_, err = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "x", AddressID: addr.ID, Lines: []LineRequest{{ProductID: pr.ID, Qty: 0}}})
		wantCode(t, err, fishpond.EInvalid, "lines[0].qty")
		_, err = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "x", AddressID: addr.ID, Lines: []LineRequest{{ProductID: "nope", Qty: 1}}})
		wantCode(t, err, fishpond.EInvalid, "lines[0].product_id")
		_, err = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "x", AddressID: addr.ID, Lines: []LineRequest{{ProductID: pr.ID, Qty: 1000}}})
		wantCode(t, err, fishpond.EConflict, "")
		if stockOf(t, f, pr.ID) != 94 {
			t.Fatalf("failed orders changed stock: %d", stockOf(t, f, pr.ID))
		}
	})
}

func TestExpiryReleasesStock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, func(in *ProductInput) { in.Stock = 10; in.PerBuyerLimit = 4 })
		addr := mustAddress(t, f, buyer)
		o := mustOrder(t, f, buyer, "e1", addr.ID, LineRequest{ProductID: pr.ID, Qty: 4})
		paidO := mustOrder(t, f, other, "e2", mustAddress(t, f, other).ID, LineRequest{ProductID: pr.ID, Qty: 1})
		if _, err := f.m.MarkPaid(ctx, paidO.ID, "sandbox", "P1", paidO.Total); err != nil {
			t.Fatal(err)
		}
		if n, err := f.m.ExpireUnpaid(ctx, t2020.Add(29*time.Minute)); err != nil || n != 0 {
			t.Fatalf("early sweep expired %d %v", n, err)
		}
		n, err := f.m.ExpireUnpaid(ctx, t2020.Add(31*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("sweep expired %d %v", n, err)
		}
		got, _ := f.m.Order(ctx, buyer, o.ID)
		if got.Status != StatusExpired || stockOf(t, f, pr.ID) != 9 {
			t.Fatalf("%s stock %d", got.Status, stockOf(t, f, pr.ID))
		}
		// The quota came back too: the buyer can buy 4 again.
		mustOrder(t, f, buyer, "e3", addr.ID, LineRequest{ProductID: pr.ID, Qty: 4})
		_, err = f.m.MarkPaid(ctx, o.ID, "sandbox", "late", o.Total)
		wantCode(t, err, fishpond.EConflict, "")
	})
}

func TestPerBuyerLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, func(in *ProductInput) { in.PerBuyerLimit = 3 })
		addr := mustAddress(t, f, buyer)
		mustOrder(t, f, buyer, "l1", addr.ID, LineRequest{ProductID: pr.ID, Qty: 2})
		_, err := f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "l2", AddressID: addr.ID, Lines: []LineRequest{{ProductID: pr.ID, Qty: 2}}})
		wantCode(t, err, fishpond.EConflict, "")
		mustOrder(t, f, buyer, "l3", addr.ID, LineRequest{ProductID: pr.ID, Qty: 1})
		// Concurrent attempts by one buyer never pass the limit either.
		addrO := mustAddress(t, f, other)
		var wg sync.WaitGroup
		var mu sync.Mutex
		bought := int64(0)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := f.m.PlaceOrder(ctx, other, OrderRequest{IdempotencyKey: fmt.Sprint("c", i), AddressID: addrO.ID, Lines: []LineRequest{{ProductID: pr.ID, Qty: 1}}})
				if err == nil {
					mu.Lock()
					bought += o.Lines[0].Qty
					mu.Unlock()
				} else if fishpond.Code(err) != fishpond.EConflict {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if bought != 3 {
			t.Fatalf("other bought %d, limit 3", bought)
		}
	})
}

func TestFlashSale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		seller := householdP(sh.OwnerID)
		pr := mustProduct(t, f, sh, nil)
		start := t2020.Add(time.Hour)
		fs, err := f.m.CreateFlashSale(ctx, seller, FlashInput{ProductID: pr.ID, Price: fishpond.Yuan(9), Quantity: 3, PerBuyerLimit: 2, StartsAt: start, EndsAt: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.m.CreateFlashSale(ctx, seller, FlashInput{ProductID: pr.ID, Price: 0, Quantity: 0, StartsAt: start, EndsAt: start})
		wantCode(t, err, fishpond.EInvalid, "price")
		_, err = f.m.CreateFlashSale(ctx, householdP(f.hh[1]), FlashInput{ProductID: pr.ID, Price: 100, Quantity: 1, StartsAt: start, EndsAt: start.Add(time.Hour)})
		wantCode(t, err, fishpond.ENotFound, "")
		addr := mustAddress(t, f, buyer)
		line := LineRequest{ProductID: pr.ID, FlashID: fs.ID, Qty: 1}
		_, err = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "early", AddressID: addr.ID, Lines: []LineRequest{line}})
		wantCode(t, err, fishpond.EConflict, "")
		*f.now = start
		o := mustOrder(t, f, buyer, "f1", addr.ID, line)
		if o.Total != fishpond.Yuan(9) {
			t.Fatalf("flash price not applied: %s", o.Total)
		}
		mustOrder(t, f, buyer, "f2", addr.ID, line)
		_, err = f.m.PlaceOrder(ctx, buyer, OrderRequest{IdempotencyKey: "f3", AddressID: addr.ID, Lines: []LineRequest{line}})
		wantCode(t, err, fishpond.EConflict, "") // per-buyer flash limit 2
		addrO := mustAddress(t, f, other)
		_, err = f.m.PlaceOrder(ctx, other, OrderRequest{IdempotencyKey: "o1", AddressID: addrO.ID, Lines: []LineRequest{{ProductID: pr.ID, FlashID: fs.ID, Qty: 2}}})
		wantCode(t, err, fishpond.EConflict, "") // only 1 of 3 left
		mustOrder(t, f, other, "o2", addrO.ID, line)
		got, _ := f.m.FlashSale(ctx, fs.ID)
		if got.Sold != 3 || stockOf(t, f, pr.ID) != 97 {
			t.Fatalf("sold %d stock %d", got.Sold, stockOf(t, f, pr.ID))
		}
		// Regular price still sells; after the window the flash line is refused.
		mustOrder(t, f, other, "o3", addrO.ID, LineRequest{ProductID: pr.ID, Qty: 1})
		*f.now = start.Add(time.Hour)
		_, err = f.m.PlaceOrder(ctx, other, OrderRequest{IdempotencyKey: "late", AddressID: addrO.ID, Lines: []LineRequest{line}})
		wantCode(t, err, fishpond.EConflict, "")
		// Cancelling gives the flash allotment back.
		if _, err := f.m.Cancel(ctx, buyer, o.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.m.FlashSale(ctx, fs.ID); got.Sold != 2 {
			t.Fatalf("flash sold after cancel %d", got.Sold)
		}
	})
}

func TestCart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, nil)
		addr := mustAddress(t, f, buyer)
		if err := f.m.SetCartItem(ctx, buyer, pr.ID, "", 2); err != nil {
			t.Fatal(err)
		}
		if err := f.m.SetCartItem(ctx, buyer, "nope", "", 2); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("unknown product in cart: %v", err)
		}
		orders, err := f.m.CheckoutCart(ctx, buyer, "cart-1", addr.ID)
		if err != nil || len(orders) != 1 || orders[0].Total != fishpond.Yuan(60) {
			t.Fatalf("%+v %v", orders, err)
		}
		if items, _ := f.m.Cart(ctx, buyer); len(items) != 0 {
			t.Fatalf("cart not emptied: %+v", items)
		}
	})
}
