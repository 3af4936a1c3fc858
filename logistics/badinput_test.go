package logistics

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

func TestUnknownTrackingNumber(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		_, err := f.s.Scan(ctx, householdP(f.hh[1]), "FPNOSUCHPARCEL1", ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID})
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = f.s.Track(ctx, "FPNOSUCHPARCEL1")
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = f.s.Pickup(ctx, householdP(f.destHH), f.dest.ID, "FPNOSUCHPARCEL1", "123456")
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = f.s.Track(ctx, "  ")
		wantCode(t, err, fishpond.EInvalid, "tracking_no")
		_, err = f.s.Track(ctx, strings.Repeat("F", 40))
		wantCode(t, err, fishpond.EInvalid, "tracking_no")
	})
}

// TestDuplicateScansAreIdempotent: the same scan twice records one event, pays
// once and reports the second as a duplicate.
func TestDuplicateScansAreIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		pc := mustShip(t, f, mustPaidOrder(t, f, "d1", 1))[0]
		op := householdP(f.hh[1])
		first := mustScan(t, f, op, pc.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID})
		n := eventCount(t, f, pc.ID)
		f.advance(5 * time.Minute)
		second := mustScan(t, f, op, pc.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID})
		if first.Duplicate || !second.Duplicate {
			t.Fatalf("duplicate flags %v %v", first.Duplicate, second.Duplicate)
		}
		if eventCount(t, f, pc.ID) != n {
			t.Fatal("a duplicate scan added an event")
		}
		if second.Parcel.SentAt != first.Parcel.SentAt {
			t.Fatalf("a duplicate scan moved the sent time: %v → %v", first.Parcel.SentAt, second.Parcel.SentAt)
		}
		if w := income(t, f, f.hh[1]).Wage; w != 100 {
			t.Fatalf("operator paid %v, want 1.00 once", w)
		}
		if got := len(logEvents(t, f, "logistics.parcel.sent")); got != 1 {
			t.Fatalf("%d sent events", got)
		}
		// A carrier report repeated is a duplicate as well.
		mustScan(t, f, officer, pc.TrackingNo, ScanRequest{Kind: EventWarehouseIn, SiteID: f.wh.ID})
		mustScan(t, f, officer, pc.TrackingNo, ScanRequest{Kind: EventHandedOver, SiteID: f.wh.ID})
		f.advance(3 * time.Hour)
		a, err := f.s.SyncCarrier(ctx)
		if err != nil || a != 1 {
			t.Fatalf("first sync %d %v", a, err)
		}
		b, err := f.s.SyncCarrier(ctx)
		if err != nil || b != 0 {
			t.Fatalf("second sync recorded %d (%v)", b, err)
		}
		mustVerify(t, f)
	})
}

// TestOutOfOrderEvents: scans from a phone that was offline arrive after later
// scans; they are stored by event time and the status follows the furthest stage.
func TestOutOfOrderEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		pc := mustShip(t, f, mustPaidOrder(t, f, "o1", 1))[0]
		t0 := *f.now
		f.advance(10 * time.Hour)
		// The warehouse hands it over (t0+6h) before the station's offline scans
		// (accepted at t0+1h) and the warehouse-in scan (t0+4h) reach us.
		r := mustScan(t, f, officer, pc.TrackingNo, ScanRequest{Kind: EventHandedOver, SiteID: f.wh.ID, At: t0.Add(6 * time.Hour)})
		if r.Parcel.Status != StatusInTransit || r.Parcel.CarrierRef == "" {
			t.Fatalf("after handover %+v", r.Parcel)
		}
		r = mustScan(t, f, householdP(f.hh[1]), pc.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID, At: t0.Add(time.Hour)})
		if r.Parcel.Status != StatusInTransit {
			t.Fatalf("a late earlier scan moved the parcel back to %s", r.Parcel.Status)
		}
		r = mustScan(t, f, officer, pc.TrackingNo, ScanRequest{Kind: EventWarehouseIn, SiteID: f.wh.ID, At: t0.Add(4 * time.Hour)})
		if r.Parcel.Status != StatusInTransit || !r.Parcel.SentAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("derived %s sent %v", r.Parcel.Status, r.Parcel.SentAt)
		}
		if want := t0.Add(time.Hour + 108*time.Hour); !r.Parcel.DueAt.Equal(want) {
			t.Fatalf("due %v, want %v (from the real sent time)", r.Parcel.DueAt, want)
		}
		evs, err := f.s.Events(ctx, admin, pc.TrackingNo)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for i, e := range evs {
			kinds = append(kinds, string(e.Kind))
			if i > 0 && e.At.Before(evs[i-1].At) {
				t.Fatalf("events not in event-time order: %+v", evs)
			}
		}
		if got := strings.Join(kinds, ","); got != "created,accepted,warehouse_in,handed_over" {
			t.Fatalf("events %s", got)
		}
		legs, err := f.s.Legs(ctx, admin, pc.TrackingNo)
		if err != nil {
			t.Fatal(err)
		}
		if legs[0].Actual(*f.now) != 3*time.Hour || legs[1].Actual(*f.now) != 2*time.Hour {
			t.Fatalf("legs measured from event times: %v %v", legs[0].Actual(*f.now), legs[1].Actual(*f.now))
		}
		// The operator is paid for the accepted scan even though it came late.
		if w := income(t, f, f.hh[1]).Wage; w != 100 {
			t.Fatalf("wage %v", w)
		}
		// An arrival before the handover reached us, then the carrier's transit.
		f.advance(40 * time.Hour)
		r = mustScan(t, f, householdP(f.destHH), pc.TrackingNo, ScanRequest{Kind: EventArrived, SiteID: f.dest.ID})
		if r.Parcel.Status != StatusAwaiting {
			t.Fatalf("after arrival %s", r.Parcel.Status)
		}
		r = mustScan(t, f, admin, pc.TrackingNo, ScanRequest{Kind: EventTransit, Ref: "late-1", Place: "中转", At: t0.Add(20 * time.Hour)})
		if r.Parcel.Status != StatusAwaiting || !r.Parcel.ArrivedAt.Equal(*f.now) {
			t.Fatalf("a late transit report changed the state: %+v", r.Parcel)
		}
		// Times that cannot be: in the future, or before the parcel existed.
		_, err = f.s.Scan(ctx, admin, pc.TrackingNo, ScanRequest{Kind: EventTransit, Ref: "x", At: f.now.Add(time.Hour)})
		wantCode(t, err, fishpond.EInvalid, "at")
		_, err = f.s.Scan(ctx, admin, pc.TrackingNo, ScanRequest{Kind: EventTransit, Ref: "y", At: t0.Add(-time.Hour)})
		wantCode(t, err, fishpond.EInvalid, "at")
		_, err = f.s.Scan(ctx, admin, pc.TrackingNo, ScanRequest{Kind: "teleported", SiteID: f.dest.ID})
		wantCode(t, err, fishpond.EInvalid, "kind")
	})
}

func TestDeriveStateIsOrderIndependent(t *testing.T) {
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := []TrackEvent{
		{Kind: EventCreated, At: t0},
		{Kind: EventAccepted, At: t0.Add(time.Hour)},
		{Kind: EventWarehouseIn, At: t0.Add(2 * time.Hour)},
		{Kind: EventHandedOver, At: t0.Add(3 * time.Hour)},
		{Kind: EventTransit, At: t0.Add(5 * time.Hour)},
		{Kind: EventArrived, At: t0.Add(9 * time.Hour)},
	}
	want := deriveState(append([]TrackEvent(nil), evs...))
	// Every rotation of the arrival order derives the same state.
	for r := range evs {
		perm := append(append([]TrackEvent(nil), evs[r:]...), evs[:r]...)
		got := deriveState(perm)
		if got.status != want.status || !got.sent.Equal(want.sent) || !got.arrived.Equal(want.arrived) || !got.lastAt.Equal(want.lastAt) {
			t.Fatalf("rotation %d: %+v, want %+v", r, got, want)
		}
	}
	if want.status != StatusAwaiting || !want.sent.Equal(t0.Add(time.Hour)) {
		t.Fatalf("derived %+v", want)
	}
}

// TestWrongPickupCodes: wrong codes count, the fifth locks the parcel (even the
// right code is refused then), an officer reissues, and the new code works.
func TestWrongPickupCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		o := mustPaidOrder(t, f, "w1", 1)
		pc := mustArrive(t, f, mustShip(t, f, o)[0].TrackingNo)
		code, err := f.s.PickupCode(ctx, buyer, pc.TrackingNo)
		if err != nil {
			t.Fatal(err)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		op := householdP(f.destHH)
		_, err = f.s.Pickup(ctx, op, f.dest.ID, pc.TrackingNo, "12ab56")
		wantCode(t, err, fishpond.EInvalid, "code")
		for i := 1; i <= 4; i++ {
			_, err = f.s.Pickup(ctx, op, f.dest.ID, pc.TrackingNo, wrong)
			wantCode(t, err, fishpond.EInvalid, "code")
		}
		got, _ := f.s.Parcel(ctx, admin, pc.TrackingNo)
		if got.PickupAttempts != 4 || got.PickupLocked {
			t.Fatalf("after 4 wrong codes (and a malformed one that does not count): %d locked=%v", got.PickupAttempts, got.PickupLocked)
		}
		_, err = f.s.Pickup(ctx, op, f.dest.ID, pc.TrackingNo, wrong)
		wantCode(t, err, fishpond.EConflict, "code")
		_, err = f.s.Pickup(ctx, op, f.dest.ID, pc.TrackingNo, code)
		wantCode(t, err, fishpond.EConflict, "")
		got, _ = f.s.Parcel(ctx, admin, pc.TrackingNo)
		if got.Status != StatusAwaiting || !got.PickupLocked {
			t.Fatalf("locked parcel %+v", got)
		}
		if o2, _ := f.m.Order(ctx, buyer, o.ID); o2.Status != market.StatusShipped {
			t.Fatalf("order %s after refused pickups", o2.Status)
		}
		if w := income(t, f, f.destHH).Wage; w != 0 {
			t.Fatalf("station paid %v for a refused pickup", w)
		}
		// Officers of another county may not reissue; the destination's may.
		_, err = f.s.Reissue(ctx, officer, pc.TrackingNo)
		wantCode(t, err, fishpond.EForbidden, "")
		if _, err := f.s.Reissue(ctx, admin, pc.TrackingNo); err != nil {
			t.Fatal(err)
		}
		code2, err := f.s.PickupCode(ctx, buyer, pc.TrackingNo)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.s.Pickup(ctx, op, f.dest.ID, pc.TrackingNo, code2)
		if err != nil || res.OrderStatus != market.StatusSettled {
			t.Fatalf("pickup with reissued code: %+v %v", res, err)
		}
	})
}

// TestWrongStationScans: a parcel scanned where it does not pass is refused with
// the site named, and nothing changes.
func TestWrongStationScans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		pc := mustShip(t, f, mustPaidOrder(t, f, "s1", 1))[0]
		otherOfficer := fishpond.Principal{UserID: "u-lankao", Role: fishpond.RoleCountyOfficer, Counties: []string{otherCounty}}
		otherWH := mustSite(t, f, otherOfficer, SiteInput{Kind: Warehouse, County: otherCounty, Name: "兰考县级仓", LatE6: 34_820_000, LngE6: 114_820_000, AltitudeM: 70, Opens: "08:00", Closes: "20:00", Capacity: 1000})
		n := eventCount(t, f, pc.ID)
		_, err := f.s.Scan(ctx, householdP(f.destHH), pc.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: f.dest.ID})
		wantCode(t, err, fishpond.EConflict, "site_id")
		_, err = f.s.Scan(ctx, otherOfficer, pc.TrackingNo, ScanRequest{Kind: EventWarehouseIn, SiteID: otherWH.ID})
		wantCode(t, err, fishpond.EConflict, "site_id")
		_, err = f.s.Scan(ctx, householdP(f.hh[1]), pc.TrackingNo, ScanRequest{Kind: EventArrived, SiteID: f.origin.ID})
		wantCode(t, err, fishpond.EConflict, "site_id")
		// A household that does not run the station may not scan there at all.
		_, err = f.s.Scan(ctx, householdP(f.hh[0]), pc.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID})
		wantCode(t, err, fishpond.EForbidden, "")
		// Only the carrier (the system) reports transit.
		_, err = f.s.Scan(ctx, officer, pc.TrackingNo, ScanRequest{Kind: EventTransit, Ref: "r"})
		wantCode(t, err, fishpond.EForbidden, "")
		// Door delivery of a station parcel is refused.
		_, err = f.s.Scan(ctx, admin, pc.TrackingNo, ScanRequest{Kind: EventDelivered, Ref: "r"})
		wantCode(t, err, fishpond.EConflict, "site_id")
		if eventCount(t, f, pc.ID) != n {
			t.Fatal("a refused scan added an event")
		}
		got, _ := f.s.Parcel(ctx, admin, pc.TrackingNo)
		if got.Status != StatusCreated {
			t.Fatalf("status %s after refused scans", got.Status)
		}
		// Pickup at the wrong station, even with the right code.
		pc = mustArrive(t, f, pc.TrackingNo)
		code, _ := f.s.PickupCode(ctx, buyer, pc.TrackingNo)
		_, err = f.s.Pickup(ctx, householdP(f.hh[1]), f.origin.ID, pc.TrackingNo, code)
		wantCode(t, err, fishpond.EConflict, "site_id")
		got, _ = f.s.Parcel(ctx, admin, pc.TrackingNo)
		if got.Status != StatusAwaiting || got.PickupAttempts != 0 {
			t.Fatalf("wrong-station pickup changed %+v", got)
		}
	})
}

// TestPublicTrackingHasNoPersonalData: the public view shows places and times,
// never the buyer, the address, the operator, the order or the pickup code.
func TestPublicTrackingHasNoPersonalData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		o := mustPaidOrder(t, f, "p1", 1)
		pc := mustArrive(t, f, mustShip(t, f, o)[0].TrackingNo)
		code, _ := f.s.PickupCode(ctx, buyer, pc.TrackingNo)
		tr, err := f.s.Track(ctx, strings.ToLower(pc.TrackingNo))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Status != StatusAwaiting || tr.To != "东城区" || tr.ToStation != f.dest.Name || len(tr.Events) < 5 {
			t.Fatalf("tracking %+v", tr)
		}
		b, _ := json.Marshal(tr)
		for _, secret := range []string{"张三", "13800138000", "0013", "东直门大街", code, o.ID, buyer.UserID, f.destHH, f.hh[1], f.hh[0]} {
			if strings.Contains(string(b), secret) {
				t.Fatalf("public tracking leaks %q: %s", secret, b)
			}
		}
		// Scoped reads: a stranger cannot read the parcel in full.
		stranger := fishpond.Principal{UserID: "u-x", Role: fishpond.RoleConsumer}
		_, err = f.s.Parcel(ctx, stranger, pc.TrackingNo)
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = f.s.PickupCode(ctx, stranger, pc.TrackingNo)
		wantCode(t, err, fishpond.ENotFound, "")
	})
}
