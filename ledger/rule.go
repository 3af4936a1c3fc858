package ledger

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// RuleSpec asks for a standing rule: of every inflow to Source, move Bp basis
// points into Dest until Cap has been moved in total. This is how a loan is repaid
// from sales without the marketplace knowing loans exist.
//
// An inflow is a transfer's positive (debit) posting to Source, which must be an
// asset or expense account (a wallet). Legs added by rules and reversals are not
// inflows, so rules never chain. A move credits Source and debits Dest by the same
// amount, as two extra postings (marked with the rule id) in the inflow's own
// transfer: the inflow and the deduction commit together or not at all.
type RuleSpec struct {
	Source    string
	Dest      string
	Bp        fishpond.Bp
	Cap       fishpond.Money
	Reference string // what the rule serves, e.g. "loan:<id>"
	// Kinds, when not empty, limits the rule to inflows of transfers of these
	// kinds (a loan takes its share of "market_settlement" proceeds, never of an
	// insurance payout landing in the same wallet).
	Kinds []string
}

// Rule statuses: a rule is active until it has moved its cap, then done. A
// reversal of a rule-bearing transfer gives the amount back and can reactivate it.
const (
	RuleActive = "active"
	RuleDone   = "done"
)

// Rule is a standing rule with its persisted progress.
type Rule struct {
	ID        string
	Source    string
	Dest      string
	Bp        fishpond.Bp
	Cap       fishpond.Money
	Moved     fishpond.Money
	Status    string
	Reference string
	Kinds     []string // empty: every inflow
	CreatedAt time.Time
}

// AddRule creates a standing rule. Several rules on one source apply in the order
// they were added; each takes its rate of the whole inflow, and together they never
// take more than the inflow.
func (l *Ledger) AddRule(ctx context.Context, spec RuleSpec) (Rule, error) {
	var r Rule
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		r, err = AddRuleTx(ctx, tx, l.now(), spec)
		return err
	})
	return r, err
}

// AddRuleTx creates a standing rule inside the caller's transaction, so a loan
// and its repayment rule are created together.
func AddRuleTx(ctx context.Context, tx *db.Tx, now time.Time, spec RuleSpec) (Rule, error) {
	f := map[string]string{}
	if spec.Bp <= 0 || spec.Bp > 10000 {
		f["bp"] = "between 1 and 10000 basis points"
	}
	if spec.Cap <= 0 || spec.Cap > MaxAmount {
		f["cap"] = "a positive amount"
	}
	if spec.Source == spec.Dest {
		f["dest"] = "must differ from the source"
	}
	if utf8.RuneCountInString(spec.Reference) > 200 {
		f["reference"] = "at most 200 characters"
	}
	for _, k := range spec.Kinds {
		if k == "" || len(k) > maxKindLen || strings.ContainsAny(k, ", ") {
			f["kinds"] = "transfer kinds without commas or spaces"
		}
	}
	accts := map[string]acctInfo{}
	for _, id := range []string{spec.Source, spec.Dest} {
		var kind, cur string
		if err := tx.QueryRowContext(ctx, "SELECT kind, currency FROM ledger_accounts WHERE id = ?", id).Scan(&kind, &cur); err == nil {
			accts[id] = acctInfo{kind: Kind(kind), currency: cur}
		}
	}
	src, okS := accts[spec.Source]
	dst, okD := accts[spec.Dest]
	switch {
	case !okS:
		f["source"] = "no such account"
	case !src.kind.DebitNormal():
		f["source"] = "must be an asset or expense account (inflows are debits)"
	}
	if !okD {
		f["dest"] = "no such account"
	} else if okS && src.currency != dst.currency {
		f["dest"] = "must hold the same currency as the source"
	}
	if len(f) > 0 {
		return Rule{}, fishpond.Invalid("invalid standing rule", f)
	}
	r := Rule{ID: newID(), Source: spec.Source, Dest: spec.Dest, Bp: spec.Bp, Cap: spec.Cap, Status: RuleActive, Reference: spec.Reference, Kinds: spec.Kinds, CreatedAt: now.UTC()}
	_, err := tx.ExecContext(ctx, "INSERT INTO ledger_rules (id, source_id, dest_id, bp, cap, moved, status, reference, kinds, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
		r.ID, r.Source, r.Dest, int64(r.Bp), int64(r.Cap), r.Status, r.Reference, strings.Join(r.Kinds, ","), db.FormatTime(r.CreatedAt))
	if err != nil {
		return Rule{}, fishpond.Internal(err)
	}
	return r, nil
}

const ruleColumns = "id, source_id, dest_id, bp, cap, moved, status, reference, kinds, created_at"

func scanRule(row interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	var created, kinds string
	err := row.Scan(&r.ID, &r.Source, &r.Dest, &r.Bp, &r.Cap, &r.Moved, &r.Status, &r.Reference, &kinds, &created)
	r.CreatedAt = db.MustTime(created)
	r.Kinds = splitKinds(kinds)
	return r, err
}

func splitKinds(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Rules lists the rules whose source is accountID, in the order they apply, done
// ones included, so a household can see every deduction it agreed to.
func (l *Ledger) Rules(ctx context.Context, accountID string) ([]Rule, error) {
	rows, err := l.db.Read().QueryContext(ctx, "SELECT "+ruleColumns+" FROM ledger_rules WHERE source_id = ? ORDER BY seq", accountID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rule reads one rule by id.
func (l *Ledger) Rule(ctx context.Context, id string) (Rule, error) {
	r, err := scanRule(l.db.Read().QueryRowContext(ctx, "SELECT "+ruleColumns+" FROM ledger_rules WHERE id = ?", id))
	if err != nil {
		return Rule{}, db.NotFound(err, "no rule %s", id)
	}
	return r, nil
}
