package logistics

import (
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

// TestOrderTravelsAndSettles is the "done when": an order ships from a
// village station, passes the county warehouse and the carrier, arrives at the
// buyer's station, is picked up with the code, the order settles, the producing
// household's operating income appears, and both station operators' per-parcel
// pay appears as wage income.
func TestOrderTravelsAndSettles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		o := mustPaidOrder(t, f, "k1", 2)
		ps := mustShip(t, f, o)
		if len(ps) != 1 || ps[0].Status != StatusCreated || ps[0].DestSite != f.dest.ID || !ps[0].Poverty {
			t.Fatalf("parcels %+v", ps)
		}
		got, err := f.m.Order(ctx, buyer, o.ID)
		if err != nil || got.Status != market.StatusShipped || got.TrackingNo != ps[0].TrackingNo {
			t.Fatalf("order after ship: %+v %v", got, err)
		}
		if _, err := f.s.PickupCode(ctx, buyer, ps[0].TrackingNo); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("code before arrival: %v", err)
		}
		pc := mustArrive(t, f, ps[0].TrackingNo)
		if pc.Status != StatusAwaiting || pc.CarrierRef == "" {
			t.Fatalf("after arrival %+v", pc)
		}
		evs, err := f.s.Events(ctx, buyer, pc.TrackingNo)
		if err != nil {
			t.Fatal(err)
		}
		var transit int
		for _, e := range evs {
			if e.Kind == EventTransit {
				transit++
			}
		}
		if transit != 3 {
			t.Fatalf("want the sandbox carrier's 3 transit events, got %d in %+v", transit, evs)
		}
		code, err := f.s.PickupCode(ctx, buyer, pc.TrackingNo)
		if err != nil || len(code) != 6 {
			t.Fatalf("code %q %v", code, err)
		}
		if _, err := f.s.PickupCode(ctx, householdP(f.destHH), pc.TrackingNo); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("station operator must not read the code: %v", err)
		}
		before := income(t, f, f.hh[0])
		f.advance(2 * time.Hour)
		res, err := f.s.Pickup(ctx, householdP(f.destHH), f.dest.ID, pc.TrackingNo, code)
		if err != nil {
			t.Fatal(err)
		}
		if res.Parcel.Status != StatusDelivered || res.OrderStatus != market.StatusSettled {
			t.Fatalf("pickup result %+v", res)
		}
		after := income(t, f, f.hh[0])
		if after.Operating <= before.Operating {
			t.Fatalf("producer's operating income did not grow: %v → %v", before.Operating, after.Operating)
		}
		if w := income(t, f, f.hh[1]).Wage; w != 100 {
			t.Fatalf("origin operator wage %v, want 1.00", w)
		}
		if w := income(t, f, f.destHH).Wage; w != 80 {
			t.Fatalf("destination operator wage %v, want 0.80", w)
		}
		mustVerify(t, f)
		sent := logEvents(t, f, "logistics.parcel.sent")
		if len(sent) != 1 || sent[0]["origin_county"] != originCounty || sent[0]["poverty_county"] != true {
			t.Fatalf("sent events %v", sent)
		}
		del := logEvents(t, f, "logistics.parcel.delivered")
		if len(del) != 1 || del[0]["on_time"] != true {
			t.Fatalf("delivered events %v", del)
		}
		opened := logEvents(t, f, "logistics.station.opened")
		if len(opened) != 2 || opened[0]["altitude_m"] != float64(1060) || opened[0]["poverty_county"] != true {
			t.Fatalf("station events %v", opened)
		}
		// A repeated pickup is refused and pays nobody again.
		if _, err := f.s.Pickup(ctx, householdP(f.destHH), f.dest.ID, pc.TrackingNo, code); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("second pickup: %v", err)
		}
		if w := income(t, f, f.destHH).Wage; w != 80 {
			t.Fatalf("paid twice: %v", w)
		}
	})
}

// TestMultiParcelOrderSettlesOnLastPickup: an order of two parcels stays shipped
// until both are picked up.
func TestMultiParcelOrderSettlesOnLastPickup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		o := mustPaidOrder(t, f, "k2", 3)
		ps := mustShip(t, f, o, ParcelSpec{WeightG: 1000}, ParcelSpec{WeightG: 500})
		if len(ps) != 2 || ps[0].TrackingNo == ps[1].TrackingNo {
			t.Fatalf("parcels %+v", ps)
		}
		// Shipping again returns the same parcels (idempotent).
		again, err := f.s.ShipOrder(ctx, f.seller, ShipRequest{OrderID: o.ID, OriginSiteID: f.origin.ID, Parcels: []ParcelSpec{{WeightG: 1}}})
		if err != nil || len(again) != 2 || again[0].ID != ps[0].ID {
			t.Fatalf("ship again: %+v %v", again, err)
		}
		for i, p := range ps {
			mustArrive(t, f, p.TrackingNo)
			code, err := f.s.PickupCode(ctx, buyer, p.TrackingNo)
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.s.Pickup(ctx, householdP(f.destHH), f.dest.ID, p.TrackingNo, code)
			if err != nil {
				t.Fatal(err)
			}
			want := market.StatusShipped
			if i == 1 {
				want = market.StatusSettled
			}
			if res.OrderStatus != want {
				t.Fatalf("after parcel %d: order %s, want %s", i, res.OrderStatus, want)
			}
		}
		if w := income(t, f, f.hh[1]).Wage; w != 200 {
			t.Fatalf("origin operator paid %v for two parcels, want 2.00", w)
		}
		mustVerify(t, f)
	})
}

// TestShipRefusals: only the seller ships, only paid orders, only from a station.
func TestShipRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		o := mustPaidOrder(t, f, "k3", 1)
		_, err := f.s.ShipOrder(ctx, buyer, ShipRequest{OrderID: o.ID, OriginSiteID: f.origin.ID, Parcels: []ParcelSpec{{WeightG: 10}}})
		wantCode(t, err, fishpond.EForbidden, "")
		_, err = f.s.ShipOrder(ctx, f.seller, ShipRequest{OrderID: o.ID, OriginSiteID: f.wh.ID, Parcels: []ParcelSpec{{WeightG: 10}}})
		wantCode(t, err, fishpond.EInvalid, "origin_site_id")
		_, err = f.s.ShipOrder(ctx, f.seller, ShipRequest{OrderID: o.ID, OriginSiteID: f.origin.ID, Parcels: []ParcelSpec{{WeightG: 0}}})
		wantCode(t, err, fishpond.EInvalid, "parcels[0].weight_g")
		_, err = f.s.ShipOrder(ctx, f.seller, ShipRequest{OrderID: o.ID, OriginSiteID: f.origin.ID, Parcels: []ParcelSpec{{WeightG: 10, ColdChain: true, TempMinC10: 80, TempMaxC10: 20}}})
		wantCode(t, err, fishpond.EInvalid, "parcels[0].temp_range")
		_, err = f.s.ShipOrder(ctx, f.seller, ShipRequest{OrderID: o.ID, OriginSiteID: f.origin.ID, DestSiteID: f.origin.ID, Parcels: []ParcelSpec{{WeightG: 10}}})
		wantCode(t, err, fishpond.EInvalid, "dest_site_id")
		var n int
		if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM logistics_parcels").Scan(&n); err != nil || n != 0 {
			t.Fatalf("refused shipments left %d parcels (%v)", n, err)
		}
		got, _ := f.m.Order(ctx, buyer, o.ID)
		if got.Status != market.StatusPaid {
			t.Fatalf("order %s after refusals", got.Status)
		}
	})
}
