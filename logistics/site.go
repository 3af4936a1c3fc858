package logistics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// SiteKind tells a county warehouse from a village or town station.
type SiteKind string

// The kinds of site.
const (
	Warehouse SiteKind = "warehouse"
	Station   SiteKind = "station"
)

// Site is a county warehouse or a village station.
type Site struct {
	ID        string
	Kind      SiteKind
	County    string
	Name      string
	Town      string
	LatE6     int64 // latitude in micro-degrees
	LngE6     int64
	AltitudeM int64
	// OperatorHousehold is the registered household running a station ("" for a
	// warehouse or a station run by staff); it is paid PayPerParcel per parcel.
	OperatorHousehold string
	PayPerParcel      fishpond.Money
	Opens, Closes     string // "08:00"
	Capacity          int64  // parcels it can hold at once
	Poverty           bool   // in a national poverty county
	CreatedAt         time.Time
}

// SiteInput is what an officer registers.
type SiteInput struct {
	Kind              SiteKind
	County            string
	Name              string
	Town              string
	LatE6, LngE6      int64
	AltitudeM         int64
	OperatorHousehold string
	PayPerParcel      fishpond.Money
	Opens, Closes     string
	Capacity          int64
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Bounds of a site's inputs: China lies within these coordinates, and the highest
// inhabited places are below 5,500 m.
const (
	MaxPayPerParcel = fishpond.Money(10_00)
	maxCapacity     = 1_000_000
)

func (in *SiteInput) validate() map[string]string {
	f := map[string]string{}
	in.Name, in.Town, in.County = strings.TrimSpace(in.Name), strings.TrimSpace(in.Town), strings.TrimSpace(in.County)
	if in.Kind != Warehouse && in.Kind != Station {
		f["kind"] = "warehouse 或 station / warehouse or station"
	}
	if len(in.County) != 6 {
		f["county"] = "6位县级区划代码 / a 6-digit county code"
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		f["name"] = "必填，最多60字 / required, at most 60 characters"
	}
	if utf8.RuneCountInString(in.Town) > 60 {
		f["town"] = "最多60字 / at most 60 characters"
	}
	if in.LatE6 < 3_000_000 || in.LatE6 > 54_000_000 {
		f["lat"] = "纬度须在中国境内（3°–54°N）/ latitude must lie in China (3°–54° N)"
	}
	if in.LngE6 < 73_000_000 || in.LngE6 > 136_000_000 {
		f["lng"] = "经度须在中国境内（73°–136°E）/ longitude must lie in China (73°–136° E)"
	}
	if in.AltitudeM < -200 || in.AltitudeM > 5500 {
		f["altitude_m"] = "海拔须在-200到5500米之间 / altitude must be −200 to 5,500 m"
	}
	if !hhmm.MatchString(in.Opens) {
		f["opens"] = "格式 HH:MM / format HH:MM"
	}
	if !hhmm.MatchString(in.Closes) {
		f["closes"] = "格式 HH:MM / format HH:MM"
	} else if hhmm.MatchString(in.Opens) && in.Closes <= in.Opens {
		f["closes"] = "须晚于开门时间 / must be after opening time"
	}
	if in.Capacity <= 0 || in.Capacity > maxCapacity {
		f["capacity"] = fmt.Sprintf("1到%d件 / 1–%d parcels", maxCapacity, maxCapacity)
	}
	if in.PayPerParcel < 0 || in.PayPerParcel > MaxPayPerParcel {
		f["pay_per_parcel_fen"] = fmt.Sprintf("0到%s元 / 0–%s yuan", MaxPayPerParcel, MaxPayPerParcel)
	}
	if in.Kind == Warehouse && in.OperatorHousehold != "" {
		f["operator_household"] = "县级仓由工作人员运营 / warehouses are run by staff, not households"
	}
	if in.PayPerParcel > 0 && in.OperatorHousehold == "" {
		f["pay_per_parcel_fen"] = "只有由登记户运营的服务站按件计酬 / only stations run by a registered household are paid per parcel"
	}
	return f
}

// OpenSite registers a warehouse or station. Admins and the county's officers may;
// a station's operator must be a registered household of the same county.
func (s *Store) OpenSite(ctx context.Context, p fishpond.Principal, in SiteInput) (Site, error) {
	if f := in.validate(); len(f) > 0 {
		return Site{}, fishpond.Invalid("站点信息有误 invalid site", f)
	}
	if !p.CanEditRegistry(in.County) {
		return Site{}, fishpond.Errorf(fishpond.EForbidden, "只有管理员和本县干部可以开设站点 only admins and the county's officers may open sites")
	}
	site := Site{ID: newID(), Kind: in.Kind, County: in.County, Name: in.Name, Town: in.Town, LatE6: in.LatE6, LngE6: in.LngE6, AltitudeM: in.AltitudeM,
		OperatorHousehold: in.OperatorHousehold, PayPerParcel: in.PayPerParcel, Opens: in.Opens, Closes: in.Closes, Capacity: in.Capacity, CreatedAt: s.now()}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var poverty int
		if err := tx.QueryRowContext(ctx, "SELECT poverty FROM counties WHERE code = ?", in.County).Scan(&poverty); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return invalid("站点信息有误 invalid site", "county", "没有该县 / no such county")
			}
			return err
		}
		site.Poverty = poverty == 1
		if in.OperatorHousehold != "" {
			var hc string
			err := tx.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", in.OperatorHousehold).Scan(&hc)
			if err != nil || hc != in.County {
				return invalid("站点信息有误 invalid site", "operator_household", "须为本县的登记户 / must be a registered household of this county")
			}
			if _, err := ledger.EnsureHouseholdAccounts(ctx, tx, in.OperatorHousehold); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO logistics_sites (id, kind, county_code, name, town, lat_e6, lng_e6, altitude_m, operator_household, pay_per_parcel, opens, closes, capacity, poverty, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			site.ID, string(site.Kind), site.County, site.Name, site.Town, site.LatE6, site.LngE6, site.AltitudeM, site.OperatorHousehold, int64(site.PayPerParcel),
			site.Opens, site.Closes, site.Capacity, boolInt(site.Poverty), db.FormatTime(site.CreatedAt))
		if err != nil {
			if db.IsUniqueViolation(err) {
				return fishpond.Invalid("站点已存在 site exists", map[string]string{"name": "本县已有同名站点 / the county already has a site of this kind and name"})
			}
			return err
		}
		return events.Append(ctx, tx, site.CreatedAt, events.Event{Type: "logistics." + string(site.Kind) + ".opened", Subject: site.ID, CountyCode: site.County,
			Payload: siteOpened{SiteID: site.ID, Kind: string(site.Kind), County: site.County, PovertyCounty: site.Poverty, AltitudeM: site.AltitudeM, Capacity: site.Capacity, HouseholdRun: site.OperatorHousehold != ""}})
	})
	if err != nil {
		return Site{}, internal(err)
	}
	return site, nil
}

// siteOpened is the payload of logistics.station.opened and logistics.warehouse.opened.
type siteOpened struct {
	SiteID        string `json:"site_id"`
	Kind          string `json:"kind"`
	County        string `json:"county_code"`
	PovertyCounty bool   `json:"poverty_county"`
	AltitudeM     int64  `json:"altitude_m"`
	Capacity      int64  `json:"capacity"`
	HouseholdRun  bool   `json:"household_run"`
}

const siteColumns = "id, kind, county_code, name, town, lat_e6, lng_e6, altitude_m, operator_household, pay_per_parcel, opens, closes, capacity, poverty, created_at FROM logistics_sites"

func scanSite(row interface{ Scan(...any) error }) (Site, error) {
	var st Site
	var kind, created string
	var pay int64
	var poverty int
	err := row.Scan(&st.ID, &kind, &st.County, &st.Name, &st.Town, &st.LatE6, &st.LngE6, &st.AltitudeM, &st.OperatorHousehold, &pay, &st.Opens, &st.Closes, &st.Capacity, &poverty, &created)
	st.Kind, st.PayPerParcel, st.Poverty, st.CreatedAt = SiteKind(kind), fishpond.Money(pay), poverty == 1, parseTime(created)
	return st, err
}

func loadSite(ctx context.Context, q db.Querier, id string) (Site, error) {
	st, err := scanSite(q.QueryRowContext(ctx, "SELECT "+siteColumns+" WHERE id = ?", id))
	if err != nil {
		return Site{}, db.NotFound(err, "没有该站点 no such site")
	}
	return st, nil
}

// Site reads one site. Sites are public facts (a station's name and place are on
// its door), so any principal may read them; the operator is an id, not a name.
func (s *Store) Site(ctx context.Context, id string) (Site, error) {
	return loadSite(ctx, s.db.Read(), id)
}

// SiteFilter narrows Sites.
type SiteFilter struct {
	County string   // "" for all
	Kind   SiteKind // "" for both
	// OperatorHousehold lists the stations a household runs.
	OperatorHousehold string
}

// Sites lists sites by county, kind and name.
func (s *Store) Sites(ctx context.Context, f SiteFilter) ([]Site, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.County != "" {
		where, args = append(where, "county_code = ?"), append(args, f.County)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if f.OperatorHousehold != "" {
		where, args = append(where, "operator_household = ?"), append(args, f.OperatorHousehold)
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+siteColumns+" WHERE "+strings.Join(where, " AND ")+" ORDER BY county_code, kind DESC, name, id", args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Site
	for rows.Next() {
		st, err := scanSite(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, st)
	}
	return out, internal(rows.Err())
}

// CanOperate reports whether p may scan parcels at the site: admins, the county's
// officers, and the household running the station.
func CanOperate(p fishpond.Principal, st Site) bool {
	if p.Role == fishpond.RoleAdmin {
		return true
	}
	if p.Role == fishpond.RoleCountyOfficer && p.CanSeeCounty(st.County) {
		return true
	}
	return p.Role == fishpond.RoleHousehold && st.OperatorHousehold != "" && p.HouseholdID == st.OperatorHousehold
}

func (s *Store) operableSite(ctx context.Context, q db.Querier, p fishpond.Principal, id string) (Site, error) {
	if id == "" {
		return Site{}, invalid("请选择站点 choose a site", "site_id", "必填 / required")
	}
	st, err := loadSite(ctx, q, id)
	if err != nil {
		return Site{}, err
	}
	if !CanOperate(p, st) {
		return Site{}, fishpond.Errorf(fishpond.EForbidden, "你不是该站点的操作员 you do not operate this site")
	}
	return st, nil
}
