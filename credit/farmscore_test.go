package credit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/farms"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// Contracts and purchase agreements are scoring inputs: two households with the
// same marketplace history, one of which also sells its millet to the cooperative
// under a purchase agreement and leases it land. The one with the agreement scores
// higher, by exactly the agreement, delivery, contract and rent terms (plus what its
// deliveries add to its sales), and each is a reason shown in both languages. A
// decision recorded before the agreement keeps its inputs and score.
func TestPurchaseAgreementRaisesTheScore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d, time.Date(2019, 5, 10, 10, 0, 0, 0, fishpond.ChinaTime))
		cf := mustCoop(t, f)
		with, without := f.hh[0], f.hh[1]
		sw, so := mustSeller(t, f, with, fishpond.Yuan(60)), mustSeller(t, f, without, fishpond.Yuan(60))
		for m := 0; m < 4; m++ {
			f.sell(t, sw, fmt.Sprintf("w-%d", m), 10)
			f.sell(t, so, fmt.Sprintf("o-%d", m), 10)
			f.advance(31 * 24 * time.Hour)
		}
		pr := mustProduct(t, f, seedProduct())
		*f.now = time.Date(2019, 9, 5, 9, 0, 0, 0, fishpond.ChinaTime)
		first, err := f.c.Apply(ctx, householdP(with), credit.ApplicationRequest{IdempotencyKey: "before", HouseholdID: with, ProductID: pr.ID, Amount: fishpond.Yuan(1000)})
		if err != nil {
			t.Fatal(err)
		}
		if first.Status != credit.AppReferred {
			t.Fatalf("first application %s (score %d), want referred", first.Status, first.Decision.Score)
		}
		if _, err := f.c.Review(ctx, officer(povertyCounty), first.ID, false, "销售记录太短 too little history"); err != nil {
			t.Fatal(err)
		}

		// The cooperative's purchase agreement and land contract with one household.
		if _, err := cf.farms.Deposit(ctx, coopManager, cf.coop.ID, fishpond.Yuan(10000), "股金", "cap"); err != nil {
			t.Fatal(err)
		}
		ag, err := cf.farms.SignAgreement(ctx, coopManager, cf.coop.ID, farms.AgreementInput{HouseholdID: with, Crop: "谷子", Pricing: farms.PricingFloor,
			Price: 500, StartsOn: "2019-09-01", EndsOn: "2020-12-31", IdempotencyKey: "ag"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cf.farms.SignContract(ctx, coopManager, cf.coop.ID, farms.ContractInput{HouseholdID: with, Area: farms.Mu(5), Rate: fishpond.Yuan(650),
			Years: 2, PaymentsPerYear: 4, StartsOn: "2019-09-05", IdempotencyKey: "ltc"}); err != nil {
			t.Fatal(err)
		}
		for i, kg := range []int64{300, 500} {
			f.advance(20 * 24 * time.Hour)
			if _, err := cf.farms.RecordDelivery(ctx, coopManager, ag.ID, farms.DeliveryInput{Weight: farms.Kg(kg), Grade: farms.GradeA, MarketPrice: 420,
				IdempotencyKey: fmt.Sprintf("slip-%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		*f.now = time.Date(2019, 12, 10, 9, 0, 0, 0, fishpond.ChinaTime)
		if _, err := cf.farms.RunDueRent(ctx); err != nil {
			t.Fatal(err)
		}

		a, err := f.c.Apply(ctx, householdP(with), credit.ApplicationRequest{IdempotencyKey: "after", HouseholdID: with, ProductID: pr.ID, Amount: fishpond.Yuan(1000)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.c.Apply(ctx, householdP(without), credit.ApplicationRequest{IdempotencyKey: "other", HouseholdID: without, ProductID: pr.ID, Amount: fishpond.Yuan(1000)})
		if err != nil {
			t.Fatal(err)
		}
		if a.Inputs.AgreementsActive != 1 || a.Inputs.Deliveries12Fen != int64(fishpond.Yuan(4000)) || a.Inputs.ContractsActive != 1 || a.Inputs.Rent12Fen != 81250 {
			t.Fatalf("inputs %+v", a.Inputs)
		}
		if b.Inputs.AgreementsActive != 0 || b.Inputs.Deliveries12Fen != 0 || b.Inputs.ContractsActive != 0 || b.Inputs.Rent12Fen != 0 {
			t.Fatalf("inputs of the household without %+v", b.Inputs)
		}
		// Here the agreement makes the difference between a loan at once and a wait.
		if a.Status != credit.AppApproved || b.Status != credit.AppReferred {
			t.Fatalf("with the agreement %s (%d), without %s (%d)", a.Status, a.Decision.Score, b.Status, b.Decision.Score)
		}
		pa, pb := points(a), points(b)
		want := map[string]int{"purchase_agreements": 5, "agreement_deliveries": 8, "land_contracts": 3, "land_rent": 1}
		farmPts := 0
		for k, v := range want {
			if pa[k] != v {
				t.Fatalf("%s: %d points, want %d (%+v)", k, pa[k], v, a.Decision.Reasons)
			}
			if _, ok := pb[k]; ok {
				t.Fatalf("the household without has a %s term", k)
			}
			farmPts += v
		}
		salesDiff := pa["sales_months"] - pb["sales_months"] + pa["sales_volume"] - pb["sales_volume"] + pa["amount_over_sales"] - pb["amount_over_sales"]
		if a.Decision.Score <= b.Decision.Score || a.Decision.Score-b.Decision.Score != farmPts+salesDiff {
			t.Fatalf("scores %d and %d, want a difference of %d + %d", a.Decision.Score, b.Decision.Score, farmPts, salesDiff)
		}
		for _, r := range a.Decision.Reasons {
			if r.Factor == "purchase_agreements" && (!strings.Contains(r.Zh, "收购协议") || !strings.Contains(r.En, "purchase agreement")) {
				t.Fatalf("reason %+v", r)
			}
			if r.Factor == "agreement_deliveries" && (!strings.Contains(r.Zh, "4000.00") || !strings.Contains(r.En, "4000.00 yuan delivered")) {
				t.Fatalf("reason %+v", r)
			}
		}
		// The decision recorded before the agreement keeps its inputs and reasons.
		old, err := f.c.Application(ctx, householdP(with), first.ID)
		if err != nil || old.Inputs.AgreementsActive != 0 || old.Decision.Score != first.Decision.Score || len(old.Decision.Reasons) != len(first.Decision.Reasons) {
			t.Fatalf("recorded decision changed: %+v %v", old, err)
		}
		// A delivery under the agreement is a sale too: the loan's rule takes its
		// 30 % of the payment, as of a marketplace settlement.
		dl, err := cf.farms.RecordDelivery(ctx, coopManager, ag.ID, farms.DeliveryInput{Weight: farms.Kg(100), Grade: farms.GradeA, MarketPrice: 420, IdempotencyKey: "slip-loan"})
		if err != nil {
			t.Fatal(err)
		}
		if l, err := f.c.Loan(ctx, householdP(with), a.LoanID); err != nil || l.Repaid != fishpond.Bp(3000).Of(dl.Amount) {
			t.Fatalf("the delivery of %s repaid %s (%v)", dl.Amount, l.Repaid, err)
		}
		f.verify(t)
		// Decide is pure: the recorded inputs give the recorded decision.
		if again := f.c.Config().Model.Decide(a.Inputs); again.Score != a.Decision.Score || again.Outcome != a.Decision.Outcome {
			t.Fatalf("recomputed %+v, recorded %+v", again, a.Decision)
		}
	})
}

func points(a credit.Application) map[string]int {
	out := map[string]int{}
	for _, r := range a.Decision.Reasons {
		out[r.Factor] = r.Points
	}
	return out
}
