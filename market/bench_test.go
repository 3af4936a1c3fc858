package market

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/dbtest"
)

// BenchmarkCheckout places and pays orders from many goroutines (b.SetParallelism)
// on SQLite and reports completed checkouts (place + pay, each its own
// transaction) per second. No HTTP: this is the floor under the target.
func BenchmarkCheckout(b *testing.B) {
	benchCheckout(b, "sqlite")
}

// BenchmarkCheckoutPostgres is BenchmarkCheckout on PostgreSQL.
func BenchmarkCheckoutPostgres(b *testing.B) {
	benchCheckout(b, "postgres")
}

func benchCheckout(b *testing.B, engine string) {
	d := dbtest.SQLite(b)
	if engine == "postgres" {
		d = dbtest.Postgres(b)
	}
	f := mustFixture(b, d)
	sh, err := f.m.OpenShop(ctx, admin, ShopInput{Name: "bench", OwnerKind: OwnerHousehold, OwnerID: f.hh[0]})
	if err != nil {
		b.Fatal(err)
	}
	in := productInput(sh.ID)
	in.Stock = MaxStock
	pr, err := f.m.AddProduct(ctx, admin, in)
	if err != nil {
		b.Fatal(err)
	}
	const buyers = 64
	addrs := make([]string, buyers)
	ps := make([]fishpond.Principal, buyers)
	for i := range ps {
		ps[i] = fishpond.Principal{UserID: fmt.Sprint("bench", i), Role: fishpond.RoleConsumer}
		a, err := f.m.AddAddress(ctx, ps[i], AddressInput{Name: "张三", Phone: "13800138000", ProvinceCode: "11", CountyCode: richCounty, Detail: "东直门大街1号"})
		if err != nil {
			b.Fatal(err)
		}
		addrs[i] = a.ID
	}
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			k := int(i) % buyers
			o, err := f.m.PlaceOrder(ctx, ps[k], OrderRequest{IdempotencyKey: fmt.Sprint("k", i), AddressID: addrs[k], Lines: []LineRequest{{ProductID: pr.ID, Qty: 1}}})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", o.ID, o.Total); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checkouts/s")
}
