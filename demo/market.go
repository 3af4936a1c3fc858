package demo

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/market"
)

// loadMarket opens the demo shops — a millet cooperative in 阜平, the demo farmer's
// own shop, and the county e-commerce service centres of 兰考 and 东乡 — with
// products made by registered households, a charity pledge and a flash sale.
func loadMarket(ctx context.Context, m *market.Store, acc *access.Service, hs []household, farmer string) error {
	byCounty := map[string][]household{}
	for _, h := range hs {
		byCounty[h.county] = append(byCounty[h.county], h)
	}
	shares := func(county string, from, n int) []market.Share {
		var out []market.Share
		for i := 0; i < n; i++ {
			out = append(out, market.Share{HouseholdID: byCounty[county][from+i].id, Bp: fishpond.Bp(10000 / n)})
		}
		out[0].Bp += fishpond.Bp(10000 - (10000/n)*n)
		return out
	}
	manager, err := acc.UserByName(ctx, "coop")
	if err != nil {
		return err
	}
	coop, err := m.CreateCoop(ctx, fishpond.System, market.CoopInput{Name: "阜平县骆驼湾小米种植专业合作社", CountyCode: "130624",
		ManagerUserID: manager.ID, Members: shares("130624", 1, 8)})
	if err != nil {
		return fmt.Errorf("coop: %w", err)
	}
	type product struct {
		in    market.ProductInput
		flash bool
	}
	shops := []struct {
		shop     market.ShopInput
		products []product
	}{
		{market.ShopInput{Name: "骆驼湾小米合作社", OwnerKind: market.OwnerCoop, OwnerID: coop.ID}, []product{
			{market.ProductInput{Name: "阜平骆驼湾小米 5斤装", Category: "杂粮", Unit: "袋", Price: 3990, Stock: 800, OriginCounty: "130624",
				BatchCode: "FP-XM-2020-10", HarvestDate: "2020-10-08", CoopID: coop.ID, PerBuyerLimit: 10, Pledge: 50, PledgeFund: "health-insurance"}, true},
			{market.ProductInput{Name: "阜平大枣 2斤装", Category: "干果", Unit: "袋", Price: 2880, Stock: 500, OriginCounty: "130624",
				BatchCode: "FP-DZ-2020-09", HarvestDate: "2020-09-20", CoopID: coop.ID}, false},
		}},
		{market.ShopInput{Name: "骆驼湾农家核桃", OwnerKind: market.OwnerHousehold, OwnerID: farmer}, []product{
			{market.ProductInput{Name: "太行山薄皮核桃 3斤", Category: "干果", Unit: "袋", Price: 4500, Stock: 120, OriginCounty: "130624",
				BatchCode: "FP-HT-2020-09", HarvestDate: "2020-09-12"}, false},
		}},
		{market.ShopInput{Name: "兰考县电商服务中心", OwnerKind: market.OwnerCentre, OwnerID: "410225"}, []product{
			{market.ProductInput{Name: "兰考蜜瓜 一藤两瓜 2个装", Category: "水果", Unit: "箱", Price: 5980, Stock: 300, OriginCounty: "410225",
				BatchCode: "LK-MG-2020-06", HarvestDate: "2020-06-18", Producers: shares("410225", 0, 5), Pledge: 100, PledgeFund: "health-insurance"}, false},
			{market.ProductInput{Name: "兰考红薯 5斤", Category: "蔬菜", Unit: "箱", Price: 2590, Stock: 400, OriginCounty: "410225",
				BatchCode: "LK-HS-2020-10", HarvestDate: "2020-10-02", Producers: shares("410225", 5, 4)}, false},
		}},
		{market.ShopInput{Name: "东乡县电商服务中心", OwnerKind: market.OwnerCentre, OwnerID: "622926"}, []product{
			{market.ProductInput{Name: "东乡洋芋 10斤", Category: "蔬菜", Unit: "箱", Price: 3280, Stock: 600, OriginCounty: "622926",
				BatchCode: "DX-YY-2020-09", HarvestDate: "2020-09-25", Producers: shares("622926", 0, 6)}, false},
			{market.ProductInput{Name: "东乡手抓羊肉 2斤", Category: "肉类", Unit: "份", Price: 12800, Stock: 150, OriginCounty: "622926",
				BatchCode: "DX-YR-2020-11", HarvestDate: "2020-11-01", Producers: shares("622926", 6, 3), PerBuyerLimit: 5}, false},
		}},
	}
	admin, err := acc.UserByName(ctx, "admin")
	if err != nil {
		return err
	}
	var melon market.Product
	for _, s := range shops {
		sh, err := m.OpenShop(ctx, fishpond.System, s.shop)
		if err != nil {
			return fmt.Errorf("shop %s: %w", s.shop.Name, err)
		}
		for _, p := range s.products {
			p.in.ShopID = sh.ID
			pr, err := m.AddProduct(ctx, fishpond.System, p.in)
			if err != nil {
				return fmt.Errorf("product %s: %w", p.in.Name, err)
			}
			if pr.OriginCounty == "410225" && melon.ID == "" {
				melon = pr
			}
			// Every demo product applies to the 兴农扶贫 channel; the admin, as editor,
			// approves all but one, which stays in the review queue.
			app, err := m.ApplyToChannel(ctx, fishpond.System, pr.ID, "贫困县农户生产 / grown by registered households")
			if err != nil {
				return fmt.Errorf("channel %s: %w", p.in.Name, err)
			}
			if p.in.Name != "东乡手抓羊肉 2斤" {
				if _, err := m.ApproveChannel(ctx, admin.Principal(), app.ID, "审核通过 / approved"); err != nil {
					return fmt.Errorf("channel review %s: %w", p.in.Name, err)
				}
			}
			if p.flash {
				now := time.Now()
				if _, err := m.CreateFlashSale(ctx, fishpond.System, market.FlashInput{ProductID: pr.ID, Price: 2990, Quantity: 100, PerBuyerLimit: 2,
					StartsAt: now.Add(-time.Hour), EndsAt: now.AddDate(0, 0, 7)}); err != nil {
					return fmt.Errorf("flash sale: %w", err)
				}
			}
		}
	}
	return loadBrand(ctx, m, melon)
}

// loadBrand creates 兰考蜜瓜, the county's 一县一品 brand with its planting and
// quality standard, admits the demo melon after a passing inspection, and records
// the producers' cultivated land so the brand page can show income per mu.
func loadBrand(ctx context.Context, m *market.Store, melon market.Product) error {
	b, err := m.CreateBrand(ctx, fishpond.System, market.BrandInput{CountyCode: "410225", Name: "兰考蜜瓜",
		Description: "“一藤两瓜”标准化种植，糖度不低于14% / 'one vine, two melons', sugar content at least 14%",
		Criteria: []market.Criterion{
			{Kind: market.CriterionQuality, Name: "可溶性固形物（糖度）", Unit: "%Brix", Op: market.OpAtLeast, Threshold: 14},
			{Kind: market.CriterionPlanting, Name: "每藤留瓜数", Unit: "个", Op: market.OpEqual, Threshold: 2},
			{Kind: market.CriterionQuality, Name: "单瓜重", Unit: "kg", Op: market.OpAtLeast, Threshold: 1.2},
		}})
	if err != nil {
		return fmt.Errorf("brand: %w", err)
	}
	if _, err := m.RecordInspection(ctx, fishpond.System, market.InspectionInput{BrandID: b.ID, ProductID: melon.ID,
		Inspector: "兰考县农产品质量检测站", Date: "2020-06-15", Values: map[int]float64{1: 15.2, 2: 2, 3: 1.45}}); err != nil {
		return fmt.Errorf("inspection: %w", err)
	}
	for i, sh := range melon.Producers {
		if err := m.SetCultivatedLand(ctx, fishpond.System, sh.HouseholdID, 2+float64(i)*0.5); err != nil {
			return fmt.Errorf("land: %w", err)
		}
	}
	return nil
}
