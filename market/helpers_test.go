package market

import (
	"context"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/registry"
)

const (
	povertyCounty = "130624" // 阜平县, a national poverty county
	richCounty    = "110101" // 东城区
)

var (
	ctx   = context.Background()
	t2020 = time.Date(2020, 6, 1, 2, 0, 0, 0, time.UTC)
	admin = fishpond.System
	buyer = fishpond.Principal{UserID: "u-buyer", Name: "买家", Role: fishpond.RoleConsumer}
	other = fishpond.Principal{UserID: "u-other", Name: "路人", Role: fishpond.RoleConsumer}
)

// clock is a settable test clock shared by the stores of a fixture.
type clock struct{ t *time.Time }

func (c clock) Now() time.Time { return *c.t }

type fixture struct {
	d       *db.DB
	reg     *registry.Store
	m       *Store
	l       *ledger.Ledger
	now     *time.Time
	village string
	hh      []string // registered households of the poverty county, sorted
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
	f := &fixture{d: d, now: &now}
	c := clock{&now}
	f.reg = registry.NewStore(d, keys, c)
	if _, _, _, err := f.reg.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	county, err := f.reg.County(ctx, povertyCounty)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.reg.CreateVillage(ctx, admin, povertyCounty, "城关镇", "试点村")
	if err != nil {
		t.Fatal(err)
	}
	f.village = v.ID
	for _, in := range registry.Synthesize(7, county, []string{v.ID}, 3) {
		h, err := f.reg.CreateHousehold(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		f.hh = append(f.hh, h.ID)
	}
	cfg := DefaultConfig
	cfg.PhotoDir = t.TempDir()
	f.m = NewStore(d, keys, c, cfg)
	f.l = ledger.New(d, c)
	t.Cleanup(f.l.Close)
	return f
}

func householdP(id string) fishpond.Principal {
	return fishpond.Principal{UserID: "u-" + id, Role: fishpond.RoleHousehold, HouseholdID: id}
}

func mustShop(t *testing.T, f *fixture) Shop {
	t.Helper()
	sh, err := f.m.OpenShop(ctx, householdP(f.hh[0]), ShopInput{Name: "阜平大枣", OwnerKind: OwnerHousehold, OwnerID: f.hh[0]})
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

func productInput(shopID string) ProductInput {
	return ProductInput{ShopID: shopID, Name: "阜平大枣 500g", Category: "干果", Unit: "袋", Price: fishpond.Yuan(30), Stock: 100,
		OriginCounty: povertyCounty, BatchCode: "FP-2020-001", HarvestDate: "2019-10-01"}
}

func mustProduct(t *testing.T, f *fixture, sh Shop, edit func(*ProductInput)) Product {
	t.Helper()
	in := productInput(sh.ID)
	if edit != nil {
		edit(&in)
	}
	pr, err := f.m.AddProduct(ctx, householdP(sh.OwnerID), in)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func mustAddress(t *testing.T, f *fixture, p fishpond.Principal) Address {
	t.Helper()
	a, err := f.m.AddAddress(ctx, p, AddressInput{Name: "张三", Phone: "138 0013 8000", ProvinceCode: "11", CountyCode: richCounty, Detail: "东城区东直门大街1号"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustOrder(t *testing.T, f *fixture, p fishpond.Principal, key, addr string, lines ...LineRequest) Order {
	t.Helper()
	o, err := f.m.PlaceOrder(ctx, p, OrderRequest{IdempotencyKey: key, AddressID: addr, Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func wantCode(t *testing.T, err error, code fishpond.ErrorCode, field string) {
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

func mustVerify(t *testing.T, f *fixture) {
	t.Helper()
	rep, err := f.l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
}

func stockOf(t *testing.T, f *fixture, id string) int64 {
	t.Helper()
	pr, err := f.m.Product(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return pr.Stock
}

// mustPaidPartlyRefunded places an order for 2 × 10.00 yuan in a new household shop,
// pays it, and refunds 5.00: the starting point of the refund and event tests.
func mustPaidPartlyRefunded(t *testing.T, f *fixture, key string) (seller fishpond.Principal, pr Product, o Order, addr Address) {
	t.Helper()
	sh := mustShop(t, f)
	seller = householdP(sh.OwnerID)
	pr = mustProduct(t, f, sh, func(in *ProductInput) { in.Price = 1000 })
	addr = mustAddress(t, f, buyer)
	o = mustOrder(t, f, buyer, key, addr.ID, LineRequest{ProductID: pr.ID, Qty: 2})
	if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T1", o.Total); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Refund(ctx, seller, RefundRequest{OrderID: o.ID, Amount: 500, Reason: "少发 short", IdempotencyKey: "a"}); err != nil {
		t.Fatal(err)
	}
	return seller, pr, o, addr
}
