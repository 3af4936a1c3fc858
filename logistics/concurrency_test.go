package logistics

import (
	"strings"
	"sync"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

// TestConcurrentScansAndPickupsPayOnce: the same scan from many phones at once
// records one event and pays once; many pickups with the right code at once hand
// the parcel over once, settle the order once and pay the station once.
func TestConcurrentScansAndPickupsPayOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		o := mustPaidOrder(t, f, "cc1", 1)
		pc := mustShip(t, f, o)[0]
		op := householdP(f.hh[1])
		var wg sync.WaitGroup
		fresh := make(chan bool, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := f.s.Scan(ctx, op, pc.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID})
				if err != nil {
					t.Error(err)
					return
				}
				fresh <- !res.Duplicate
			}()
		}
		wg.Wait()
		close(fresh)
		n := 0
		for ok := range fresh {
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d scans counted as new, want 1", n)
		}
		if w := income(t, f, f.hh[1]).Wage; w != 100 {
			t.Fatalf("operator paid %v, want 1.00", w)
		}
		pcs, _ := f.s.Parcel(ctx, admin, pc.TrackingNo)
		mustScan(t, f, officer, pcs.TrackingNo, ScanRequest{Kind: EventWarehouseIn, SiteID: f.wh.ID})
		mustScan(t, f, officer, pcs.TrackingNo, ScanRequest{Kind: EventHandedOver, SiteID: f.wh.ID})
		mustScan(t, f, householdP(f.destHH), pcs.TrackingNo, ScanRequest{Kind: EventArrived, SiteID: f.dest.ID})
		code, err := f.s.PickupCode(ctx, buyer, pc.TrackingNo)
		if err != nil {
			t.Fatal(err)
		}
		okCount := make(chan int, 6)
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.s.Pickup(ctx, householdP(f.destHH), f.dest.ID, pc.TrackingNo, code)
				switch {
				case err == nil:
					okCount <- 1
				case fishpond.Code(err) == fishpond.EConflict && strings.Contains(err.Error(), "已被取走"):
					okCount <- 0
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		close(okCount)
		total := 0
		for v := range okCount {
			total += v
		}
		if total != 1 {
			t.Fatalf("%d pickups succeeded, want 1", total)
		}
		if w := income(t, f, f.destHH).Wage; w != 80 {
			t.Fatalf("destination operator paid %v, want 0.80", w)
		}
		if got, _ := f.m.Order(ctx, buyer, o.ID); got.Status != market.StatusSettled {
			t.Fatalf("order %s", got.Status)
		}
		if n := len(logEvents(t, f, "logistics.parcel.delivered")); n != 1 {
			t.Fatalf("%d delivered events", n)
		}
		mustVerify(t, f)
	})
}
