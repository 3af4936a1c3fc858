package ledger

import (
	"context"
	"fmt"
	"strings"
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
		FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
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
	args := append([]any{"household:", "household;"}, incomeCategories...)
	args = append(args, db.FormatTime(from), db.FormatTime(to))
	rows, err := l.db.Read().QueryContext(ctx, `SELECT a.owner, a.category, SUM(p.amount)
		FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
		WHERE a.owner >= ? AND a.owner < ? AND a.category IN `+incomeCategoryList+` AND p.effective_at >= ? AND p.effective_at < ?
		GROUP BY a.owner, a.category`, args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	out := map[string]Income{}
	for rows.Next() {
		var owner, cat string
		var sum int64
		if err := rows.Scan(&owner, &cat, &sum); err != nil {
			return nil, fishpond.Internal(err)
		}
		id := strings.TrimPrefix(owner, "household:")
		in := out[id]
		in.add(cat, fishpond.Money(sum))
		out[id] = in
	}
	return out, rows.Err()
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
		FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
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
