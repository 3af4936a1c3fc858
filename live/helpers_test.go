package live

import (
	"context"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
)

const povertyCounty = "130624" // 阜平县, a national poverty county

var (
	ctx     = context.Background()
	admin   = fishpond.System
	buyer   = fishpond.Principal{UserID: "u-buyer", Name: "买家", Role: fishpond.RoleConsumer}
	officer = fishpond.Principal{UserID: "u-officer", Name: "县干部", Role: fishpond.RoleCountyOfficer, Counties: []string{povertyCounty}}
)

// fixture is a poverty county with a registered household that has a shop and a
// product, a buyer with an address, and a certified anchor of that household
// with a room.
type fixture struct {
	d       *db.DB
	keys    *secret.Keys
	reg     *registry.Store
	m       *market.Store
	l       *ledger.Ledger
	s       *Service
	hh      fishpond.Principal
	shop    market.Shop
	product market.Product
	address string
	anchor  Anchor
	room    Room
}

func newService(t testing.TB, f *fixture, bus Bus) *Service {
	cfg := DefaultConfig
	cfg.Flush = 20 * time.Millisecond
	cfg.CommentEvery = 0
	s := NewService(f.d, f.m, f.reg, f.keys, nil, cfg, bus)
	t.Cleanup(s.Close)
	return s
}

func mustFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	raw, _ := secret.Generate()
	keys, _ := secret.New(raw)
	f := &fixture{d: d, keys: keys}
	f.reg = registry.NewStore(d, keys, nil)
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
	h, err := f.reg.CreateHousehold(ctx, admin, registry.Synthesize(7, county, []string{v.ID}, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	f.hh = fishpond.Principal{UserID: "u-hh", Name: "王大姐", Role: fishpond.RoleHousehold, HouseholdID: h.ID}
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	f.m = market.NewStore(d, keys, nil, cfg)
	f.l = ledger.New(d, nil)
	t.Cleanup(f.l.Close)
	if f.shop, err = f.m.OpenShop(ctx, f.hh, market.ShopInput{Name: "阜平大枣", OwnerKind: market.OwnerHousehold, OwnerID: h.ID}); err != nil {
		t.Fatal(err)
	}
	if f.product, err = f.m.AddProduct(ctx, f.hh, market.ProductInput{ShopID: f.shop.ID, Name: "阜平大枣 500g", Category: "干果", Unit: "袋",
		Price: fishpond.Yuan(30), Stock: 100, OriginCounty: povertyCounty, BatchCode: "FP-2020-001", HarvestDate: "2019-10-01"}); err != nil {
		t.Fatal(err)
	}
	a, err := f.m.AddAddress(ctx, buyer, market.AddressInput{Name: "李四", Phone: "13800138000", ProvinceCode: "33", CountyCode: "330106", Detail: "文三路1号"})
	if err != nil {
		t.Fatal(err)
	}
	f.address = a.ID
	f.s = newService(t, f, nil)
	if f.anchor, err = f.s.Apply(ctx, f.hh, AnchorInput{Kind: KindHousehold, DisplayName: "枣乡王姐", Bio: "种枣二十年"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RecordTraining(ctx, officer, f.anchor.ID, TrainingInput{Course: "直播带货入门", Minutes: 120, Passed: true, TrainedOn: "2020-05-01"}); err != nil {
		t.Fatal(err)
	}
	if f.anchor, err = f.s.Certify(ctx, officer, f.anchor.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if f.room, err = f.s.CreateRoom(ctx, f.hh, f.shop.ID, "王姐的枣园"); err != nil {
		t.Fatal(err)
	}
	return f
}

// pay marks an order paid as the payment notification would.
func (f *fixture) pay(t testing.TB, o market.Order) {
	t.Helper()
	if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T"+o.ID, o.Total); err != nil {
		t.Fatal(err)
	}
}

// leftover holds messages a recv read past (a batch carries several).
var leftover = map[*Sub][]Message{}

// recv waits for the next message of type typ on a viewer's connection,
// skipping other types.
func recv(t testing.TB, sub *Sub, typ string) Message {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for len(leftover[sub]) > 0 {
			m := leftover[sub][0]
			leftover[sub] = leftover[sub][1:]
			if m.Type == typ {
				return m
			}
		}
		select {
		case b := <-sub.C():
			leftover[sub] = append(leftover[sub], parseFrames(b)...)
		case <-deadline:
			t.Fatalf("no %q message within 5s", typ)
		}
	}
}
