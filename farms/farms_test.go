package farms

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

// smallFarm: four households (sizes 2–5), the first two the marketplace members.
func smallFarm(t *testing.T, d *db.DB) (*fixture, []string, Coop) {
	f := newFixture(t, d)
	f.clock.Set(cst(2020, 5, 1, 10))
	hh := []string{f.household(t, "S1", 2), f.household(t, "S2", 3), f.household(t, "S3", 4), f.household(t, "S4", 5)}
	c := f.farm(t, []market.Share{{HouseholdID: hh[0], Bp: 5000}, {HouseholdID: hh[1], Bp: 5000}},
		[]MemberInput{{HouseholdID: hh[0], Shares: 1}, {HouseholdID: hh[1], Shares: 1}, {HouseholdID: hh[2], Shares: 1}, {Label: "村集体", Shares: 4}})
	f.deposit(t, c.ID, fishpond.Yuan(100000))
	return f, hh, c
}

func TestRegisterCoopRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, c := smallFarm(t, d)
		mc2, err := f.m.CreateCoop(ctx, admin, market.CoopInput{Name: "第二合作社", CountyCode: county, ManagerUserID: other.UserID,
			Members: []market.Share{{HouseholdID: hh[3], Bp: 10000}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.s.RegisterCoop(ctx, manager, CoopInput{CoopID: mc2.ID, LegalRep: "x", Members: []MemberInput{{HouseholdID: hh[3], Shares: 1}}})
		wantCode(t, err, fishpond.EForbidden, "")
		_, err = f.s.RegisterCoop(ctx, officer, CoopInput{CoopID: mc2.ID, LegalRep: "", Members: []MemberInput{{HouseholdID: hh[3], Shares: 0}, {HouseholdID: hh[3], Shares: 1}, {Shares: 1}, {HouseholdID: "nope", Shares: 1}}})
		for _, field := range []string{"legal_rep", "members[0].shares", "members[1].household_id", "members[2].label", "members[3].household_id"} {
			if e, ok := err.(*fishpond.Error); !ok || e.Fields[field] == "" {
				t.Fatalf("want an error for %s, got %v", field, err)
			}
		}
		_, err = f.s.RegisterCoop(ctx, officer, CoopInput{CoopID: c.ID, LegalRep: "x", Members: []MemberInput{{HouseholdID: hh[3], Shares: 1}}})
		wantCode(t, err, fishpond.EConflict, "")
		far := fishpond.Principal{UserID: "u-far", Role: fishpond.RoleCountyOfficer, Counties: []string{"410225"}}
		if _, err := f.s.Coop(ctx, far, c.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("officer of another county: %v", err)
		}
		if got, _ := f.s.Coops(ctx, far); len(got) != 0 {
			t.Fatalf("officer of another county lists %d farms", len(got))
		}
		if got, err := f.s.Coop(ctx, officer, c.ID); err != nil || len(got.Members) != 4 || got.Members[0].Shares == 0 {
			t.Fatalf("officer reads %+v %v", got, err)
		}
	})
}

func TestSignContractValidatesAndReplays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, c := smallFarm(t, d)
		_, err := f.s.SignContract(ctx, manager, c.ID, ContractInput{HouseholdID: hh[0], Area: 0, Rate: -1, Years: 31, PaymentsPerYear: 3, StartsOn: "2020-13-01", IdempotencyKey: "k"})
		for _, field := range []string{"area", "rate", "years", "payments_per_year", "starts_on"} {
			if e, ok := err.(*fishpond.Error); !ok || e.Fields[field] == "" {
				t.Fatalf("want an error for %s, got %v", field, err)
			}
		}
		in := ContractInput{HouseholdID: hh[0], Area: 350, Rate: fishpond.Yuan(650), Years: 2, PaymentsPerYear: 1, StartsOn: "2020-06-01", IdempotencyKey: "c-1"}
		a, err := f.s.SignContract(ctx, manager, c.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.AnnualRent() != 227500 || len(a.Schedule) != 2 || a.EndsOn != "2022-06-01" {
			t.Fatalf("3.5 mu × 650 for 2 years: %+v", a)
		}
		b, err := f.s.SignContract(ctx, manager, c.ID, in)
		if err != nil || !b.Replayed || b.ID != a.ID {
			t.Fatalf("replay: %+v %v", b, err)
		}
		in.Area = 400
		_, err = f.s.SignContract(ctx, manager, c.ID, in)
		wantCode(t, err, fishpond.EConflict, "")
		_, err = f.s.SignContract(ctx, other, c.ID, ContractInput{HouseholdID: hh[1], Area: 100, Rate: 100, Years: 1, PaymentsPerYear: 1, StartsOn: "2020-06-01", IdempotencyKey: "o"})
		wantCode(t, err, fishpond.EForbidden, "")
		// The household sees its own contract; another household does not.
		own := fishpond.Principal{UserID: "u-hh", Role: fishpond.RoleHousehold, HouseholdID: hh[0]}
		if _, err := f.s.Contract(ctx, own, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Contract(ctx, fishpond.Principal{UserID: "u-hh2", Role: fishpond.RoleHousehold, HouseholdID: hh[1]}, a.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("another household reads the contract: %v", err)
		}
		if cs, err := f.s.HouseholdContracts(ctx, own, hh[0]); err != nil || len(cs) != 1 {
			t.Fatalf("own contracts: %d %v", len(cs), err)
		}
		// Documents: a PDF is kept, a text file refused.
		if _, err := f.s.AddDocument(ctx, manager, a.ID, "合同.pdf", strings.NewReader("%PDF-1.4\n1 0 obj\n")); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.AddDocument(ctx, manager, a.ID, "x.txt", strings.NewReader("just text"))
		wantCode(t, err, fishpond.EInvalid, "file")
		docs, err := f.s.Documents(ctx, own, a.ID)
		if err != nil || len(docs) != 1 || docs[0].ContentType != "application/pdf" || docs[0].Filename != "合同.pdf" {
			t.Fatalf("documents %+v %v", docs, err)
		}
		if _, _, err := f.s.DocumentFile(ctx, fishpond.Principal{UserID: "u-hh2", Role: fishpond.RoleHousehold, HouseholdID: hh[1]}, docs[0].ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("another household downloads the contract: %v", err)
		}
	})
}

func TestAgreementPricing(t *testing.T) {
	floor := Agreement{Pricing: PricingFloor, Price: 600, GradeBBp: 9000, GradeCBp: 8000}
	premium := Agreement{Pricing: PricingPremium, Price: 50, GradeBBp: 9000, GradeCBp: 8000}
	for _, c := range []struct {
		a      Agreement
		grade  string
		market fishpond.Money
		want   fishpond.Money
	}{
		{floor, GradeA, 550, 600}, {floor, GradeA, 640, 640}, {floor, GradeB, 550, 540}, {floor, GradeC, 0, 480},
		{premium, GradeA, 550, 600}, {premium, GradeB, 551, 540}, {premium, GradeC, 700, 600},
	} {
		if got := c.a.UnitPrice(c.grade, c.market); got != c.want {
			t.Errorf("%s %s at %d: %d, want %d", c.a.Pricing, c.grade, c.market, got, c.want)
		}
	}
}

func TestDeliveriesPayOperatingIncomeOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, c := smallFarm(t, d)
		a, err := f.s.SignAgreement(ctx, manager, c.ID, AgreementInput{HouseholdID: hh[2], Crop: "谷子", Pricing: PricingPremium, Price: 50,
			StartsOn: "2020-09-01", EndsOn: "2020-12-31", IdempotencyKey: "a1"})
		if err != nil {
			t.Fatal(err)
		}
		in := DeliveryInput{Weight: 123456, Grade: GradeB, MarketPrice: 551, IdempotencyKey: "slip-1"}
		_, err = f.s.RecordDelivery(ctx, manager, a.ID, in)
		wantCode(t, err, fishpond.EConflict, "") // before the agreement's start
		f.clock.Set(cst(2020, 10, 1, 10))
		_, err = f.s.RecordDelivery(ctx, manager, a.ID, DeliveryInput{Weight: 1000, Grade: GradeA, IdempotencyKey: "no-price"})
		wantCode(t, err, fishpond.EInvalid, "market_price")
		_, err = f.s.RecordDelivery(ctx, manager, a.ID, DeliveryInput{Weight: -1, Grade: "D", IdempotencyKey: ""})
		for _, field := range []string{"weight", "grade", "idempotency_key"} {
			if e, ok := err.(*fishpond.Error); !ok || e.Fields[field] == "" {
				t.Fatalf("want an error for %s, got %v", field, err)
			}
		}
		dl, err := f.s.RecordDelivery(ctx, manager, a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		// (5.51 + 0.50) × 90% = 5.40 (rounded down); 123.456 kg × 5.40 = 666.66 (rounded down).
		if dl.UnitPrice != 540 || dl.Amount != 66666 {
			t.Fatalf("delivery %+v", dl)
		}
		again, err := f.s.RecordDelivery(ctx, manager, a.ID, in)
		if err != nil || !again.Replayed || again.ID != dl.ID {
			t.Fatalf("replayed slip: %+v %v", again, err)
		}
		if inc := f.income(t, hh[2], 2020); inc.Operating != 66666 || inc.Wage != 0 || inc.Property != 0 {
			t.Fatalf("income %+v", inc)
		}
		f.verifyLedger(t)
	})
}

func TestLabourMinimumWageAndPayroll(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, c := smallFarm(t, d)
		_, err := f.s.AddTask(ctx, manager, c.ID, TaskInput{Kind: "weeding", Basis: BasisDay, Rate: fishpond.Yuan(79)})
		wantCode(t, err, fishpond.EInvalid, "rate")
		day, err := f.s.AddTask(ctx, manager, c.ID, TaskInput{Kind: "planting", Basis: BasisDay, Rate: fishpond.Yuan(90)})
		if err != nil {
			t.Fatal(err)
		}
		piece, err := f.s.AddTask(ctx, manager, c.ID, TaskInput{Kind: "harvesting", Basis: BasisPiece, Rate: 40, Unit: "公斤"})
		if err != nil {
			t.Fatal(err)
		}
		// 150 kg at 0.40 = 60 yuan for a full day: below 80.
		_, err = f.s.LogWork(ctx, manager, piece.ID, WorkInput{HouseholdID: hh[0], Date: "2020-04-20", Days: 10, Pieces: 150, IdempotencyKey: "p1"})
		wantCode(t, err, fishpond.EInvalid, "pieces")
		// The same 60 yuan for half a day is 120 a day: fine.
		if _, err := f.s.LogWork(ctx, manager, piece.ID, WorkInput{HouseholdID: hh[0], Date: "2020-04-20", Days: 5, Pieces: 150, IdempotencyKey: "p2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.LogWork(ctx, manager, day.ID, WorkInput{HouseholdID: hh[0], Date: "2020-04-20", Days: 5, IdempotencyKey: "d1"}); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.LogWork(ctx, manager, day.ID, WorkInput{HouseholdID: hh[0], Date: "2020-04-20", Days: 1, IdempotencyKey: "d2"})
		wantCode(t, err, fishpond.EInvalid, "days")
		if _, err := f.s.LogWork(ctx, manager, day.ID, WorkInput{HouseholdID: hh[1], Date: "2020-04-21", Days: 10, IdempotencyKey: "d3"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.LogWork(ctx, manager, day.ID, WorkInput{HouseholdID: hh[1], Date: "2020-05-02", Days: 10, IdempotencyKey: "d4"}); err != nil {
			t.Fatal(err)
		}
		pr, err := f.s.RunPayroll(ctx, manager, c.ID, "2020-04-30", "2020-04")
		if err != nil {
			t.Fatal(err)
		}
		// household 0: 60 + 45 = 105; household 1: 90 (the May day waits).
		if pr.Total != fishpond.Yuan(195) || pr.Households != 2 || pr.Lines[0].Amount+pr.Lines[1].Amount != fishpond.Yuan(195) {
			t.Fatalf("payroll %+v", pr)
		}
		if w := f.income(t, hh[0], 2020).Wage; w != fishpond.Yuan(105) {
			t.Fatalf("household 0 wages %s", w)
		}
		if unpaid, n, err := f.s.UnpaidWork(ctx, manager, c.ID); err != nil || unpaid != fishpond.Yuan(90) || n != 1 {
			t.Fatalf("unpaid %s %d %v", unpaid, n, err)
		}
		if got := f.countEvents(t, "farms.payroll.paid"); got != 1 {
			t.Fatalf("%d payroll events", got)
		}
	})
}

func TestDividendSplitsByShares(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, c := smallFarm(t, d)
		// 1,000.01 yuan over 1 + 1 + 1 + 4 shares: 142.85 each with 6 fen left over,
		// to the largest remainders (the collective's 571.43 first, then by order).
		div, err := f.s.PayDividend(ctx, manager, c.ID, 100001, "2020", "2020")
		if err != nil {
			t.Fatal(err)
		}
		var sum fishpond.Money
		for _, l := range div.Lines {
			sum += l.Amount
		}
		if sum != 100001 || div.Households != 3 || len(div.Lines) != 4 {
			t.Fatalf("dividend %+v", div)
		}
		got := fishpond.Money(0)
		for _, h := range hh[:3] {
			p := f.income(t, h, 2020).Property
			if p != 14286 && p != 14285 {
				t.Fatalf("household dividend %d", p)
			}
			got += p
		}
		if f.income(t, hh[3], 2020).Property != 0 {
			t.Fatal("a non-member got a dividend")
		}
		cash, _ := f.s.Cash(ctx, manager, c.ID)
		if cash != fishpond.Yuan(100000)-100001 {
			t.Fatalf("cash %s", cash)
		}
		again, err := f.s.PayDividend(ctx, manager, c.ID, 100001, "2020", "2020")
		if err != nil || again.ID != div.ID {
			t.Fatalf("replayed dividend %v %v", again.ID, err)
		}
		if p := f.income(t, hh[0], 2020).Property; p != 14286 && p != 14285 {
			t.Fatalf("paid twice: %d", p)
		}
		f.verifyLedger(t)
	})
}

func TestInputsOnCreditAreProductionCost(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, c := smallFarm(t, d)
		in, err := f.s.AdvanceInput(ctx, manager, c.ID, InputRequest{HouseholdID: hh[1], Kind: "fertiliser", Description: "复合肥", Quantity: 2, Unit: "袋",
			Value: fishpond.Yuan(260), Supplier: "农资站", IdempotencyKey: "f1"})
		if err != nil {
			t.Fatal(err)
		}
		if again, err := f.s.AdvanceInput(ctx, manager, c.ID, InputRequest{HouseholdID: hh[1], Kind: "fertiliser", Description: "复合肥", Quantity: 2, Unit: "袋",
			Value: fishpond.Yuan(260), Supplier: "农资站", IdempotencyKey: "f1"}); err != nil || !again.Replayed || again.ID != in.ID {
			t.Fatalf("replay %v %v", again.ID, err)
		}
		_, err = f.s.AdvanceInput(ctx, manager, c.ID, InputRequest{Kind: "gold", IdempotencyKey: "x"})
		for _, field := range []string{"kind", "description", "quantity", "unit", "value", "supplier"} {
			if e, ok := err.(*fishpond.Error); !ok || e.Fields[field] == "" {
				t.Fatalf("want an error for %s, got %v", field, err)
			}
		}
		if inc := f.income(t, hh[1], 2020); inc.Operating != -fishpond.Yuan(260) {
			t.Fatalf("operating %s, want −260 of production cost", inc.Operating)
		}
		owed, err := f.l.Account(ctx, "household:"+hh[1], CatInputDebt)
		if err != nil || owed.Balance != -fishpond.Yuan(260) {
			t.Fatalf("household debt %+v %v", owed, err)
		}
		f.verifyLedger(t)
	})
}

func TestClaimsNeverExceedTheField(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, _, c := smallFarm(t, d)
		fl, err := f.s.AddField(ctx, manager, c.ID, FieldInput{Name: "试验田", Crop: "谷子", Season: "2020", Area: Mu(10), ClaimableMu: 5, ClaimPrice: fishpond.Yuan(300), ShopID: f.shop.ID})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.s.AddField(ctx, manager, c.ID, FieldInput{Name: "x", Crop: "谷子", Season: "20", Area: Mu(1), ClaimableMu: 2, ShopID: f.shop.ID})
		for _, field := range []string{"season", "claimable_mu", "claim_price"} {
			if e, ok := err.(*fishpond.Error); !ok || e.Fields[field] == "" {
				t.Fatalf("want an error for %s, got %v", field, err)
			}
		}
		p := fishpond.Principal{UserID: "u-c", Role: fishpond.RoleConsumer}
		addr, err := f.m.AddAddress(ctx, p, market.AddressInput{Name: "认领人", Phone: "13800138000", ProvinceCode: "11", CountyCode: "110101", Detail: "东直门大街1号"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.s.MakeClaim(ctx, p, fl.ID, ClaimInput{Mu: 6, AddressID: addr.ID, IdempotencyKey: "a"})
		wantCode(t, err, fishpond.EInvalid, "mu")
		c1, err := f.s.MakeClaim(ctx, p, fl.ID, ClaimInput{Mu: 4, AddressID: addr.ID, IdempotencyKey: "a"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.s.MakeClaim(ctx, p, fl.ID, ClaimInput{Mu: 2, AddressID: addr.ID, IdempotencyKey: "b"})
		wantCode(t, err, fishpond.EConflict, "") // only 1 mu left
		if _, err := f.m.MarkPaid(ctx, c1.OrderID, "sandbox", "T", fishpond.Yuan(1200)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RecordHarvest(ctx, other, fl.ID, Kg(3000)); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("another manager harvests: %v", err)
		}
		h, err := f.s.RecordHarvest(ctx, manager, fl.ID, Kg(3001))
		if err != nil || h.Shipped != 1 {
			t.Fatalf("harvest %+v %v", h, err)
		}
		if _, err := f.s.RecordHarvest(ctx, manager, fl.ID, Kg(3000)); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("a second, different yield: %v", err)
		}
		if h, err := f.s.RecordHarvest(ctx, manager, fl.ID, Kg(3001)); err != nil || h.Shipped != 0 {
			t.Fatalf("harvest again: %+v %v", h, err)
		}
		got, err := f.s.Claim(ctx, p, c1.ID)
		// 4 mu of 10 of 3,001 kg = 1,200.4 kg.
		if err != nil || got.Share != 1200400 || got.Status != ClaimShipped || !strings.HasPrefix(got.Certificate, "RL2020-") {
			t.Fatalf("claim %+v %v", got, err)
		}
		if _, err := f.s.Claim(ctx, fishpond.Principal{UserID: "u-x", Role: fishpond.RoleConsumer}, c1.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("another consumer reads the certificate: %v", err)
		}
		_, err = f.s.MakeClaim(ctx, p, fl.ID, ClaimInput{Mu: 1, AddressID: addr.ID, IdempotencyKey: "late"})
		wantCode(t, err, fishpond.EConflict, "")
		// Updates with a photo reach the claimer.
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde")
		if _, err := f.s.AddUpdate(ctx, manager, fl.ID, "已收割 harvested", bytes.NewReader(png)); err != nil {
			t.Fatal(err)
		}
		ups, err := f.s.Updates(ctx, fl.ID, 10)
		if err != nil || len(ups) != 1 || !ups[0].HasPhoto {
			t.Fatalf("updates %+v %v", ups, err)
		}
	})
}

// TestConcurrentPayrollsPayWorkOnce: two payroll runs with different keys at the
// same moment (two managers' phones) pay each work record once between them.
func TestConcurrentPayrollsPayWorkOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f, hh, c := smallFarm(t, d)
		task, err := f.s.AddTask(ctx, manager, c.ID, TaskInput{Kind: "weeding", Basis: BasisDay, Rate: fishpond.Yuan(100)})
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range hh {
			for day := 1; day <= 5; day++ {
				if _, err := f.s.LogWork(ctx, manager, task.ID, WorkInput{HouseholdID: h, Date: fmt.Sprintf("2020-04-%02d", day), Days: 10,
					IdempotencyKey: fmt.Sprintf("%d-%d", i, day)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var wg sync.WaitGroup
		runs := make([]Payroll, 2)
		errs := make([]error, 2)
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i], errs[i] = f.s.RunPayroll(ctx, manager, c.ID, "2020-04-30", fmt.Sprintf("phone-%d", i))
			}()
		}
		wg.Wait()
		paid := 0
		for i := range runs {
			switch {
			case errs[i] == nil:
				paid++
				if runs[i].Total != fishpond.Yuan(2000) {
					t.Fatalf("run %d paid %s, want all 2,000", i, runs[i].Total)
				}
			case fishpond.Code(errs[i]) != fishpond.EConflict:
				t.Fatalf("run %d: %v", i, errs[i])
			}
		}
		if paid != 1 {
			t.Fatalf("%d runs paid", paid)
		}
		for _, h := range hh {
			if w := f.income(t, h, 2020).Wage; w != fishpond.Yuan(500) {
				t.Fatalf("wages %s, want 500 once", w)
			}
		}
		f.verifyLedger(t)
	})
}
