package market

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Brand is a county brand (一县一品): one county's signature produce with a
// planting and quality standard that every member product has been inspected
// against.
type Brand struct {
	ID          string
	CountyCode  string
	CountyName  string
	Name        string
	Description string
	Criteria    []Criterion
	CreatedAt   time.Time
}

// Criterion is one measurable rule of a brand's standard: the measured value must
// satisfy Op Threshold. Yes/no rules such as "one vine, two melons" (一藤两瓜) are
// written as = 1.
type Criterion struct {
	Seq       int     // 1-based position in the standard; inspections refer to it
	Kind      string  // CriterionPlanting or CriterionQuality
	Name      string  // e.g. 含糖量 sugar content
	Unit      string  // e.g. %Brix; "" for yes/no rules
	Op        string  // OpAtLeast, OpAtMost or OpEqual
	Threshold float64 // stored exactly to three decimals
}

// Kinds of criteria: how it is grown, and what the harvest measures.
const (
	CriterionPlanting = "planting"
	CriterionQuality  = "quality"
)

// Comparison operators of criteria.
const (
	OpAtLeast = ">="
	OpAtMost  = "<="
	OpEqual   = "="
)

// BrandInput is what a county officer enters to found a brand. The criteria are
// fixed once the brand exists, so every inspection of a brand was judged by the
// same standard; a revised standard is a new brand.
type BrandInput struct {
	CountyCode  string
	Name        string
	Description string
	Criteria    []Criterion // Seq is assigned in order
}

// MaxCriteria bounds a standard's length.
const MaxCriteria = 30

// maxMeasure bounds thresholds and readings (stored as thousandths in BIGINT).
const maxMeasure = 1e12

// toMilli turns a measured value into exact thousandths.
func toMilli(v float64) (int64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxMeasure {
		return 0, false
	}
	return int64(math.Round(v * 1000)), true
}

func fromMilli(m int64) float64 { return float64(m) / 1000 }

func (c Criterion) met(valueMilli, thresholdMilli int64) bool {
	switch c.Op {
	case OpAtLeast:
		return valueMilli >= thresholdMilli
	case OpAtMost:
		return valueMilli <= thresholdMilli
	case OpEqual:
		return valueMilli == thresholdMilli
	}
	return false
}

// String renders the rule, e.g. "含糖量 >= 14 %Brix".
func (c Criterion) String() string {
	s := fmt.Sprintf("%s %s %s", c.Name, c.Op, strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", c.Threshold), "0"), "."))
	if c.Unit != "" {
		s += " " + c.Unit
	}
	return s
}

func (in *BrandInput) validate() map[string]string {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	f := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 40 {
		f["name"] = "必填，最多40字 required, at most 40 characters"
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		f["description"] = "最多2000字 at most 2000 characters"
	}
	if len(in.Criteria) == 0 || len(in.Criteria) > MaxCriteria {
		f["criteria"] = "须有1到30条可测量的标准 1–30 measurable criteria"
	}
	names := map[string]bool{}
	for i := range in.Criteria {
		c := &in.Criteria[i]
		c.Seq = i + 1
		c.Name, c.Unit, c.Kind = strings.TrimSpace(c.Name), strings.TrimSpace(c.Unit), strings.TrimSpace(c.Kind)
		key := fmt.Sprintf("criteria[%d]", i)
		switch {
		case c.Name == "" || utf8.RuneCountInString(c.Name) > 60:
			f[key+".name"] = "必填，最多60字 required, at most 60 characters"
		case names[c.Name]:
			f[key+".name"] = "标准名称重复 duplicate criterion"
		}
		names[c.Name] = true
		if utf8.RuneCountInString(c.Unit) > 20 {
			f[key+".unit"] = "最多20字 at most 20 characters"
		}
		if c.Kind != CriterionPlanting && c.Kind != CriterionQuality {
			f[key+".kind"] = "须为 planting 或 quality must be planting or quality"
		}
		if c.Op != OpAtLeast && c.Op != OpAtMost && c.Op != OpEqual {
			f[key+".op"] = "须为 >=、<= 或 = must be >=, <= or ="
		}
		if _, ok := toMilli(c.Threshold); !ok {
			f[key+".threshold"] = "须为有限数值 must be a finite number"
		}
	}
	return f
}

// CreateBrand founds a county brand with its standard. Admins, or officers of the
// county, found brands: a brand speaks for the county.
func (s *Store) CreateBrand(ctx context.Context, p fishpond.Principal, in BrandInput) (Brand, error) {
	f := in.validate()
	id := newID()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := checkCounty(ctx, tx, "county_code", in.CountyCode, f); err != nil {
			return err
		}
		if f["county_code"] == "" && !p.CanEditRegistry(in.CountyCode) {
			return forbidden("仅管理员或本县干部可创建县域品牌 only an admin or an officer of the county founds its brands")
		}
		if len(f) > 0 {
			return fishpond.Invalid("品牌信息有误 invalid brand", f)
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO market_brands (id, county_code, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			id, in.CountyCode, in.Name, in.Description, p.UserID, db.FormatTime(s.now()))
		if db.IsUniqueViolation(err) {
			return conflict("本县已有同名品牌 the county already has a brand of this name")
		}
		if err != nil {
			return internal(err)
		}
		for _, c := range in.Criteria {
			th, _ := toMilli(c.Threshold)
			if _, err := tx.ExecContext(ctx, "INSERT INTO market_brand_criteria (brand_id, seq, kind, name, unit, op, threshold) VALUES (?, ?, ?, ?, ?, ?, ?)",
				id, c.Seq, c.Kind, c.Name, c.Unit, c.Op, th); err != nil {
				return internal(err)
			}
		}
		return nil
	})
	if err != nil {
		return Brand{}, err
	}
	return s.Brand(ctx, id)
}

func loadCriteria(ctx context.Context, q db.Querier, brandID string) ([]Criterion, error) {
	rows, err := q.QueryContext(ctx, "SELECT seq, kind, name, unit, op, threshold FROM market_brand_criteria WHERE brand_id = ? ORDER BY seq", brandID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Criterion
	for rows.Next() {
		var c Criterion
		var th int64
		if err := rows.Scan(&c.Seq, &c.Kind, &c.Name, &c.Unit, &c.Op, &th); err != nil {
			return nil, internal(err)
		}
		c.Threshold = fromMilli(th)
		out = append(out, c)
	}
	return out, internal(rows.Err())
}

const brandColumns = `b.id, b.county_code, c.name, b.name, b.description, b.created_at FROM market_brands b JOIN counties c ON c.code = b.county_code`

func scanBrand(row interface{ Scan(...any) error }) (Brand, error) {
	var b Brand
	var created string
	err := row.Scan(&b.ID, &b.CountyCode, &b.CountyName, &b.Name, &b.Description, &created)
	b.CreatedAt, _ = db.ParseTime(created)
	return b, err
}

func loadBrand(ctx context.Context, q db.Querier, id string) (Brand, error) {
	b, err := scanBrand(q.QueryRowContext(ctx, "SELECT "+brandColumns+" WHERE b.id = ?", id))
	if err != nil {
		return Brand{}, db.NotFound(err, "没有该品牌 no such brand")
	}
	b.Criteria, err = loadCriteria(ctx, q, id)
	return b, err
}

// Brand reads a brand with its standard; brand pages are public.
func (s *Store) Brand(ctx context.Context, id string) (Brand, error) {
	return loadBrand(ctx, s.db.Read(), id)
}

// Brands lists brands by name, of one county or ("" ) of all, for the brand index.
func (s *Store) Brands(ctx context.Context, countyCode string) ([]Brand, error) {
	q := s.db.Read()
	query, args := "SELECT "+brandColumns+" ORDER BY b.name, b.id", []any{}
	if countyCode != "" {
		query, args = "SELECT "+brandColumns+" WHERE b.county_code = ? ORDER BY b.name, b.id", []any{countyCode}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, internal(err)
	}
	var out []Brand
	for rows.Next() {
		b, err := scanBrand(rows)
		if err != nil {
			rows.Close()
			return nil, internal(err)
		}
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal(err)
	}
	for i := range out {
		if out[i].Criteria, err = loadCriteria(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BrandMember is a product admitted to a brand and the inspection that admitted it.
type BrandMember struct {
	ProductID    string
	ProductName  string
	ShopID       string
	ShopName     string
	JoinedOn     string // YYYY-MM-DD, the admitting inspection's date
	InspectionID string
}

// BrandMembers lists a brand's products in the order they joined.
func (s *Store) BrandMembers(ctx context.Context, brandID string) ([]BrandMember, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT m.product_id, p.name, p.shop_id, sh.name, m.joined_on, m.inspection_id
		FROM market_brand_members m JOIN market_products p ON p.id = m.product_id JOIN market_shops sh ON sh.id = p.shop_id
		WHERE m.brand_id = ? ORDER BY m.joined_on, m.product_id`, brandID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []BrandMember
	for rows.Next() {
		var m BrandMember
		if err := rows.Scan(&m.ProductID, &m.ProductName, &m.ShopID, &m.ShopName, &m.JoinedOn, &m.InspectionID); err != nil {
			return nil, internal(err)
		}
		out = append(out, m)
	}
	return out, internal(rows.Err())
}

// InspectionInput is an inspection as recorded from the inspector's sheet: one
// reading per criterion of the brand's standard, keyed by Criterion.Seq.
type InspectionInput struct {
	BrandID   string
	ProductID string
	Inspector string // the inspecting body or person, shown publicly
	Date      string // YYYY-MM-DD
	Values    map[int]float64
}

// Measurement is one reading of an inspection against its criterion.
type Measurement struct {
	Criterion Criterion
	Value     float64
	Met       bool
}

// Inspection is a recorded inspection. Passed is true only when every criterion
// was met; failing inspections are kept as evidence too.
type Inspection struct {
	ID           string
	BrandID      string
	BrandName    string
	ProductID    string
	Inspector    string
	Date         string
	Passed       bool
	Measurements []Measurement
	RecordedBy   string
	RecordedAt   time.Time
}

// RecordInspection records an inspection of a product against a brand's standard.
// A pass admits the product to the brand (dated by the inspection); a fail is
// recorded and, for a member, takes it out of the brand: the standard must keep
// holding. Admins or officers of the brand's county record inspections.
func (s *Store) RecordInspection(ctx context.Context, p fishpond.Principal, in InspectionInput) (Inspection, error) {
	in.Inspector = strings.TrimSpace(in.Inspector)
	now := s.now()
	f := map[string]string{}
	if n := utf8.RuneCountInString(in.Inspector); n < 2 || n > 100 {
		f["inspector"] = "必填，2到100字 required, 2–100 characters"
	}
	if d, err := time.Parse("2006-01-02", in.Date); err != nil {
		f["date"] = "日期格式为 YYYY-MM-DD date as YYYY-MM-DD"
	} else if d.After(now.In(fishpond.ChinaTime)) {
		f["date"] = "检验日期不能晚于今天 the inspection date cannot be in the future"
	}
	id := newID()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		b, err := loadBrand(ctx, tx, in.BrandID)
		if err != nil {
			return err
		}
		if !p.CanEditRegistry(b.CountyCode) {
			return forbidden("仅管理员或本县干部可录入检验 only an admin or an officer of the brand's county records inspections")
		}
		var origin string
		err = tx.QueryRowContext(ctx, "SELECT origin_county FROM market_products WHERE id = ?", in.ProductID).Scan(&origin)
		if errors.Is(err, sql.ErrNoRows) {
			f["product_id"] = "没有该商品 no such product"
		} else if err != nil {
			return internal(err)
		} else if origin != b.CountyCode {
			f["product_id"] = "县域品牌只收本县出产的商品 a county brand admits only produce of its county"
		}
		readings := map[int]int64{}
		for seq, v := range in.Values {
			if !slices.ContainsFunc(b.Criteria, func(c Criterion) bool { return c.Seq == seq }) {
				f[fmt.Sprintf("values[%d]", seq)] = "标准中没有此项 no such criterion in the standard"
				continue
			}
			m, ok := toMilli(v)
			if !ok {
				f[fmt.Sprintf("values[%d]", seq)] = "须为有限数值 must be a finite number"
			}
			readings[seq] = m
		}
		for _, c := range b.Criteria {
			if _, ok := in.Values[c.Seq]; !ok {
				f[fmt.Sprintf("values[%d]", c.Seq)] = "缺少" + c.Name + "的检测值 missing a reading for " + c.Name
			}
		}
		if len(f) > 0 {
			return fishpond.Invalid("检验记录有误 invalid inspection", f)
		}
		passed := true
		for _, c := range b.Criteria {
			th, _ := toMilli(c.Threshold)
			if !c.met(readings[c.Seq], th) {
				passed = false
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_brand_inspections (id, brand_id, product_id, inspector, inspected_on, passed, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, b.ID, in.ProductID, in.Inspector, in.Date, boolInt(passed), p.UserID, db.FormatTime(now)); err != nil {
			return internal(err)
		}
		for _, c := range b.Criteria {
			th, _ := toMilli(c.Threshold)
			if _, err := tx.ExecContext(ctx, "INSERT INTO market_brand_measurements (inspection_id, criterion_seq, value, met) VALUES (?, ?, ?, ?)",
				id, c.Seq, readings[c.Seq], boolInt(c.met(readings[c.Seq], th))); err != nil {
				return internal(err)
			}
		}
		var member int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM market_brand_members WHERE brand_id = ? AND product_id = ?", b.ID, in.ProductID).Scan(&member); err != nil {
			return internal(err)
		}
		switch {
		case passed && member == 0:
			_, err = tx.ExecContext(ctx, "INSERT INTO market_brand_members (brand_id, product_id, inspection_id, joined_on) VALUES (?, ?, ?, ?)",
				b.ID, in.ProductID, id, in.Date)
		case !passed && member > 0:
			_, err = tx.ExecContext(ctx, "DELETE FROM market_brand_members WHERE brand_id = ? AND product_id = ?", b.ID, in.ProductID)
		}
		return internal(err)
	})
	if err != nil {
		return Inspection{}, err
	}
	return s.Inspection(ctx, id)
}

const inspectionColumns = `i.id, i.brand_id, b.name, i.product_id, i.inspector, i.inspected_on, i.passed, i.recorded_by, i.recorded_at
	FROM market_brand_inspections i JOIN market_brands b ON b.id = i.brand_id`

func queryInspections(ctx context.Context, q db.Querier, tail string, args ...any) ([]Inspection, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+inspectionColumns+tail, args...)
	if err != nil {
		return nil, internal(err)
	}
	var out []Inspection
	for rows.Next() {
		var in Inspection
		var passed int
		var recorded string
		if err := rows.Scan(&in.ID, &in.BrandID, &in.BrandName, &in.ProductID, &in.Inspector, &in.Date, &passed, &in.RecordedBy, &recorded); err != nil {
			rows.Close()
			return nil, internal(err)
		}
		in.Passed = passed == 1
		in.RecordedAt, _ = db.ParseTime(recorded)
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal(err)
	}
	criteria := map[string][]Criterion{}
	for i := range out {
		in := &out[i]
		cs, ok := criteria[in.BrandID]
		if !ok {
			if cs, err = loadCriteria(ctx, q, in.BrandID); err != nil {
				return nil, err
			}
			criteria[in.BrandID] = cs
		}
		if in.Measurements, err = loadMeasurements(ctx, q, in.ID, cs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadMeasurements(ctx context.Context, q db.Querier, inspectionID string, cs []Criterion) ([]Measurement, error) {
	rows, err := q.QueryContext(ctx, "SELECT criterion_seq, value, met FROM market_brand_measurements WHERE inspection_id = ? ORDER BY criterion_seq", inspectionID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Measurement
	for rows.Next() {
		var seq, met int
		var v int64
		if err := rows.Scan(&seq, &v, &met); err != nil {
			return nil, internal(err)
		}
		m := Measurement{Value: fromMilli(v), Met: met == 1}
		if i := slices.IndexFunc(cs, func(c Criterion) bool { return c.Seq == seq }); i >= 0 {
			m.Criterion = cs[i]
		}
		out = append(out, m)
	}
	return out, internal(rows.Err())
}

// Inspection reads one inspection with its readings; inspections are public
// evidence behind a brand label.
func (s *Store) Inspection(ctx context.Context, id string) (Inspection, error) {
	out, err := queryInspections(ctx, s.db.Read(), " WHERE i.id = ?", id)
	if err != nil {
		return Inspection{}, err
	}
	if len(out) == 0 {
		return Inspection{}, notFound("没有该检验记录 no such inspection")
	}
	return out[0], nil
}

// ProductInspections lists a product's inspections, newest first.
func (s *Store) ProductInspections(ctx context.Context, productID string) ([]Inspection, error) {
	return queryInspections(ctx, s.db.Read(), " WHERE i.product_id = ? ORDER BY i.inspected_on DESC, i.id DESC", productID)
}
