package farms

import (
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// A cooperative's own sale lands in its cash as sales income (kind farm_sale), once
// per invoice; bad input and other managers change nothing.
func TestRecordSaleBooksCashOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, _, c := smallFarm(t, d)
		cash0, err := f.s.Cash(ctx, manager, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		in := SaleInput{Buyer: "阜平县小米加工厂", Crop: "谷子", Weight: 1_234_567, UnitPrice: 700, IdempotencyKey: "INV-1"}
		_, err = f.s.RecordSale(ctx, manager, c.ID, SaleInput{Crop: "", Weight: 0, UnitPrice: 0})
		for _, field := range []string{"buyer", "crop", "weight", "unit_price", "idempotency_key"} {
			wantCode(t, err, fishpond.EInvalid, field)
		}
		_, err = f.s.RecordSale(ctx, other, c.ID, in)
		wantCode(t, err, fishpond.EForbidden, "")
		s, err := f.s.RecordSale(ctx, manager, c.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if s.Amount != 864196 { // 1,234.567 kg × 7 yuan, rounded down to the fen
			t.Fatalf("amount %s", s.Amount)
		}
		again, err := f.s.RecordSale(ctx, manager, c.ID, in)
		if err != nil || !again.Replayed || again.ID != s.ID {
			t.Fatalf("replay %+v %v", again, err)
		}
		changed := in
		changed.Weight = Kg(1)
		_, err = f.s.RecordSale(ctx, manager, c.ID, changed)
		wantCode(t, err, fishpond.EConflict, "")
		cash, err := f.s.Cash(ctx, manager, c.ID)
		if err != nil || cash != cash0+s.Amount {
			t.Fatalf("cash %s, want %s", cash, cash0+s.Amount)
		}
		ss, err := f.s.Sales(ctx, officer, c.ID, 10)
		if err != nil || len(ss) != 1 || ss[0].Buyer != in.Buyer || ss[0].TransferID == "" {
			t.Fatalf("sales %+v %v", ss, err)
		}
		if n := f.countEvents(t, "farms.sale.recorded"); n != 1 {
			t.Fatalf("%d sale events", n)
		}
		f.verifyLedger(t)
	})
}
