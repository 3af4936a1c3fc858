package farms

import (
	"errors"
	"fmt"
	"testing"

	"fishpond"
	"fishpond/assess"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

// The programme's first farm, 2020: a millet cooperative rents 3,000 mu from 159
// registered households at 600–700 yuan per mu, pays a season of weeding and
// harvesting wages, buys the households' own millet under purchase agreements,
// advances seeds on credit, lets urban consumers claim 100 mu and ships their share
// of the harvest through marketplace orders, and distributes a dividend. Every
// household's income per category and its 2020 status are checked against the
// figures computed by hand from the scenario below (firstFarmHousehold), and a
// few households and the totals against literal numbers worked out on paper.

const farmHouseholds = 159

// firstFarmHousehold is household i's part in the scenario, and what it should earn.
type farmPlan struct {
	size       int
	mu         int64 // contracted
	rate       fishpond.Money
	weedDays   int // days of weeding at 100 yuan
	harvestKg  int64
	deliveryKg int64
	grade      string
	seeds      fishpond.Money // seeds advanced on credit
	claimShare bool           // one of the ten members of the marketplace cooperative
}

func firstFarmHousehold(i int) farmPlan {
	p := farmPlan{size: 2 + i%4, mu: 19, rate: fishpond.Yuan(600 + 50*int64(i%3))}
	if i >= 138 { // 138 × 19 + 21 × 18 = 3,000 mu
		p.mu = 18
	}
	if i%2 == 0 {
		p.weedDays = 10 + i%7
	}
	if i%4 == 0 {
		p.harvestKg = 300 // a day, two days, at 0.50 yuan/kg
	}
	if i%3 == 1 {
		p.deliveryKg, p.grade = 500, GradeA
		if i%2 == 1 {
			p.grade = GradeB
		}
	}
	if i%10 == 0 {
		p.seeds = fishpond.Yuan(200)
	}
	p.claimShare = i < 10
	return p
}

// expected income by hand: rent = mu × rate; wages = days × 100 + 2 × kg × 0.50;
// sales = 500 kg × 6.00 (A, the floor above the 5.50 market) or × 5.40 (B, 90%);
// dividend = 50 yuan per share (165,000 over 3,300 shares, one share per mu and 300
// for the village collective); the consumers' 50,000 yuan of claims less the 2% fee
// split over the ten marketplace members = 4,900 each; seeds are production cost.
func (p farmPlan) expected() (wage, operating, property fishpond.Money) {
	rent := fishpond.Money(p.mu) * p.rate
	wage = fishpond.Yuan(100)*fishpond.Money(p.weedDays) + 2*fishpond.Money(p.harvestKg)*50
	var sales fishpond.Money
	switch p.grade {
	case GradeA:
		sales = fishpond.Money(p.deliveryKg) * 600
	case GradeB:
		sales = fishpond.Money(p.deliveryKg) * 540
	}
	operating = sales - p.seeds
	if p.claimShare {
		operating += fishpond.Yuan(4900)
	}
	property = rent + fishpond.Yuan(50)*fishpond.Money(p.mu)
	return wage, operating, property
}

func (p farmPlan) status() string {
	w, o, pr := p.expected()
	pc := (w + o + pr) / fishpond.Money(p.size)
	switch {
	case pc < fishpond.Yuan(4000):
		return assess.StatusPoor
	case pc < fishpond.Yuan(6000):
		return assess.StatusMarginal
	}
	return assess.StatusExited
}

func TestFirstFarm(t *testing.T) {
	if testing.Short() {
		t.Skip("the first farm runs a whole season for 159 households")
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.clock.Set(cst(2019, 9, 1, 10))
		hh := make([]string, farmHouseholds)
		plans := make([]farmPlan, farmHouseholds)
		var members []MemberInput
		var shares []market.Share
		for i := range hh {
			plans[i] = firstFarmHousehold(i)
			hh[i] = f.household(t, fmt.Sprintf("LTW%03d", i+1), plans[i].size)
			members = append(members, MemberInput{HouseholdID: hh[i], Shares: plans[i].mu})
			if plans[i].claimShare {
				shares = append(shares, market.Share{HouseholdID: hh[i], Bp: 1000})
			}
		}
		members = append(members, MemberInput{Label: "骆驼湾村集体 village collective", Shares: 300})
		coop := f.farm(t, shares, members)
		f.deposit(t, coop.ID, fishpond.Yuan(3_000_000))

		// Contracts, signed in September 2019, from 1 October for a year, paid quarterly.
		f.clock.Set(cst(2019, 9, 20, 10))
		var totalMu Area
		for i, h := range hh {
			c, err := f.s.SignContract(ctx, manager, coop.ID, ContractInput{HouseholdID: h, Area: Mu(plans[i].mu), Rate: plans[i].rate,
				Years: 1, PaymentsPerYear: 4, StartsOn: "2019-10-01", IdempotencyKey: "ltw-" + fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			totalMu += c.Area
		}
		if totalMu != Mu(3000) {
			t.Fatalf("contracted %s mu, want 3000", totalMu)
		}

		// The server was down all winter. On 10 April the scheduler catches up
		// (two quarters, 318 installments) and crashes after 200; the restarted
		// server pays the rest.
		f.clock.Set(cst(2020, 4, 10, 8))
		crashing := f.service(t)
		n := 0
		crashing.afterRent = func(installmentKey) error {
			if n++; n == 200 {
				return errCrash
			}
			return nil
		}
		if run, err := crashing.RunDueRent(ctx); !errors.Is(err, errCrash) || run.Paid != 200 {
			t.Fatalf("crashing run: %+v %v", run, err)
		}
		f.s = f.service(t)
		if run, err := f.s.RunDueRent(ctx); err != nil || run.Paid != 2*farmHouseholds-200 {
			t.Fatalf("restarted run: %+v %v", run, err)
		}

		// Seeds on credit for sixteen households, fertiliser for the farm.
		f.clock.Set(cst(2020, 4, 15, 10))
		for i, h := range hh {
			if plans[i].seeds == 0 {
				continue
			}
			if _, err := f.s.AdvanceInput(ctx, manager, coop.ID, InputRequest{HouseholdID: h, Kind: "seeds", Description: "谷子良种 millet seed",
				Quantity: 20, Unit: "公斤", Value: plans[i].seeds, Supplier: "县种子公司", IdempotencyKey: "seed-" + fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.AdvanceInput(ctx, manager, coop.ID, InputRequest{Kind: "fertiliser", Description: "有机肥 organic fertiliser",
			Quantity: 150, Unit: "吨", Value: fishpond.Yuan(30000), Supplier: "县农资站", IdempotencyKey: "fert-1"}); err != nil {
			t.Fatal(err)
		}

		// The field opens 120 mu to consumer claims at 500 yuan per mu.
		f.clock.Set(cst(2020, 4, 20, 10))
		field, err := f.s.AddField(ctx, manager, coop.ID, FieldInput{Name: "骆驼湾千亩谷子", Crop: "谷子 millet", Season: "2020", Area: Mu(3000),
			ClaimableMu: 120, ClaimPrice: fishpond.Yuan(500), ShopID: f.shop.ID})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Set(cst(2020, 5, 1, 10))
		var claims []Claim
		for k, mu := range []int64{10, 30, 60, 5} {
			p := fishpond.Principal{UserID: fmt.Sprintf("u-consumer-%d", k), Role: fishpond.RoleConsumer}
			addr, err := f.m.AddAddress(ctx, p, market.AddressInput{Name: "认领人", Phone: "13800138000", ProvinceCode: "11", CountyCode: "110101", Detail: "东直门大街1号"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.s.MakeClaim(ctx, p, field.ID, ClaimInput{Mu: mu, AddressID: addr.ID, IdempotencyKey: "claim-1"})
			if err != nil {
				t.Fatal(err)
			}
			if again, err := f.s.MakeClaim(ctx, p, field.ID, ClaimInput{Mu: mu, AddressID: addr.ID, IdempotencyKey: "claim-1"}); err != nil || again.ID != c.ID {
				t.Fatalf("retried claim: %v %v", again.ID, err)
			}
			if mu != 5 { // the last consumer never pays
				o, err := f.m.Order(ctx, p, c.OrderID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", fmt.Sprintf("T%d", k), o.Total); err != nil {
					t.Fatal(err)
				}
			}
			claims = append(claims, c)
		}
		if fl, _ := f.s.Field(ctx, field.ID); fl.ClaimedMu != 100 {
			t.Fatalf("claimed %d mu, want the 100 paid", fl.ClaimedMu)
		}

		// A season of work: weeding in June by the day, harvesting in September by the kg.
		weed, err := f.s.AddTask(ctx, manager, coop.ID, TaskInput{FieldID: field.ID, Kind: "weeding", Basis: BasisDay, Rate: fishpond.Yuan(100)})
		if err != nil {
			t.Fatal(err)
		}
		reap, err := f.s.AddTask(ctx, manager, coop.ID, TaskInput{FieldID: field.ID, Kind: "harvesting", Basis: BasisPiece, Rate: 50, Unit: "公斤"})
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range hh {
			for day := 0; day < plans[i].weedDays; day++ {
				if _, err := f.s.LogWork(ctx, manager, weed.ID, WorkInput{HouseholdID: h, Date: fmt.Sprintf("2020-06-%02d", day+1), Days: 10,
					IdempotencyKey: fmt.Sprintf("%d-%d", i, day)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		f.clock.Set(cst(2020, 7, 1, 9))
		june, err := f.s.RunPayroll(ctx, manager, coop.ID, "2020-06-30", "2020-06")
		if err != nil {
			t.Fatal(err)
		}
		if again, err := f.s.RunPayroll(ctx, manager, coop.ID, "2020-06-30", "2020-06"); err != nil || !again.Replayed || again.ID != june.ID {
			t.Fatalf("retried payroll: %+v %v", again, err)
		}
		if _, err := f.s.RunPayroll(ctx, manager, coop.ID, "2020-06-30", "2020-06-again"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("paying June twice: %v", err)
		}
		for i, h := range hh {
			if plans[i].harvestKg == 0 {
				continue
			}
			for day := 20; day <= 21; day++ {
				if _, err := f.s.LogWork(ctx, manager, reap.ID, WorkInput{HouseholdID: h, Date: fmt.Sprintf("2020-09-%02d", day), Days: 10,
					Pieces: plans[i].harvestKg, IdempotencyKey: fmt.Sprintf("%d-%d", i, day)}); err != nil {
					t.Fatal(err)
				}
			}
		}

		// Harvest: 300 kg a mu. Each paid claim is shipped its share.
		f.clock.Set(cst(2020, 9, 25, 16))
		hv, err := f.s.RecordHarvest(ctx, manager, field.ID, Kg(900_000))
		if err != nil {
			t.Fatal(err)
		}
		if hv.Shipped != 3 || hv.Unpaid != 1 {
			t.Fatalf("harvest: %+v", hv)
		}
		for k, want := range []Weight{Kg(3000), Kg(9000), Kg(18000), 0} {
			c, err := f.s.Claim(ctx, fishpond.Principal{UserID: fmt.Sprintf("u-consumer-%d", k), Role: fishpond.RoleConsumer}, claims[k].ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Share != want {
				t.Fatalf("claim %d share %s kg, want %s", k, c.Share, want)
			}
			if want > 0 && (c.Status != ClaimShipped || c.OrderStatus != string(market.StatusShipped)) {
				t.Fatalf("claim %d: %s, order %s", k, c.Status, c.OrderStatus)
			}
		}

		f.clock.Set(cst(2020, 10, 1, 9))
		sept, err := f.s.RunPayroll(ctx, manager, coop.ID, "2020-09-30", "2020-09")
		if err != nil {
			t.Fatal(err)
		}
		if june.Households != 80 || sept.Households != 40 || june.Total+sept.Total != fishpond.Yuan(115_700) {
			t.Fatalf("payrolls: June %d households %s, September %d households %s", june.Households, june.Total, sept.Households, sept.Total)
		}

		// Consumers confirm receipt; the platform settles the claim orders.
		f.clock.Set(cst(2020, 10, 3, 10))
		for k := 0; k < 3; k++ {
			p := fishpond.Principal{UserID: fmt.Sprintf("u-consumer-%d", k), Role: fishpond.RoleConsumer}
			if _, err := f.m.MarkDelivered(ctx, p, claims[k].OrderID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.m.Settle(ctx, admin, claims[k].OrderID); err != nil {
				t.Fatal(err)
			}
		}
		// The rest of the rent: quarters ending 1 July and 1 October.
		f.clock.Set(cst(2020, 10, 5, 8))
		if run, err := f.s.RunDueRent(ctx); err != nil || run.Paid != 2*farmHouseholds {
			t.Fatalf("autumn rent: %+v %v", run, err)
		}

		// Purchases of the households' own millet, 500 kg each at a 6.00 floor.
		f.clock.Set(cst(2020, 10, 10, 10))
		for i, h := range hh {
			if plans[i].deliveryKg == 0 {
				continue
			}
			a, err := f.s.SignAgreement(ctx, manager, coop.ID, AgreementInput{HouseholdID: h, Crop: "谷子 millet", Pricing: PricingFloor,
				Price: 600, StartsOn: "2020-09-01", EndsOn: "2020-12-31", IdempotencyKey: "agr-" + fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.RecordDelivery(ctx, manager, a.ID, DeliveryInput{Weight: Kg(plans[i].deliveryKg), Grade: plans[i].grade,
				MarketPrice: 550, IdempotencyKey: "slip-" + fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}

		// Year-end dividend: 165,000 yuan over 3,300 shares.
		f.clock.Set(cst(2020, 12, 20, 10))
		div, err := f.s.PayDividend(ctx, manager, coop.ID, fishpond.Yuan(165_000), "2020年度分红", "2020")
		if err != nil {
			t.Fatal(err)
		}
		if div.Households != farmHouseholds {
			t.Fatalf("dividend reached %d households", div.Households)
		}

		// Every household's income, category by category, as computed by hand.
		for i, h := range hh {
			in := f.income(t, h, 2020)
			w, o, p := plans[i].expected()
			if in.Wage != w || in.Operating != o || in.Property != p || in.Transfer != 0 {
				t.Fatalf("household %d: wage %s operating %s property %s, want %s %s %s", i, in.Wage, in.Operating, in.Property, w, o, p)
			}
		}
		// A few on paper: household 0 (2 people, 19 mu at 600): rent 11,400, wages
		// 10 days + 600 kg = 1,300, dividend 950, claims 4,900, seeds −200.
		lit := map[int][3]fishpond.Money{
			0:   {fishpond.Yuan(1300), fishpond.Yuan(4700), fishpond.Yuan(12350)},
			1:   {0, fishpond.Yuan(7600), fishpond.Yuan(13300)}, // 19 mu at 650; 500 kg grade B 2,700 + claims 4,900
			13:  {0, fishpond.Yuan(2700), fishpond.Yuan(13300)}, // 3 people: 16,000 → 5,333.33 marginal
			158: {fishpond.Yuan(1400), 0, fishpond.Yuan(13500)}, // 18 mu at 700 + 900 dividend; 4 people: 3,725 poor
		}
		for i, want := range lit {
			in := f.income(t, hh[i], 2020)
			if [3]fishpond.Money{in.Wage, in.Operating, in.Property} != want {
				t.Fatalf("household %d on paper: %s %s %s, want %v", i, in.Wage, in.Operating, in.Property, want)
			}
		}

		// Statuses: the assessment of 2020 against the 4,000-yuan line.
		f.clock.Set(cst(2021, 1, 10, 10))
		a := assess.New(d, f.reg, f.l, f.clock)
		rep, err := a.Run(ctx, admin, 2020, county)
		if err != nil {
			t.Fatal(err)
		}
		if rep.ByStatus[assess.StatusPoor] != 65 || rep.ByStatus[assess.StatusMarginal] != 52 || rep.ByStatus[assess.StatusExited] != 42 {
			t.Fatalf("statuses %v, want 65 poor, 52 marginal, 42 exited", rep.ByStatus)
		}
		for i, h := range hh {
			st, err := a.HouseholdStatus(ctx, admin, h, 2020)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != plans[i].status() {
				t.Fatalf("household %d: %s, want %s (%s per person)", i, st.Status, plans[i].status(), st.PerCapita)
			}
		}
		for i, want := range map[int]string{0: assess.StatusExited, 1: assess.StatusExited, 13: assess.StatusMarginal, 158: assess.StatusPoor} {
			if st, _ := a.HouseholdStatus(ctx, admin, hh[i], 2020); st.Status != want {
				t.Fatalf("household %d on paper: %s, want %s", i, st.Status, want)
			}
		}

		// The farm report says the same.
		r, err := f.s.Report(ctx, officer, coop.ID, 2020)
		if err != nil {
			t.Fatal(err)
		}
		if r.Benefiting != 159 || r.Rent != fishpond.Yuan(1_950_000) || r.Wages != fishpond.Yuan(115_700) || r.Sales != fishpond.Yuan(150_900) ||
			r.Dividends != fishpond.Yuan(150_000) || r.Inputs != fishpond.Yuan(3200) || r.ContractedMu != Mu(3000) ||
			r.Yield != Kg(900_000) || r.ClaimedMu != 100 || r.Claims != 3 || r.ShippedClaims != 3 || r.ClaimRevenue != fishpond.Yuan(50_000) {
			t.Fatalf("report: %+v", r)
		}
		for _, typ := range []struct {
			name string
			n    int
		}{{"farms.contract.signed", 159}, {"farms.rent.paid", 636}, {"farms.payroll.paid", 2}, {"farms.claim.made", 4},
			{"farms.claim.shipped", 3}, {"farms.harvest.recorded", 1}, {"farms.delivery.recorded", 53}, {"farms.dividend.paid", 1}, {"farms.input.advanced", 17}} {
			if got := f.countEvents(t, typ.name); got != typ.n {
				t.Errorf("%d %s events, want %d", got, typ.name, typ.n)
			}
		}
		// The cooperative's cash: capital less everything it paid.
		cash, err := f.s.Cash(ctx, manager, coop.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := fishpond.Yuan(3_000_000 - 1_950_000 - 115_700 - 150_900 - 165_000); cash != want {
			t.Fatalf("cash %s, want %s", cash, want)
		}
		f.verifyLedger(t)
	})
}
