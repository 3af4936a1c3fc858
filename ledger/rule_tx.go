package ledger

import (
	"context"

	"fishpond"
	"fishpond/internal/db"
)

// RuleTx reads a rule inside the caller's transaction and locks it (PostgreSQL)
// the way posting does, so a caller that computes a new cap from the rule's
// progress and balances is not overtaken by an inflow in between.
func RuleTx(ctx context.Context, tx *db.Tx, id string) (Rule, error) {
	r, err := scanRule(tx.QueryRowContext(ctx, "SELECT "+ruleColumns+" FROM ledger_rules WHERE id = ?"+tx.ForUpdate(), id))
	if err != nil {
		return Rule{}, db.NotFound(err, "no rule %s", id)
	}
	return r, nil
}

// SetRuleCapTx moves a rule's cap, for rules whose owner decides in stages how much
// may be taken (a loan opens one instalment at a time). The cap never drops below
// what the rule has already moved; the rule is done when moved reaches the cap and
// active again when the cap rises above it. It returns the rule as updated.
func SetRuleCapTx(ctx context.Context, tx *db.Tx, id string, limit fishpond.Money) (Rule, error) {
	if limit < 0 || limit > MaxAmount {
		return Rule{}, fishpond.Invalid("invalid rule cap", map[string]string{"cap": "between 0 and the largest amount"})
	}
	res, err := tx.ExecContext(ctx, `UPDATE ledger_rules SET
		cap = CASE WHEN moved > ? THEN moved ELSE ? END,
		status = CASE WHEN moved >= ? THEN 'done' ELSE 'active' END
		WHERE id = ?`, int64(limit), int64(limit), int64(limit), id)
	if err != nil {
		return Rule{}, fishpond.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Rule{}, fishpond.Errorf(fishpond.ENotFound, "no rule %s", id)
	}
	return RuleTx(ctx, tx, id)
}

// BalanceTx is an account's running balance read inside the caller's transaction
// (raw sign: debit positive), for use cases that decide on it before they post.
func BalanceTx(ctx context.Context, tx *db.Tx, accountID string) (fishpond.Money, error) {
	var b int64
	err := tx.QueryRowContext(ctx, "SELECT b.balance FROM ledger_balances b JOIN ledger_accounts a ON a.seq = b.account_seq WHERE a.id = ?", accountID).Scan(&b)
	if err != nil {
		return 0, db.NotFound(err, "no account %s", accountID)
	}
	return fishpond.Money(b), nil
}
