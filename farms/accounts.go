package farms

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// CoopOwner is the ledger owner of a cooperative's accounts.
func CoopOwner(coopID string) string { return "coop:" + coopID }

// Cooperative account categories. Cash is what the cooperative holds on the
// platform; the expense accounts say what its money went to, so the farm report and
// `ledger verify` see the same movements.
const (
	CatCash          = "cash"           // asset
	CatCapital       = "capital"        // equity: members' and funders' contributions
	CatRent          = "rent"           // expense: land-transfer rent
	CatWages         = "wages"          // expense: payroll
	CatProduce       = "produce"        // expense: produce bought under purchase agreements
	CatInputs        = "inputs"         // expense: inputs the farm itself used
	CatDividends     = "dividends"      // equity (debit): profit distributed to members
	CatInputAdvances = "input_advances" // asset: inputs advanced to households, owed back
	CatInputsPayable = "inputs_payable" // liability: owed to input suppliers
	// CatSales is income: the cooperative's own sales (RecordSale). The marketplace
	// pays a cooperative shop's proceeds to its producing households by their
	// shares, never to the cooperative; what the cooperative itself earns is produce
	// it sells in bulk (bought under its purchase agreements or grown on its land).
	CatSales = "sales"
	// CatInputDebt is a household's liability for inputs advanced to it on credit.
	CatInputDebt = "farm_input_debt"
)

var coopAccountSpecs = map[string]struct {
	kind ledger.Kind
	name string
}{
	CatCash:          {ledger.KindAsset, "合作社资金 cooperative cash"},
	CatCapital:       {ledger.KindEquity, "合作社股金 cooperative capital"},
	CatRent:          {ledger.KindExpense, "土地流转租金 land rent"},
	CatWages:         {ledger.KindExpense, "务工工资 wages"},
	CatProduce:       {ledger.KindExpense, "农产品收购 produce purchases"},
	CatInputs:        {ledger.KindExpense, "农资 farm inputs"},
	CatDividends:     {ledger.KindEquity, "社员分红 member dividends"},
	CatInputAdvances: {ledger.KindAsset, "农资赊销 inputs advanced to households"},
	CatInputsPayable: {ledger.KindLiability, "应付农资款 owed to input suppliers"},
	CatSales:         {ledger.KindIncome, "合作社销售收入 cooperative sales"},
}

// coopAccount opens (or finds) one of a cooperative's accounts inside tx.
func coopAccount(ctx context.Context, tx *db.Tx, coopID, cat string) (string, error) {
	spec := coopAccountSpecs[cat]
	a, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: CoopOwner(coopID), Category: cat, Kind: spec.kind, Name: spec.name})
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// payment is one payment from a cooperative to a registered household: the
// household's income account and wallet, the cooperative's expense and cash.
type payment struct {
	key      string
	kind     string // ledger transfer kind: farm_rent, farm_wage, farm_produce, farm_dividend
	memo     string
	evidence string
	at       time.Time // effective time: decides the income year
	coopID   string
	expense  string // cooperative category debited
	income   string // household income category credited
	hh       string
	amount   fishpond.Money
}

// payHousehold posts p inside tx: the household's income category is credited and
// its wallet debited (money it now holds, where standing rules such as loan
// deductions apply); the cooperative's expense is debited and its cash credited.
func payHousehold(ctx context.Context, tx *db.Tx, now time.Time, p payment) (ledger.Transfer, error) {
	acc, err := ledger.EnsureHouseholdAccounts(ctx, tx, p.hh)
	if err != nil {
		return ledger.Transfer{}, err
	}
	income := map[string]ledger.Account{ledger.CatWage: acc.Wage, ledger.CatOperating: acc.Operating, ledger.CatProperty: acc.Property}[p.income]
	expense, err := coopAccount(ctx, tx, p.coopID, p.expense)
	if err != nil {
		return ledger.Transfer{}, err
	}
	cash, err := coopAccount(ctx, tx, p.coopID, CatCash)
	if err != nil {
		return ledger.Transfer{}, err
	}
	return ledger.PostTx(ctx, tx, now, ledger.TransferRequest{
		IdempotencyKey: p.key, Kind: p.kind, Memo: p.memo, Evidence: p.evidence, At: p.at,
		Postings: []ledger.Posting{
			{AccountID: acc.Wallet.ID, Amount: p.amount},
			{AccountID: income.ID, Amount: -p.amount},
			{AccountID: expense, Amount: p.amount},
			{AccountID: cash, Amount: -p.amount},
		},
	})
}
