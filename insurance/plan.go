package insurance

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Benefit is the most a plan pays for one diagnosis category per insured person
// and cover period.
type Benefit struct {
	Category string // e.g. critical_illness, cancer, stroke, accident
	Limit    fishpond.Money
}

// Plan is an insurance plan: who may be insured, what it costs per person, for
// how long, and what it pays.
type Plan struct {
	ID               string
	Name             string
	Fund             string // the charity fund that pays the premiums
	Premium          fishpond.Money
	CoverMonths      int
	MinAge, MaxAge   int
	BreadwinnersOnly bool // only members with labour capacity (普通劳动力, 技能劳动力)
	Benefits         []Benefit
	Active           bool
	CreatedAt        time.Time
}

// Benefit returns the plan's limit for a category.
func (p Plan) Benefit(category string) (Benefit, bool) {
	for _, b := range p.Benefits {
		if b.Category == category {
			return b, true
		}
	}
	return Benefit{}, false
}

// BreadwinnerLabour are the registry's labour levels of a breadwinner.
var BreadwinnerLabour = []string{"普通劳动力", "技能劳动力"}

func (p *Plan) validate() map[string]string {
	f := map[string]string{}
	p.Name, p.Fund = strings.TrimSpace(p.Name), strings.TrimSpace(p.Fund)
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 60 {
		f["name"] = "必填，最多60字 required, at most 60 characters"
	}
	if !fundPattern.MatchString(p.Fund) {
		f["fund"] = "基金名称，如 health-insurance a fund name such as health-insurance"
	}
	if p.Premium <= 0 || p.Premium > fishpond.Yuan(10000) {
		f["premium"] = "每人保费须在 0 到 10000 元之间 premium per person between 0 and 10,000 yuan"
	}
	if p.CoverMonths < 1 || p.CoverMonths > 60 {
		f["cover_months"] = "1 到 60 个月 between 1 and 60 months"
	}
	if p.MinAge < 0 || p.MaxAge > 120 || p.MinAge > p.MaxAge {
		f["max_age"] = "须 0 ≤ 最小年龄 ≤ 最大年龄 ≤ 120 need 0 ≤ min age ≤ max age ≤ 120"
	}
	if len(p.Benefits) == 0 || len(p.Benefits) > 20 {
		f["benefits"] = "1 到 20 项保障 between 1 and 20 benefits"
	}
	seen := map[string]bool{}
	for i, b := range p.Benefits {
		if !categoryPattern.MatchString(b.Category) || seen[b.Category] {
			f[fmt.Sprintf("benefits[%d].category", i)] = "小写英文类别，不可重复 a lowercase category, once"
		}
		seen[b.Category] = true
		if b.Limit <= 0 || b.Limit > fishpond.Yuan(10_000_000) {
			f[fmt.Sprintf("benefits[%d].limit", i)] = "须为正数 must be positive"
		}
	}
	return f
}

// CreatePlan adds a plan; administrators and fund administrators design plans.
func (s *Service) CreatePlan(ctx context.Context, p fishpond.Principal, in Plan) (Plan, error) {
	if p.Role != fishpond.RoleAdmin && p.Role != fishpond.RoleFundAdmin {
		return Plan{}, fishpond.Errorf(fishpond.EForbidden, "只有基金管理员可以设置保险计划 only fund administrators set insurance plans")
	}
	if f := in.validate(); len(f) > 0 {
		return Plan{}, fishpond.Invalid("保险计划有误 invalid insurance plan", f)
	}
	in.ID, in.Active, in.CreatedAt = newID(), true, s.now()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insurance_plans (id, name, fund, premium, cover_months, min_age, max_age, breadwinners_only, active, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`, in.ID, in.Name, in.Fund, int64(in.Premium), in.CoverMonths, in.MinAge, in.MaxAge, boolInt(in.BreadwinnersOnly), db.FormatTime(in.CreatedAt)); err != nil {
			return err
		}
		for _, b := range in.Benefits {
			if _, err := tx.ExecContext(ctx, "INSERT INTO insurance_benefits (plan_id, category, limit_amount) VALUES (?, ?, ?)", in.ID, b.Category, int64(b.Limit)); err != nil {
				return err
			}
		}
		if _, err := ensureFund(ctx, tx, in.Fund); err != nil {
			return err
		}
		_, err := ensurePlanAccounts(ctx, tx, in.ID)
		return err
	})
	return in, internal(err)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Plan reads a plan; plans are public.
func (s *Service) Plan(ctx context.Context, id string) (Plan, error) {
	return loadPlan(ctx, s.db.Read(), id)
}

func loadPlan(ctx context.Context, q db.Querier, id string) (Plan, error) {
	var p Plan
	var bw, active int
	var created string
	err := q.QueryRowContext(ctx, "SELECT id, name, fund, premium, cover_months, min_age, max_age, breadwinners_only, active, created_at FROM insurance_plans WHERE id = ?", id).
		Scan(&p.ID, &p.Name, &p.Fund, &p.Premium, &p.CoverMonths, &p.MinAge, &p.MaxAge, &bw, &active, &created)
	if err != nil {
		return Plan{}, db.NotFound(err, "没有这个保险计划 no insurance plan %s", id)
	}
	p.BreadwinnersOnly, p.Active, p.CreatedAt = bw == 1, active == 1, db.MustTime(created)
	rows, err := q.QueryContext(ctx, "SELECT category, limit_amount FROM insurance_benefits WHERE plan_id = ? ORDER BY category", id)
	if err != nil {
		return Plan{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b Benefit
		if err := rows.Scan(&b.Category, &b.Limit); err != nil {
			return Plan{}, internal(err)
		}
		p.Benefits = append(p.Benefits, b)
	}
	return p, internal(rows.Err())
}

// Plans lists active plans.
func (s *Service) Plans(ctx context.Context) ([]Plan, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id FROM insurance_plans WHERE active = 1 ORDER BY created_at, id")
	if err != nil {
		return nil, internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]Plan, 0, len(ids))
	for _, id := range ids {
		p, err := s.Plan(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
