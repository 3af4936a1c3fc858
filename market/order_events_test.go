package market

import (
	"encoding/json"
	"strings"
	"testing"

	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestOrderTransitionsAppendEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		seller, pr, o, addr := mustPaidPartlyRefunded(t, f, "e1")
		for _, step := range []func() (Order, error){
			func() (Order, error) { return f.m.Ship(ctx, seller, o.ID, "SF") },
			func() (Order, error) { return f.m.MarkDelivered(ctx, buyer, o.ID) },
			func() (Order, error) { return f.m.Settle(ctx, admin, o.ID) },
		} {
			if _, err := step(); err != nil {
				t.Fatal(err)
			}
		}
		// A repeated payment notification changes nothing and records nothing.
		if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T1", o.Total); err != nil {
			t.Fatal(err)
		}
		o2 := mustOrder(t, f, buyer, "e2", addr.ID, LineRequest{ProductID: pr.ID, Qty: 1})
		if _, err := f.m.Cancel(ctx, buyer, o2.ID); err != nil {
			t.Fatal(err)
		}
		o3 := mustOrder(t, f, buyer, "e3", addr.ID, LineRequest{ProductID: pr.ID, Qty: 1})
		if n, err := f.m.ExpireUnpaid(ctx, f.now.Add(DefaultConfig.OrderTTL+1)); err != nil || n != 1 {
			t.Fatalf("ExpireUnpaid = %d, %v", n, err)
		}
		mustOrder(t, f, buyer, "e3", addr.ID, LineRequest{ProductID: pr.ID, Qty: 1}) // replay: no event

		log, err := events.New(d, nil).Read(ctx, 0, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range log {
			got = append(got, strings.TrimPrefix(e.Type, "order.")+":"+map[string]string{o.ID: "o1", o2.ID: "o2", o3.ID: "o3"}[e.Subject])
			if e.CountyCode != povertyCounty {
				t.Errorf("%s: county %q, want the shop's %s", e.Type, e.CountyCode, povertyCounty)
			}
			// The full number and the street, not fragments: a random id may well contain "138".
			if pl := string(e.Payload); strings.Contains(pl, "张三") || strings.Contains(pl, "13800138000") || strings.Contains(pl, "0013 8000") || strings.Contains(pl, "东直门") {
				t.Errorf("%s payload leaks the address: %s", e.Type, e.Payload)
			}
		}
		want := "placed:o1 paid:o1 refunded:o1 shipped:o1 delivered:o1 settled:o1 placed:o2 cancelled:o2 placed:o3 expired:o3"
		if s := strings.Join(got, " "); s != want {
			t.Fatalf("events:\n got %s\nwant %s", s, want)
		}
		var p struct {
			OrderID     string `json:"order_id"`
			ShopID      string `json:"shop_id"`
			TotalFen    int64  `json:"total_fen"`
			RefundedFen int64  `json:"refunded_fen"`
			Lines       []struct {
				ProductID    string `json:"product_id"`
				Qty          int64  `json:"qty"`
				UnitPriceFen int64  `json:"unit_price_fen"`
			} `json:"lines"`
		}
		if err := json.Unmarshal(log[5].Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.OrderID != o.ID || p.ShopID != pr.ShopID || p.TotalFen != 2000 || p.RefundedFen != 500 || len(p.Lines) != 1 ||
			p.Lines[0].ProductID != pr.ID || p.Lines[0].Qty != 2 || p.Lines[0].UnitPriceFen != 1000 {
			t.Fatalf("settled payload = %s", log[5].Payload)
		}
	})
}
