package credit

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Loan purposes, interest methods, repayment methods and disbursement modes.
const (
	PurposeFarmInputs = "farm_inputs"
	PurposeEquipment  = "equipment"
	PurposeLivestock  = "livestock"

	// InterestFlat charges the annual rate on the whole principal for each period
	// (simple interest); InterestDeclining on the principal still unpaid by
	// schedule (equal principal instalments).
	InterestFlat      = "flat"
	InterestDeclining = "declining"

	// RepaySales takes ShareBp of every sales inflow to the wallet (a ledger
	// standing rule); RepaySchedule collects each instalment from the wallet on its
	// due date. Manual repayments are possible with either.
	RepaySales    = "sales"
	RepaySchedule = "schedule"

	// DisburseWallet pays the household's wallet; DisburseSupplier pays an input
	// supplier for seeds or fertiliser delivered in kind (booked as the household's
	// production cost).
	DisburseWallet   = "wallet"
	DisburseSupplier = "supplier"
)

// Purposes lists the loan purposes in the order pages show them.
var Purposes = []string{PurposeFarmInputs, PurposeEquipment, PurposeLivestock}

// Product is a loan product: what may be borrowed, for how long, at what price and
// how it is repaid.
type Product struct {
	ID           string
	Name         string
	Purpose      string
	MinAmount    fishpond.Money
	MaxAmount    fishpond.Money
	TermMonths   int // months covered by the instalments (Instalments × interval)
	Instalments  int
	RateBp       fishpond.Bp // annual interest rate
	Interest     string      // InterestFlat or InterestDeclining
	HarvestMonth int         // 1–12: grace until the end of the next harvest month; 0: none
	Repayment    string      // RepaySales or RepaySchedule
	ShareBp      fishpond.Bp // share of each sale taken (RepaySales)
	PenaltyBp    fishpond.Bp // annual penalty rate on overdue amounts; 0: none
	Disbursement string      // DisburseWallet or DisburseSupplier
	Active       bool
	CreatedAt    time.Time
}

// IntervalMonths is the number of months between instalments.
func (p Product) IntervalMonths() int {
	if p.Instalments <= 0 {
		return 0
	}
	return p.TermMonths / p.Instalments
}

// Limits on products, so that a typo cannot create a 100-year loan.
const (
	MaxLoan        = fishpond.Money(10_000_000_00) // 10 million yuan
	maxTermMonths  = 120
	maxInstalments = 120
	maxRateBp      = 3600 // 36 % a year: the legal ceiling for private lending
)

func (p *Product) validate() map[string]string {
	f := map[string]string{}
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 60 {
		f["name"] = "必填，最多60字 required, at most 60 characters"
	}
	if !oneOf(p.Purpose, Purposes...) {
		f["purpose"] = "须为 farm_inputs、equipment 或 livestock"
	}
	if p.MinAmount <= 0 || p.MaxAmount < p.MinAmount || p.MaxAmount > MaxLoan {
		f["max_amount"] = fmt.Sprintf("须 0 < 最低 ≤ 最高 ≤ %s 元 need 0 < min ≤ max ≤ %s yuan", MaxLoan, MaxLoan)
	}
	if p.Instalments < 1 || p.Instalments > maxInstalments {
		f["instalments"] = "1 到 120 期 between 1 and 120"
	}
	if p.TermMonths < 1 || p.TermMonths > maxTermMonths || (p.Instalments > 0 && p.TermMonths%p.Instalments != 0) {
		f["term_months"] = "1 到 120 个月，且为期数的整数倍 1–120 months, a multiple of the instalments"
	}
	if p.RateBp < 0 || p.RateBp > maxRateBp {
		f["rate_bp"] = "年利率 0 到 3600 基点 annual rate 0–3600 bp"
	}
	if !oneOf(p.Interest, InterestFlat, InterestDeclining) {
		f["interest"] = "须为 flat 或 declining"
	}
	if p.HarvestMonth < 0 || p.HarvestMonth > 12 {
		f["harvest_month"] = "0（无）或 1 到 12 0 (none) or 1–12"
	}
	switch p.Repayment {
	case RepaySales:
		if p.ShareBp < 100 || p.ShareBp > 10000 {
			f["share_bp"] = "销售扣款比例 100 到 10000 基点 share of sales 100–10000 bp"
		}
	case RepaySchedule:
		p.ShareBp = 0
	default:
		f["repayment"] = "须为 sales 或 schedule"
	}
	if p.PenaltyBp < 0 || p.PenaltyBp > maxRateBp {
		f["penalty_bp"] = "罚息年利率 0 到 3600 基点 penalty rate 0–3600 bp"
	}
	if !oneOf(p.Disbursement, DisburseWallet, DisburseSupplier) {
		f["disbursement"] = "须为 wallet 或 supplier"
	}
	return f
}

func oneOf(s string, opts ...string) bool {
	for _, o := range opts {
		if s == o {
			return true
		}
	}
	return false
}

// CreateProduct adds a loan product. Only administrators and fund administrators
// set the terms of lending.
func (s *Service) CreateProduct(ctx context.Context, p fishpond.Principal, in Product) (Product, error) {
	if p.Role != fishpond.RoleAdmin && p.Role != fishpond.RoleFundAdmin {
		return Product{}, fishpond.Errorf(fishpond.EForbidden, "只有管理员可以设置贷款产品 only administrators set loan products")
	}
	if f := in.validate(); len(f) > 0 {
		return Product{}, fishpond.Invalid("贷款产品有误 invalid loan product", f)
	}
	in.ID, in.Active, in.CreatedAt = newID(), true, s.now()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO credit_products (id, name, purpose, min_amount, max_amount, term_months, instalments, rate_bp,
			interest_method, harvest_month, repayment, share_bp, penalty_bp, disbursement, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.Name, in.Purpose, int64(in.MinAmount), int64(in.MaxAmount), in.TermMonths, in.Instalments, int64(in.RateBp),
			in.Interest, in.HarvestMonth, in.Repayment, int64(in.ShareBp), int64(in.PenaltyBp), in.Disbursement, 1, db.FormatTime(in.CreatedAt))
		return err
	})
	if err != nil {
		return Product{}, internal(err)
	}
	return in, nil
}

const productColumns = `id, name, purpose, min_amount, max_amount, term_months, instalments, rate_bp, interest_method, harvest_month,
	repayment, share_bp, penalty_bp, disbursement, active, created_at`

func scanProduct(row interface{ Scan(...any) error }) (Product, error) {
	var p Product
	var active int
	var created string
	err := row.Scan(&p.ID, &p.Name, &p.Purpose, &p.MinAmount, &p.MaxAmount, &p.TermMonths, &p.Instalments, &p.RateBp, &p.Interest,
		&p.HarvestMonth, &p.Repayment, &p.ShareBp, &p.PenaltyBp, &p.Disbursement, &active, &created)
	p.Active = active == 1
	if err == nil {
		p.CreatedAt = db.MustTime(created)
	}
	return p, err
}

// Product reads one product; anyone may read the terms of lending.
func (s *Service) Product(ctx context.Context, id string) (Product, error) {
	return loadProduct(ctx, s.db.Read(), id)
}

func loadProduct(ctx context.Context, q db.Querier, id string) (Product, error) {
	p, err := scanProduct(q.QueryRowContext(ctx, "SELECT "+productColumns+" FROM credit_products WHERE id = ?", id))
	if err != nil {
		return Product{}, db.NotFound(err, "没有这个贷款产品 no loan product %s", id)
	}
	return p, nil
}

// Products lists the active products, cheapest rate first.
func (s *Service) Products(ctx context.Context) ([]Product, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+productColumns+" FROM credit_products WHERE active = 1 ORDER BY rate_bp, name, id")
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, p)
	}
	return out, internal(rows.Err())
}
