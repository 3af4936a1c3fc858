package market

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// TestNoOversell: 200 buyers at once for 50 units (and for a flash sale of 20)
// sell exactly 50 (20), never a unit more, on both engines.
func TestNoOversell(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, func(in *ProductInput) { in.Stock = 50 })
		flashProduct := mustProduct(t, f, sh, func(in *ProductInput) { in.Stock = 50 })
		fs, err := f.m.CreateFlashSale(ctx, householdP(sh.OwnerID), FlashInput{ProductID: flashProduct.ID, Price: fishpond.Yuan(9), Quantity: 20, StartsAt: t2020, EndsAt: t2020.Add(1e12)})
		if err != nil {
			t.Fatal(err)
		}
		buyers := make([]fishpond.Principal, 200)
		addrs := make([]string, 200)
		for i := range buyers {
			buyers[i] = fishpond.Principal{UserID: fmt.Sprint("b", i), Role: fishpond.RoleConsumer}
			addrs[i] = mustAddress(t, f, buyers[i]).ID
		}
		run := func(line LineRequest) int64 {
			var sold atomic.Int64
			var wg sync.WaitGroup
			for i := range buyers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					o, err := f.m.PlaceOrder(ctx, buyers[i], OrderRequest{IdempotencyKey: "buy-" + line.ProductID, AddressID: addrs[i], Lines: []LineRequest{line}})
					switch {
					case err == nil:
						if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", o.ID, o.Total); err != nil {
							t.Error(err)
						}
						sold.Add(o.Lines[0].Qty)
					case fishpond.Code(err) != fishpond.EConflict:
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			return sold.Load()
		}
		if sold := run(LineRequest{ProductID: pr.ID, Qty: 1}); sold != 50 || stockOf(t, f, pr.ID) != 0 {
			t.Fatalf("sold %d, stock %d", sold, stockOf(t, f, pr.ID))
		}
		if sold := run(LineRequest{ProductID: flashProduct.ID, FlashID: fs.ID, Qty: 1}); sold != 20 {
			t.Fatalf("flash sold %d", sold)
		}
		got, _ := f.m.FlashSale(ctx, fs.ID)
		if got.Sold != 20 || stockOf(t, f, flashProduct.ID) != 30 {
			t.Fatalf("flash counter %d, stock %d", got.Sold, stockOf(t, f, flashProduct.ID))
		}
		var neg, lines int64
		if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM market_products WHERE stock < 0").Scan(&neg); err != nil || neg != 0 {
			t.Fatalf("negative stock rows %d %v", neg, err)
		}
		if err := d.Read().QueryRowContext(ctx, "SELECT COALESCE(SUM(qty), 0) FROM market_order_lines WHERE product_id = ?", pr.ID).Scan(&lines); err != nil || lines != 50 {
			t.Fatalf("ordered lines %d %v", lines, err)
		}
		mustVerify(t, f)
	})
}
