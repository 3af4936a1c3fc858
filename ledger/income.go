package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Income is a household's income over a period in the four official categories,
// platform and declared kept apart. Operating is net: sales minus production costs.
// Amounts are natural (income positive), unlike raw balances.
type Income struct {
	Wage, Operating, Property, Transfer                                 fishpond.Money
	DeclaredWage, DeclaredOperating, DeclaredProperty, DeclaredTransfer fishpond.Money
}

// Platform is the income that reached the household through Fishpond.
func (in Income) Platform() fishpond.Money { return in.Wage + in.Operating + in.Property + in.Transfer }

// Declared is the off-platform income from the annual survey.
func (in Income) Declared() fishpond.Money {
	return in.DeclaredWage + in.DeclaredOperating + in.DeclaredProperty + in.DeclaredTransfer
}

// Total is the household's net income, the figure compared with the poverty line.
func (in Income) Total() fishpond.Money { return in.Platform() + in.Declared() }

// PerCapita divides Total by the household size, rounding down to the fen (in the
// household's disfavour by at most a fen, never in its favour).
func (in Income) PerCapita(members int) fishpond.Money {
	if members <= 0 {
		return 0
	}
	t := in.Total()
	q := t / fishpond.Money(members)
	if t < 0 && q*fishpond.Money(members) != t {
		q--
	}
	return q
}

// add folds a raw category sum into the income. Income accounts are credit-normal,
// so their income is minus the sum; cost is debit-normal and reduces operating.
func (in *Income) add(category string, raw fishpond.Money) {
	switch category {
	case CatWage:
		in.Wage -= raw
	case CatOperating:
		in.Operating -= raw
	case CatCost:
		in.Operating -= raw
	case CatProperty:
		in.Property -= raw
	case CatTransfer:
		in.Transfer -= raw
	case CatDeclaredWage:
		in.DeclaredWage -= raw
	case CatDeclaredOperating:
		in.DeclaredOperating -= raw
	case CatDeclaredProperty:
		in.DeclaredProperty -= raw
	case CatDeclaredTransfer:
		in.DeclaredTransfer -= raw
	}
}

var incomeCategories = []any{CatWage, CatOperating, CatCost, CatProperty, CatTransfer, CatDeclaredWage, CatDeclaredOperating, CatDeclaredProperty, CatDeclaredTransfer}

var incomeCategoryList = "(" + db.Placeholders(len(incomeCategories)) + ")"

// HouseholdIncome is a household's income over [from, to), by effective time.
func (l *Ledger) HouseholdIncome(ctx context.Context, householdID string, from, to time.Time) (Income, error) {
	args := append([]any{HouseholdOwner(householdID)}, incomeCategories...)
	args = append(args, db.FormatTime(from), db.FormatTime(to))
	rows, err := l.db.Read().QueryContext(ctx, `SELECT a.category, SUM(p.amount)
		FROM ledger_accounts a JOIN ledger_postings p ON p.account_seq = a.seq
		WHERE a.owner = ? AND a.category IN `+incomeCategoryList+` AND p.effective_at >= ? AND p.effective_at < ?
		GROUP BY a.category`, args...)
	if err != nil {
		return Income{}, fishpond.Internal(err)
	}
	defer rows.Close()
	var in Income
	for rows.Next() {
		var cat string
		var sum int64
		if err := rows.Scan(&cat, &sum); err != nil {
			return Income{}, fishpond.Internal(err)
		}
		in.add(cat, fishpond.Money(sum))
	}
	return in, rows.Err()
}

// IncomeByHousehold is every household's income over [from, to) in one grouped
// query, for assessing a million households without a million round trips.
// Households without postings in the period are absent from the map.
func (l *Ledger) IncomeByHousehold(ctx context.Context, from, to time.Time) (map[string]Income, error) {
	// The accounts are split into two halves by key, read by two queries at once
	// (the read pool has several connections; a scan uses one core).
	var top int64
	if err := l.db.Read().QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM ledger_accounts").Scan(&top); err != nil {
		return nil, fishpond.Internal(err)
	}
	mid := top/2 + 1
	var parts [2]map[string]Income
	var errs [2]error
	var wg sync.WaitGroup
	for i, r := range [2][2]int64{{0, mid}, {mid, top + 1}} {
		wg.Add(1)
		go func() { defer wg.Done(); parts[i], errs[i] = l.incomeByHousehold(ctx, from, to, r[0], r[1]) }()
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	out, other := parts[0], parts[1]
	if len(other) > len(out) {
		out, other = other, out
	}
	for id, in := range other { // a household's accounts may straddle the split
		out[id] = out[id].plus(in)
	}
	return out, nil
}

// incomeByHousehold sums the period's income of household accounts whose seq is
// in [lo, hi).
func (l *Ledger) incomeByHousehold(ctx context.Context, from, to time.Time, lo, hi int64) (map[string]Income, error) {
	// One pass over the covering index (account_seq, effective_at, amount) sums
	// each account's postings of the period; each sum then finds its account's
	// owner and category by integer key — instead of one index probe per
	// household account.
	args := append([]any{lo, hi, db.FormatTime(from), db.FormatTime(to), "household:", "household;"}, incomeCategories...)
	rows, err := l.db.Read().QueryContext(ctx, `SELECT a.owner, a.category, s.total
		FROM (SELECT account_seq, SUM(amount) AS total FROM ledger_postings
			WHERE account_seq >= ? AND account_seq < ? AND effective_at >= ? AND effective_at < ? GROUP BY account_seq) s
		JOIN ledger_accounts a ON a.seq = s.account_seq
		WHERE a.owner >= ? AND a.owner < ? AND a.category IN `+incomeCategoryList, args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	out := map[string]Income{}
	// A household's accounts are opened together, so its rows mostly arrive one
	// after another: sum them in cur and touch the map once per run of rows.
	// RawBytes avoids allocating two strings per row.
	var owner, cat, cur sql.RawBytes
	var in Income
	flush := func() {
		if cur == nil {
			return
		}
		id := string(cur[len("household:"):])
		out[id] = out[id].plus(in)
	}
	for rows.Next() {
		var sum int64
		if err := rows.Scan(&owner, &cat, &sum); err != nil {
			return nil, fishpond.Internal(err)
		}
		if !bytes.Equal(owner, cur) {
			flush()
			cur, in = append(cur[:0], owner...), Income{}
		}
		in.add(string(cat), fishpond.Money(sum))
	}
	if err := rows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	flush()
	return out, nil
}

// plus adds two incomes field by field.
func (in Income) plus(o Income) Income {
	return Income{
		Wage: in.Wage + o.Wage, Operating: in.Operating + o.Operating, Property: in.Property + o.Property, Transfer: in.Transfer + o.Transfer,
		DeclaredWage: in.DeclaredWage + o.DeclaredWage, DeclaredOperating: in.DeclaredOperating + o.DeclaredOperating,
		DeclaredProperty: in.DeclaredProperty + o.DeclaredProperty, DeclaredTransfer: in.DeclaredTransfer + o.DeclaredTransfer,
	}
}

// MonthlyIncome is a household's income per calendar month (China time) of year,
// for the household income page's bar chart.
func (l *Ledger) MonthlyIncome(ctx context.Context, householdID string, year int) ([12]Income, error) {
	var out [12]Income
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, fishpond.ChinaTime)
	to := from.AddDate(1, 0, 0)
	args := append([]any{HouseholdOwner(householdID)}, incomeCategories...)
	args = append(args, db.FormatTime(from), db.FormatTime(to))
	rows, err := l.db.Read().QueryContext(ctx, `SELECT a.category, p.effective_at, p.amount
		FROM ledger_accounts a JOIN ledger_postings p ON p.account_seq = a.seq
		WHERE a.owner = ? AND a.category IN `+incomeCategoryList+` AND p.effective_at >= ? AND p.effective_at < ?`, args...)
	if err != nil {
		return out, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var cat, at string
		var amt int64
		if err := rows.Scan(&cat, &at, &amt); err != nil {
			return out, fishpond.Internal(err)
		}
		m := db.MustTime(at).In(fishpond.ChinaTime).Month()
		out[m-1].add(cat, fishpond.Money(amt))
	}
	return out, rows.Err()
}

// DeclaredAt is when declared income takes effect: the survey covers a whole year,
// so it is booked on 31 December (China time), inside the year and its second half.
func DeclaredAt(year int) time.Time {
	return time.Date(year, time.December, 31, 12, 0, 0, 0, fishpond.ChinaTime)
}

// DeclareIncome books income a household received off the platform, as found by
// the annual survey, into the declared account of the category (wage, operating,
// property or transfer) against its off-platform account. Evidence (survey form,
// officer, date) is required: declared income is what an audit checks first.
// Operating income may be negative (a loss); the others must be positive.
func (l *Ledger) DeclareIncome(ctx context.Context, householdID, category string, amount fishpond.Money, year int, evidence, idemKey string) (Transfer, error) {
	f := map[string]string{}
	switch category {
	case CatWage, CatProperty, CatTransfer:
		if amount <= 0 {
			f["amount"] = "must be positive"
		}
	case CatOperating:
		if amount == 0 {
			f["amount"] = "must not be zero"
		}
	default:
		f["category"] = "one of wage, operating, property, transfer"
	}
	if strings.TrimSpace(evidence) == "" {
		f["evidence"] = "required: which survey form, who recorded it"
	}
	if year < minYear || year > maxYear {
		f["year"] = fmt.Sprintf("between %d and %d", minYear, maxYear)
	}
	if len(f) > 0 {
		return Transfer{}, fishpond.Invalid("invalid income declaration", f)
	}
	var out Transfer
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		h, err := EnsureHouseholdAccounts(ctx, tx, householdID)
		if err != nil {
			return err
		}
		dst := map[string]Account{CatWage: h.DeclaredWage, CatOperating: h.DeclaredOperating, CatProperty: h.DeclaredProperty, CatTransfer: h.DeclaredTransfer}[category]
		out, err = PostTx(ctx, tx, l.now(), TransferRequest{
			IdempotencyKey: idemKey, Kind: "declared_" + category, Memo: fmt.Sprintf("%d survey: %s income", year, category),
			Evidence: evidence, At: DeclaredAt(year),
			Postings: []Posting{{AccountID: h.OffPlatform.ID, Amount: amount}, {AccountID: dst.ID, Amount: -amount}},
		})
		return err
	})
	return out, err
}
