package green

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"

	"github.com/google/uuid"
)

// Project kinds.
const (
	ProjectTree = "tree" // trees planted per redeemed certificate
	ProjectArea = "area" // square metres of a protected area adopted
)

// Project is a tree-planting project or a protected area in a poverty county.
type Project struct {
	ID         string
	Kind       string
	CountyCode string
	CountyName string
	Name       string
	Species    string // tree species, or what the area protects
	Partner    string // partner organisation that plants or guards
	Place      string // where, in words (town, village, site)
	Lat, Lon   float64
	PriceG     int64 // energy per tree, or per m2
	Capacity   int64 // trees to plant, or m2 available
	Redeemed   int64 // trees redeemed, or m2 adopted
	Planted    int64 // trees planted with verified evidence
	Checked    int64 // trees checked in survival audits
	Survived   int64 // of those, alive
	// SurvivalTargetBp is the share of trees that must survive (basis points).
	SurvivalTargetBp int64
	// SeasonFrom and SeasonTo are the planting months (1–12; may wrap the year).
	SeasonFrom, SeasonTo int
	PlantingWage         fishpond.Money // per tree planted
	GuardingWage         fishpond.Money // per day guarded
	CreatedAt            time.Time
}

// SurvivalBp is the audited survival rate in basis points (0 when nothing checked).
func (p Project) SurvivalBp() int64 {
	if p.Checked == 0 {
		return 0
	}
	return p.Survived * 10000 / p.Checked
}

// InSeason reports whether month m falls in the planting season.
func (p Project) InSeason(m time.Month) bool {
	if p.SeasonFrom <= p.SeasonTo {
		return int(m) >= p.SeasonFrom && int(m) <= p.SeasonTo
	}
	return int(m) >= p.SeasonFrom || int(m) <= p.SeasonTo
}

// CanManage reports whether p may run the project: assign jobs, verify work, audit.
func CanManage(p fishpond.Principal, countyCode string) bool {
	return p.Role == fishpond.RoleAdmin || (p.Role == fishpond.RoleCountyOfficer && p.CanSeeCounty(countyCode))
}

// ProjectInput is what creating a project takes.
type ProjectInput struct {
	Kind, CountyCode, Name, Species, Partner, Place string
	Lat, Lon                                        float64
	PriceG, Capacity, SurvivalTargetBp              int64
	SeasonFrom, SeasonTo                            int
	PlantingWage, GuardingWage                      fishpond.Money
}

func (in *ProjectInput) validate() map[string]string {
	f := map[string]string{}
	in.Name, in.Species, in.Partner, in.Place = strings.TrimSpace(in.Name), strings.TrimSpace(in.Species), strings.TrimSpace(in.Partner), strings.TrimSpace(in.Place)
	if in.Kind != ProjectTree && in.Kind != ProjectArea {
		f["kind"] = "tree 或 area tree or area"
	}
	text := map[string]string{"name": in.Name, "species": in.Species, "partner": in.Partner, "place": in.Place}
	for k, v := range text {
		if v == "" || utf8.RuneCountInString(v) > 100 {
			f[k] = "必填，最多100字 required, at most 100 characters"
		}
	}
	if math.IsNaN(in.Lat) || in.Lat < 18 || in.Lat > 54 || math.IsNaN(in.Lon) || in.Lon < 73 || in.Lon > 135 {
		f["location"] = "须在中国境内的经纬度 latitude and longitude within China"
	}
	if in.PriceG <= 0 || in.PriceG > 10_000_000 {
		f["price_g"] = "每棵树或每平方米所需能量（克） energy per tree or m2, in grams"
	}
	if in.Capacity <= 0 || in.Capacity > 1_000_000_000 {
		f["capacity"] = "计划种植棵数或可认领面积 trees to plant or m2 available"
	}
	if in.SurvivalTargetBp < 0 || in.SurvivalTargetBp > 10000 {
		f["survival_target_bp"] = "0 至 10000 from 0 to 10000"
	}
	if in.SeasonFrom < 1 || in.SeasonFrom > 12 || in.SeasonTo < 1 || in.SeasonTo > 12 {
		f["season"] = "月份 1 至 12 months 1 to 12"
	}
	if in.PlantingWage < 0 || in.GuardingWage < 0 || in.PlantingWage > fishpond.Yuan(10000) || in.GuardingWage > fishpond.Yuan(10000) {
		f["wage"] = "工资不能为负 wages cannot be negative"
	}
	if in.Kind == ProjectTree && in.PlantingWage == 0 {
		f["planting_wage"] = "植树项目须支付种植工资 a tree project pays planters"
	}
	return f
}

// CreateProject opens a project in a national poverty county. Admins and the
// county's officers may.
func (s *Service) CreateProject(ctx context.Context, p fishpond.Principal, in ProjectInput) (Project, error) {
	f := in.validate()
	if len(f) > 0 {
		return Project{}, fishpond.Invalid("项目信息无效 invalid project", f)
	}
	c, err := s.registry.County(ctx, in.CountyCode)
	if err != nil {
		return Project{}, err
	}
	if !c.Poverty {
		return Project{}, fishpond.Invalid("项目须在国家级贫困县 projects are in national poverty counties", map[string]string{"county_code": c.Name + " 不是国家级贫困县 is not a national poverty county"})
	}
	if !CanManage(p, c.Code) {
		return Project{}, fishpond.Errorf(fishpond.EForbidden, "只有该县的项目官员可以创建项目 only the county's officers may create projects")
	}
	pr := Project{ID: uuid.Must(uuid.NewV7()).String(), Kind: in.Kind, CountyCode: c.Code, CountyName: c.Name, Name: in.Name, Species: in.Species,
		Partner: in.Partner, Place: in.Place, Lat: round6(in.Lat), Lon: round6(in.Lon), PriceG: in.PriceG, Capacity: in.Capacity,
		SurvivalTargetBp: in.SurvivalTargetBp, SeasonFrom: in.SeasonFrom, SeasonTo: in.SeasonTo, PlantingWage: in.PlantingWage, GuardingWage: in.GuardingWage,
		CreatedAt: s.now()}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO green_projects (id, kind, county_code, name, species, partner, place, lat_e6, lon_e6, price_g, capacity,
			survival_target_bp, season_from, season_to, planting_wage_fen, guarding_wage_fen, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			pr.ID, pr.Kind, pr.CountyCode, pr.Name, pr.Species, pr.Partner, pr.Place, e6(pr.Lat), e6(pr.Lon), pr.PriceG, pr.Capacity,
			pr.SurvivalTargetBp, pr.SeasonFrom, pr.SeasonTo, int64(pr.PlantingWage), int64(pr.GuardingWage), p.UserID, db.FormatTime(pr.CreatedAt))
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
	return pr, err
}

func e6(x float64) int64       { return int64(math.Round(x * 1e6)) }
func fromE6(x int64) float64   { return float64(x) / 1e6 }
func round6(x float64) float64 { return fromE6(e6(x)) }

const projectColumns = `id, kind, county_code, name, species, partner, place, lat_e6, lon_e6, price_g, capacity, redeemed, planted, checked, survived,
	survival_target_bp, season_from, season_to, planting_wage_fen, guarding_wage_fen, created_at`

func scanProject(row interface{ Scan(...any) error }) (Project, error) {
	var p Project
	var lat, lon, pw, gw int64
	var at string
	err := row.Scan(&p.ID, &p.Kind, &p.CountyCode, &p.Name, &p.Species, &p.Partner, &p.Place, &lat, &lon, &p.PriceG, &p.Capacity, &p.Redeemed,
		&p.Planted, &p.Checked, &p.Survived, &p.SurvivalTargetBp, &p.SeasonFrom, &p.SeasonTo, &pw, &gw, &at)
	p.Lat, p.Lon, p.PlantingWage, p.GuardingWage, p.CreatedAt = fromE6(lat), fromE6(lon), fishpond.Money(pw), fishpond.Money(gw), db.MustTime(at)
	return p, err
}

// Project returns a project; projects are public (they carry no personal data).
func (s *Service) Project(ctx context.Context, id string) (Project, error) {
	p, err := loadProject(ctx, s.db.Read(), id, "")
	if err != nil {
		return p, err
	}
	s.countyName(ctx, &p)
	return p, nil
}

func loadProject(ctx context.Context, q db.Querier, id, suffix string) (Project, error) {
	p, err := scanProject(q.QueryRowContext(ctx, "SELECT "+projectColumns+" FROM green_projects WHERE id = ?"+suffix, id))
	if err != nil {
		return p, db.NotFound(err, "项目 %s 不存在 project %s not found", id, id)
	}
	return p, nil
}

func (s *Service) countyName(ctx context.Context, p *Project) {
	if c, err := s.registry.County(ctx, p.CountyCode); err == nil {
		p.CountyName = c.Name
	}
}

// Projects lists projects, newest first, optionally of one county.
func (s *Service) Projects(ctx context.Context, county string) ([]Project, error) {
	q := "SELECT " + projectColumns + " FROM green_projects"
	var args []any
	if county != "" {
		q += " WHERE county_code = ?"
		args = append(args, county)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY created_at DESC, id LIMIT 200", args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var out []Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		out = append(out, p)
	}
	rows.Close()
	for i := range out {
		s.countyName(ctx, &out[i])
	}
	return out, rows.Err()
}

// unit is how a project's quantities read.
func (p Project) unit() string {
	if p.Kind == ProjectArea {
		return "m2"
	}
	return "trees"
}

func (p Project) String() string { return fmt.Sprintf("%s (%s, %s)", p.Name, p.CountyCode, p.unit()) }
