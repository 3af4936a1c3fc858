package farms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Pricing of a purchase agreement.
const (
	// PricingFloor guarantees a minimum: the price paid is the market price of the
	// day or the floor, whichever is higher.
	PricingFloor = "floor"
	// PricingPremium pays the market price of the day plus a fixed premium.
	PricingPremium = "premium"
)

// Grades of a delivery; B and C pay a share of grade A's price.
const (
	GradeA = "A"
	GradeB = "B"
	GradeC = "C"
)

// Agreement is a purchase agreement (订单收购): the cooperative commits to buy a
// household's crop at a guaranteed price per kg of grade A.
type Agreement struct {
	ID          string
	CoopID      string
	HouseholdID string
	CountyCode  string
	Crop        string
	Pricing     string
	Price       fishpond.Money // per kg: the floor, or the premium
	GradeBBp    fishpond.Bp
	GradeCBp    fishpond.Bp
	StartsOn    string
	EndsOn      string // inclusive last day
	CreatedAt   time.Time
	Replayed    bool
}

// AgreementInput is what the manager enters.
type AgreementInput struct {
	HouseholdID    string
	Crop           string
	Pricing        string
	Price          fishpond.Money
	GradeBBp       fishpond.Bp // 0: 9000 (90%)
	GradeCBp       fishpond.Bp // 0: 8000 (80%)
	StartsOn       string
	EndsOn         string
	IdempotencyKey string
}

// MaxPricePerKg keeps a typo (yuan for fen) from becoming a commitment.
const MaxPricePerKg = fishpond.Money(100_000) // 1,000 yuan per kg

// SignAgreement records a purchase agreement with a household of the
// cooperative's county.
func (s *Service) SignAgreement(ctx context.Context, p fishpond.Principal, coopID string, in AgreementInput) (Agreement, error) {
	in.Crop = strings.TrimSpace(in.Crop)
	if in.GradeBBp == 0 {
		in.GradeBBp = 9000
	}
	if in.GradeCBp == 0 {
		in.GradeCBp = 8000
	}
	f := map[string]string{}
	if in.HouseholdID == "" {
		f["household_id"] = "必填 required"
	}
	if in.Crop == "" || utf8.RuneCountInString(in.Crop) > 30 {
		f["crop"] = "必填，最多30字 required, at most 30 characters"
	}
	if in.Pricing != PricingFloor && in.Pricing != PricingPremium {
		f["pricing"] = "须为 floor（保底价）或 premium（市场价加价） must be floor or premium"
	}
	if in.Price <= 0 || in.Price > MaxPricePerKg {
		f["price"] = "每公斤价格须在0到1000元之间 price per kg must be above 0 and at most 1,000 yuan"
	}
	if in.GradeBBp < 1 || in.GradeBBp > 10000 {
		f["grade_b_bp"] = "须在1到10000之间 must be 1–10000 bp"
	}
	if in.GradeCBp < 1 || in.GradeCBp > in.GradeBBp {
		f["grade_c_bp"] = "须在1到B级之间 must be 1 bp up to grade B's"
	}
	start, okS := parseDate(in.StartsOn)
	end, okE := parseDate(in.EndsOn)
	if !okS {
		f["starts_on"] = "日期格式为 YYYY-MM-DD date as YYYY-MM-DD"
	}
	if !okE || (okS && end.Before(start)) {
		f["ends_on"] = "须为不早于开始日期的 YYYY-MM-DD a YYYY-MM-DD date not before the start"
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	var a Agreement
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		co, err := managedCoop(ctx, tx, p, coopID, false)
		if err != nil {
			return err
		}
		var existing string
		switch err := tx.QueryRowContext(ctx, "SELECT id FROM farms_agreements WHERE coop_id = ? AND idem_key = ?", co.ID, in.IdempotencyKey).Scan(&existing); {
		case err == nil:
			a, err = loadAgreement(ctx, tx, existing)
			if err == nil && (a.HouseholdID != in.HouseholdID || a.Price != in.Price || a.Pricing != in.Pricing || a.Crop != in.Crop) {
				return conflict("该幂等键已用于另一份协议 the idempotency key was used for another agreement")
			}
			a.Replayed = true
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		if err := checkCoopHousehold(ctx, tx, in.HouseholdID, co.CountyCode, f); err != nil {
			return err
		}
		if len(f) > 0 {
			return fishpond.Invalid("收购协议有误 invalid purchase agreement", f)
		}
		now := s.now()
		a = Agreement{ID: newID(), CoopID: co.ID, HouseholdID: in.HouseholdID, CountyCode: co.CountyCode, Crop: in.Crop, Pricing: in.Pricing,
			Price: in.Price, GradeBBp: in.GradeBBp, GradeCBp: in.GradeCBp, StartsOn: in.StartsOn, EndsOn: in.EndsOn, CreatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO farms_agreements (id, coop_id, household_id, county_code, idem_key, crop, pricing, price,
			grade_b_bp, grade_c_bp, starts_on, ends_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.CoopID, a.HouseholdID, a.CountyCode, in.IdempotencyKey, a.Crop, a.Pricing, int64(a.Price), int64(a.GradeBBp), int64(a.GradeCBp),
			a.StartsOn, a.EndsOn, db.FormatTime(now)); err != nil {
			return insertErr(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.agreement.signed", Subject: a.ID, CountyCode: a.CountyCode,
			Payload: map[string]any{"coop_id": a.CoopID, "crop": a.Crop, "pricing": a.Pricing, "price_fen": int64(a.Price), "households": 1}})
	})
	if err != nil {
		return Agreement{}, err
	}
	return a, nil
}

const agreementColumns = "id, coop_id, household_id, county_code, crop, pricing, price, grade_b_bp, grade_c_bp, starts_on, ends_on, created_at FROM farms_agreements"

func scanAgreement(row interface{ Scan(...any) error }) (Agreement, error) {
	var a Agreement
	var price, b, c int64
	var created string
	if err := row.Scan(&a.ID, &a.CoopID, &a.HouseholdID, &a.CountyCode, &a.Crop, &a.Pricing, &price, &b, &c, &a.StartsOn, &a.EndsOn, &created); err != nil {
		return Agreement{}, err
	}
	a.Price, a.GradeBBp, a.GradeCBp, a.CreatedAt = fishpond.Money(price), fishpond.Bp(b), fishpond.Bp(c), db.MustTime(created)
	return a, nil
}

func loadAgreement(ctx context.Context, q db.Querier, id string) (Agreement, error) {
	a, err := scanAgreement(q.QueryRowContext(ctx, "SELECT "+agreementColumns+" WHERE id = ?", id))
	if err != nil {
		return Agreement{}, db.NotFound(err, "没有该收购协议 no such purchase agreement")
	}
	return a, nil
}

// Agreements lists a cooperative's purchase agreements (a household sees its own).
func (s *Service) Agreements(ctx context.Context, p fishpond.Principal, coopID string) ([]Agreement, error) {
	where, args := "coop_id = ?", []any{coopID}
	if p.Role == fishpond.RoleHousehold {
		where, args = "coop_id = ? AND household_id = ?", []any{coopID, p.HouseholdID}
	} else if _, err := s.Coop(ctx, p, coopID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+agreementColumns+" WHERE "+where+" ORDER BY created_at DESC, id DESC", args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Agreement
	for rows.Next() {
		a, err := scanAgreement(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, a)
	}
	return out, internal(rows.Err())
}

// UnitPrice is what the agreement pays per kg of a grade given the day's market
// price: the guarantee applies to grade A, lower grades get their share of it
// (rounded down to the fen).
func (a Agreement) UnitPrice(grade string, market fishpond.Money) fishpond.Money {
	base := a.Price + market
	if a.Pricing == PricingFloor {
		base = max(a.Price, market)
	}
	switch grade {
	case GradeB:
		return a.GradeBBp.Of(base)
	case GradeC:
		return a.GradeCBp.Of(base)
	}
	return base
}

// Delivery is produce weighed and graded at the cooperative and paid for.
type Delivery struct {
	ID          string
	AgreementID string
	CoopID      string
	HouseholdID string
	Crop        string
	Weight      Weight
	Grade       string
	MarketPrice fishpond.Money // per kg, as recorded that day
	UnitPrice   fishpond.Money // per kg, what the agreement pays for the grade
	Amount      fishpond.Money
	TransferID  string
	DeliveredAt time.Time
	Replayed    bool
}

// DeliveryInput is one weighing.
type DeliveryInput struct {
	Weight         Weight
	Grade          string
	MarketPrice    fishpond.Money // per kg; required for premium pricing
	IdempotencyKey string         // e.g. the weighing slip number
}

// RecordDelivery weighs, grades and pays a delivery under an agreement in one
// transaction: the amount (weight × unit price, rounded down to the fen) is the
// household's operating income. The same key returns the first delivery.
func (s *Service) RecordDelivery(ctx context.Context, p fishpond.Principal, agreementID string, in DeliveryInput) (Delivery, error) {
	f := map[string]string{}
	if in.Weight <= 0 || in.Weight > Kg(1_000_000) {
		f["weight"] = "重量须大于0且不超过1000吨 weight must be above 0 and at most 1,000 t"
	}
	if in.Grade != GradeA && in.Grade != GradeB && in.Grade != GradeC {
		f["grade"] = "等级须为 A、B 或 C grade must be A, B or C"
	}
	if in.MarketPrice < 0 || in.MarketPrice > MaxPricePerKg {
		f["market_price"] = "市场价须在0到1000元之间 market price must be 0–1,000 yuan per kg"
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	var d Delivery
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		a, err := loadAgreement(ctx, tx, agreementID)
		if err != nil {
			return err
		}
		co, err := managedCoop(ctx, tx, p, a.CoopID, false)
		if err != nil {
			return err
		}
		var existing string
		switch err := tx.QueryRowContext(ctx, "SELECT id FROM farms_deliveries WHERE agreement_id = ? AND idem_key = ?", a.ID, in.IdempotencyKey).Scan(&existing); {
		case err == nil:
			d, err = loadDelivery(ctx, tx, existing)
			if err == nil && (d.Weight != in.Weight || d.Grade != in.Grade) {
				return conflict("该称重单号已用于另一次交售 the weighing slip was used for another delivery")
			}
			d.Replayed = true
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		if a.Pricing == PricingPremium && in.MarketPrice == 0 {
			f["market_price"] = "市场价加价协议须填写当日市场价 premium pricing needs the day's market price"
		}
		now := s.now()
		today := now.In(fishpond.ChinaTime).Format(dateLayout)
		if today < a.StartsOn || today > a.EndsOn {
			return conflict("收购协议不在有效期内 (%s 至 %s) the agreement is not in force today", a.StartsOn, a.EndsOn)
		}
		if len(f) > 0 {
			return fishpond.Invalid("交售信息有误 invalid delivery", f)
		}
		unit := a.UnitPrice(in.Grade, in.MarketPrice)
		amount := fishpond.Money(int64(in.Weight) * int64(unit) / 1000)
		if amount <= 0 {
			return fishpond.Invalid("交售金额为0 the delivery is worth nothing", map[string]string{"weight": "重量太小 too little"})
		}
		d = Delivery{ID: newID(), AgreementID: a.ID, CoopID: co.ID, HouseholdID: a.HouseholdID, Crop: a.Crop, Weight: in.Weight, Grade: in.Grade,
			MarketPrice: in.MarketPrice, UnitPrice: unit, Amount: amount, DeliveredAt: now}
		t, err := payHousehold(ctx, tx, now, payment{key: "farms:delivery:" + d.ID, kind: "farm_produce",
			memo:     fmt.Sprintf("订单收购 %s %s kg %s级 purchase", a.Crop, in.Weight, in.Grade),
			evidence: "agreement " + a.ID + " slip " + in.IdempotencyKey, at: now, coopID: co.ID, expense: CatProduce,
			income: ledger.CatOperating, hh: a.HouseholdID, amount: amount})
		if err != nil {
			return err
		}
		d.TransferID = t.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO farms_deliveries (id, agreement_id, coop_id, household_id, idem_key, weight_g, grade,
			market_price, unit_price, amount, transfer_id, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.AgreementID, d.CoopID, d.HouseholdID, in.IdempotencyKey, int64(d.Weight), d.Grade, int64(d.MarketPrice), int64(d.UnitPrice),
			int64(d.Amount), d.TransferID, db.FormatTime(now)); err != nil {
			return insertErr(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.delivery.recorded", Subject: d.ID, CountyCode: a.CountyCode,
			Payload: map[string]any{"coop_id": co.ID, "crop": a.Crop, "grams": int64(d.Weight), "grade": d.Grade, "fen": int64(d.Amount), "households": 1}})
	})
	if err != nil {
		return Delivery{}, err
	}
	return d, nil
}

const deliveryColumns = `d.id, d.agreement_id, d.coop_id, d.household_id, a.crop, d.weight_g, d.grade, d.market_price, d.unit_price, d.amount,
	d.transfer_id, d.delivered_at FROM farms_deliveries d JOIN farms_agreements a ON a.id = d.agreement_id`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var w, mp, up, amt int64
	var at string
	if err := row.Scan(&d.ID, &d.AgreementID, &d.CoopID, &d.HouseholdID, &d.Crop, &w, &d.Grade, &mp, &up, &amt, &d.TransferID, &at); err != nil {
		return Delivery{}, err
	}
	d.Weight, d.MarketPrice, d.UnitPrice, d.Amount, d.DeliveredAt = Weight(w), fishpond.Money(mp), fishpond.Money(up), fishpond.Money(amt), db.MustTime(at)
	return d, nil
}

func loadDelivery(ctx context.Context, q db.Querier, id string) (Delivery, error) {
	d, err := scanDelivery(q.QueryRowContext(ctx, "SELECT "+deliveryColumns+" WHERE d.id = ?", id))
	if err != nil {
		return Delivery{}, db.NotFound(err, "没有该交售记录 no such delivery")
	}
	return d, nil
}

// Deliveries lists a cooperative's deliveries, newest first (a household sees its own).
func (s *Service) Deliveries(ctx context.Context, p fishpond.Principal, coopID string, limit int) ([]Delivery, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	where, args := "d.coop_id = ?", []any{coopID}
	if p.Role == fishpond.RoleHousehold {
		where, args = "d.coop_id = ? AND d.household_id = ?", []any{coopID, p.HouseholdID}
	} else if _, err := s.Coop(ctx, p, coopID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+deliveryColumns+" WHERE "+where+" ORDER BY d.delivered_at DESC, d.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, d)
	}
	return out, internal(rows.Err())
}
