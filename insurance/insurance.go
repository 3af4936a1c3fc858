package insurance

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/market"
)

// Service runs insurance plans, enrolments and claims.
type Service struct {
	db    *db.DB
	clock fishpond.Clock
}

// New builds the service; the clock decides cover periods and claim dates.
func New(d *db.DB, clock fishpond.Clock) *Service {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	return &Service{db: d, clock: clock}
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Day is a China-time calendar date, "2006-01-02".
func Day(t time.Time) string { return t.In(fishpond.ChinaTime).Format("2006-01-02") }

func internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*fishpond.Error); ok {
		return err
	}
	return fishpond.Internal(err)
}

var (
	fundPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,59}$`)
	categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)
)

// Account categories of funds and plans.
const (
	CatDonations    = "donations"
	CatPremiumsPaid = "premiums_paid"
	CatPool         = "pool"
	CatPremiums     = "premiums"
	CatClaims       = "claims"
)

// PlanOwner is the ledger owner of a plan's insurer accounts.
func PlanOwner(planID string) string { return "insurance:" + planID }

type fundAccounts struct{ wallet, pledges, donations, premiums ledger.Account }

// ensureFund opens a fund's accounts with the same owner and categories the
// marketplace pays pledges into, so premiums spend exactly what pledges brought.
func ensureFund(ctx context.Context, tx *db.Tx, fund string) (fundAccounts, error) {
	var a fundAccounts
	var err error
	owner := market.FundOwner(fund)
	for _, x := range []struct {
		dst  *ledger.Account
		cat  string
		kind ledger.Kind
		name string
	}{
		{&a.wallet, market.CatFundWallet, ledger.KindAsset, "基金账户 fund wallet " + fund},
		{&a.pledges, market.CatPledges, ledger.KindIncome, "公益捐赠 charity pledges " + fund},
		{&a.donations, CatDonations, ledger.KindIncome, "社会捐款 donations " + fund},
		{&a.premiums, CatPremiumsPaid, ledger.KindExpense, "代缴保费 premiums paid " + fund},
	} {
		if *x.dst, err = ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: owner, Category: x.cat, Kind: x.kind, Name: x.name}); err != nil {
			return a, err
		}
	}
	return a, nil
}

type planAccounts struct{ pool, premiums, claims ledger.Account }

func ensurePlanAccounts(ctx context.Context, tx *db.Tx, planID string) (planAccounts, error) {
	var a planAccounts
	var err error
	owner := PlanOwner(planID)
	for _, x := range []struct {
		dst  *ledger.Account
		cat  string
		kind ledger.Kind
		name string
	}{
		{&a.pool, CatPool, ledger.KindAsset, "保险资金池 insurance pool"},
		{&a.premiums, CatPremiums, ledger.KindIncome, "保费收入 premium income"},
		{&a.claims, CatClaims, ledger.KindExpense, "赔付支出 claims paid"},
	} {
		if *x.dst, err = ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: owner, Category: x.cat, Kind: x.kind, Name: x.name}); err != nil {
			return a, err
		}
	}
	return a, nil
}

// Donate books a donation into a fund's wallet, for administrators recording money
// given outside the marketplace. A repeated key returns without giving twice.
func (s *Service) Donate(ctx context.Context, p fishpond.Principal, fund string, amount fishpond.Money, donor, key string) error {
	if p.Role != fishpond.RoleAdmin && p.Role != fishpond.RoleFundAdmin {
		return fishpond.Errorf(fishpond.EForbidden, "只有基金管理员可以登记捐款 only fund administrators record donations")
	}
	donor = strings.TrimSpace(donor)
	f := map[string]string{}
	if !fundPattern.MatchString(fund) {
		f["fund"] = "基金名称，如 health-insurance a fund name such as health-insurance"
	}
	if amount <= 0 || amount > ledger.MaxAmount {
		f["amount"] = "须为正数 must be positive"
	}
	if donor == "" || utf8.RuneCountInString(donor) > 100 {
		f["donor"] = "必填，最多100字 required, at most 100 characters"
	}
	if key == "" || len(key) > 100 {
		f["idempotency_key"] = "必填 required"
	}
	if len(f) > 0 {
		return fishpond.Invalid("捐款有误 invalid donation", f)
	}
	return internal(s.db.InTx(ctx, func(tx *db.Tx) error {
		a, err := ensureFund(ctx, tx, fund)
		if err != nil {
			return err
		}
		_, err = ledger.PostTx(ctx, tx, s.now(), ledger.TransferRequest{IdempotencyKey: "insurance:donation:" + fund + ":" + key, Kind: "donation",
			Memo: "捐款 donation", Evidence: donor, Postings: []ledger.Posting{{AccountID: a.wallet.ID, Amount: amount}, {AccountID: a.donations.ID, Amount: -amount}}})
		return err
	}))
}
