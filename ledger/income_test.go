package ledger_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

// The worked example of issue 3: a household of four in 2020 rents out 5 mu at
// 650 yuan/mu, works 180 days at 100 yuan/day on the farm, sells 300 kg of millet at
// 8 yuan/kg: 3,250 + 18,000 + 2,400 = 23,650 yuan, 5,912.50 per person.
func TestWorkedExampleHouseholdIncome2020(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "hh-4")
		f.post(t, "rent-2020", time.Date(2020, 3, 1, 0, 0, 0, 0, fishpond.ChinaTime),
			leg(h.Wallet.ID, 5*fishpond.Yuan(650)), leg(h.Property.ID, -5*fishpond.Yuan(650)))
		for m := 0; m < 6; m++ { // 180 days of wages, paid monthly: 30 days × 100 yuan
			f.post(t, "wage-2020-"+string(rune('1'+m)), time.Date(2020, time.Month(4+m), 28, 0, 0, 0, 0, fishpond.ChinaTime),
				leg(h.Wallet.ID, fishpond.Yuan(3000)), leg(h.Wage.ID, -fishpond.Yuan(3000)))
		}
		f.post(t, "millet-2020", time.Date(2020, 10, 15, 0, 0, 0, 0, fishpond.ChinaTime),
			leg(h.Wallet.ID, 300*fishpond.Yuan(8)), leg(h.Operating.ID, -300*fishpond.Yuan(8)))
		// A sale in 2019 and one in 2021 lie outside the year.
		f.post(t, "millet-2019", time.Date(2019, 12, 31, 23, 59, 0, 0, fishpond.ChinaTime), leg(h.Wallet.ID, 999), leg(h.Operating.ID, -999))
		f.post(t, "millet-2021", time.Date(2021, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime), leg(h.Wallet.ID, 777), leg(h.Operating.ID, -777))

		from, to := time.Date(2020, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime), time.Date(2021, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime)
		in, err := f.l.HouseholdIncome(f.ctx, "hh-4", from, to)
		if err != nil {
			t.Fatal(err)
		}
		want := ledger.Income{Wage: fishpond.Yuan(18000), Operating: fishpond.Yuan(2400), Property: fishpond.Yuan(3250)}
		if in != want {
			t.Fatalf("income = %+v, want %+v", in, want)
		}
		if in.Total() != fishpond.Yuan(23650) || in.PerCapita(4).String() != "5912.50" {
			t.Fatalf("total %s, per capita %s", in.Total(), in.PerCapita(4))
		}
		all, err := f.l.IncomeByHousehold(f.ctx, from, to)
		if err != nil || all["hh-4"] != want || len(all) != 1 {
			t.Fatalf("bulk = %+v, %v", all, err)
		}
		months, err := f.l.MonthlyIncome(f.ctx, "hh-4", 2020)
		if err != nil {
			t.Fatal(err)
		}
		if months[2].Property != fishpond.Yuan(3250) || months[3].Wage != fishpond.Yuan(3000) || months[9].Operating != fishpond.Yuan(2400) || months[0].Total() != 0 {
			t.Fatalf("months = %+v", months)
		}
		var sum fishpond.Money
		for _, m := range months {
			sum += m.Total()
		}
		if sum != in.Total() {
			t.Fatalf("months sum to %s", sum)
		}
		// Production costs reduce net operating income.
		f.post(t, "seed-2020", time.Date(2020, 4, 2, 0, 0, 0, 0, fishpond.ChinaTime), leg(h.Cost.ID, fishpond.Yuan(400)), leg(h.Wallet.ID, -fishpond.Yuan(400)))
		in, _ = f.l.HouseholdIncome(f.ctx, "hh-4", from, to)
		if in.Operating != fishpond.Yuan(2000) {
			t.Fatalf("net operating = %s, want 2000.00", in.Operating)
		}
		f.verify(t)
	})
}

func TestDeclaredIncomeKeptApart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h9")
		f.post(t, "wage", t2020, leg(h.Wallet.ID, fishpond.Yuan(1000)), leg(h.Wage.ID, -fishpond.Yuan(1000)))
		tr, err := f.l.DeclareIncome(f.ctx, "h9", ledger.CatWage, fishpond.Yuan(6000), 2020, "survey form 2020-117, officer Li", "survey-2020-h9-wage")
		if err != nil {
			t.Fatal(err)
		}
		if tr.Evidence == "" || tr.At.In(fishpond.ChinaTime).Year() != 2020 {
			t.Fatalf("declaration = %+v", tr)
		}
		again, err := f.l.DeclareIncome(f.ctx, "h9", ledger.CatWage, fishpond.Yuan(6000), 2020, "survey form 2020-117, officer Li", "survey-2020-h9-wage")
		if err != nil || again.ID != tr.ID {
			t.Fatalf("repeat declaration = %+v, %v", again, err)
		}
		_, err = f.l.DeclareIncome(f.ctx, "h9", ledger.CatTransfer, fishpond.Yuan(1), 2020, "", "k")
		if fe := wantCode(t, err, fishpond.EInvalid); fe.Fields["evidence"] == "" {
			t.Fatalf("fields %v", fe.Fields)
		}
		_, err = f.l.DeclareIncome(f.ctx, "h9", "lottery", fishpond.Yuan(1), 2020, "x", "k2")
		wantCode(t, err, fishpond.EInvalid)
		in, err := f.l.HouseholdIncome(f.ctx, "h9", time.Date(2020, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime), time.Date(2021, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime))
		if err != nil {
			t.Fatal(err)
		}
		if in.Wage != fishpond.Yuan(1000) || in.DeclaredWage != fishpond.Yuan(6000) || in.Platform() != fishpond.Yuan(1000) || in.Total() != fishpond.Yuan(7000) {
			t.Fatalf("income = %+v", in)
		}
		f.verify(t)
	})
}

func TestAccountsAndVerifyNamesTheBadAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		if again := f.household(t, "h1"); again.Wallet.ID != h.Wallet.ID {
			t.Fatal("EnsureHouseholdAccounts created a second wallet")
		}
		got, err := f.l.Account(f.ctx, "household:h1", ledger.CatWallet)
		if err != nil || got.ID != h.Wallet.ID || got.Kind != ledger.KindAsset || got.Currency != "CNY" {
			t.Fatalf("account = %+v, %v", got, err)
		}
		_, err = f.l.EnsureAccount(f.ctx, ledger.AccountSpec{Owner: "household:h1", Category: ledger.CatWallet, Kind: ledger.KindIncome})
		wantCode(t, err, fishpond.EConflict)
		_, err = f.l.EnsureAccount(f.ctx, ledger.AccountSpec{Owner: "nobody", Category: "Bad Cat", Kind: "cash"})
		if fe := wantCode(t, err, fishpond.EInvalid); len(fe.Fields) != 3 {
			t.Fatalf("fields %v", fe.Fields)
		}
		_, err = f.l.Account(f.ctx, "household:h1", "nothing")
		wantCode(t, err, fishpond.ENotFound)
		f.post(t, "a", t2020, leg(h.Wallet.ID, 100), leg(h.Wage.ID, -100))
		f.verify(t)
		// Tamper with a stored balance behind the ledger's back.
		if err := d.InTx(f.ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(f.ctx, "UPDATE ledger_balances SET balance = balance + 1 WHERE account_seq = (SELECT seq FROM ledger_accounts WHERE id = ?)", h.Wage.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		rep, err := f.l.Verify(f.ctx)
		if err != nil || rep.OK() || len(rep.Problems) != 1 || rep.Problems[0].AccountID != h.Wage.ID {
			t.Fatalf("verify after tampering = %+v, %v", rep, err)
		}
		if rep.Err() == nil {
			t.Fatal("Err() is nil for a bad report")
		}
	})
}

// IncomeByHousehold agrees with HouseholdIncome for every household, whatever the
// order in which the engine returns its rows (PostgreSQL may interleave households).
func TestIncomeByHouseholdMatchesEachHousehold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ids := []string{"hb-1", "hb-2", "hb-3", "hb-4"}
		var hs []ledger.HouseholdAccounts
		for _, id := range ids {
			hs = append(hs, f.household(t, id))
		}
		at := time.Date(2020, 5, 1, 0, 0, 0, 0, fishpond.ChinaTime)
		for i := 0; i < 40; i++ {
			h := hs[(i*7)%len(hs)]
			acct := []ledger.Account{h.Wage, h.Operating, h.Property, h.Transfer, h.Cost}[i%5]
			amt := fishpond.Money(100 + i)
			f.post(t, fmt.Sprintf("mix-%d", i), at.Add(time.Duration(i)*time.Hour), leg(h.Wallet.ID, amt), leg(acct.ID, -amt))
		}
		from, to := time.Date(2020, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime), time.Date(2021, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime)
		all, err := f.l.IncomeByHousehold(f.ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(ids) {
			t.Fatalf("%d households in bulk income, want %d", len(all), len(ids))
		}
		for _, id := range ids {
			one, err := f.l.HouseholdIncome(f.ctx, id, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if all[id] != one || one.Total() == 0 {
				t.Fatalf("%s: bulk %+v, one by one %+v", id, all[id], one)
			}
		}
	})
}

// Postings carry no foreign keys; Verify is what finds a posting whose account or
// transfer is missing, or that lies outside its transfer's range of posting ids.
func TestVerifyFindsPostingsWithoutAccountOrTransfer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		tr := f.post(t, "a", t2020, leg(h.Wallet.ID, 100), leg(h.Wage.ID, -100))
		f.verify(t)
		tamper := func(q string, args ...any) ledger.VerifyReport {
			t.Helper()
			if err := d.InTx(f.ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(f.ctx, q, args...); return err }); err != nil {
				t.Fatal(err)
			}
			rep, err := f.l.Verify(f.ctx)
			if err != nil || rep.OK() {
				t.Fatalf("verify after %q = %+v, %v", q, rep, err)
			}
			return rep
		}
		// A pair that sums to zero on an account that does not exist.
		rep := tamper(`INSERT INTO ledger_postings (id, transfer_seq, account_seq, amount, effective_at)
			SELECT MAX(p.id) + 1, MAX(p.transfer_seq), 999999, 0, MAX(p.effective_at) FROM ledger_postings p`)
		if !slices.ContainsFunc(rep.Problems, func(p ledger.Problem) bool { return p.TransferID == tr.ID && strings.Contains(p.Detail, "no account") }) {
			t.Fatalf("missing account not named: %v", rep.Err())
		}
		// A posting whose transfer does not exist.
		rep = tamper(`UPDATE ledger_postings SET account_seq = (SELECT seq FROM ledger_accounts WHERE id = ?), transfer_seq = 999999 WHERE account_seq = 999999`, h.Wallet.ID)
		if !slices.ContainsFunc(rep.Problems, func(p ledger.Problem) bool {
			return p.AccountID == h.Wallet.ID && strings.Contains(p.Detail, "transfer is missing")
		}) {
			t.Fatalf("missing transfer not named: %v", rep.Err())
		}
		// Back in its transfer, but outside the transfer's range of posting ids.
		rep = tamper(`UPDATE ledger_postings SET transfer_seq = (SELECT seq FROM ledger_transfers WHERE id = ?) WHERE transfer_seq = 999999`, tr.ID)
		if !slices.ContainsFunc(rep.Problems, func(p ledger.Problem) bool { return p.TransferID == tr.ID && strings.Contains(p.Detail, "outside") }) {
			t.Fatalf("posting outside its transfer not named: %v", rep.Err())
		}
	})
}
