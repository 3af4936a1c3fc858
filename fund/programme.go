package fund

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Programme kinds.
const (
	KindEducation  = "education"  // students, teachers, principals: awards, scholarships, boarding
	KindVocational = "vocational" // training, certification, job placement with a monthly wage
	KindWomen      = "women"      // parenting home visitors: local women visiting families with 0–3-year-olds
	KindAITrainer  = "ai_trainer" // data-labelling workplaces: piece-rate pay
	KindOther      = "other"
)

// KindWords names each kind in Chinese and English.
var KindWords = map[string][2]string{
	KindEducation:  {"教育帮扶", "education"},
	KindVocational: {"职业培训与就业", "vocational training and job placement"},
	KindWomen:      {"育儿家访员", "parenting home visitors"},
	KindAITrainer:  {"AI训练师", "AI trainers"},
	KindOther:      {"其他", "other"},
}

// Programme is what the fund runs for people: an area, counties, who may join
// (Rule), how many (Capacity) and when.
type Programme struct {
	ID        string         `json:"id"`
	FundID    string         `json:"fund_id"`
	Area      string         `json:"area"`
	Kind      string         `json:"kind"`
	Name      string         `json:"name"`
	Rule      Rule           `json:"rule"`
	Capacity  int            `json:"capacity"`
	StartsOn  string         `json:"starts_on"`
	EndsOn    string         `json:"ends_on"`
	PieceRate fishpond.Money `json:"piece_rate_fen"` // fen per unit of piece-rate work (labelled item batch, home visit)
	Counties  []string       `json:"counties"`
	CreatedBy string         `json:"created_by"`
	CreatedAt time.Time      `json:"created_at"`
}

// ProgrammeInput creates a programme.
type ProgrammeInput struct {
	FundID    string         `json:"fund_id,omitempty"`
	Area      string         `json:"area,omitempty"`
	Kind      string         `json:"kind,omitempty"`
	Name      string         `json:"name,omitempty"`
	Rule      Rule           `json:"rule,omitempty"`
	Capacity  int            `json:"capacity,omitempty"`
	StartsOn  string         `json:"starts_on,omitempty"`
	EndsOn    string         `json:"ends_on,omitempty"`
	PieceRate fishpond.Money `json:"piece_rate_fen,omitempty"`
	Counties  []string       `json:"counties,omitempty"`
}

// CreateProgramme records a programme of a fund.
func (s *Service) CreateProgramme(ctx context.Context, p fishpond.Principal, in ProgrammeInput) (Programme, error) {
	if !canManage(p) {
		return Programme{}, forbidden("只有基金管理员可以设立项目 / only fund administrators may create programmes")
	}
	in.Name = strings.TrimSpace(in.Name)
	f := map[string]string{}
	if !validArea(in.Area) {
		f["area"] = "须为 ecommerce, education, health, women, ecology 之一 / one of ecommerce, education, health, women, ecology"
	}
	if _, ok := KindWords[in.Kind]; !ok {
		f["kind"] = "须为 education, vocational, women, ai_trainer, other 之一 / one of education, vocational, women, ai_trainer, other"
	}
	if in.Name == "" || tooLong(in.Name, 100) {
		f["name"] = "必填，最长100字 / required, at most 100 characters"
	}
	if in.Capacity <= 0 || in.Capacity > 10_000_000 {
		f["capacity"] = "须为正整数 / a positive number of people"
	}
	start, ok1 := parseDay(in.StartsOn)
	end, ok2 := parseDay(in.EndsOn)
	switch {
	case !ok1:
		f["starts_on"] = "日期格式 YYYY-MM-DD / a date like 2019-03-01"
	case !ok2:
		f["ends_on"] = "日期格式 YYYY-MM-DD / a date like 2020-12-31"
	case end.Before(start):
		f["ends_on"] = "不能早于开始日期 / must not be before the start"
	}
	if in.PieceRate < 0 || in.PieceRate > 1_000_000 {
		f["piece_rate_fen"] = "不能为负，最多1万元 / from 0 to 10,000 yuan"
	}
	if (in.Kind == KindAITrainer || in.Kind == KindWomen) && in.PieceRate == 0 {
		f["piece_rate_fen"] = "计件工作须设单价 / piece-rate work needs a rate"
	}
	for k, v := range in.Rule.validate() {
		f["rule."+k] = v
	}
	counties := slices.Compact(slices.Sorted(slices.Values(in.Counties)))
	if len(counties) == 0 || len(counties) > 100 {
		f["counties"] = "至少一个县，最多100个 / one to 100 counties"
	}
	for _, c := range counties {
		if _, err := s.reg.County(ctx, c); err != nil {
			f["counties"] = "未知的县 / unknown county " + c
		}
	}
	if len(f) > 0 {
		return Programme{}, fishpond.Invalid("项目信息有误 / invalid programme", f)
	}
	pr := Programme{ID: newID(), FundID: in.FundID, Area: in.Area, Kind: in.Kind, Name: in.Name, Rule: in.Rule, Capacity: in.Capacity,
		StartsOn: start.Format(time.DateOnly), EndsOn: end.Format(time.DateOnly), PieceRate: in.PieceRate, Counties: counties, CreatedBy: p.UserID}
	rule, _ := json.Marshal(pr.Rule)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := loadFund(ctx, tx, in.FundID); err != nil {
			return fishpond.Invalid("基金不存在 / no such fund", map[string]string{"fund_id": "unknown fund"})
		}
		now := s.now()
		pr.CreatedAt = now
		_, err := tx.ExecContext(ctx, `INSERT INTO fund_programmes (id, fund_id, area, kind, name, rule, capacity, starts_on, ends_on, piece_rate, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, pr.ID, pr.FundID, pr.Area, pr.Kind, pr.Name, string(rule), pr.Capacity, pr.StartsOn, pr.EndsOn,
			int64(pr.PieceRate), pr.CreatedBy, db.FormatTime(now))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "该基金已有同名项目 / the fund has a programme named %s", pr.Name)
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		for _, c := range counties {
			if _, err := tx.ExecContext(ctx, "INSERT INTO fund_programme_counties (programme_id, county_code) VALUES (?, ?)", pr.ID, c); err != nil {
				return fishpond.Internal(err)
			}
		}
		return nil
	})
	if err != nil {
		return Programme{}, err
	}
	return pr, nil
}

const programmeColumns = "id, fund_id, area, kind, name, rule, capacity, starts_on, ends_on, piece_rate, created_by, created_at FROM fund_programmes"

func scanProgramme(sc interface{ Scan(...any) error }) (Programme, error) {
	var pr Programme
	var rule, created string
	var rate int64
	if err := sc.Scan(&pr.ID, &pr.FundID, &pr.Area, &pr.Kind, &pr.Name, &rule, &pr.Capacity, &pr.StartsOn, &pr.EndsOn, &rate, &pr.CreatedBy, &created); err != nil {
		return pr, err
	}
	pr.PieceRate, pr.CreatedAt = fishpond.Money(rate), db.MustTime(created)
	if err := json.Unmarshal([]byte(rule), &pr.Rule); err != nil {
		return pr, err
	}
	return pr, nil
}

func loadProgramme(ctx context.Context, q db.Querier, id string) (Programme, error) {
	pr, err := scanProgramme(q.QueryRowContext(ctx, "SELECT "+programmeColumns+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Programme{}, notFound("项目不存在 / programme not found")
	}
	if err != nil {
		return Programme{}, fishpond.Internal(err)
	}
	rows, err := q.QueryContext(ctx, "SELECT county_code FROM fund_programme_counties WHERE programme_id = ? ORDER BY county_code", id)
	if err != nil {
		return Programme{}, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return Programme{}, fishpond.Internal(err)
		}
		pr.Counties = append(pr.Counties, c)
	}
	return pr, rows.Err()
}

// canSeeProgramme: fund staff see every programme; county-scoped roles those
// working in one of their counties.
func canSeeProgramme(p fishpond.Principal, pr Programme) bool {
	if canRead(p) {
		return true
	}
	for _, c := range pr.Counties {
		if p.Role.CountyScoped() && p.CanSeeCounty(c) {
			return true
		}
	}
	return false
}

// Programme returns one programme the principal may see.
func (s *Service) Programme(ctx context.Context, p fishpond.Principal, id string) (Programme, error) {
	pr, err := loadProgramme(ctx, s.db.Read(), id)
	if err != nil {
		return Programme{}, err
	}
	if !canSeeProgramme(p, pr) {
		return Programme{}, notFound("项目不存在 / programme not found")
	}
	return pr, nil
}

// Programmes lists the programmes the principal may see ("" fund: every fund's).
func (s *Service) Programmes(ctx context.Context, p fishpond.Principal, fundID string) ([]Programme, error) {
	q := "SELECT id FROM fund_programmes"
	var args []any
	if fundID != "" {
		q, args = q+" WHERE fund_id = ?", append(args, fundID)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY area, name", args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Programme
	for _, id := range ids {
		pr, err := loadProgramme(ctx, s.db.Read(), id)
		if err != nil {
			return nil, err
		}
		if canSeeProgramme(p, pr) {
			out = append(out, pr)
		}
	}
	return out, nil
}
