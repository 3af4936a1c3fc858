package insurance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/insurance"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
)

const povertyCounty = "130624"

var (
	ctx   = context.Background()
	admin = fishpond.System
	buyer = fishpond.Principal{UserID: "u-buyer", Role: fishpond.RoleConsumer}
	offP  = fishpond.Principal{UserID: "u-officer", Role: fishpond.RoleCountyOfficer, Counties: []string{povertyCounty}}
)

type clock struct{ t *time.Time }

func (c clock) Now() time.Time { return *c.t }

func hhP(id string) fishpond.Principal {
	return fishpond.Principal{UserID: "u-" + id, Role: fishpond.RoleHousehold, HouseholdID: id}
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

// The second "done when": charity pledges on products sold through the
// marketplace fill the health-insurance fund, the fund pays the premiums of a
// household's breadwinners, one of them falls ill, and the claim is paid to the
// household as transfer income; bad claims are refused or flagged.
func TestClaimPaidFromFundFilledByPledges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2020, 3, 2, 9, 0, 0, 0, fishpond.ChinaTime)
		c := clock{&now}
		raw, _ := secret.Generate()
		keys, _ := secret.New(raw)
		reg := registry.NewStore(d, keys, c)
		if _, _, _, err := reg.LoadPlaces(ctx); err != nil {
			t.Fatal(err)
		}
		county, _ := reg.County(ctx, povertyCounty)
		v, err := reg.CreateVillage(ctx, admin, povertyCounty, "城关镇", "试点村")
		if err != nil {
			t.Fatal(err)
		}
		var hh []registry.Household
		for _, in := range registry.Synthesize(5, county, []string{v.ID}, 6) {
			h, err := reg.CreateHousehold(ctx, admin, in)
			if err != nil {
				t.Fatal(err)
			}
			if h, err = reg.Household(ctx, admin, h.ID); err != nil {
				t.Fatal(err)
			}
			hh = append(hh, h)
		}
		l := ledger.New(d, c)
		t.Cleanup(l.Close)
		mcfg := market.DefaultConfig
		mcfg.PhotoDir = t.TempDir()
		m := market.NewStore(d, keys, c, mcfg)
		ins := insurance.New(d, c)

		// Pick a household with a breadwinner (18–60, able to work) and someone who is not.
		var home registry.Household
		var bread, notBread []string
		for _, h := range hh {
			bread, notBread = nil, nil
			for _, mb := range h.Members {
				b, _ := time.Parse("2006-01-02", mb.BirthDate)
				age := 2020 - b.Year()
				if age >= 19 && age <= 59 && slices.Contains(insurance.BreadwinnerLabour, mb.Labour) {
					bread = append(bread, mb.ID)
				} else {
					notBread = append(notBread, mb.ID)
				}
			}
			if len(bread) > 0 && len(notBread) > 0 {
				home = h
				break
			}
		}
		if home.ID == "" {
			t.Fatal("no synthesized household with a breadwinner and a dependant")
		}
		plan, err := ins.CreatePlan(ctx, admin, insurance.Plan{Name: "建档立卡户主要劳动力大病保险", Fund: "health-insurance", Premium: fishpond.Yuan(200),
			CoverMonths: 12, MinAge: 18, MaxAge: 60, BreadwinnersOnly: true,
			Benefits: []insurance.Benefit{{Category: "critical_illness", Limit: fishpond.Yuan(400)}, {Category: "accident", Limit: fishpond.Yuan(100)}}})
		if err != nil {
			t.Fatal(err)
		}
		// An empty fund pays no premiums, and nothing is enrolled.
		_, err = ins.Enrol(ctx, offP, plan.ID, home.ID, bread)
		wantCode(t, err, fishpond.EConflict, "")

		// A seller in another household pledges 2 yuan per bag to the fund; 500 bags sell.
		seller := hh[len(hh)-1]
		if seller.ID == home.ID {
			seller = hh[0]
		}
		sh, err := m.OpenShop(ctx, hhP(seller.ID), market.ShopInput{Name: "公益小米", OwnerKind: market.OwnerHousehold, OwnerID: seller.ID})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := m.AddProduct(ctx, hhP(seller.ID), market.ProductInput{ShopID: sh.ID, Name: "公益小米 1kg", Category: "杂粮", Unit: "袋", Price: fishpond.Yuan(20),
			Stock: 1000, OriginCounty: povertyCounty, BatchCode: "B1", HarvestDate: "2019-10-01", Pledge: fishpond.Yuan(2), PledgeFund: "health-insurance"})
		if err != nil {
			t.Fatal(err)
		}
		addr, err := m.AddAddress(ctx, buyer, market.AddressInput{Name: "李四", Phone: "13800138000", ProvinceCode: "11", CountyCode: "110101", Detail: "东城区东直门大街1号"})
		if err != nil {
			t.Fatal(err)
		}
		for i, qty := range []int64{200, 300} {
			o, err := m.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: string(rune('a' + i)), AddressID: addr.ID, Lines: []market.LineRequest{{ProductID: pr.ID, Qty: qty}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.MarkPaid(ctx, o.ID, "sandbox", "T"+o.ID, o.Total); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Ship(ctx, hhP(seller.ID), o.ID, "SF1"); err != nil {
				t.Fatal(err)
			}
			if _, err := m.MarkDelivered(ctx, buyer, o.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Settle(ctx, admin, o.ID); err != nil {
				t.Fatal(err)
			}
		}
		fund, err := ins.Fund(ctx, "health-insurance")
		if err != nil || fund.Pledges != fishpond.Yuan(1000) || fund.Balance != fishpond.Yuan(1000) || len(bread) > 4 {
			t.Fatalf("fund %+v %v", fund, err)
		}

		// Eligibility is checked against the registry; a dependant is refused.
		_, err = ins.Enrol(ctx, offP, plan.ID, home.ID, []string{bread[0], notBread[0]})
		wantCode(t, err, fishpond.EInvalid, "member_ids[1]")
		_, err = ins.Enrol(ctx, hhP(home.ID), plan.ID, home.ID, bread)
		wantCode(t, err, fishpond.ENotFound, "") // households do not enrol themselves
		ens, err := ins.Enrol(ctx, offP, plan.ID, home.ID, bread)
		if err != nil || len(ens) != len(bread) || ens[0].CoverTo != "2021-03-01" {
			t.Fatalf("%+v %v", ens, err)
		}
		again, err := ins.Enrol(ctx, offP, plan.ID, home.ID, bread)
		if err != nil || again[0].ID != ens[0].ID {
			t.Fatalf("retry enrolled twice: %+v %v", again, err)
		}
		premiums := fishpond.Yuan(200) * fishpond.Money(len(bread))
		if fund, _ = ins.Fund(ctx, "health-insurance"); fund.Balance != fishpond.Yuan(1000)-premiums || fund.PremiumsPaid != premiums || fund.Households != 1 || fund.Persons != len(bread) {
			t.Fatalf("fund after premiums %+v", fund)
		}

		// In summer the breadwinner falls ill.
		now = time.Date(2020, 7, 20, 9, 0, 0, 0, fishpond.ChinaTime)
		me := hhP(home.ID)
		claim := func(key, member, category string, amount fishpond.Money, on string) (insurance.Claim, error) {
			return ins.Submit(ctx, me, insurance.ClaimRequest{IdempotencyKey: key, MemberID: member, Category: category, Hospital: "阜平县医院",
				Amount: amount, IncurredOn: on, Documents: []string{"诊断证明 scan-001", "住院发票 scan-002"}})
		}
		_, err = claim("k0", notBread[0], "critical_illness", fishpond.Yuan(80), "2020-07-10")
		wantCode(t, err, fishpond.EInvalid, "member_id") // not insured
		_, err = claim("k0", bread[0], "dental", fishpond.Yuan(80), "2020-07-10")
		wantCode(t, err, fishpond.EInvalid, "category")
		_, err = claim("k0", bread[0], "critical_illness", fishpond.Yuan(80), "2020-08-10")
		wantCode(t, err, fishpond.EInvalid, "incurred_on") // in the future
		if cs, _ := ins.Claims(ctx, me, home.ID); len(cs) != 0 {
			t.Fatalf("refused claims were recorded: %+v", cs)
		}
		cl, err := claim("k1", bread[0], "critical_illness", fishpond.Yuan(80), "2020-07-10")
		if err != nil || cl.Status != insurance.ClaimSubmitted || len(cl.Flags) != 0 {
			t.Fatalf("%+v %v", cl, err)
		}
		incomeBefore, _ := l.HouseholdIncome(ctx, home.ID, time.Date(2020, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime), time.Date(2021, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime))
		_, err = ins.Review(ctx, fishpond.Principal{UserID: "x", Role: fishpond.RoleCountyOfficer, Counties: []string{"110101"}}, cl.ID, true, "")
		wantCode(t, err, fishpond.ENotFound, "")
		if cl, err = ins.Review(ctx, offP, cl.ID, true, "材料齐全 documents complete"); err != nil || cl.Status != insurance.ClaimPaid || cl.ApprovedAmount != fishpond.Yuan(80) {
			t.Fatalf("%+v %v", cl, err)
		}
		inc, _ := l.HouseholdIncome(ctx, home.ID, time.Date(2020, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime), time.Date(2021, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime))
		if inc.Transfer-incomeBefore.Transfer != fishpond.Yuan(80) {
			t.Fatalf("transfer income rose by %s, want the 80 yuan payout", inc.Transfer-incomeBefore.Transfer)
		}
		_, err = ins.Review(ctx, offP, cl.ID, false, "again")
		wantCode(t, err, fishpond.EConflict, "")

		// Fraud checks: the same bill again, a date before the cover, over the limit.
		dup, err := claim("k2", bread[0], "critical_illness", fishpond.Yuan(80), "2020-07-10")
		if err != nil || dup.Status != insurance.ClaimFlagged || !slices.Contains(dup.Flags, insurance.FlagDuplicate) {
			t.Fatalf("duplicate %+v %v", dup, err)
		}
		_, err = ins.Review(ctx, offP, dup.ID, true, "")
		wantCode(t, err, fishpond.EConflict, "")
		if _, err = ins.Review(ctx, offP, dup.ID, false, ""); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("a rejection without a reason: %v", err)
		}
		if dup, err = ins.Review(ctx, offP, dup.ID, false, "重复报销 duplicate"); err != nil || dup.Status != insurance.ClaimRejected {
			t.Fatalf("%+v %v", dup, err)
		}
		early, err := claim("k3", bread[0], "accident", fishpond.Yuan(30), "2020-02-20")
		if err != nil || !slices.Contains(early.Flags, insurance.FlagOutsideCover) {
			t.Fatalf("outside cover %+v %v", early, err)
		}
		big, err := claim("k4", bread[0], "accident", fishpond.Yuan(150), "2020-07-15")
		if err != nil || !slices.Contains(big.Flags, insurance.FlagOverLimit) {
			t.Fatalf("over limit %+v %v", big, err)
		}
		// Over the limit is paid up to the limit (100 yuan for accidents); then the
		// benefit is used up.
		if big, err = ins.Review(ctx, offP, big.ID, true, "按限额赔付 paid to the limit"); err != nil || big.ApprovedAmount != fishpond.Yuan(100) {
			t.Fatalf("%+v %v", big, err)
		}
		more, err := claim("k5", bread[0], "accident", fishpond.Yuan(10), "2020-07-16")
		if err != nil || !slices.Contains(more.Flags, insurance.FlagOverLimit) {
			t.Fatalf("%+v %v", more, err)
		}
		_, err = ins.Review(ctx, offP, more.ID, true, "")
		wantCode(t, err, fishpond.EConflict, "")
		rep, err := l.Verify(ctx)
		if err != nil || rep.Err() != nil {
			t.Fatal(err, rep.Err())
		}
		evs, err := events.New(d, nil).Read(ctx, 0, []string{"insurance.household.enrolled", "insurance.claim.paid"}, 10)
		if err != nil || len(evs) < 2 || evs[0].CountyCode != povertyCounty || evs[1].Type != "insurance.claim.paid" {
			t.Fatalf("events %+v %v", evs, err)
		}
		h1, err := ins.Metrics(ctx, "2020H1")
		if err != nil || h1.InsuredHouseholds != 1 || h1.PovertyHouseholds != 1 || h1.InsuredPersons != len(bread) || h1.PremiumsPaid != premiums || h1.PledgesToAllFunds != fishpond.Yuan(1000) || h1.ClaimsPaid != 0 {
			t.Fatalf("2020H1 metrics %+v %v", h1, err)
		}
		h2, err := ins.Metrics(ctx, "2020H2")
		if err != nil || h2.ClaimsPaid != 2 || h2.PaidAmount != fishpond.Yuan(180) || h2.PovertyPaidAmount != fishpond.Yuan(180) || h2.ClaimsRejected != 1 || h2.InsuredHouseholds != 0 {
			t.Fatalf("2020H2 metrics %+v %v", h2, err)
		}
		fund, _ = ins.Fund(ctx, "health-insurance")
		if fund.ClaimsPaid < 1 || len(fund.Counties) != 1 || fund.Counties[0].CountyCode != povertyCounty {
			t.Fatalf("fund %+v", fund)
		}
	})
}
