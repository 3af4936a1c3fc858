package demo

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/farms"
	"fishpond/market"
)

func init() { steps = append(steps, step{name: "farms", run: loadFarms}) }

// loadFarms turns the demo's millet cooperative in 阜平 into a poverty-alleviation
// farm: 30 households (the demo farmer first) transfer their land at 600–700 yuan
// per mu from the first of the month 13 months ago, paid quarterly (the scheduler
// catches up on the installments already due); seeds on credit; a season of
// weeding paid by payroll; millet bought under purchase agreements; a field open to
// consumer claims, one of them by the demo consumer; last year's field harvested.
func loadFarms(ctx context.Context, d Deps, l Loaded) error {
	if d.Farms == nil {
		return nil // a caller loading only part of the demo (a capability's own test)
	}
	mgrUser, err := d.Access.UserByName(ctx, "coop")
	if err != nil {
		return err
	}
	mgr := mgrUser.Principal()
	var shop market.Shop
	shops, err := d.Market.SellerShops(ctx, mgr)
	if err != nil {
		return err
	}
	for _, sh := range shops {
		if sh.OwnerKind == market.OwnerCoop {
			shop = sh
		}
	}
	if shop.ID == "" {
		return fmt.Errorf("the demo cooperative has no shop")
	}
	var hh []string
	for _, h := range l.Households {
		if h.County == "130624" && len(hh) < 30 {
			hh = append(hh, h.ID)
		}
	}
	area := func(i int) farms.Area { return farms.Mu(int64(8 + i%7)) }
	var members []farms.MemberInput
	for i, h := range hh {
		members = append(members, farms.MemberInput{HouseholdID: h, Shares: int64(area(i) / 100)})
	}
	members = append(members, farms.MemberInput{Label: "骆驼湾村集体经济合作社", Shares: 50})
	coop, err := d.Farms.RegisterCoop(ctx, fishpond.System, farms.CoopInput{CoopID: shop.OwnerID, LegalRep: "陈社长",
		MinDailyWage: fishpond.Yuan(80), Members: members})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if _, err := d.Farms.Deposit(ctx, mgr, coop.ID, fishpond.Yuan(600_000), "社员股金与扶贫资金 capital and programme grant", "demo-capital"); err != nil {
		return err
	}
	now := time.Now().In(fishpond.ChinaTime)
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, fishpond.ChinaTime).AddDate(-1, -1, 0)
	var total farms.Area
	for i, h := range hh {
		if _, err := d.Farms.SignContract(ctx, mgr, coop.ID, farms.ContractInput{HouseholdID: h, Area: area(i),
			Rate: fishpond.Yuan(600 + 50*int64(i%3)), Years: 3, PaymentsPerYear: 4, StartsOn: start.Format("2006-01-02"),
			IdempotencyKey: fmt.Sprintf("demo-contract-%d", i)}); err != nil {
			return fmt.Errorf("contract %d: %w", i, err)
		}
		total += area(i)
	}
	if _, err := d.Farms.RunDueRent(ctx); err != nil {
		return fmt.Errorf("rent: %w", err)
	}
	for i := 0; i < len(hh); i += 6 {
		if _, err := d.Farms.AdvanceInput(ctx, mgr, coop.ID, farms.InputRequest{HouseholdID: hh[i], Kind: "seeds", Description: "张杂谷良种",
			Quantity: 10, Unit: "公斤", Value: fishpond.Yuan(150), Supplier: "阜平县种子公司", IdempotencyKey: fmt.Sprintf("demo-seed-%d", i)}); err != nil {
			return err
		}
	}
	if _, err := d.Farms.AdvanceInput(ctx, mgr, coop.ID, farms.InputRequest{Kind: "fertiliser", Description: "有机肥", Quantity: 40, Unit: "吨",
		Value: fishpond.Yuan(32_000), Supplier: "阜平县农资站", IdempotencyKey: "demo-fertiliser"}); err != nil {
		return err
	}
	season := fmt.Sprint(now.Year())
	field, err := d.Farms.AddField(ctx, mgr, coop.ID, farms.FieldInput{Name: "骆驼湾谷子田", Crop: "谷子", Season: season, Area: total,
		ClaimableMu: 60, ClaimPrice: fishpond.Yuan(398), ShopID: shop.ID})
	if err != nil {
		return fmt.Errorf("field: %w", err)
	}
	if _, err := d.Farms.AddUpdate(ctx, mgr, field.ID, "谷子已抽穗，长势良好。The millet has headed and is growing well.", nil); err != nil {
		return err
	}
	old, err := d.Farms.AddField(ctx, mgr, coop.ID, farms.FieldInput{Name: "骆驼湾谷子田", Crop: "谷子", Season: fmt.Sprint(now.Year() - 1), Area: total})
	if err != nil {
		return err
	}
	if _, err := d.Farms.RecordHarvest(ctx, mgr, old.ID, farms.Weight(int64(total)*280*10)); err != nil { // 280 kg a mu
		return err
	}
	// The demo consumer has claimed 2 mu and paid.
	if cu, err := d.Access.UserByName(ctx, "consumer"); err == nil {
		cp := cu.Principal()
		addrs, err := d.Market.Addresses(ctx, cp)
		if err != nil {
			return err
		}
		addr := ""
		if len(addrs) > 0 {
			addr = addrs[0].ID
		} else {
			a, err := d.Market.AddAddress(ctx, cp, market.AddressInput{Name: "李女士", Phone: "13912345678", ProvinceCode: "11", CountyCode: "110105", Detail: "朝阳区建国路88号"})
			if err != nil {
				return err
			}
			addr = a.ID
		}
		c, err := d.Farms.MakeClaim(ctx, cp, field.ID, farms.ClaimInput{Mu: 2, AddressID: addr, IdempotencyKey: "demo-claim"})
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		if _, err := d.Market.MarkPaid(ctx, c.OrderID, "sandbox", "DEMO-CLAIM-1", fishpond.Yuan(796)); err != nil {
			return err
		}
	}
	weed, err := d.Farms.AddTask(ctx, mgr, coop.ID, farms.TaskInput{FieldID: field.ID, Kind: "weeding", Basis: farms.BasisDay, Rate: fishpond.Yuan(100), Note: "间苗除草"})
	if err != nil {
		return err
	}
	if _, err := d.Farms.AddTask(ctx, mgr, coop.ID, farms.TaskInput{FieldID: field.ID, Kind: "harvesting", Basis: farms.BasisPiece, Rate: 50, Unit: "公斤"}); err != nil {
		return err
	}
	for i, h := range hh[:20] {
		for k := 0; k < 4+i%4; k++ {
			day := now.AddDate(0, 0, -40+k*2)
			if _, err := d.Farms.LogWork(ctx, mgr, weed.ID, farms.WorkInput{HouseholdID: h, Date: day.Format("2006-01-02"), Days: 10,
				IdempotencyKey: fmt.Sprintf("demo-%d-%d", i, k)}); err != nil {
				return fmt.Errorf("work: %w", err)
			}
		}
	}
	if _, err := d.Farms.RunPayroll(ctx, mgr, coop.ID, now.AddDate(0, 0, -30).Format("2006-01-02"), "demo-payroll-1"); err != nil {
		return err
	}
	for i, h := range hh[:10] {
		a, err := d.Farms.SignAgreement(ctx, mgr, coop.ID, farms.AgreementInput{HouseholdID: h, Crop: "谷子", Pricing: farms.PricingFloor,
			Price: 600, StartsOn: now.AddDate(0, -2, 0).Format("2006-01-02"), EndsOn: fmt.Sprintf("%d-12-31", now.Year()), IdempotencyKey: fmt.Sprintf("demo-agr-%d", i)})
		if err != nil {
			return err
		}
		if _, err := d.Farms.RecordDelivery(ctx, mgr, a.ID, farms.DeliveryInput{Weight: farms.Kg(int64(200 + 50*i)), Grade: []string{"A", "A", "B"}[i%3],
			MarketPrice: 560, IdempotencyKey: fmt.Sprintf("demo-slip-%d", i)}); err != nil {
			return err
		}
	}
	return nil
}
