package ledger

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Reverse records a transfer that undoes transferID posting for posting (rule legs
// included, which gives the rules back what they moved). Postings are never edited:
// a mistake stays visible next to its correction. The reversal takes effect at the
// original's effective time, so wrongly counted income leaves the period it was
// counted in; its recorded time says when the correction was made. A transfer can
// be reversed once, and a reversal cannot itself be reversed.
func (l *Ledger) Reverse(ctx context.Context, transferID, idempotencyKey, reason string) (Transfer, error) {
	var t Transfer
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		t, err = ReverseTx(ctx, tx, l.now(), transferID, idempotencyKey, reason)
		return err
	})
	return t, err
}

// ReverseTx is Reverse inside the caller's transaction (a refund that also
// changes an order).
func ReverseTx(ctx context.Context, tx *db.Tx, now time.Time, transferID, idempotencyKey, reason string) (Transfer, error) {
	if reason == "" {
		return Transfer{}, fishpond.Invalid("invalid reversal", map[string]string{"reason": "say why the transfer is reversed"})
	}
	orig, err := loadTransfer(ctx, tx, transferID)
	if err != nil {
		return Transfer{}, err
	}
	if orig.Reverses != "" {
		return Transfer{}, fishpond.Errorf(fishpond.EConflict, "transfer %s is itself a reversal; post a new transfer instead", transferID)
	}
	req := TransferRequest{IdempotencyKey: idempotencyKey, Kind: "reversal", Memo: reason, At: orig.At, Currency: orig.Currency}
	deltas := map[string]fishpond.Money{}
	for _, p := range orig.Postings {
		req.Postings = append(req.Postings, Posting{AccountID: p.AccountID, Amount: -p.Amount})
		if p.RuleID != "" && p.Amount > 0 { // the destination leg of a rule move
			deltas[p.RuleID] -= p.Amount
		}
	}
	hash := contentHash(&req, transferID)
	// Rule legs repeat an account, which requests may not do; validate the rest.
	check := req
	check.Postings = []Posting{{AccountID: "a", Amount: 1}, {AccountID: "b", Amount: -1}}
	if err := check.Validate(); err != nil {
		return Transfer{}, err
	}
	req.Currency, req.At = check.Currency, check.At
	it := &item{req: req, hash: hash, reverses: transferID, ruleDeltas: deltas}
	for i, p := range orig.Postings {
		it.req.Postings[i].RuleID = p.RuleID
	}
	if err := postItems(ctx, tx, now.UTC().Truncate(time.Microsecond), []*item{it}, nil, false); err != nil {
		return Transfer{}, err
	}
	return it.out, it.err
}
