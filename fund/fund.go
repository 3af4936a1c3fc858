// Package fund is the poverty-alleviation fund and its people-centred programmes:
// a fund with a committed total and period, allocations to the five areas and under
// them to counties or programmes (budget versus actual), disbursements paid as
// ledger transfers — a second approver above a configurable amount, supporting
// documents attached — programmes with eligibility rules evaluated against the
// registry (education, vocational training and job placement, women's parenting
// home visitors, AI-trainer piece-rate jobs), specialists posted to counties and
// staff volunteer hours against the three-hours-a-year target.
//
// Every yuan that reaches a registered household goes through the ledger into its
// income accounts: direct disbursements as transfer income, placement wages and
// piece-rate pay as wage income, so they show in the household's income and its
// poverty assessment. The facts the half-year report counts are appended as
// events (fund.disbursement.paid, fund.enrolment.made, fund.placement.made,
// fund.volunteer.logged) in the same transactions.
package fund

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/registry"

	"github.com/google/uuid"
)

// Service is the fund capability on one database.
type Service struct {
	db    *db.DB
	reg   *registry.Store
	clock fishpond.Clock
}

// New builds the fund capability. The registry is where eligibility rules look
// people up; the ledger is written inside the fund's own transactions (PostTx).
func New(d *db.DB, reg *registry.Store, clock fishpond.Clock) *Service {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	return &Service{db: d, reg: reg, clock: clock}
}

// The five areas the programme worked in.
const (
	AreaEcommerce = "ecommerce"
	AreaEducation = "education"
	AreaHealth    = "health"
	AreaWomen     = "women"
	AreaEcology   = "ecology"
)

// Areas lists the areas in the order pages show them.
var Areas = []string{AreaEcommerce, AreaEducation, AreaHealth, AreaWomen, AreaEcology}

// AreaWords names each area in Chinese and English.
var AreaWords = map[string][2]string{
	AreaEcommerce: {"电商扶贫", "e-commerce"},
	AreaEducation: {"教育扶贫", "education"},
	AreaHealth:    {"健康扶贫", "health"},
	AreaWomen:     {"女性扶贫", "women"},
	AreaEcology:   {"生态扶贫", "ecology"},
}

func validArea(a string) bool { _, ok := AreaWords[a]; return ok }

// Fund is a committed sum of money to spend over a period.
type Fund struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Committed     fishpond.Money `json:"committed_fen"`
	StartsOn      string         `json:"starts_on"` // YYYY-MM-DD
	EndsOn        string         `json:"ends_on"`
	FourEyesAbove fishpond.Money `json:"four_eyes_above_fen"` // disbursements above this need a second approver
	CreatedBy     string         `json:"created_by"`
	CreatedAt     time.Time      `json:"created_at"`
}

// FundInput creates a fund.
type FundInput struct {
	Name          string         `json:"name,omitempty"`
	Committed     fishpond.Money `json:"committed_fen,omitempty"`
	StartsOn      string         `json:"starts_on,omitempty"`
	EndsOn        string         `json:"ends_on,omitempty"`
	FourEyesAbove fishpond.Money `json:"four_eyes_above_fen,omitempty"`
	// IdempotencyKey makes the capital transfer safe to retry; "" derives one
	// from the name (a fund's name is unique).
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Fund ledger accounts, owner FundOwner(id): cash (asset) holds what is left to
// spend, capital (equity) what was committed, grants_<area> (expense) what each
// area has spent.
const (
	CatCash    = "cash"
	CatCapital = "capital"
)

// FundOwner is the ledger owner of a fund's accounts. It is not market's "fund:"
// owner of charity pledges: those are donations, this is the programme's money.
func FundOwner(id string) string { return "fundpool:" + id }

func grantsCategory(area string) string { return "grants_" + area }

// canManage reports whether the principal runs the fund: fund administrators and
// administrators.
func canManage(p fishpond.Principal) bool {
	return p.Role == fishpond.RoleFundAdmin || p.Role == fishpond.RoleAdmin
}

func forbidden(msg string) error { return fishpond.Errorf(fishpond.EForbidden, "%s", msg) }

func notFound(msg string) error { return fishpond.Errorf(fishpond.ENotFound, "%s", msg) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// today is the date in China, the calendar every programme date means.
func (s *Service) today() string { return s.clock.Now().In(fishpond.ChinaTime).Format(time.DateOnly) }

// parseDay validates a YYYY-MM-DD date.
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), fishpond.ChinaTime)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, false
	}
	return t, true
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// CreateFund records a fund and books its committed total into the fund's cash
// against capital, so that every disbursement afterwards is a visible movement
// out of that cash.
func (s *Service) CreateFund(ctx context.Context, p fishpond.Principal, in FundInput) (Fund, error) {
	if !canManage(p) {
		return Fund{}, forbidden("只有基金管理员可以设立基金 / only fund administrators may create a fund")
	}
	in.Name = strings.TrimSpace(in.Name)
	f := map[string]string{}
	if in.Name == "" || tooLong(in.Name, 100) {
		f["name"] = "必填，最长100字 / required, at most 100 characters"
	}
	if in.Committed <= 0 || in.Committed > ledger.MaxAmount {
		f["committed_fen"] = "须为正数 / must be a positive amount"
	}
	start, ok1 := parseDay(in.StartsOn)
	end, ok2 := parseDay(in.EndsOn)
	switch {
	case !ok1:
		f["starts_on"] = "日期格式 YYYY-MM-DD / a date like 2017-01-01"
	case !ok2:
		f["ends_on"] = "日期格式 YYYY-MM-DD / a date like 2021-12-31"
	case !end.After(start):
		f["ends_on"] = "须晚于开始日期 / must be after the start"
	}
	if in.FourEyesAbove < 0 {
		f["four_eyes_above_fen"] = "不能为负 / must not be negative"
	}
	if len(f) > 0 {
		return Fund{}, fishpond.Invalid("基金信息有误 / invalid fund", f)
	}
	fd := Fund{ID: newID(), Name: in.Name, Committed: in.Committed, StartsOn: start.Format(time.DateOnly), EndsOn: end.Format(time.DateOnly),
		FourEyesAbove: in.FourEyesAbove, CreatedBy: p.UserID}
	key := in.IdempotencyKey
	if key == "" {
		key = "fund:create:" + in.Name
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		fd.CreatedAt = now
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM fund_funds WHERE name = ?", fd.Name).Scan(&n); err != nil {
			return fishpond.Internal(err)
		}
		if n > 0 {
			return fishpond.Errorf(fishpond.EConflict, "已有同名基金 / a fund named %s exists", fd.Name)
		}
		cash, capital, err := fundAccounts(ctx, tx, fd.ID, fd.Name)
		if err != nil {
			return err
		}
		t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{
			IdempotencyKey: key, Kind: "fund_commitment", Memo: "基金承诺资金 fund committed " + fd.Name, At: start,
			Postings: []ledger.Posting{{AccountID: cash.ID, Amount: fd.Committed}, {AccountID: capital.ID, Amount: -fd.Committed}},
		})
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO fund_funds (id, name, committed, starts_on, ends_on, four_eyes_above, capital_transfer, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, fd.ID, fd.Name, int64(fd.Committed), fd.StartsOn, fd.EndsOn, int64(fd.FourEyesAbove), t.ID, p.UserID, db.FormatTime(now))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "已有同名基金 / a fund named %s exists", fd.Name)
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
	if err != nil {
		return Fund{}, err
	}
	return fd, nil
}

func fundAccounts(ctx context.Context, tx *db.Tx, id, name string) (cash, capital ledger.Account, err error) {
	cash, err = ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: FundOwner(id), Category: CatCash, Kind: ledger.KindAsset, Name: "基金资金 fund cash " + name})
	if err != nil {
		return
	}
	capital, err = ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: FundOwner(id), Category: CatCapital, Kind: ledger.KindEquity, Name: "承诺资金 committed capital " + name})
	return
}

const fundColumns = "id, name, committed, starts_on, ends_on, four_eyes_above, created_by, created_at FROM fund_funds"

func scanFund(sc interface{ Scan(...any) error }) (Fund, error) {
	var f Fund
	var committed, four int64
	var created string
	err := sc.Scan(&f.ID, &f.Name, &committed, &f.StartsOn, &f.EndsOn, &four, &f.CreatedBy, &created)
	f.Committed, f.FourEyesAbove, f.CreatedAt = fishpond.Money(committed), fishpond.Money(four), db.MustTime(created)
	return f, err
}

// canRead reports whether the principal may see fund-wide figures: the fund's
// staff and administrators. County-scoped roles see their counties' programmes.
func canRead(p fishpond.Principal) bool { return p.SeesAllCounties() }

// Funds lists the funds, oldest first.
func (s *Service) Funds(ctx context.Context, p fishpond.Principal) ([]Fund, error) {
	if !canRead(p) {
		return nil, forbidden("无权查看基金 / not allowed to see the fund")
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+fundColumns+" ORDER BY created_at, id")
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Fund
	for rows.Next() {
		f, err := scanFund(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Fund returns one fund.
func (s *Service) Fund(ctx context.Context, p fishpond.Principal, id string) (Fund, error) {
	if !canRead(p) {
		return Fund{}, notFound("基金不存在 / fund not found")
	}
	return loadFund(ctx, s.db.Read(), id)
}

func loadFund(ctx context.Context, q db.Querier, id string) (Fund, error) {
	f, err := scanFund(q.QueryRowContext(ctx, "SELECT "+fundColumns+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Fund{}, notFound("基金不存在 / fund not found")
	}
	if err != nil {
		return Fund{}, fishpond.Internal(err)
	}
	return f, nil
}

// SetFourEyes changes the amount above which a disbursement needs a second
// approver. Only an administrator may: a fund administrator raising the bar for
// their own requests would defeat the rule it sets. Pending disbursements keep
// waiting for their second approver.
func (s *Service) SetFourEyes(ctx context.Context, p fishpond.Principal, fundID string, above fishpond.Money) (Fund, error) {
	if p.Role != fishpond.RoleAdmin {
		return Fund{}, forbidden("只有系统管理员可以修改双人审批金额 / only an administrator may change the four-eyes amount")
	}
	if above < 0 || above > ledger.MaxAmount {
		return Fund{}, fishpond.Invalid("金额有误 / invalid amount", map[string]string{"four_eyes_above_fen": "不能为负 / must not be negative"})
	}
	var f Fund
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if f, err = loadFundForUpdate(ctx, tx, fundID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE fund_funds SET four_eyes_above = ? WHERE id = ?", int64(above), f.ID); err != nil {
			return fishpond.Internal(err)
		}
		f.FourEyesAbove = above
		return nil
	})
	return f, err
}
