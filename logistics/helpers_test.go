package logistics

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
)

const (
	originCounty = "130624" // 阜平县, a national poverty county
	destCounty   = "110101" // 东城区
	otherCounty  = "410225" // 兰考县 (another poverty county)
)

var (
	ctx   = context.Background()
	t2020 = time.Date(2020, 3, 2, 1, 0, 0, 0, time.UTC)
	admin = fishpond.System
	buyer = fishpond.Principal{UserID: "u-buyer", Name: "买家", Role: fishpond.RoleConsumer}
	// officer runs the origin county's warehouse.
	officer = fishpond.Principal{UserID: "u-officer", Role: fishpond.RoleCountyOfficer, Counties: []string{originCounty}}
)

type clock struct{ t *time.Time }

func (c clock) Now() time.Time { return *c.t }

// fixture: 阜平 with a warehouse and a station run by a registered household, a
// station in 东城区 run by a registered household there, a household shop with a
// product, and the buyer's address in 东城区.
type fixture struct {
	d        *db.DB
	now      *time.Time
	reg      *registry.Store
	m        *market.Store
	l        *ledger.Ledger
	s        *Store
	hh       []string // households of 阜平: [0] sells, [1] runs the origin station
	destHH   string   // household of 东城区 running the destination station
	origin   Site
	wh       Site
	dest     Site
	product  market.Product
	seller   fishpond.Principal
	addr     market.Address
	keys     *secret.Keys
	villages map[string]string
}

func householdP(id string) fishpond.Principal {
	return fishpond.Principal{UserID: "u-" + id, Role: fishpond.RoleHousehold, HouseholdID: id}
}

func mustFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	raw, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	now := t2020
	f := &fixture{d: d, now: &now, keys: keys, villages: map[string]string{}}
	c := clock{&now}
	f.reg = registry.NewStore(d, keys, c)
	if _, _, _, err := f.reg.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{originCounty, destCounty, otherCounty} {
		county, err := f.reg.County(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.reg.CreateVillage(ctx, admin, code, "城关镇", "试点村")
		if err != nil {
			t.Fatal(err)
		}
		f.villages[code] = v.ID
		for _, in := range registry.Synthesize(int64(7+i), county, []string{v.ID}, 2) {
			h, err := f.reg.CreateHousehold(ctx, admin, in)
			if err != nil {
				t.Fatal(err)
			}
			switch code {
			case originCounty:
				f.hh = append(f.hh, h.ID)
			case destCounty:
				if f.destHH == "" {
					f.destHH = h.ID
				}
			}
		}
	}
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	f.m = market.NewStore(d, keys, c, cfg)
	f.l = ledger.New(d, c)
	t.Cleanup(f.l.Close)
	f.s = NewStore(d, keys, c, f.m, NewSandboxCarrier(), Config{})
	f.origin = mustSite(t, f, admin, SiteInput{Kind: Station, County: originCounty, Name: "骆驼湾村服务站", Town: "龙泉关镇", LatE6: 38_745_000, LngE6: 113_969_000, AltitudeM: 1060,
		OperatorHousehold: f.hh[1], PayPerParcel: 100, Opens: "08:00", Closes: "20:00", Capacity: 200})
	f.wh = mustSite(t, f, officer, SiteInput{Kind: Warehouse, County: originCounty, Name: "阜平县级仓", LatE6: 38_849_000, LngE6: 114_195_000, AltitudeM: 300, Opens: "07:00", Closes: "22:00", Capacity: 20000})
	f.dest = mustSite(t, f, admin, SiteInput{Kind: Station, County: destCounty, Name: "东直门服务站", LatE6: 39_940_000, LngE6: 116_430_000, AltitudeM: 45,
		OperatorHousehold: f.destHH, PayPerParcel: 80, Opens: "09:00", Closes: "21:00", Capacity: 300})
	sh, err := f.m.OpenShop(ctx, householdP(f.hh[0]), market.ShopInput{Name: "阜平大枣", OwnerKind: market.OwnerHousehold, OwnerID: f.hh[0]})
	if err != nil {
		t.Fatal(err)
	}
	f.seller = householdP(f.hh[0])
	f.product, err = f.m.AddProduct(ctx, f.seller, market.ProductInput{ShopID: sh.ID, Name: "阜平大枣 500g", Category: "干果", Unit: "袋", Price: fishpond.Yuan(30), Stock: 100,
		OriginCounty: originCounty, BatchCode: "FP-2020-001", HarvestDate: "2019-10-01"})
	if err != nil {
		t.Fatal(err)
	}
	f.addr, err = f.m.AddAddress(ctx, buyer, market.AddressInput{Name: "张三", Phone: "138 0013 8000", ProvinceCode: "11", CountyCode: destCounty, Detail: "东城区东直门大街1号"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustSite(t testing.TB, f *fixture, p fishpond.Principal, in SiteInput) Site {
	t.Helper()
	st, err := f.s.OpenSite(ctx, p, in)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) advance(d time.Duration) { *f.now = f.now.Add(d) }

// mustPaidOrder places and pays an order for qty × 30 yuan.
func mustPaidOrder(t testing.TB, f *fixture, key string, qty int64) market.Order {
	t.Helper()
	o, err := f.m.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: key, AddressID: f.addr.ID, Lines: []market.LineRequest{{ProductID: f.product.ID, Qty: qty}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T-"+key, o.Total); err != nil {
		t.Fatal(err)
	}
	return o
}

func mustShip(t testing.TB, f *fixture, o market.Order, specs ...ParcelSpec) []Parcel {
	t.Helper()
	if len(specs) == 0 {
		specs = []ParcelSpec{{WeightG: 1500}}
	}
	ps, err := f.s.ShipOrder(ctx, f.seller, ShipRequest{OrderID: o.ID, OriginSiteID: f.origin.ID, Parcels: specs})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func mustScan(t testing.TB, f *fixture, p fishpond.Principal, tracking string, req ScanRequest) ScanResult {
	t.Helper()
	res, err := f.s.Scan(ctx, p, tracking, req)
	if err != nil {
		t.Fatalf("scan %s at %s: %v", req.Kind, req.SiteID, err)
	}
	return res
}

// mustArrive moves a parcel from the origin station to the destination station,
// an hour per step.
func mustArrive(t testing.TB, f *fixture, tracking string) Parcel {
	t.Helper()
	mustScan(t, f, householdP(f.hh[1]), tracking, ScanRequest{Kind: EventAccepted, SiteID: f.origin.ID})
	f.advance(time.Hour)
	mustScan(t, f, officer, tracking, ScanRequest{Kind: EventWarehouseIn, SiteID: f.wh.ID})
	f.advance(time.Hour)
	mustScan(t, f, officer, tracking, ScanRequest{Kind: EventHandedOver, SiteID: f.wh.ID})
	f.advance(42 * time.Hour)
	if _, err := f.s.SyncCarrier(ctx); err != nil {
		t.Fatal(err)
	}
	return mustScan(t, f, householdP(f.destHH), tracking, ScanRequest{Kind: EventArrived, SiteID: f.dest.ID}).Parcel
}

func wantCode(t testing.TB, err error, code fishpond.ErrorCode, field string) {
	t.Helper()
	if fishpond.Code(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	if field != "" {
		e := err.(*fishpond.Error)
		if _, ok := e.Fields[field]; !ok {
			t.Fatalf("want a message for field %q, got %v", field, e.Fields)
		}
	}
}

func income(t testing.TB, f *fixture, hh string) ledger.Income {
	t.Helper()
	in, err := f.l.HouseholdIncome(ctx, hh, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func mustVerify(t testing.TB, f *fixture) {
	t.Helper()
	rep, err := f.l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
}

func eventCount(t testing.TB, f *fixture, parcelID string) int {
	t.Helper()
	var n int
	if err := f.d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM logistics_events WHERE parcel_id = ?", parcelID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// logEvents reads the domain events of a type with their payloads decoded.
func logEvents(t testing.TB, f *fixture, typ string) []map[string]any {
	t.Helper()
	evs, err := events.New(f.d, nil).Read(ctx, 0, []string{typ}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range evs {
		var m map[string]any
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func marketAddress(county string) market.AddressInput {
	return market.AddressInput{Name: "李四", Phone: "139 0013 9000", ProvinceCode: county[:2], CountyCode: county, Detail: "城关镇1号"}
}

func mustPaidOrderAt(t testing.TB, f *fixture, key, addrID string) market.Order {
	t.Helper()
	o, err := f.m.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: key, AddressID: addrID, Lines: []market.LineRequest{{ProductID: f.product.ID, Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T-"+key, o.Total); err != nil {
		t.Fatal(err)
	}
	return o
}
