package ledger_test

import (
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/ledger"
)

// A rule limited to sales proceeds ignores other inflows, and a cap moved in stages
// (one loan instalment at a time) stops and restarts the rule.
func TestRuleKindsAndStagedCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.household(t, "h1")
		loan := f.account(t, "loan:1", "loan", ledger.KindLiability)
		r, err := f.l.AddRule(f.ctx, ledger.RuleSpec{Source: h.Wallet.ID, Dest: loan.ID, Bp: 5000, Cap: 300, Reference: "loan:1", Kinds: []string{"sale"}})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := f.l.Rule(f.ctx, r.ID); len(got.Kinds) != 1 || got.Kinds[0] != "sale" {
			t.Fatalf("kinds not stored: %+v", got)
		}
		// A transfer of another kind (an insurance payout) is left alone.
		if _, err := f.l.Post(f.ctx, ledger.TransferRequest{IdempotencyKey: "payout", Kind: "insurance_payout", At: t2020,
			Postings: []ledger.Posting{leg(h.Wallet.ID, 1000), leg(h.Transfer.ID, -1000)}}); err != nil {
			t.Fatal(err)
		}
		if got := f.balance(t, loan.ID); got != 0 {
			t.Fatalf("a payout was deducted: loan %s", got)
		}
		// A sale gives half, up to the cap.
		if _, err := f.l.Post(f.ctx, ledger.TransferRequest{IdempotencyKey: "sale-1", Kind: "sale", At: t2020,
			Postings: []ledger.Posting{leg(h.Wallet.ID, 1000), leg(h.Operating.ID, -1000)}}); err != nil {
			t.Fatal(err)
		}
		if got := f.balance(t, loan.ID); got != 300 {
			t.Fatalf("loan %s, want the cap 300", got)
		}
		// Raising the cap reactivates the rule; lowering it below what was moved
		// keeps it at moved and done.
		err = d.InTx(f.ctx, func(tx *db.Tx) error {
			got, err := ledger.SetRuleCapTx(f.ctx, tx, r.ID, 100)
			if err != nil || got.Cap != 300 || got.Status != ledger.RuleDone {
				t.Errorf("lowered: %+v %v", got, err)
			}
			got, err = ledger.SetRuleCapTx(f.ctx, tx, r.ID, 500)
			if err != nil || got.Cap != 500 || got.Status != ledger.RuleActive {
				t.Errorf("raised: %+v %v", got, err)
			}
			b, err := ledger.BalanceTx(f.ctx, tx, loan.ID)
			if err != nil || b != 300 {
				t.Errorf("BalanceTx %s %v", b, err)
			}
			_, err = ledger.SetRuleCapTx(f.ctx, tx, "nope", 1)
			if fishpond.Code(err) != fishpond.ENotFound {
				t.Errorf("unknown rule: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.l.Post(f.ctx, ledger.TransferRequest{IdempotencyKey: "sale-2", Kind: "sale", At: t2020,
			Postings: []ledger.Posting{leg(h.Wallet.ID, 1000), leg(h.Operating.ID, -1000)}}); err != nil {
			t.Fatal(err)
		}
		if got := f.balance(t, loan.ID); got != 500 {
			t.Fatalf("loan %s, want the raised cap 500", got)
		}
		_, err = f.l.AddRule(f.ctx, ledger.RuleSpec{Source: h.Wallet.ID, Dest: loan.ID, Bp: 10, Cap: 1, Kinds: []string{"a,b"}})
		wantCode(t, err, fishpond.EInvalid)
		f.verify(t)
	})
}
