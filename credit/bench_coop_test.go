package credit_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/farms"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
)

// BenchmarkCoopApply times a cooperative's application from request to inputs paid
// to the supplier, for a cooperative the size of the programme's first farm: 159
// member households, 159 land-transfer contracts with a year of rent paid, 53
// purchase agreements with deliveries, twelve months of its own sales. Between
// iterations (untimed) the manager repays the loan from the cooperative's cash, so
// the next application is allowed; each decision is an approval.
// Run: go test ./credit -run '^$' -bench CoopApply -benchtime 50x
func BenchmarkCoopApply(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchCoopApply(b, dbtest.SQLite(b)) })
	if os.Getenv(dbtest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { benchCoopApply(b, dbtest.Postgres(b)) })
	}
}

func benchCoopApply(b *testing.B, d *db.DB) {
	t0 := time.Date(2019, 3, 1, 9, 0, 0, 0, fishpond.ChinaTime)
	now := t0
	f := &fixture{d: d, now: &now}
	c := clock{f.now}
	f.reg = registry.NewStore(d, mustKeys(b), c)
	if _, _, _, err := f.reg.LoadPlaces(ctx); err != nil {
		b.Fatal(err)
	}
	county, _ := f.reg.County(ctx, povertyCounty)
	v, err := f.reg.CreateVillage(ctx, admin, povertyCounty, "龙泉关镇", "骆驼湾村")
	if err != nil {
		b.Fatal(err)
	}
	cfg := market.DefaultConfig
	cfg.PhotoDir = b.TempDir()
	f.m = market.NewStore(d, mustKeys(b), c, cfg)
	f.l = ledger.New(d, c)
	defer f.l.Close()
	f.c = credit.New(d, f.l, f.reg, c, credit.DefaultConfig)
	fs := farms.New(d, f.m, c, farms.Config{FileDir: b.TempDir()})
	var members []farms.MemberInput
	*f.now = time.Date(2020, 3, 1, 9, 0, 0, 0, fishpond.ChinaTime) // the synthetic ages are plausible in 2020
	for _, in := range registry.Synthesize(3, county, []string{v.ID}, 159) {
		h, err := f.reg.CreateHousehold(ctx, admin, in)
		if err != nil {
			b.Fatal(err)
		}
		f.hh = append(f.hh, h.ID)
		members = append(members, farms.MemberInput{HouseholdID: h.ID, Shares: 10})
	}
	*f.now = t0
	mc, err := f.m.CreateCoop(ctx, admin, market.CoopInput{Name: "骆驼湾小米合作社", CountyCode: povertyCounty, ManagerUserID: coopManager.UserID,
		Members: []market.Share{{HouseholdID: f.hh[0], Bp: 10000}}})
	if err != nil {
		b.Fatal(err)
	}
	coop, err := fs.RegisterCoop(ctx, officer(povertyCounty), farms.CoopInput{CoopID: mc.ID, LegalRep: "王社长", Members: members})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := fs.Deposit(ctx, coopManager, coop.ID, fishpond.Yuan(5_000_000), "capital", "capital"); err != nil {
		b.Fatal(err)
	}
	var ags []farms.Agreement
	for i, hh := range f.hh {
		if _, err := fs.SignContract(ctx, coopManager, coop.ID, farms.ContractInput{HouseholdID: hh, Area: farms.Mu(19), Rate: fishpond.Yuan(650),
			Years: 3, PaymentsPerYear: 4, StartsOn: "2019-03-01", IdempotencyKey: fmt.Sprint("c", i)}); err != nil {
			b.Fatal(err)
		}
		if i%3 == 0 {
			a, err := fs.SignAgreement(ctx, coopManager, coop.ID, farms.AgreementInput{HouseholdID: hh, Crop: "谷子", Pricing: farms.PricingFloor,
				Price: 500, StartsOn: "2019-03-01", EndsOn: "2021-12-31", IdempotencyKey: fmt.Sprint("a", i)})
			if err != nil {
				b.Fatal(err)
			}
			ags = append(ags, a)
		}
	}
	for m := 0; m < 12; m++ {
		*f.now = t0.AddDate(0, m, 10)
		for i, a := range ags[:4] {
			if _, err := fs.RecordDelivery(ctx, coopManager, a.ID, farms.DeliveryInput{Weight: farms.Kg(100), Grade: farms.GradeA, MarketPrice: 450,
				IdempotencyKey: fmt.Sprint("d", m, "-", i)}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := fs.RecordSale(ctx, coopManager, coop.ID, farms.SaleInput{Buyer: "加工厂", Crop: "谷子", Weight: farms.Kg(400), UnitPrice: 700,
			IdempotencyKey: fmt.Sprint("s", m)}); err != nil {
			b.Fatal(err)
		}
	}
	*f.now = time.Date(2020, 3, 5, 9, 0, 0, 0, fishpond.ChinaTime)
	if _, err := fs.RunDueRent(ctx); err != nil {
		b.Fatal(err)
	}
	p := seedProduct()
	p.MaxAmount, p.Disbursement = fishpond.Yuan(50_000), credit.DisburseSupplier
	pr, err := f.c.CreateProduct(ctx, admin, p)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := f.c.Apply(ctx, coopManager, credit.ApplicationRequest{IdempotencyKey: fmt.Sprint("b-", i), CoopID: coop.ID, ProductID: pr.ID,
			Amount: fishpond.Yuan(20_000), Supplier: "阜平县农资公司"})
		if err != nil || a.Status != credit.AppApproved {
			b.Fatalf("%+v %v", a.Decision, err)
		}
		b.StopTimer()
		l, err := f.c.Loan(ctx, coopManager, a.LoanID)
		if err != nil {
			b.Fatal(err)
		}
		if l, err = f.c.Repay(ctx, coopManager, l.ID, l.Outstanding(), "repay"); err != nil || l.Status != credit.StatusSettled {
			b.Fatalf("repay %+v %v", l, err)
		}
		b.StartTimer()
	}
}
