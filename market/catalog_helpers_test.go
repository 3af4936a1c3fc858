package market

import (
	"testing"

	"fishpond"
	"fishpond/internal/db"
)

// catalog is a fixture with products in a poverty county (阜平县, 河北) and one from
// a non-poverty district of Beijing sold by that district's service centre.
type catalog struct {
	*fixture
	shop, centre                 Shop
	dates, millet, apples, chips Product
}

func mustCatalog(t *testing.T, d *db.DB) *catalog {
	t.Helper()
	c := &catalog{fixture: mustFixture(t, d)}
	c.shop = mustShop(t, c.fixture)
	c.dates = mustProduct(t, c.fixture, c.shop, nil)
	c.millet = mustProduct(t, c.fixture, c.shop, func(in *ProductInput) {
		in.Name, in.Category, in.Price, in.BatchCode = "阜平小米 2.5kg", "杂粮", fishpond.Yuan(25), "FP-2020-002"
	})
	c.apples = mustProduct(t, c.fixture, c.shop, func(in *ProductInput) {
		in.Name, in.Category, in.Price, in.BatchCode, in.OriginVillageID = "红富士苹果 5斤", "水果", fishpond.Yuan(40), "FP-2020-003", c.village
	})
	var err error
	c.centre, err = c.m.OpenShop(ctx, admin, ShopInput{Name: "东城区电商服务中心", OwnerKind: OwnerCentre, OwnerID: richCounty})
	if err != nil {
		t.Fatal(err)
	}
	c.chips, err = c.m.AddProduct(ctx, admin, ProductInput{ShopID: c.centre.ID, Name: "苹果脆片 100g", Category: "零食", Unit: "袋",
		Price: fishpond.Yuan(15), Stock: 10, OriginCounty: richCounty, BatchCode: "DC-1", HarvestDate: "2020-01-01",
		Producers: []Share{{HouseholdID: c.hh[1], Bp: 10000}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
