package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/insurance"
	"fishpond/market"
)

func init() {
	steps = append(steps, step{name: "credit and insurance", run: loadCreditInsurance})
}

// demoOfficer reviews the demo's applications and claims in 阜平.
var demoOfficer = fishpond.Principal{UserID: "demo-officer", Name: "阜平县扶贫办", Role: fishpond.RoleCountyOfficer, Counties: []string{"130624"}}

// loadCreditInsurance adds three loan products and a health-insurance plan paid by
// the health-insurance fund (the one the demo's millet pledges go to, topped up by a
// donation); the demo farmer borrows for seeds (approved by the 阜平 officer if the
// score refers it), a few 阜平 households apply (some wait in the officer's queue),
// breadwinners of 60 阜平 households are insured, and the farmer's claim is paid.
func loadCreditInsurance(ctx context.Context, d Deps, l Loaded) error {
	if d.Credit == nil || d.Insurance == nil {
		return nil
	}
	sys := fishpond.System
	seed, err := d.Credit.CreateProduct(ctx, sys, credit.Product{Name: "春耕种子贷", Purpose: credit.PurposeFarmInputs, MinAmount: fishpond.Yuan(500),
		MaxAmount: fishpond.Yuan(5000), TermMonths: 6, Instalments: 1, RateBp: 435, Interest: credit.InterestFlat, HarvestMonth: 10,
		Repayment: credit.RepaySales, ShareBp: 3000, PenaltyBp: 650, Disbursement: credit.DisburseWallet})
	if err != nil {
		return err
	}
	if _, err := d.Credit.CreateProduct(ctx, sys, credit.Product{Name: "化肥实物贷", Purpose: credit.PurposeFarmInputs, MinAmount: fishpond.Yuan(300),
		MaxAmount: fishpond.Yuan(3000), TermMonths: 6, Instalments: 1, RateBp: 435, Interest: credit.InterestFlat, HarvestMonth: 10,
		Repayment: credit.RepaySales, ShareBp: 2000, Disbursement: credit.DisburseSupplier}); err != nil {
		return err
	}
	stock, err := d.Credit.CreateProduct(ctx, sys, credit.Product{Name: "养殖贷（肉牛、滩羊）", Purpose: credit.PurposeLivestock, MinAmount: fishpond.Yuan(2000),
		MaxAmount: fishpond.Yuan(50000), TermMonths: 24, Instalments: 8, RateBp: 475, Interest: credit.InterestDeclining,
		Repayment: credit.RepaySchedule, PenaltyBp: 710, Disbursement: credit.DisburseWallet})
	if err != nil {
		return err
	}
	farmerP := fishpond.Principal{UserID: "demo-farmer", Role: fishpond.RoleHousehold, HouseholdID: l.FarmerHousehold}
	// The farmer's walnut harvest sells through the marketplace: its sales history.
	sell, err := farmerSales(ctx, d, farmerP)
	if err != nil {
		return err
	}
	for i := 0; i < 8; i++ {
		if err := sell(fmt.Sprintf("before-%d", i), 20); err != nil {
			return err
		}
	}
	app, err := d.Credit.Apply(ctx, farmerP, credit.ApplicationRequest{IdempotencyKey: "demo-farmer-seed", HouseholdID: l.FarmerHousehold,
		ProductID: seed.ID, Amount: fishpond.Yuan(3000), Note: "谷子种子、农家肥"})
	if err != nil {
		return fmt.Errorf("farmer's application: %w", err)
	}
	if app.Status == credit.AppReferred {
		if _, err := d.Credit.Review(ctx, demoOfficer, app.ID, true, "合作社收购协议在册，同意 purchase agreement with the cooperative on file"); err != nil {
			return err
		}
	}
	// Two more sales: the loan's standing rule takes its 30 % of each in the ledger.
	for i := 0; i < 2; i++ {
		if err := sell(fmt.Sprintf("after-%d", i), 20); err != nil {
			return err
		}
	}
	// The millet cooperative's members (阜平 households) sell through their coop,
	// each bag pledging 0.50 yuan to the health-insurance fund; then six of them
	// apply. Those the score refers wait in the 阜平 officer's queue; the officer
	// approves two.
	var fuping []Household
	for _, h := range l.Households {
		if h.County == "130624" && h.ID != l.FarmerHousehold {
			fuping = append(fuping, h)
		}
	}
	if err := coopSales(ctx, d, 40); err != nil {
		return err
	}
	approved := 0
	for i, h := range fuping[:min(6, len(fuping))] {
		pr, amount := seed.ID, fishpond.Yuan(int64(800+100*i))
		if i == 5 {
			pr, amount = stock.ID, fishpond.Yuan(20000)
		}
		a, err := d.Credit.Apply(ctx, fishpond.Principal{UserID: "demo-" + h.ID, Role: fishpond.RoleHousehold, HouseholdID: h.ID},
			credit.ApplicationRequest{IdempotencyKey: "demo-app-" + h.ID, HouseholdID: h.ID, ProductID: pr, Amount: amount, Note: "合作社小米种子"})
		if err != nil {
			return err
		}
		if approved < 2 && a.Status == credit.AppReferred {
			if _, err := d.Credit.Review(ctx, demoOfficer, a.ID, true, "合作社担保 vouched for by the cooperative"); err != nil {
				return err
			}
			approved++
		}
	}

	// Insurance: the fund receives a donation next to the marketplace's pledges.
	if err := d.Insurance.Donate(ctx, sys, "health-insurance", fishpond.Yuan(20000), "公益基金会 charity foundation", "demo-donation"); err != nil {
		return err
	}
	plan, err := d.Insurance.CreatePlan(ctx, sys, insurance.Plan{Name: "建档立卡户主要劳动力大病保险", Fund: "health-insurance", Premium: fishpond.Yuan(100),
		CoverMonths: 12, MinAge: 18, MaxAge: 60, BreadwinnersOnly: true, Benefits: []insurance.Benefit{
			{Category: "critical_illness", Limit: fishpond.Yuan(50000)}, {Category: "hospitalisation", Limit: fishpond.Yuan(10000)}, {Category: "accident", Limit: fishpond.Yuan(20000)}}})
	if err != nil {
		return err
	}
	today := time.Now().In(fishpond.ChinaTime)
	insured := 0
	var farmerMember string
	for _, h := range append([]Household{{ID: l.FarmerHousehold, County: "130624"}}, fuping...) {
		if insured >= 60 {
			break
		}
		hh, err := d.Registry.Household(ctx, sys, h.ID)
		if err != nil {
			return err
		}
		var ids []string
		for _, m := range hh.Members {
			b, err := time.Parse("2006-01-02", m.BirthDate)
			if err != nil {
				continue
			}
			age := today.Year() - b.Year()
			if today.YearDay() < b.YearDay() {
				age--
			}
			if age >= 19 && age <= 59 && slices.Contains(insurance.BreadwinnerLabour, m.Labour) {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		if _, err := d.Insurance.Enrol(ctx, demoOfficer, plan.ID, h.ID, ids); err != nil {
			return fmt.Errorf("enrol %s: %w", h.ID, err)
		}
		if h.ID == l.FarmerHousehold {
			farmerMember = ids[0]
		}
		insured++
	}
	if farmerMember != "" {
		c, err := d.Insurance.Submit(ctx, farmerP, insurance.ClaimRequest{IdempotencyKey: "demo-claim-1", MemberID: farmerMember, Category: "hospitalisation",
			Hospital: "阜平县人民医院", Amount: fishpond.Yuan(6200), IncurredOn: insurance.Day(today),
			Documents: []string{"诊断证明书 FP-2020-0311", "住院费用清单 FP-2020-0312"}})
		if err != nil {
			return err
		}
		if _, err := d.Insurance.Review(ctx, demoOfficer, c.ID, true, "材料齐全 documents complete"); err != nil {
			return err
		}
	}
	return nil
}

// farmerSales returns a function that sells qty bags of the demo farmer's walnuts
// to a demo buyer through the whole order flow, up to settlement.
func farmerSales(ctx context.Context, d Deps, farmerP fishpond.Principal) (func(key string, qty int64) error, error) {
	shops, err := d.Market.SellerShops(ctx, farmerP)
	if err != nil || len(shops) == 0 {
		return nil, fmt.Errorf("the farmer's shop: %v", err)
	}
	ps, err := d.Market.ShopProducts(ctx, shops[0].ID)
	if err != nil || len(ps) == 0 {
		return nil, fmt.Errorf("the farmer's products: %v", err)
	}
	pr := ps[0]
	if _, err := d.Market.AddStock(ctx, farmerP, pr.ID, 200); err != nil {
		return nil, err
	}
	buyer := fishpond.Principal{UserID: "demo-walnut-buyer", Name: "城市消费者", Role: fishpond.RoleConsumer}
	addr, err := d.Market.AddAddress(ctx, buyer, market.AddressInput{Name: "王芳", Phone: "13912345678", ProvinceCode: "11", CountyCode: "110105", Detail: "朝阳区建国路88号"})
	if err != nil {
		return nil, err
	}
	return func(key string, qty int64) error {
		o, err := d.Market.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: "demo-walnut-" + key, AddressID: addr.ID, Lines: []market.LineRequest{{ProductID: pr.ID, Qty: qty}}})
		if err != nil {
			return err
		}
		if _, err := d.Market.MarkPaid(ctx, o.ID, "sandbox", "DEMO-"+key, o.Total); err != nil {
			return err
		}
		if _, err := d.Market.Ship(ctx, farmerP, o.ID, "SF-DEMO-"+key); err != nil {
			return err
		}
		if _, err := d.Market.MarkDelivered(ctx, buyer, o.ID); err != nil {
			return err
		}
		_, err = d.Market.Settle(ctx, fishpond.System, o.ID)
		return err
	}, nil
}

// coopSales sells ten bags of the cooperative's millet to each of n demo buyers
// (the product's per-buyer limit), settled, so its member households have sales
// and the fund has pledges.
func coopSales(ctx context.Context, d Deps, n int) error {
	res, err := d.Market.Search(ctx, market.SearchQuery{Text: "骆驼湾小米", Limit: 5})
	if err != nil || len(res.Hits) == 0 {
		return fmt.Errorf("the cooperative's millet: %v", err)
	}
	pr := res.Hits[0].Product
	seller := fishpond.System
	for i := 0; i < n; i++ {
		buyer := fishpond.Principal{UserID: fmt.Sprintf("demo-millet-buyer-%d", i), Role: fishpond.RoleConsumer}
		addr, err := d.Market.AddAddress(ctx, buyer, market.AddressInput{Name: "买家", Phone: "13912345678", ProvinceCode: "31", CountyCode: "310101", Detail: "黄浦区南京东路1号"})
		if err != nil {
			return err
		}
		o, err := d.Market.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: fmt.Sprintf("demo-millet-%d", i), AddressID: addr.ID, Lines: []market.LineRequest{{ProductID: pr.ID, Qty: 10}}})
		if err != nil {
			return err
		}
		if _, err := d.Market.MarkPaid(ctx, o.ID, "sandbox", fmt.Sprintf("DEMO-M-%d", i), o.Total); err != nil {
			return err
		}
		if _, err := d.Market.Ship(ctx, seller, o.ID, fmt.Sprintf("SF-M-%d", i)); err != nil {
			return err
		}
		if _, err := d.Market.MarkDelivered(ctx, buyer, o.ID); err != nil {
			return err
		}
		if _, err := d.Market.Settle(ctx, seller, o.ID); err != nil {
			return err
		}
	}
	return nil
}
