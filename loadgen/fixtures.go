package loadgen

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/internal/db"
	"fishpond/live"
	"fishpond/market"
	"fishpond/registry"
)

// Deps are the capabilities of the server's own database that the bench creates
// its fixtures with and counts the outcome from. The web layer offers no API to
// open shops or list products (sellers do that in pages), so the bench goes
// through the same Go API the demo uses.
type Deps struct {
	DB       *db.DB
	Access   *access.Service
	Registry *registry.Store
	Market   *market.Store
	Live     *live.Service // for `bench live`
}

// The bench's place in the registry: a village of 兰考县 (a national poverty county)
// holding the one registered household that produces and sells the bench product.
const (
	benchCounty  = "410225"
	benchTown    = "压测镇"
	benchVillage = "压测村"
	benchShop    = "鱼塘压测店 Fishpond bench shop"
	benchSeed    = 20201123
	// mixStock is the mix's stock: far more than any run sells, so the mix measures
	// checkouts, not sell-outs (and any oversell would still show in the count).
	mixStock = int64(100_000_000)
	// Prices in fen: the product at 9.90, the flash offer at 1.00 — both above the
	// 2% fee, so settlement stays sound.
	benchPrice = fishpond.Money(990)
	flashPrice = fishpond.Money(100)
)

// Fixture is what a run buys: a fresh product (one per run, so the sold count
// after the run belongs to this run alone), its flash sale in flash mode, and the
// buyers with their bearer tokens and delivery addresses.
type Fixture struct {
	ProductID string
	FlashID   string
	Stock     int64 // the product's stock when the run started
	Units     int64 // flash: units on offer
	Buyers    []Buyer
}

// shop finds or opens the bench shop and its producing household, idempotently:
// a second run reuses what the first created.
func (d Deps) shop(ctx context.Context) (market.Shop, error) {
	if _, err := d.Registry.County(ctx, benchCounty); err != nil {
		// A fresh database has no divisions yet; loading them is an idempotent upsert.
		if _, _, _, err := d.Registry.LoadPlaces(ctx); err != nil {
			return market.Shop{}, fmt.Errorf("load places: %w", err)
		}
	}
	county, err := d.Registry.County(ctx, benchCounty)
	if err != nil {
		return market.Shop{}, err
	}
	vs, err := d.Registry.Villages(ctx, fishpond.System, benchCounty)
	if err != nil {
		return market.Shop{}, err
	}
	var village string
	for _, v := range vs {
		if v.Town == benchTown && v.Name == benchVillage {
			village = v.ID
		}
	}
	if village == "" {
		v, err := d.Registry.CreateVillage(ctx, fishpond.System, benchCounty, benchTown, benchVillage)
		if err != nil {
			return market.Shop{}, fmt.Errorf("bench village: %w", err)
		}
		village = v.ID
	}
	hs, _, err := d.Registry.Households(ctx, fishpond.System, registry.HouseholdFilter{VillageID: village, Limit: 1})
	if err != nil {
		return market.Shop{}, err
	}
	var household string
	if len(hs) > 0 {
		household = hs[0].ID
	} else {
		h, err := d.Registry.CreateHousehold(ctx, fishpond.System, registry.Synthesize(benchSeed, county, []string{village}, 1)[0])
		if err != nil {
			return market.Shop{}, fmt.Errorf("bench household: %w", err)
		}
		household = h.ID
	}
	shops, err := d.Market.Shops(ctx, 500)
	if err != nil {
		return market.Shop{}, err
	}
	for _, sh := range shops {
		if sh.Name == benchShop && sh.OwnerID == household {
			return sh, nil
		}
	}
	sh, err := d.Market.OpenShop(ctx, fishpond.System, market.ShopInput{Name: benchShop, OwnerKind: market.OwnerHousehold, OwnerID: household})
	if err != nil {
		return market.Shop{}, fmt.Errorf("bench shop: %w", err)
	}
	return sh, nil
}

// product lists this run's product (and flash sale) in the bench shop.
func (d Deps) product(ctx context.Context, cfg *Config, f *Fixture) error {
	sh, err := d.shop(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	f.Stock = mixStock
	if cfg.Flash {
		// Exactly the offered units: selling one more would drive stock below zero.
		f.Stock, f.Units = cfg.Units, cfg.Units
	}
	p, err := d.Market.AddProduct(ctx, fishpond.System, market.ProductInput{ShopID: sh.ID,
		Name: fmt.Sprintf("压测小米 bench millet %s %s", cfg.mode(), now.Format("2006-01-02 15:04:05")), Category: "杂粮", Unit: "袋",
		Price: benchPrice, Stock: f.Stock, OriginCounty: benchCounty, BatchCode: "BENCH-" + now.Format("20060102"),
		HarvestDate: now.In(fishpond.ChinaTime).AddDate(0, 0, -1).Format("2006-01-02")})
	if err != nil {
		return fmt.Errorf("bench product: %w", err)
	}
	f.ProductID = p.ID
	if !cfg.Flash {
		return nil
	}
	fs, err := d.Market.CreateFlashSale(ctx, fishpond.System, market.FlashInput{ProductID: p.ID, Price: flashPrice, Quantity: cfg.Units,
		PerBuyerLimit: 1, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(24 * time.Hour)})
	if err != nil {
		return fmt.Errorf("bench flash sale: %w", err)
	}
	f.FlashID = fs.ID
	return nil
}
