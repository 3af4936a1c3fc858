package credit

import (
	"context"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Borrower kinds. A cooperative (a farm of the farms capability) borrows for the
// cooperative: its loan is paid into and repaid from the cooperative's cash, and it
// counts as one borrower however many members it has.
const (
	BorrowerHousehold = "household"
	BorrowerCoop      = "cooperative"
)

// Cooperative ledger accounts, by the farms capability's convention (owner
// "coop:<id>", farms.CoopOwner); credit reads them without importing farms, as it
// reads the marketplace's tables. Interest is the cooperative's own expense
// account, which credit opens.
const (
	coopCash     = "cash"          // asset: the cooperative's wallet
	coopInputs   = "inputs"        // expense: inputs the farm itself used (in-kind loans)
	coopInterest = "loan_interest" // expense: interest and penalties on its loans
)

func coopOwner(id string) string { return "coop:" + id }

// borrower is who an application or loan belongs to, with what scoping needs.
type borrower struct {
	Kind    string
	ID      string
	County  string
	Status  string // a household's status
	Manager string // a cooperative's manager (user id)
	Name    string // a cooperative's name
}

// loadBorrower reads a household or a farm cooperative; not found if it is not
// registered (a marketplace cooperative that is not a farm has no cash to borrow
// into).
func loadBorrower(ctx context.Context, q db.Querier, kind, id string) (borrower, error) {
	b := borrower{Kind: kind, ID: id}
	if kind == BorrowerCoop {
		err := q.QueryRowContext(ctx, `SELECT m.county_code, m.manager_user_id, m.name FROM farms_coops f JOIN market_coops m ON m.id = f.coop_id
			WHERE f.coop_id = ?`, id).Scan(&b.County, &b.Manager, &b.Name)
		if err != nil {
			return b, db.NotFound(err, "没有这个合作社 no farm cooperative %s", id)
		}
		return b, nil
	}
	var err error
	b.Kind = BorrowerHousehold
	b.County, b.Status, err = householdFacts(ctx, q, id)
	return b, err
}

// notFound is the error of a borrower the caller may not see.
func (b borrower) notFound() error {
	if b.Kind == BorrowerCoop {
		return fishpond.Errorf(fishpond.ENotFound, "没有这个合作社 no farm cooperative %s", b.ID)
	}
	return fishpond.Errorf(fishpond.ENotFound, "没有这个登记户 no registered household %s", b.ID)
}

// canAct reports whether p may apply or repay for the borrower: the household
// itself or the cooperative's manager, an officer of its county, or an
// administrator.
func canAct(p fishpond.Principal, b borrower) bool {
	switch p.Role {
	case fishpond.RoleHousehold:
		return b.Kind == BorrowerHousehold && p.HouseholdID == b.ID
	case fishpond.RoleCoopManager:
		return b.Kind == BorrowerCoop && p.UserID != "" && p.UserID == b.Manager
	case fishpond.RoleAdmin:
		return true
	case fishpond.RoleCountyOfficer:
		return p.CanSeeCounty(b.County)
	}
	return false
}

// canSee reports whether p may read the borrower's applications and loans: the
// borrower (the household, the cooperative's manager) and whoever sees the county
// — but a cooperative manager sees only its own cooperative's loans, not those of
// the households or other cooperatives of its county.
func canSee(p fishpond.Principal, b borrower) bool {
	switch p.Role {
	case fishpond.RoleHousehold, fishpond.RoleCoopManager:
		return canAct(p, b)
	}
	return p.CanSeeCounty(b.County)
}

// applyDenied is the error of an applicant who may not act for the borrower: a
// caller who can see the county (another cooperative's manager) is told why, others
// learn nothing of the borrower.
func applyDenied(p fishpond.Principal, b borrower) error {
	if b.Kind == BorrowerCoop && p.CanSeeCounty(b.County) {
		return fishpond.Errorf(fishpond.EForbidden, "只有该合作社的负责人可以为合作社申请贷款 only the cooperative's own manager may apply for its loans")
	}
	return b.notFound()
}

// accounts are a borrower's ledger accounts a loan posts to: where the money is
// paid and repaid from (a household's wallet, a cooperative's cash), what interest
// and penalties are charged to (a household's production cost, the cooperative's
// interest expense), and what in-kind inputs are booked to (production cost; the
// cooperative's inputs expense).
type accounts struct {
	Wallet, Cost, InKind string
}

func borrowerAccounts(ctx context.Context, tx *db.Tx, kind, id string) (accounts, error) {
	if kind == BorrowerCoop {
		var a accounts
		for _, x := range []struct {
			dst  *string
			spec ledger.AccountSpec
		}{
			{&a.Wallet, ledger.AccountSpec{Owner: coopOwner(id), Category: coopCash, Kind: ledger.KindAsset, Name: "合作社资金 cooperative cash"}},
			{&a.Cost, ledger.AccountSpec{Owner: coopOwner(id), Category: coopInterest, Kind: ledger.KindExpense, Name: "贷款利息 loan interest"}},
			{&a.InKind, ledger.AccountSpec{Owner: coopOwner(id), Category: coopInputs, Kind: ledger.KindExpense, Name: "农资 farm inputs"}},
		} {
			acct, err := ledger.EnsureAccount(ctx, tx, x.spec)
			if err != nil {
				return a, err
			}
			*x.dst = acct.ID
		}
		return a, nil
	}
	hh, err := ledger.EnsureHouseholdAccounts(ctx, tx, id)
	if err != nil {
		return accounts{}, err
	}
	return accounts{Wallet: hh.Wallet.ID, Cost: hh.Cost.ID, InKind: hh.Cost.ID}, nil
}

// nullable stores "" as NULL: an application or loan names a household or a
// cooperative, the other column is NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CoopRef is a farm cooperative as loan pages name it.
type CoopRef struct {
	ID, Name, CountyCode string
}

// ManagedCoops lists the farm cooperatives p manages (a cooperative manager's
// own), the borrowers a manager's loan page offers.
func (s *Service) ManagedCoops(ctx context.Context, p fishpond.Principal) ([]CoopRef, error) {
	if p.Role != fishpond.RoleCoopManager || p.UserID == "" {
		return nil, nil
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT f.coop_id, m.name, m.county_code FROM farms_coops f JOIN market_coops m ON m.id = f.coop_id
		WHERE m.manager_user_id = ? ORDER BY m.name, f.coop_id`, p.UserID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []CoopRef
	for rows.Next() {
		var c CoopRef
		if err := rows.Scan(&c.ID, &c.Name, &c.CountyCode); err != nil {
			return nil, internal(err)
		}
		out = append(out, c)
	}
	return out, internal(rows.Err())
}

// Coop names a farm cooperative for the callers who may see its loans.
func (s *Service) Coop(ctx context.Context, p fishpond.Principal, id string) (CoopRef, error) {
	b, err := loadBorrower(ctx, s.db.Read(), BorrowerCoop, id)
	if err != nil || !canSee(p, b) {
		if err != nil && fishpond.Code(err) != fishpond.ENotFound {
			return CoopRef{}, err
		}
		return CoopRef{}, b.notFound()
	}
	return CoopRef{ID: b.ID, Name: b.Name, CountyCode: b.County}, nil
}
