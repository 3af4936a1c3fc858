package credit_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"fishpond"
	"fishpond/credit"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
	"fishpond/registry"
)

// BenchmarkApplyDecideDisburse times one application from request to money in the
// wallet: gather the scoring inputs (12 months of ledger postings, orders, loans),
// score, record the decision, disburse, open instalment 1, add the standing rule,
// append the events. The issue asks for decisions "in seconds" with no manual step.
// Run: go test ./credit -run '^$' -bench ApplyDecideDisburse -benchtime 200x
func BenchmarkApplyDecideDisburse(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchApply(b, dbtest.SQLite(b)) })
	if os.Getenv(dbtest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { benchApply(b, dbtest.Postgres(b)) })
	}
}

func benchApply(b *testing.B, d *db.DB) {
	now := time.Date(2020, 3, 5, 9, 0, 0, 0, fishpond.ChinaTime)
	f := &fixture{d: d, now: &now}
	c := clock{&now}
	f.reg = registry.NewStore(d, mustKeys(b), c)
	if _, _, _, err := f.reg.LoadPlaces(ctx); err != nil {
		b.Fatal(err)
	}
	county, _ := f.reg.County(ctx, povertyCounty)
	v, err := f.reg.CreateVillage(ctx, admin, povertyCounty, "城关镇", "试点村")
	if err != nil {
		b.Fatal(err)
	}
	f.l = ledger.New(d, c)
	defer f.l.Close()
	f.c = credit.New(d, f.l, f.reg, c, credit.DefaultConfig)
	pr, err := f.c.CreateProduct(ctx, admin, seedProduct())
	if err != nil {
		b.Fatal(err)
	}
	// Households with ten months of sales each, so every decision is an approval.
	var hh []string
	for _, in := range registry.Synthesize(3, county, []string{v.ID}, b.N) {
		h, err := f.reg.CreateHousehold(ctx, admin, in)
		if err != nil {
			b.Fatal(err)
		}
		acc, err := f.l.EnsureHouseholdAccounts(ctx, h.ID)
		if err != nil {
			b.Fatal(err)
		}
		for m := 0; m < 10; m++ {
			at := time.Date(2019, time.Month(5+m), 15, 10, 0, 0, 0, fishpond.ChinaTime)
			if _, err := f.l.Post(ctx, ledger.TransferRequest{IdempotencyKey: fmt.Sprintf("sale-%s-%d", h.ID, m), Kind: "market_settlement", At: at,
				Postings: []ledger.Posting{{AccountID: acc.Wallet.ID, Amount: fishpond.Yuan(600)}, {AccountID: acc.Operating.ID, Amount: -fishpond.Yuan(600)}}}); err != nil {
				b.Fatal(err)
			}
		}
		hh = append(hh, h.ID)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := f.c.Apply(ctx, householdP(hh[i]), credit.ApplicationRequest{IdempotencyKey: "b-" + hh[i], HouseholdID: hh[i], ProductID: pr.ID, Amount: fishpond.Yuan(2000)})
		if err != nil || a.Status != credit.AppApproved {
			b.Fatalf("%+v %v", a.Decision, err)
		}
	}
}
