package logistics

import (
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestColdChainAlert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		pc := mustShip(t, f, mustPaidOrder(t, f, "c1", 1), ParcelSpec{WeightG: 2000, ColdChain: true, TempMinC10: 20, TempMaxC10: 80})[0]
		op := householdP(f.hh[1])
		r, err := f.s.RecordTemperature(ctx, op, pc.TrackingNo, f.origin.ID, time.Time{}, 45)
		if err != nil || r.OutOfRange {
			t.Fatalf("in range: %+v %v", r, err)
		}
		f.advance(time.Minute)
		r, err = f.s.RecordTemperature(ctx, op, pc.TrackingNo, f.origin.ID, time.Time{}, 125)
		if err != nil || !r.OutOfRange {
			t.Fatalf("out of range: %+v %v", r, err)
		}
		// The same reading again is a duplicate: one alert.
		if _, err := f.s.RecordTemperature(ctx, op, pc.TrackingNo, f.origin.ID, r.At, 125); err != nil {
			t.Fatal(err)
		}
		alerts, err := f.s.Alerts(ctx, officer, originCounty, 10)
		if err != nil || len(alerts) != 1 || alerts[0].Kind != AlertTemperature || alerts[0].TrackingNo != pc.TrackingNo {
			t.Fatalf("alerts %+v %v", alerts, err)
		}
		if ev := logEvents(t, f, "logistics.alert.raised"); len(ev) != 1 || ev[0]["kind"] != AlertTemperature {
			t.Fatalf("alert events %v", ev)
		}
		rs, err := f.s.Readings(ctx, buyer, pc.TrackingNo)
		if err != nil || len(rs) != 2 {
			t.Fatalf("readings %+v %v", rs, err)
		}
		_, err = f.s.RecordTemperature(ctx, op, pc.TrackingNo, f.origin.ID, time.Time{}, 9000)
		wantCode(t, err, fishpond.EInvalid, "temp_c10")
		plain := mustShip(t, f, mustPaidOrder(t, f, "c2", 1))[0]
		_, err = f.s.RecordTemperature(ctx, op, plain.TrackingNo, f.origin.ID, time.Time{}, 50)
		wantCode(t, err, fishpond.EInvalid, "tracking_no")
		// Officers of another county see none of these alerts.
		_, err = f.s.Alerts(ctx, fishpond.Principal{Role: fishpond.RoleCountyOfficer, Counties: []string{otherCounty}}, originCounty, 10)
		wantCode(t, err, fishpond.ENotFound, "")
	})
}

// TestLateAlertsAndOnTime: a parcel left at the station past the first-mile
// promise raises a late alert from the sweep; it then arrives after its due time
// and counts as late in the station's and the period's on-time rate.
func TestLateAlertsAndOnTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		late := mustShip(t, f, mustPaidOrder(t, f, "l1", 1))[0]
		mustScan(t, f, householdP(f.hh[1]), late.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID})
		f.advance(23 * time.Hour)
		if n, err := f.s.CheckLate(ctx); err != nil || n != 0 {
			t.Fatalf("early sweep raised %d (%v)", n, err)
		}
		f.advance(2 * time.Hour)
		if n, err := f.s.CheckLate(ctx); err != nil || n != 1 {
			t.Fatalf("sweep raised %d (%v)", n, err)
		}
		if n, _ := f.s.CheckLate(ctx); n != 0 {
			t.Fatalf("second sweep raised %d again", n)
		}
		mustScan(t, f, officer, late.TrackingNo, ScanRequest{Kind: EventWarehouseIn, SiteID: f.wh.ID})
		mustScan(t, f, officer, late.TrackingNo, ScanRequest{Kind: EventHandedOver, SiteID: f.wh.ID})
		f.advance(100 * time.Hour) // over the carrier's 72 h
		if _, err := f.s.SyncCarrier(ctx); err != nil {
			t.Fatal(err)
		}
		pc := mustScan(t, f, householdP(f.destHH), late.TrackingNo, ScanRequest{Kind: EventArrived, SiteID: f.dest.ID}).Parcel
		if onTime, ok := pc.OnTime(); !ok || onTime {
			t.Fatalf("on time %v %v: arrived %v due %v", onTime, ok, pc.ArrivedAt, pc.DueAt)
		}
		legs, err := f.s.Legs(ctx, admin, pc.TrackingNo)
		if err != nil {
			t.Fatal(err)
		}
		if !legs[0].Late || legs[1].Late || !legs[2].Late || legs[3].Late {
			t.Fatalf("legs %+v", legs)
		}
		alerts, _ := f.s.Alerts(ctx, admin, "", 10)
		if len(alerts) != 2 {
			t.Fatalf("alerts %+v", alerts)
		}
		// A second parcel on time.
		ok := mustShip(t, f, mustPaidOrder(t, f, "l2", 1))[0]
		mustArrive(t, f, ok.TrackingNo)
		stats, err := f.s.StationPerformance(ctx, destCounty)
		if err != nil || len(stats) != 1 {
			t.Fatalf("stats %+v %v", stats, err)
		}
		if bp, measured := stats[0].OnTimeBp(); !measured || bp != 5000 || stats[0].Arrived != 2 || stats[0].Waiting != 2 {
			t.Fatalf("station %+v on time %d", stats[0], bp)
		}
		m, err := f.s.PeriodMetrics(ctx, "2020H1")
		if err != nil {
			t.Fatal(err)
		}
		if bp, _ := m.OnTimeBp(); bp != 5000 || m.ParcelsSent != 2 || m.ParcelsSentPoverty != 2 {
			t.Fatalf("metrics %+v", m)
		}
	})
}

func TestMetricsAndNetwork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		mustSite(t, f, fishpond.Principal{UserID: "u-lk", Role: fishpond.RoleCountyOfficer, Counties: []string{otherCounty}},
			SiteInput{Kind: Station, County: otherCounty, Name: "张庄村服务站", LatE6: 34_850_000, LngE6: 114_900_000, AltitudeM: 72, Opens: "08:00", Closes: "18:00", Capacity: 100})
		m, err := f.s.PeriodMetrics(ctx, "2020H1")
		if err != nil {
			t.Fatal(err)
		}
		if m.Warehouses != 1 || m.WarehousesPoverty != 1 || m.Stations != 3 || m.StationsPoverty != 2 || m.PovertyCountiesServed != 2 {
			t.Fatalf("metrics %+v", m)
		}
		if m.HighestStation == nil || m.HighestStation.AltitudeM != 1060 {
			t.Fatalf("highest %+v", m.HighestStation)
		}
		if _, ok := m.OnTimeBp(); ok {
			t.Fatal("on-time rate measured with nothing arrived")
		}
		// Drop-offs by a farmer count as sent from a poverty county.
		pc, err := f.s.DropOff(ctx, householdP(f.hh[1]), DropOffRequest{OriginSiteID: f.origin.ID, SenderHousehold: f.hh[0], DestCounty: destCounty, Parcel: ParcelSpec{WeightG: 800}})
		if err != nil {
			t.Fatal(err)
		}
		if pc.Status != StatusAccepted || pc.DestSite != f.dest.ID || pc.SentAt.IsZero() {
			t.Fatalf("drop-off %+v", pc)
		}
		m, _ = f.s.PeriodMetrics(ctx, "2020H1")
		if m.ParcelsSentPoverty != 1 {
			t.Fatalf("metrics after drop-off %+v", m)
		}
		if m2, _ := f.s.PeriodMetrics(ctx, "2020H2"); m2.ParcelsSent != 0 {
			t.Fatalf("H2 counts %d parcels of H1", m2.ParcelsSent)
		}
		net, err := f.s.Network(ctx)
		if err != nil || len(net) != 3 {
			t.Fatalf("network %+v %v", net, err)
		}
		for _, c := range net {
			if c.County == originCounty && (c.Warehouses != 1 || c.Stations != 1 || c.MaxAltitude != 1060 || c.ParcelsSent != 1 || !c.Poverty) {
				t.Fatalf("阜平 %+v", c)
			}
		}
	})
}

func TestDoorDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		// A buyer in 兰考, which has no station: the carrier delivers to the door.
		addr, err := f.m.AddAddress(ctx, buyer, marketAddress(otherCounty))
		if err != nil {
			t.Fatal(err)
		}
		o := mustPaidOrderAt(t, f, "door1", addr.ID)
		pc := mustShip(t, f, o)[0]
		if pc.DestSite != "" {
			t.Fatalf("dest %q", pc.DestSite)
		}
		mustScan(t, f, householdP(f.hh[1]), pc.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID})
		mustScan(t, f, officer, pc.TrackingNo, ScanRequest{Kind: EventWarehouseIn, SiteID: f.wh.ID})
		mustScan(t, f, officer, pc.TrackingNo, ScanRequest{Kind: EventHandedOver, SiteID: f.wh.ID})
		_, err = f.s.Scan(ctx, householdP(f.destHH), pc.TrackingNo, ScanRequest{Kind: EventArrived, SiteID: f.dest.ID})
		wantCode(t, err, fishpond.EConflict, "site_id")
		f.advance(60 * time.Hour)
		if _, err := f.s.SyncCarrier(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := f.s.Parcel(ctx, admin, pc.TrackingNo)
		if got.Status != StatusDelivered {
			t.Fatalf("door parcel %s", got.Status)
		}
		if o2, _ := f.m.Order(ctx, buyer, o.ID); o2.Status != "settled" {
			t.Fatalf("order %s", o2.Status)
		}
		// A scan after delivery is refused.
		_, err = f.s.Scan(ctx, admin, pc.TrackingNo, ScanRequest{Kind: EventTransit, Ref: "after"})
		wantCode(t, err, fishpond.EConflict, "")
		mustVerify(t, f)
	})
}

func TestSiteValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		good := SiteInput{Kind: Station, County: originCounty, Name: "新站", LatE6: 38_800_000, LngE6: 114_000_000, AltitudeM: 900, Opens: "08:00", Closes: "20:00", Capacity: 10}
		cases := []struct {
			edit  func(*SiteInput)
			field string
		}{
			{func(in *SiteInput) { in.Kind = "depot" }, "kind"},
			{func(in *SiteInput) { in.LatE6 = 60_000_000 }, "lat"},
			{func(in *SiteInput) { in.AltitudeM = 9000 }, "altitude_m"},
			{func(in *SiteInput) { in.Closes = "07:00" }, "closes"},
			{func(in *SiteInput) { in.Opens = "8am" }, "opens"},
			{func(in *SiteInput) { in.Capacity = 0 }, "capacity"},
			{func(in *SiteInput) { in.PayPerParcel = 50 }, "pay_per_parcel_fen"},
			{func(in *SiteInput) { in.OperatorHousehold = f.destHH; in.PayPerParcel = 50 }, "operator_household"},
			{func(in *SiteInput) { in.Name = f.origin.Name }, "name"},
			{func(in *SiteInput) { in.County = "999999" }, "county"},
		}
		for _, c := range cases {
			in := good
			c.edit(&in)
			_, err := f.s.OpenSite(ctx, admin, in)
			wantCode(t, err, fishpond.EInvalid, c.field)
		}
		_, err := f.s.OpenSite(ctx, fishpond.Principal{Role: fishpond.RoleCountyOfficer, Counties: []string{otherCounty}}, good)
		wantCode(t, err, fishpond.EForbidden, "")
		sites, _ := f.s.Sites(ctx, SiteFilter{County: originCounty})
		if len(sites) != 2 {
			t.Fatalf("refused sites were written: %d", len(sites))
		}
	})
}
