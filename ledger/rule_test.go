package ledger_test

import (
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

func TestStandingRulesToCapInOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		loan := f.account(t, "household:h1", "loan", ledger.KindLiability)
		insurer := f.account(t, "fund:health", "premiums", ledger.KindIncome)
		// Rule 1: 30% of inflows to the wallet repay the loan, up to 100 yuan.
		r1, err := f.l.AddRule(f.ctx, ledger.RuleSpec{Source: h.Wallet.ID, Dest: loan.ID, Bp: 3000, Cap: fishpond.Yuan(100), Reference: "loan:1"})
		if err != nil {
			t.Fatal(err)
		}
		// Rule 2 (added later, applies second): 80%, up to 1,000 yuan — together they
		// would exceed the inflow, so rule 2 gets only what rule 1 left.
		r2, err := f.l.AddRule(f.ctx, ledger.RuleSpec{Source: h.Wallet.ID, Dest: insurer.ID, Bp: 8000, Cap: fishpond.Yuan(1000), Reference: "premium"})
		if err != nil {
			t.Fatal(err)
		}
		// Sale of 200 yuan via Post: rule 1 takes 60, rule 2 takes min(160, 140) = 140.
		tr := f.post(t, "sale-1", t2020, leg(h.Wallet.ID, fishpond.Yuan(200)), leg(h.Operating.ID, -fishpond.Yuan(200)))
		if len(tr.Postings) != 6 || tr.Postings[2].RuleID != r1.ID || tr.Postings[4].RuleID != r2.ID {
			t.Fatalf("postings %+v", tr.Postings)
		}
		if got := f.balance(t, loan.ID); got != fishpond.Yuan(60) {
			t.Fatalf("loan got %s", got)
		}
		if got := f.balance(t, h.Wallet.ID); got != 0 {
			t.Fatalf("wallet %s: rules together must never move more than the inflow", got)
		}
		// Inflow via PostTx inside a caller's transaction: rule 1 reaches its cap
		// exactly (40 of 30% × 500 = 150), rule 2 takes 80% of 500 = 400 ≤ 460 left.
		err = d.InTx(f.ctx, func(tx *db.Tx) error {
			_, err := ledger.PostTx(f.ctx, tx, time.Now(), ledger.TransferRequest{IdempotencyKey: "sale-2", Kind: "sale", At: t2020,
				Postings: []ledger.Posting{leg(h.Wallet.ID, fishpond.Yuan(500)), leg(h.Operating.ID, -fishpond.Yuan(500))}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rules, err := f.l.Rules(f.ctx, h.Wallet.ID)
		if err != nil || len(rules) != 2 {
			t.Fatal(rules, err)
		}
		if rules[0].Moved != fishpond.Yuan(100) || rules[0].Status != ledger.RuleDone {
			t.Fatalf("rule 1 = %+v, want done at cap", rules[0])
		}
		if rules[1].Moved != fishpond.Yuan(540) || rules[1].Status != ledger.RuleActive {
			t.Fatalf("rule 2 = %+v", rules[1])
		}
		// Rule 1 is done: nothing more goes to the loan.
		f.post(t, "sale-3", t2020, leg(h.Wallet.ID, fishpond.Yuan(10)), leg(h.Operating.ID, -fishpond.Yuan(10)))
		if got := f.balance(t, loan.ID); got != fishpond.Yuan(100) {
			t.Fatalf("loan after cap = %s", got)
		}
		// Outflows are not inflows.
		f.post(t, "cost-1", t2020, leg(h.Cost.ID, 100), leg(h.Wallet.ID, -100))
		if r, _ := f.l.Rule(f.ctx, r2.ID); r.Moved != fishpond.Yuan(548) {
			t.Fatalf("rule 2 moved %s after an outflow", r.Moved)
		}
		// Reversing sale-2 gives rule 1 back its 40 and reactivates it.
		sale2, err := f.l.TransferByKey(f.ctx, "sale-2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.l.Reverse(f.ctx, sale2.ID, "sale-2-refund", "buyer refunded"); err != nil {
			t.Fatal(err)
		}
		if r, _ := f.l.Rule(f.ctx, r1.ID); r.Moved != fishpond.Yuan(60) || r.Status != ledger.RuleActive {
			t.Fatalf("rule 1 after reversal = %+v", r)
		}
		f.verify(t)

		_, err = f.l.AddRule(f.ctx, ledger.RuleSpec{Source: h.Wage.ID, Dest: loan.ID, Bp: 0, Cap: 0})
		fe := wantCode(t, err, fishpond.EInvalid)
		for _, k := range []string{"source", "bp", "cap"} {
			if fe.Fields[k] == "" {
				t.Errorf("field %s not named: %v", k, fe.Fields)
			}
		}
	})
}
