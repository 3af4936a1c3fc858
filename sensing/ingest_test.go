package sensing

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func single(dev string, at time.Time, metric string, v float64) []byte {
	return fmt.Appendf(nil, `{"device":%q,"time":%q,"readings":{%q:%g}}`, dev, at.Format(time.RFC3339Nano), metric, v)
}

func TestIngestValidatesDeduplicatesAndRollsUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		field := f.site(t, "field")
		soil := f.device(t, field, "soil", "soil-1")
		now := f.clock.Now()
		h := HourStart(now.UnixMilli())
		base := time.UnixMilli(h).UTC()
		// Readings arrive out of order; one is sent twice.
		payload := EncodeBatch(soil.ID, []string{"soil_moisture", "soil_temp"},
			[]int64{base.Add(20 * time.Minute).UnixMilli(), base.Add(10 * time.Minute).UnixMilli(), base.Add(20 * time.Minute).UnixMilli()},
			[][]float64{{30, 18}, {34, 17}, {30, 18}})
		res := must[Result](t)(f.s.Ingest(ctx, soil.ID, payload, true))
		if res.Accepted != 4 || res.Duplicates != 2 || len(res.Rejected) != 0 {
			t.Fatalf("first payload: %+v", res)
		}
		// Sent again: all duplicates, nothing rolled up twice.
		res = must[Result](t)(f.s.Ingest(ctx, soil.ID, payload, true))
		if res.Accepted != 0 || res.Duplicates != 6 {
			t.Fatalf("replay: %+v", res)
		}
		// A late reading (earlier than the newest) is stored in event-time order.
		res = must[Result](t)(f.s.Ingest(ctx, soil.ID, single(soil.ID, base.Add(5*time.Minute), "soil_moisture", 38), true))
		if res.Accepted != 1 || res.Late != 1 {
			t.Fatalf("late: %+v", res)
		}
		// Bad readings are refused one by one with reasons.
		bad := fmt.Appendf(nil, `[{"device":%q,"time":%q,"readings":{"soil_moisture":140,"hive_weight":3,"soil_temp":20}},
			{"device":"nobody","time":%q,"readings":{"soil_moisture":20}},
			{"device":%q,"time":%q,"readings":{"soil_moisture":20}},
			{"device":%q,"time":%q,"readings":{"soil_moisture":20}}]`,
			soil.ID, base.Add(30*time.Minute).Format(time.RFC3339), now.Format(time.RFC3339),
			soil.ID, now.Add(time.Hour).Format(time.RFC3339), soil.ID, now.Add(-8*24*time.Hour).Format(time.RFC3339))
		res = must[Result](t)(f.s.Ingest(ctx, soil.ID, bad, true))
		reasons := map[string]bool{}
		for _, r := range res.Rejected {
			reasons[strings.SplitN(r.Reason, ":", 2)[0]] = true
		}
		for _, want := range []string{"out of range", `a soil device does not measure "hive_weight"`, "unknown device, or not this sender's", "time is in the future", "too late"} {
			if !reasons[want] {
				t.Errorf("no rejection %q in %+v", want, res.Rejected)
			}
		}
		if res.Accepted != 1 {
			t.Errorf("the valid soil_temp of the bad payload: accepted %d", res.Accepted)
		}
		// A malformed payload is refused whole.
		if _, err := f.s.Ingest(ctx, soil.ID, []byte(`{"device":`), true); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("malformed: %v", err)
		}

		pts := must[[]Point](t)(f.s.Readings(ctx, manager, soil.ID, "soil_moisture", base, base.Add(time.Hour), "raw"))
		var got []string
		for _, p := range pts {
			got = append(got, fmt.Sprintf("%s=%g", p.At.Format("04"), p.Value))
		}
		if strings.Join(got, " ") != "05=38 10=34 20=30" {
			t.Fatalf("raw in event-time order: %v", got)
		}
		hr := must[[]Point](t)(f.s.Readings(ctx, manager, soil.ID, "soil_moisture", base.Add(-time.Hour), base.Add(time.Hour), "hour"))
		if len(hr) != 1 || hr[0].N != 3 || hr[0].Value != 34 || hr[0].Min != 30 || hr[0].Max != 38 {
			t.Fatalf("hour rollup: %+v", hr)
		}
		day := must[[]Point](t)(f.s.Readings(ctx, manager, soil.ID, "soil_moisture", base.Add(-48*time.Hour), base.Add(48*time.Hour), "day"))
		if len(day) != 1 || day[0].N != 3 {
			t.Fatalf("day rollup: %+v", day)
		}
		dev := must[Device](t)(f.s.Device(ctx, manager, soil.ID))
		if dev.Accepted != 6 || dev.Duplicates != 8 || dev.Rejected < 4 || dev.LastReject == "" {
			t.Fatalf("device stats: %+v", dev)
		}
		// Scope: an officer of another county sees nothing.
		if _, err := f.s.Readings(ctx, officer, soil.ID, "soil_moisture", base, base.Add(time.Hour), "raw"); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("out of scope: %v", err)
		}
	})
}

func TestAuthenticateAndGateway(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		barn := f.site(t, "barn")
		gw := f.device(t, barn, "gateway", "gw")
		sensor := must[Device](t)(f.s.CreateDevice(ctx, manager, barn.ID, NewDevice{Name: "b1", Type: "barn", GatewayID: gw.ID}))
		other := f.device(t, barn, "barn", "b2")
		if err := f.s.Authenticate(ctx, gw.ID, gw.Secret); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Authenticate(ctx, gw.ID, sensor.Secret); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("wrong secret: %v", err)
		}
		now := f.clock.Now()
		res := must[Result](t)(f.s.Ingest(ctx, gw.ID, fmt.Appendf(nil, `[%s,%s]`, single(sensor.ID, now, "barn_temp", 22), single(other.ID, now, "barn_temp", 22)), true))
		if res.Accepted != 1 || len(res.Rejected) != 1 || res.Rejected[0].Device != other.ID {
			t.Fatalf("gateway may send for its sensors only: %+v", res)
		}
		rot := must[Device](t)(f.s.RotateSecret(ctx, manager, gw.ID))
		if err := f.s.Authenticate(ctx, gw.ID, gw.Secret); err == nil {
			t.Fatal("old secret still works after rotation")
		}
		if err := f.s.Authenticate(ctx, gw.ID, rot.Secret); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CreateDevice(ctx, officer, barn.ID, NewDevice{Name: "x", Type: "barn"}); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("officer of another county: %v", err)
		}
		if _, err := f.s.CreateDevice(ctx, manager, barn.ID, NewDevice{Name: "x", Type: "soil"}); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("soil sensor in a barn: %v", err)
		}
	})
}

// IngestFor is for a partner organisation granted counties, or an admin; anyone
// else is refused before the payload is read.
func TestIngestForNeedsAPartnerWithCounties(t *testing.T) {
	s := New(dbtest.SQLite(t), nil, DefaultConfig, nil)
	defer s.Close()
	payload := []byte(`{"device":"x","time":"2026-05-01T08:00:00+08:00","readings":{"soil_moisture":20}}`)
	for name, p := range map[string]fishpond.Principal{
		"household":              {UserID: "u1", Role: fishpond.RoleHousehold, HouseholdID: "h1"},
		"county officer":         {UserID: "u2", Role: fishpond.RoleCountyOfficer, Counties: []string{"130624"}},
		"partner with no county": {UserID: "key:k1", Role: fishpond.RolePartner, PartnerID: "p1"},
	} {
		if _, err := s.IngestFor(ctx, p, payload); fishpond.Code(err) != fishpond.EForbidden {
			t.Errorf("%s: %v, want forbidden", name, err)
		}
	}
}
