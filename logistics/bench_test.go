package logistics

import (
	"fmt"
	"os"
	"testing"

	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// The programme sent over 100 million parcels from poverty counties in half a year
// (182.5 days): on average 6.34 parcels a second. One benchmark op is one parcel's
// whole life through the station network, five write transactions: drop-off and
// acceptance at the origin station (with the operator's pay), warehouse in, handover
// to the carrier, arrival at the destination station (with the pickup code), and
// pickup with the code (with the destination operator's pay). ns/op is per parcel.

func BenchmarkParcelLifecycleSQLite(b *testing.B) { benchLifecycle(b, dbtest.SQLite(b)) }

func BenchmarkParcelLifecyclePostgres(b *testing.B) {
	if os.Getenv(dbtest.EnvPostgres) == "" {
		b.Skip("set " + dbtest.EnvPostgres)
	}
	benchLifecycle(b, dbtest.Postgres(b))
}

func benchLifecycle(b *testing.B, d *db.DB) {
	f := mustFixture(b, d)
	op, dest := householdP(f.hh[1]), householdP(f.destHH)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pc, err := f.s.DropOff(ctx, op, DropOffRequest{OriginSiteID: f.origin.ID, SenderHousehold: f.hh[0], DestSiteID: f.dest.ID, Parcel: ParcelSpec{WeightG: 1000}})
		if err != nil {
			b.Fatal(err)
		}
		for _, sc := range []struct {
			kind EventKind
			site string
		}{{EventWarehouseIn, f.wh.ID}, {EventHandedOver, f.wh.ID}} {
			if _, err := f.s.Scan(ctx, officer, pc.TrackingNo, ScanRequest{Kind: sc.kind, SiteID: sc.site}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := f.s.Scan(ctx, dest, pc.TrackingNo, ScanRequest{Kind: EventArrived, SiteID: f.dest.ID}); err != nil {
			b.Fatal(err)
		}
		code, err := f.s.PickupCode(ctx, op, pc.TrackingNo) // the drop-off's recipient is its registrar
		if err != nil {
			b.Fatal(fmt.Errorf("code: %w", err))
		}
		if _, err := f.s.Pickup(ctx, dest, f.dest.ID, pc.TrackingNo, code); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "parcels/s")
}
