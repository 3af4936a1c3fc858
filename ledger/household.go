package ledger

import (
	"context"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Household account categories. The four platform income categories are the
// official rural income categories; the declared_* ones hold income from the annual
// survey, kept apart so reports can say how much of a household's income the
// platform brought.
const (
	CatWage              = "wage"
	CatOperating         = "operating"
	CatProperty          = "property"
	CatTransfer          = "transfer"
	CatWallet            = "wallet"
	CatCost              = "cost"
	CatDeclaredWage      = "declared_wage"
	CatDeclaredOperating = "declared_operating"
	CatDeclaredProperty  = "declared_property"
	CatDeclaredTransfer  = "declared_transfer"
	// CatOffPlatform is the asset side of declared income: money the household
	// received outside the platform, so declared transfers still balance.
	CatOffPlatform = "offplatform"
)

// HouseholdOwner is the account owner string of a registered household.
func HouseholdOwner(householdID string) string { return "household:" + householdID }

// HouseholdAccounts are the accounts every registered household has.
type HouseholdAccounts struct {
	Wage, Operating, Property, Transfer                                 Account // platform income (credit-normal)
	Wallet                                                              Account // money the household holds on the platform
	Cost                                                                Account // production costs; reduce net operating income
	DeclaredWage, DeclaredOperating, DeclaredProperty, DeclaredTransfer Account // off-platform income from the survey
	OffPlatform                                                         Account // counterpart of declared income
}

type householdSlot struct {
	cat, name string
	kind      Kind
	dst       func(*HouseholdAccounts) *Account
}

var householdSlots = []householdSlot{
	{CatWage, "工资性收入 wage income", KindIncome, func(h *HouseholdAccounts) *Account { return &h.Wage }},
	{CatOperating, "经营性收入 operating income", KindIncome, func(h *HouseholdAccounts) *Account { return &h.Operating }},
	{CatProperty, "财产性收入 property income", KindIncome, func(h *HouseholdAccounts) *Account { return &h.Property }},
	{CatTransfer, "转移性收入 transfer income", KindIncome, func(h *HouseholdAccounts) *Account { return &h.Transfer }},
	{CatWallet, "钱包 wallet", KindAsset, func(h *HouseholdAccounts) *Account { return &h.Wallet }},
	{CatCost, "生产成本 production cost", KindExpense, func(h *HouseholdAccounts) *Account { return &h.Cost }},
	{CatDeclaredWage, "申报工资性收入 declared wage income", KindIncome, func(h *HouseholdAccounts) *Account { return &h.DeclaredWage }},
	{CatDeclaredOperating, "申报经营性收入 declared operating income", KindIncome, func(h *HouseholdAccounts) *Account { return &h.DeclaredOperating }},
	{CatDeclaredProperty, "申报财产性收入 declared property income", KindIncome, func(h *HouseholdAccounts) *Account { return &h.DeclaredProperty }},
	{CatDeclaredTransfer, "申报转移性收入 declared transfer income", KindIncome, func(h *HouseholdAccounts) *Account { return &h.DeclaredTransfer }},
	{CatOffPlatform, "平台外收入 off-platform receipts", KindAsset, func(h *HouseholdAccounts) *Account { return &h.OffPlatform }},
}

// EnsureHouseholdAccounts opens every account of a household inside tx (one read,
// one multi-row insert for the missing ones), so that registering or importing a
// household also gives it its books.
func EnsureHouseholdAccounts(ctx context.Context, tx *db.Tx, householdID string) (HouseholdAccounts, error) {
	var h HouseholdAccounts
	if strings.TrimSpace(householdID) == "" || strings.ContainsAny(householdID, " \t\n:") || len(householdID) > 120 {
		return h, fishpond.Invalid("invalid household id", map[string]string{"household_id": "required, without spaces or ':'"})
	}
	owner := HouseholdOwner(householdID)
	rows, err := tx.QueryContext(ctx, selectAccounts+"WHERE a.owner = ?", owner)
	if err != nil {
		return h, fishpond.Internal(err)
	}
	have := map[string]Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return h, fishpond.Internal(err)
		}
		have[a.Category] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h, fishpond.Internal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var args []any
	n := 0
	for _, s := range householdSlots {
		a, ok := have[s.cat]
		if ok && a.Kind != s.kind {
			return h, fishpond.Errorf(fishpond.EConflict, "account %s %s exists as %s", owner, s.cat, a.Kind)
		}
		if !ok {
			a = Account{ID: newID(), Owner: owner, Kind: s.kind, Category: s.cat, Currency: CNY, Name: s.name, CreatedAt: now}
			args = append(args, a.ID, a.Owner, string(a.Kind), a.Category, a.Currency, a.Name, db.FormatTime(now))
			n++
		}
		*s.dst(&h) = a
	}
	if n > 0 {
		q := "INSERT INTO ledger_accounts (" + insertAccountColumns + ") VALUES " + db.RepeatRow("(?, ?, ?, ?, ?, ?, ?)", n)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return h, raced(err, "accounts of "+owner)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_balances (account_seq, balance) SELECT a.seq, 0 FROM ledger_accounts a
			WHERE a.owner = ? AND NOT EXISTS (SELECT 1 FROM ledger_balances b WHERE b.account_seq = a.seq)`, owner); err != nil {
			return h, fishpond.Internal(err)
		}
	}
	return h, nil
}

// EnsureHouseholdAccounts opens a household's accounts in their own transaction.
func (l *Ledger) EnsureHouseholdAccounts(ctx context.Context, householdID string) (HouseholdAccounts, error) {
	var h HouseholdAccounts
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		h, err = EnsureHouseholdAccounts(ctx, tx, householdID)
		return err
	})
	return h, err
}
