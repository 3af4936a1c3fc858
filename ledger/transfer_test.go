package ledger_test

import (
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

func TestTransferValidationAgainstAccounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		usd := f.account(t, "platform", "usd_clearing", ledger.KindAsset)
		usd2, err := f.l.EnsureAccount(f.ctx, ledger.AccountSpec{Owner: "fund:f1", Category: "usd", Kind: ledger.KindAsset, Currency: "USD"})
		if err != nil {
			t.Fatal(err)
		}
		_ = usd
		cases := []struct {
			name  string
			legs  []ledger.Posting
			field string
		}{
			{"unbalanced", []ledger.Posting{leg(h.Wallet.ID, 100), leg(h.Operating.ID, -99)}, "postings"},
			{"single posting", []ledger.Posting{leg(h.Wallet.ID, 100)}, "postings"},
			{"no postings", nil, "postings"},
			{"zero amount", []ledger.Posting{leg(h.Wallet.ID, 0), leg(h.Operating.ID, 0)}, "postings[0].amount"},
			{"unknown account", []ledger.Posting{leg(h.Wallet.ID, 100), leg("nope", -100)}, "postings[1].account"},
			{"currency mismatch", []ledger.Posting{leg(h.Wallet.ID, 100), leg(usd2.ID, -100)}, "postings[1].account"},
			{"same account twice", []ledger.Posting{leg(h.Wallet.ID, 100), leg(h.Wallet.ID, -100)}, "postings[1].account"},
		}
		for _, c := range cases {
			_, err := f.l.Post(f.ctx, ledger.TransferRequest{IdempotencyKey: "k-" + c.name, Kind: "sale", Postings: c.legs})
			fe := wantCode(t, err, fishpond.EInvalid)
			if fe.Fields[c.field] == "" {
				t.Errorf("%s: fields %v lack %q", c.name, fe.Fields, c.field)
			}
		}
		_, err = f.l.Post(f.ctx, ledger.TransferRequest{Kind: "sale", Postings: []ledger.Posting{leg(h.Wallet.ID, 1), leg(h.Operating.ID, -1)}})
		if fe := wantCode(t, err, fishpond.EInvalid); fe.Fields["idempotency_key"] == "" {
			t.Errorf("missing key not named: %v", fe.Fields)
		}
		if f.balance(t, h.Wallet.ID) != 0 {
			t.Fatal("a rejected transfer moved money")
		}
		// A failed request does not fail its batch-mates, nor the other way round.
		good := f.post(t, "good", t2020, leg(h.Wallet.ID, 500), leg(h.Operating.ID, -500))
		if len(good.Postings) != 2 || good.Replayed || !good.At.Equal(t2020) {
			t.Fatalf("good transfer = %+v", good)
		}
		rep := f.verify(t)
		if rep.Transfers != 1 || rep.Postings != 2 {
			t.Fatalf("report %+v", rep)
		}
	})
}

func TestIdempotency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		first := f.post(t, "order-1-paid", t2020, leg(h.Wallet.ID, 2400), leg(h.Operating.ID, -2400))
		// Same content, postings in another order: the first result, nothing new.
		again := f.post(t, "order-1-paid", t2020, leg(h.Operating.ID, -2400), leg(h.Wallet.ID, 2400))
		if again.ID != first.ID || !again.Replayed || len(again.Postings) != 2 {
			t.Fatalf("replay = %+v, first %+v", again, first)
		}
		// PostTx replays too.
		err := d.InTx(f.ctx, func(tx *db.Tx) error {
			tr, err := ledger.PostTx(f.ctx, tx, time.Now(), ledger.TransferRequest{IdempotencyKey: "order-1-paid", Kind: "test", At: t2020,
				Postings: []ledger.Posting{leg(h.Wallet.ID, 2400), leg(h.Operating.ID, -2400)}})
			if err == nil && tr.ID != first.ID {
				t.Errorf("PostTx replay gave %s", tr.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.l.Post(f.ctx, ledger.TransferRequest{IdempotencyKey: "order-1-paid", Kind: "test", At: t2020,
			Postings: []ledger.Posting{leg(h.Wallet.ID, 2500), leg(h.Operating.ID, -2500)}})
		wantCode(t, err, fishpond.EConflict)
		if got := f.balance(t, h.Wallet.ID); got != 2400 {
			t.Fatalf("wallet = %s, want 24.00", got)
		}
		if rep := f.verify(t); rep.Transfers != 1 {
			t.Fatalf("transfers = %d", rep.Transfers)
		}
	})
}

func TestReversal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		orig := f.post(t, "wage-1", t2020, leg(h.Wallet.ID, 10000), leg(h.Wage.ID, -10000))
		rev, err := f.l.Reverse(f.ctx, orig.ID, "wage-1-rev", "paid to the wrong household")
		if err != nil {
			t.Fatal(err)
		}
		if rev.Reverses != orig.ID || !rev.At.Equal(orig.At) || rev.Postings[0].Amount != -10000 {
			t.Fatalf("reversal = %+v", rev)
		}
		if f.balance(t, h.Wallet.ID) != 0 || f.balance(t, h.Wage.ID) != 0 {
			t.Fatal("reversal did not restore balances")
		}
		again, err := f.l.Reverse(f.ctx, orig.ID, "wage-1-rev", "paid to the wrong household")
		if err != nil || again.ID != rev.ID || !again.Replayed {
			t.Fatalf("repeated reversal = %+v, %v", again, err)
		}
		_, err = f.l.Reverse(f.ctx, orig.ID, "wage-1-rev-2", "again")
		wantCode(t, err, fishpond.EConflict)
		_, err = f.l.Reverse(f.ctx, rev.ID, "rev-rev", "undo the undo")
		wantCode(t, err, fishpond.EConflict)
		_, err = f.l.Reverse(f.ctx, "missing", "x", "why")
		wantCode(t, err, fishpond.ENotFound)
		// The original postings are still there: nothing was edited.
		got, err := f.l.Transfer(f.ctx, orig.ID)
		if err != nil || got.Postings[0].Amount != 10000 {
			t.Fatalf("original = %+v, %v", got, err)
		}
		in, err := f.l.HouseholdIncome(f.ctx, "h1", time.Date(2020, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime), time.Date(2021, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime))
		if err != nil || in.Total() != 0 {
			t.Fatalf("income after reversal = %+v, %v", in, err)
		}
		f.verify(t)
	})
}

func TestBalancesAtInstantsAndStatement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		day := func(n int) time.Time { return time.Date(2020, 5, n, 9, 0, 0, 0, fishpond.ChinaTime) }
		amounts := []fishpond.Money{1000, 250, -300, 4000, -50}
		for i, a := range amounts {
			f.post(t, "s"+string(rune('a'+i)), day(i+1), leg(h.Wallet.ID, a), leg(h.Operating.ID, -a))
		}
		for i, want := range []fishpond.Money{0, 1000, 1250, 950, 4950, 4900} {
			at := day(i).Add(time.Hour) // after day i's posting
			if i == 0 {
				at = day(1).Add(-time.Second)
			}
			got, err := f.l.Balance(f.ctx, h.Wallet.ID, at)
			if err != nil || got != want {
				t.Errorf("balance after day %d = %s, %v; want %s", i, got, err, want)
			}
		}
		if got, _ := f.l.Balance(f.ctx, h.Wallet.ID, day(3)); got != 950 {
			t.Errorf("balance at the instant of a posting must include it: %s", got)
		}
		between, err := f.l.BalanceBetween(f.ctx, h.Wallet.ID, day(2), day(4))
		if err != nil || between != -50 {
			t.Errorf("between = %s, %v; want -0.50 (250 - 300)", between, err)
		}
		// Two pages of two, then one: running balances continue across pages.
		var lines []ledger.StatementLine
		cursor := ""
		for page := 0; page < 5; page++ {
			st, err := f.l.Statement(f.ctx, h.Wallet.ID, day(2), day(30), 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			if page == 0 && st.Opening != 1000 {
				t.Fatalf("opening = %s", st.Opening)
			}
			lines = append(lines, st.Lines...)
			if cursor = st.NextCursor; cursor == "" {
				break
			}
		}
		want := []fishpond.Money{1250, 950, 4950, 4900}
		if len(lines) != len(want) {
			t.Fatalf("statement has %d lines", len(lines))
		}
		for i, ln := range lines {
			if ln.Balance != want[i] {
				t.Errorf("line %d balance %s, want %s", i, ln.Balance, want[i])
			}
		}
		_, err = f.l.Statement(f.ctx, h.Wallet.ID, day(1), day(2), 10, "garbage!")
		wantCode(t, err, fishpond.EInvalid)
		_, err = f.l.Balance(f.ctx, "missing", time.Time{})
		wantCode(t, err, fishpond.ENotFound)
	})
}
