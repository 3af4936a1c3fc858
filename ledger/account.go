package ledger

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"

	"github.com/google/uuid"
)

// Kind is the accounting nature of an account; it decides which direction of
// posting makes the account grow, and so what an "inflow" is for a standing rule.
type Kind string

// The five account kinds of double-entry bookkeeping.
const (
	KindAsset     Kind = "asset"
	KindLiability Kind = "liability"
	KindIncome    Kind = "income"
	KindExpense   Kind = "expense"
	KindEquity    Kind = "equity"
)

// Valid reports whether k is one of the five kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindAsset, KindLiability, KindIncome, KindExpense, KindEquity:
		return true
	}
	return false
}

// DebitNormal reports whether debits (positive postings) make the account grow:
// assets and expenses. Income, liability and equity accounts grow with credits.
func (k Kind) DebitNormal() bool { return k == KindAsset || k == KindExpense }

// CNY is the currency of every household account; other codes exist only so that a
// currency mismatch is caught rather than silently summed.
const CNY = "CNY"

// Account is a place money sits or is counted: a household's wallet, its wage
// income, the platform's clearing account. Accounts are never deleted or changed,
// except for the stored running balance.
type Account struct {
	ID        string
	Owner     string // "household:<id>", "platform", "coop:<id>", "fund:<id>", …
	Kind      Kind
	Category  string // unique per owner: wage, operating, wallet, cost, …
	Currency  string
	Name      string
	Balance   fishpond.Money // raw, debit positive (see the package comment)
	CreatedAt time.Time
}

// AccountSpec is what EnsureAccount needs; (Owner, Category) identifies the account.
type AccountSpec struct {
	Owner    string
	Category string
	Kind     Kind
	Currency string // "" means CNY
	Name     string // "" means "<owner> <category>"
}

var (
	ownerPattern    = regexp.MustCompile(`^(platform|[a-z][a-z_]{0,31}:[^\s:][^\s]{0,127})$`)
	categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

func (s *AccountSpec) validate() error {
	f := map[string]string{}
	if !ownerPattern.MatchString(s.Owner) {
		f["owner"] = `must be "platform" or "<type>:<id>" such as "household:123"`
	}
	if !categoryPattern.MatchString(s.Category) {
		f["category"] = "lower-case letters, digits and _, starting with a letter"
	}
	if !s.Kind.Valid() {
		f["kind"] = "must be asset, liability, income, expense or equity"
	}
	if s.Currency == "" {
		s.Currency = CNY
	}
	if !currencyPattern.MatchString(s.Currency) {
		f["currency"] = "three upper-case letters, e.g. CNY"
	}
	if s.Name == "" {
		s.Name = s.Owner + " " + s.Category
	}
	if utf8.RuneCountInString(s.Name) > 200 {
		f["name"] = "at most 200 characters"
	}
	if len(f) > 0 {
		return fishpond.Invalid("invalid account", f)
	}
	return nil
}

// selectAccounts reads accounts with their running balances; add a WHERE clause.
const selectAccounts = "SELECT a.id, a.owner, a.kind, a.category, a.currency, a.name, b.balance, a.created_at FROM ledger_accounts a JOIN ledger_balances b ON b.account_seq = a.seq "

// insertAccountColumns are the columns of a new account (its balance row follows).
const insertAccountColumns = "id, owner, kind, category, currency, name, created_at"

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var kind, created string
	var bal int64
	if err := row.Scan(&a.ID, &a.Owner, &kind, &a.Category, &a.Currency, &a.Name, &bal, &created); err != nil {
		return Account{}, err
	}
	a.Kind, a.Balance, a.CreatedAt = Kind(kind), fishpond.Money(bal), db.MustTime(created)
	return a, nil
}

// EnsureAccount returns the account (Owner, Category), creating it inside tx if it
// does not exist, so that capabilities can open accounts lazily in the same
// transaction that first uses them. An existing account with another kind or
// currency is a conflict: an account's nature never changes.
func EnsureAccount(ctx context.Context, tx *db.Tx, spec AccountSpec) (Account, error) {
	if err := spec.validate(); err != nil {
		return Account{}, err
	}
	a, err := scanAccount(tx.QueryRowContext(ctx, selectAccounts+"WHERE owner = ? AND category = ?", spec.Owner, spec.Category))
	if err == nil {
		if a.Kind != spec.Kind || a.Currency != spec.Currency {
			return Account{}, fishpond.Errorf(fishpond.EConflict, "account %s %s already exists as %s %s", spec.Owner, spec.Category, a.Kind, a.Currency)
		}
		return a, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Account{}, fishpond.Internal(err)
	}
	a = Account{ID: newID(), Owner: spec.Owner, Kind: spec.Kind, Category: spec.Category, Currency: spec.Currency, Name: spec.Name, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	_, err = tx.ExecContext(ctx, "INSERT INTO ledger_accounts ("+insertAccountColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.Owner, string(a.Kind), a.Category, a.Currency, a.Name, db.FormatTime(a.CreatedAt))
	if err != nil {
		return Account{}, raced(err, "account "+spec.Owner+" "+spec.Category)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO ledger_balances (account_seq, balance) SELECT seq, 0 FROM ledger_accounts WHERE id = ?", a.ID); err != nil {
		return Account{}, fishpond.Internal(err)
	}
	return a, nil
}

// EnsureAccount opens (or finds) one account in its own transaction.
func (l *Ledger) EnsureAccount(ctx context.Context, spec AccountSpec) (Account, error) {
	var a Account
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		a, err = EnsureAccount(ctx, tx, spec)
		return err
	})
	return a, err
}

// Account finds the account of an owner by category, e.g. ("household:42", "wallet").
func (l *Ledger) Account(ctx context.Context, owner, category string) (Account, error) {
	a, err := scanAccount(l.db.Read().QueryRowContext(ctx, selectAccounts+"WHERE owner = ? AND category = ?", owner, category))
	if err != nil {
		return Account{}, db.NotFound(err, "no %s account for %s", category, owner)
	}
	return a, nil
}

// AccountByID finds an account by its id.
func (l *Ledger) AccountByID(ctx context.Context, id string) (Account, error) {
	a, err := scanAccount(l.db.Read().QueryRowContext(ctx, selectAccounts+"WHERE id = ?", id))
	if err != nil {
		return Account{}, db.NotFound(err, "no account %s", id)
	}
	return a, nil
}

// AccountsOf lists every account of an owner, for pages that show a household's
// or a cooperative's books.
func (l *Ledger) AccountsOf(ctx context.Context, owner string) ([]Account, error) {
	rows, err := l.db.Read().QueryContext(ctx, selectAccounts+"WHERE owner = ? ORDER BY category", owner)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
