package market

import (
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

// settled places, pays, ships, delivers and settles an order of qty units.
func settled(t *testing.T, f *fixture, key, addr string, seller fishpond.Principal, line LineRequest) Order {
	t.Helper()
	o := mustOrder(t, f, buyer, key, addr, line)
	if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T-"+key, o.Total); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Ship(ctx, seller, o.ID, "SF-"+key); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.MarkDelivered(ctx, buyer, o.ID); err != nil {
		t.Fatal(err)
	}
	s, err := f.m.Settle(ctx, admin, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func income(t *testing.T, f *fixture, hh string) fishpond.Money {
	t.Helper()
	in, err := f.l.HouseholdIncome(ctx, hh, t2020.AddDate(-1, 0, 0), t2020.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return in.Operating
}

func balance(t *testing.T, f *fixture, owner, cat string) fishpond.Money {
	t.Helper()
	a, err := f.l.Account(ctx, owner, cat)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

// TestSettlementSplit: 3 × 33.37 yuan = 100.11 yuan; fee 2% = 2.00 (floor of
// 2.0022); pledge 0.50 per item = 1.50 to the health-insurance fund; the rest,
// 96.61, to producers 6000/4000: 57.966 → 57.97 and 38.644 → 38.64 (the larger
// fraction gets the odd fen). A partial refund after settlement takes back
// proportionally; the full refund returns every account to zero.
func TestSettlementSplit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		seller := householdP(sh.OwnerID)
		a, b := f.hh[1], f.hh[2]
		pr := mustProduct(t, f, sh, func(in *ProductInput) {
			in.Price = 3337
			in.Pledge = 50
			in.PledgeFund = "health-insurance"
			in.Producers = []Share{{a, 6000}, {b, 4000}}
		})
		addr := mustAddress(t, f, buyer)
		o := settled(t, f, "s1", addr.ID, seller, LineRequest{ProductID: pr.ID, Qty: 3})
		if o.Total != 10011 {
			t.Fatalf("total %d", o.Total)
		}
		if ia, ib := income(t, f, a), income(t, f, b); ia != 5797 || ib != 3864 {
			t.Fatalf("producer income %d %d, want 5797 3864", ia, ib)
		}
		if fee := balance(t, f, "platform", CatFee); fee != -200 {
			t.Fatalf("fee %d", fee)
		}
		if pl := balance(t, f, FundOwner("health-insurance"), CatPledges); pl != -150 {
			t.Fatalf("pledge %d", pl)
		}
		if w := balance(t, f, ledger.HouseholdOwner(a), ledger.CatWallet); w != 5797 {
			t.Fatalf("wallet %d", w)
		}
		if aw := balance(t, f, "platform", CatAwaiting); aw != 0 {
			t.Fatalf("awaiting after settlement %d", aw)
		}
		parts, err := f.m.SettlementParts(ctx, buyer, o.ID)
		if err != nil || len(parts) != 4 {
			t.Fatalf("%+v %v", parts, err)
		}
		mustVerify(t, f)
		// Partial refund of 10.01 after settlement, then the rest.
		*f.now = f.now.Add(time.Hour)
		r1, err := f.m.Refund(ctx, seller, RefundRequest{OrderID: o.ID, Amount: 1001, Reason: "一袋破损 one bag damaged", IdempotencyKey: "r1"})
		if err != nil || !r1.AfterSettlement || r1.Order.Status != StatusSettled {
			t.Fatalf("%+v %v", r1, err)
		}
		if again, err := f.m.Refund(ctx, seller, RefundRequest{OrderID: o.ID, Amount: 1001, Reason: "一袋破损 one bag damaged", IdempotencyKey: "r1"}); err != nil || !again.Replayed {
			t.Fatalf("replay %+v %v", again, err)
		}
		_, err = f.m.Refund(ctx, seller, RefundRequest{OrderID: o.ID, Amount: 5, Reason: "x", IdempotencyKey: "r1"})
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.m.Refund(ctx, seller, RefundRequest{OrderID: o.ID, Amount: 10011, Reason: "x", IdempotencyKey: "r-too-much"})
		wantCode(t, err, fishpond.EInvalid, "amount")
		_, err = f.m.Refund(ctx, buyer, RefundRequest{OrderID: o.ID, Amount: 1, Reason: "x", IdempotencyKey: "rb"})
		wantCode(t, err, fishpond.EForbidden, "")
		ia := income(t, f, a)
		if ia >= 5797 || ia < 5797-1001 {
			t.Fatalf("partial refund income %d", ia)
		}
		mustVerify(t, f)
		r2, err := f.m.Refund(ctx, admin, RefundRequest{OrderID: o.ID, Amount: 10011 - 1001, Reason: "全部退货 returned", IdempotencyKey: "r2"})
		if err != nil || r2.Order.Status != StatusRefunded {
			t.Fatalf("%+v %v", r2, err)
		}
		for _, h := range []string{a, b} {
			if in := income(t, f, h); in != 0 {
				t.Fatalf("income after full refund %d", in)
			}
			if w := balance(t, f, ledger.HouseholdOwner(h), ledger.CatWallet); w != 0 {
				t.Fatalf("wallet after full refund %d", w)
			}
		}
		for _, acc := range [][2]string{{"platform", CatFee}, {"platform", CatClearing}, {"platform", CatAwaiting}, {FundOwner("health-insurance"), CatPledges}} {
			if v := balance(t, f, acc[0], acc[1]); v != 0 {
				t.Fatalf("%v after full refund %d", acc, v)
			}
		}
		_, err = f.m.Refund(ctx, admin, RefundRequest{OrderID: o.ID, Amount: 1, Reason: "x", IdempotencyKey: "r3"})
		wantCode(t, err, fishpond.EConflict, "")
		mustVerify(t, f)
	})
}

// TestRefundBeforeSettlement: a partial refund of a paid order reduces what
// settlement pays out; a full refund of an unshipped order releases its stock.
func TestRefundBeforeSettlement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		seller, pr, o, addr := mustPaidPartlyRefunded(t, f, "p1")
		if aw := balance(t, f, "platform", CatAwaiting); aw != -1500 {
			t.Fatalf("awaiting %d", aw)
		}
		f.m.Ship(ctx, seller, o.ID, "SF")
		f.m.MarkDelivered(ctx, buyer, o.ID)
		s, err := f.m.Settle(ctx, admin, o.ID)
		if err != nil || s.SettledAmount != 1500 {
			t.Fatalf("%+v %v", s, err)
		}
		if in := income(t, f, seller.HouseholdID); in != 1500-30 {
			t.Fatalf("income %d", in)
		}
		// Full refund before shipping releases stock.
		o2 := mustOrder(t, f, buyer, "p2", addr.ID, LineRequest{ProductID: pr.ID, Qty: 3})
		f.m.MarkPaid(ctx, o2.ID, "sandbox", "T2", o2.Total)
		before := stockOf(t, f, pr.ID)
		r, err := f.m.Refund(ctx, seller, RefundRequest{OrderID: o2.ID, Amount: o2.Total, Reason: "缺货 out of stock", IdempotencyKey: "b"})
		if err != nil || r.Order.Status != StatusRefunded || stockOf(t, f, pr.ID) != before+3 {
			t.Fatalf("%+v %v stock %d", r, err, stockOf(t, f, pr.ID))
		}
		mustVerify(t, f)
	})
}
