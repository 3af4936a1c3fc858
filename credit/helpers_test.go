package credit_test

import (
	"context"
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
)

const povertyCounty = "130624" // 阜平县

var (
	ctx   = context.Background()
	admin = fishpond.System
	buyer = fishpond.Principal{UserID: "u-buyer", Name: "买家", Role: fishpond.RoleConsumer}
)

// clock is the settable fake clock every store of a fixture shares.
type clock struct{ t *time.Time }

func (c clock) Now() time.Time { return *c.t }

type fixture struct {
	d    *db.DB
	reg  *registry.Store
	m    *market.Store
	l    *ledger.Ledger
	c    *credit.Service
	now  *time.Time
	hh   []string
	addr market.Address
}

func householdP(id string) fishpond.Principal {
	return fishpond.Principal{UserID: "u-" + id, Role: fishpond.RoleHousehold, HouseholdID: id}
}

func officer(counties ...string) fishpond.Principal {
	return fishpond.Principal{UserID: "u-officer", Role: fishpond.RoleCountyOfficer, Counties: counties}
}

func mustKeys(t testing.TB) *secret.Keys {
	t.Helper()
	raw, _ := secret.Generate()
	keys, err := secret.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func mustFixture(t *testing.T, d *db.DB, start time.Time) *fixture {
	t.Helper()
	keys := mustKeys(t)
	now := start
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
	for _, in := range registry.Synthesize(11, county, []string{v.ID}, 3) {
		h, err := f.reg.CreateHousehold(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		f.hh = append(f.hh, h.ID)
	}
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	f.m = market.NewStore(d, keys, c, cfg)
	f.l = ledger.New(d, c)
	t.Cleanup(f.l.Close)
	f.c = credit.New(d, f.l, f.reg, c, credit.DefaultConfig)
	f.addr, err = f.m.AddAddress(ctx, buyer, market.AddressInput{Name: "张三", Phone: "138 0013 8000", ProvinceCode: "11", CountyCode: "110101", Detail: "东城区东直门大街1号"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) advance(d time.Duration) { *f.now = f.now.Add(d) }

// seedProduct is the farm-inputs loan of the "done when" story: a harvest-month
// bullet repaid by 30 % of each sale.
func seedProduct() credit.Product {
	return credit.Product{Name: "春耕种子贷 seed loan", Purpose: credit.PurposeFarmInputs, MinAmount: fishpond.Yuan(500), MaxAmount: fishpond.Yuan(5000),
		TermMonths: 6, Instalments: 1, RateBp: 600, Interest: credit.InterestFlat, HarvestMonth: 9, Repayment: credit.RepaySales, ShareBp: 3000,
		PenaltyBp: 1800, Disbursement: credit.DisburseWallet}
}

func mustProduct(t *testing.T, f *fixture, p credit.Product) credit.Product {
	t.Helper()
	out, err := f.c.CreateProduct(ctx, admin, p)
	if err != nil {
		t.Fatalf("%v %v", err, err.(*fishpond.Error).Fields)
	}
	return out
}

type seller struct {
	shop    market.Shop
	product market.Product
}

func mustSeller(t *testing.T, f *fixture, hh string, price fishpond.Money) seller {
	t.Helper()
	sh, err := f.m.OpenShop(ctx, householdP(hh), market.ShopInput{Name: "阜平小米 " + hh[:6], OwnerKind: market.OwnerHousehold, OwnerID: hh})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := f.m.AddProduct(ctx, householdP(hh), market.ProductInput{ShopID: sh.ID, Name: "阜平小米 2.5kg", Category: "杂粮", Unit: "袋", Price: price, Stock: 10000,
		OriginCounty: povertyCounty, BatchCode: "FP-2020-09", HarvestDate: "2018-09-10", Pledge: 100, PledgeFund: "health-insurance"})
	if err != nil {
		t.Fatalf("%v %v", err, err.(*fishpond.Error).Fields)
	}
	return seller{sh, pr}
}

// sell runs one order of qty units through the marketplace to settlement: the
// household's proceeds land in its wallet inside the settlement transfer.
func (f *fixture) sell(t *testing.T, s seller, key string, qty int64) market.Order {
	t.Helper()
	o, err := f.m.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: key, AddressID: f.addr.ID, Lines: []market.LineRequest{{ProductID: s.product.ID, Qty: qty}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T-"+key, o.Total); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Ship(ctx, householdP(s.shop.OwnerID), o.ID, "SF"+key); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.MarkDelivered(ctx, buyer, o.ID); err != nil {
		t.Fatal(err)
	}
	if o, err = f.m.Settle(ctx, admin, o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

func (f *fixture) balance(t *testing.T, accountID string) fishpond.Money {
	t.Helper()
	b, err := f.l.Balance(ctx, accountID, f.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) verify(t *testing.T) {
	t.Helper()
	rep, err := f.l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code fishpond.ErrorCode, field string) {
	t.Helper()
	if fishpond.Code(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	if field != "" {
		if e, ok := err.(*fishpond.Error); !ok || e.Fields[field] == "" {
			t.Fatalf("want a message for field %q, got %v", field, err)
		}
	}
}

func (f *fixture) sweep(t *testing.T) {
	t.Helper()
	if _, err := f.c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
}
