package market

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// IncomeSource is the part of the ledger the brand page needs; *ledger.Ledger
// satisfies it. market reads income through it rather than owning a ledger.
type IncomeSource interface {
	HouseholdIncome(ctx context.Context, householdID string, from, to time.Time) (ledger.Income, error)
}

// SetCultivatedLand records a household's cultivated land in mu (亩), the
// denominator of income per mu. Land is registry-grade data: admins and officers
// of the household's county record it.
func (s *Store) SetCultivatedLand(ctx context.Context, p fishpond.Principal, householdID string, mu float64) error {
	m, ok := toMilli(mu)
	if !ok || m <= 0 || m > 100_000_000 {
		return fishpond.Invalid("耕地面积无效 invalid cultivated land", map[string]string{"mu": "须大于0且不超过10万亩 above 0, at most 100,000 mu"})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var county string
		if err := tx.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", householdID).Scan(&county); err != nil {
			return db.NotFound(err, "没有该农户 no such household")
		}
		if !p.CanEditRegistry(county) {
			return notFound("没有该农户 no such household")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO market_household_land (household_id, mu_milli, recorded_by, recorded_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (household_id) DO UPDATE SET mu_milli = excluded.mu_milli, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at`,
			householdID, m, p.UserID, db.FormatTime(s.now()))
		return internal(err)
	})
}

// HouseholdPerMu is one participating household's operating income per mu in the
// 12 months before and after it joined the brand. It names no person: the label
// says "registered household of X village" with a number on this page only.
type HouseholdPerMu struct {
	Label          string
	VillageName    string
	Mu             float64 // 0: not recorded
	JoinedOn       string  // YYYY-MM-DD: the first admission of one of its products
	BeforeMeasured bool
	AfterMeasured  bool
	Before         fishpond.Money // operating income of the 12 months before joining
	After          fishpond.Money // and of the 12 months from joining
	BeforePerMu    fishpond.Money
	AfterPerMu     fishpond.Money
	Change         fishpond.Money // AfterPerMu - BeforePerMu, when both are measured
	Note           string         // why a figure is not measured
}

// BrandIncome is the brand page's evidence: does joining the brand raise
// participating households' income per mu? Averages cover only households
// measured on both sides; the rest are listed with the reason.
type BrandIncome struct {
	BrandID        string
	Households     []HouseholdPerMu
	Measured       int
	AvgBeforePerMu fishpond.Money
	AvgAfterPerMu  fishpond.Money
	AvgChange      fishpond.Money
}

// Reasons a figure is not measured.
const (
	noteNoLand     = "未登记耕地面积 cultivated land not recorded"
	noteNoBefore   = "加入前12个月无经营收入记录 no operating income recorded in the 12 months before joining"
	noteNoAfter    = "加入后12个月无经营收入记录 no operating income recorded in the 12 months after joining"
	noteNotElapsed = "加入未满12个月 less than 12 months since joining"
)

// BrandIncome computes income per mu of the households producing the brand's
// products. Operating income is the ledger's net operating income, platform and
// declared (the survey's off-platform sales), since before joining much of it was
// off the platform. Nothing is estimated: missing land, a year without any
// operating income, or a year not yet over is reported as not measured.
func (s *Store) BrandIncome(ctx context.Context, brandID string, incomes IncomeSource) (BrandIncome, error) {
	q := s.db.Read()
	var one int
	if err := q.QueryRowContext(ctx, "SELECT 1 FROM market_brands WHERE id = ?", brandID).Scan(&one); err != nil {
		return BrandIncome{}, db.NotFound(err, "没有该品牌 no such brand")
	}
	rows, err := q.QueryContext(ctx, `SELECT pp.household_id, v.name, MIN(m.joined_on), COALESCE(MAX(l.mu_milli), 0)
		FROM market_brand_members m JOIN market_product_producers pp ON pp.product_id = m.product_id
		JOIN households h ON h.id = pp.household_id JOIN villages v ON v.id = h.village_id
		LEFT JOIN market_household_land l ON l.household_id = pp.household_id
		WHERE m.brand_id = ? GROUP BY pp.household_id, v.name ORDER BY pp.household_id`, brandID)
	if err != nil {
		return BrandIncome{}, internal(err)
	}
	type row struct {
		id, village, joined string
		mu                  int64
	}
	var hs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.village, &r.joined, &r.mu); err != nil {
			rows.Close()
			return BrandIncome{}, internal(err)
		}
		hs = append(hs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return BrandIncome{}, internal(err)
	}
	now := s.now()
	out := BrandIncome{BrandID: brandID}
	var sumBefore, sumAfter fishpond.Money
	for i, r := range hs {
		h := HouseholdPerMu{Label: fmt.Sprintf("%s建档立卡户 %d registered household %d of %s", r.village, i+1, i+1, r.village),
			VillageName: r.village, Mu: fromMilli(r.mu), JoinedOn: r.joined}
		joined, err := time.ParseInLocation("2006-01-02", r.joined, fishpond.ChinaTime)
		if err != nil {
			return BrandIncome{}, internal(err)
		}
		before, err := incomes.HouseholdIncome(ctx, r.id, joined.AddDate(-1, 0, 0), joined)
		if err != nil {
			return BrandIncome{}, internal(err)
		}
		h.Before = before.Operating + before.DeclaredOperating
		h.BeforeMeasured = r.mu > 0 && h.Before != 0
		end := joined.AddDate(1, 0, 0)
		if !end.After(now) {
			after, err := incomes.HouseholdIncome(ctx, r.id, joined, end)
			if err != nil {
				return BrandIncome{}, internal(err)
			}
			h.After = after.Operating + after.DeclaredOperating
			h.AfterMeasured = r.mu > 0 && h.After != 0
		}
		switch {
		case r.mu == 0:
			h.Note = noteNoLand
		case !h.BeforeMeasured:
			h.Note = noteNoBefore
		case end.After(now):
			h.Note = noteNotElapsed
		case !h.AfterMeasured:
			h.Note = noteNoAfter
		}
		if h.BeforeMeasured {
			h.BeforePerMu = perMu(h.Before, r.mu)
		}
		if h.AfterMeasured {
			h.AfterPerMu = perMu(h.After, r.mu)
		}
		if h.BeforeMeasured && h.AfterMeasured {
			h.Change = h.AfterPerMu - h.BeforePerMu
			out.Measured++
			sumBefore += h.BeforePerMu
			sumAfter += h.AfterPerMu
		}
		out.Households = append(out.Households, h)
	}
	if out.Measured > 0 {
		n := fishpond.Money(out.Measured)
		out.AvgBeforePerMu, out.AvgAfterPerMu = sumBefore/n, sumAfter/n
		out.AvgChange = out.AvgAfterPerMu - out.AvgBeforePerMu
	}
	return out, nil
}

// perMu divides income by land in thousandths of a mu, to the fen.
func perMu(m fishpond.Money, muMilli int64) fishpond.Money {
	return fishpond.Money(int64(m) * 1000 / muMilli)
}

// CultivatedLand reads a household's recorded land in mu, 0 when none is
// recorded, for the officer's form; scoped like the registry.
func (s *Store) CultivatedLand(ctx context.Context, p fishpond.Principal, householdID string) (float64, error) {
	q := s.db.Read()
	var county string
	if err := q.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", householdID).Scan(&county); err != nil {
		return 0, db.NotFound(err, "没有该农户 no such household")
	}
	if !p.CanSeeHousehold(county, householdID) {
		return 0, notFound("没有该农户 no such household")
	}
	var m int64
	err := q.QueryRowContext(ctx, "SELECT mu_milli FROM market_household_land WHERE household_id = ?", householdID).Scan(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return fromMilli(m), internal(err)
}
