package sensing

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"fishpond"
	"fishpond/internal/db"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Site is a field, barn or hive (apiary) with sensors. Owner is a market
// cooperative or a registered household; the county is the owner's.
type Site struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	CountyCode  string    `json:"county_code"`
	OwnerKind   string    `json:"owner_kind"`
	OwnerID     string    `json:"owner_id"`
	Crop        string    `json:"crop,omitempty"`
	AreaMu      float64   `json:"area_mu,omitempty"`
	HeadCount   int64     `json:"head_count,omitempty"`
	FarmFieldID string    `json:"farm_field_id,omitempty"`
	WebhookURL  string    `json:"webhook_url,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	manager     string    // the coop's manager user id, for scope
}

// NewSite is what CreateSite needs.
type NewSite struct {
	Name       string  `json:"name"`
	Kind       string  `json:"kind"`
	OwnerKind  string  `json:"owner_kind"`
	OwnerID    string  `json:"owner_id"`
	Crop       string  `json:"crop"`
	AreaMu     float64 `json:"area_mu"`
	HeadCount  int64   `json:"head_count"`
	WebhookURL string  `json:"webhook_url"`
}

// canSee: admins and fund staff everything; county-scoped roles their counties;
// a household its own sites.
func canSee(p fishpond.Principal, s Site) bool {
	if p.Role == fishpond.RoleHousehold {
		return s.OwnerKind == "household" && p.HouseholdID != "" && s.OwnerID == p.HouseholdID
	}
	return p.CanSeeCounty(s.CountyCode)
}

// canManage: who may add devices, rules' effects and harvest records to a site.
func canManage(p fishpond.Principal, s Site) bool {
	switch p.Role {
	case fishpond.RoleAdmin:
		return true
	case fishpond.RoleCountyOfficer:
		return slices.Contains(p.Counties, s.CountyCode)
	case fishpond.RoleCoopManager:
		return s.OwnerKind == "coop" && s.manager == p.UserID
	case fishpond.RoleHousehold:
		return s.OwnerKind == "household" && s.OwnerID == p.HouseholdID
	}
	return false
}

// CreateSite registers a site for an owner the caller may manage.
func (s *Service) CreateSite(ctx context.Context, p fishpond.Principal, in NewSite) (Site, error) {
	in.Name = strings.TrimSpace(in.Name)
	f := map[string]string{}
	if in.Name == "" || len([]rune(in.Name)) > 60 {
		f["name"] = "1–60 characters"
	}
	if !slices.Contains(SiteKinds, in.Kind) {
		f["kind"] = "one of field, barn, hive"
	}
	if in.OwnerKind != "coop" && in.OwnerKind != "household" {
		f["owner_kind"] = "coop or household"
	}
	if in.AreaMu < 0 || in.AreaMu > 1e6 {
		f["area_mu"] = "between 0 and 1,000,000"
	}
	if in.HeadCount < 0 || in.HeadCount > 1e7 {
		f["head_count"] = "between 0 and 10,000,000"
	}
	if in.Kind == "field" && in.AreaMu == 0 {
		f["area_mu"] = "a field needs its area in mu"
	}
	if err := checkWebhook(in.WebhookURL); err != "" {
		f["webhook_url"] = err
	}
	if len(f) > 0 {
		return Site{}, fishpond.Invalid("invalid site / 站点信息有误", f)
	}
	site := Site{ID: newID(), Name: in.Name, Kind: in.Kind, OwnerKind: in.OwnerKind, OwnerID: in.OwnerID, Crop: strings.TrimSpace(in.Crop),
		AreaMu: in.AreaMu, HeadCount: in.HeadCount, WebhookURL: in.WebhookURL, CreatedAt: s.now()}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if in.OwnerKind == "coop" {
			err = tx.QueryRowContext(ctx, "SELECT county_code, manager_user_id FROM market_coops WHERE id = ?", in.OwnerID).Scan(&site.CountyCode, &site.manager)
		} else {
			err = tx.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", in.OwnerID).Scan(&site.CountyCode)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return fishpond.Invalid("unknown owner / 所有者不存在", map[string]string{"owner_id": "no such " + in.OwnerKind})
		}
		if err != nil {
			return err
		}
		if !canManage(p, site) {
			return fishpond.Errorf(fishpond.EForbidden, "you cannot register sites for this owner / 无权为该所有者登记站点")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sensing_sites (id, name, kind, county_code, owner_kind, owner_id, crop, area_mu, head_count, webhook_url, webhook_secret, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, site.ID, site.Name, site.Kind, site.CountyCode, site.OwnerKind, site.OwnerID, site.Crop,
			site.AreaMu, site.HeadCount, site.WebhookURL, randomSecret(), db.FormatTime(site.CreatedAt))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "this owner already has a site named %q / 该所有者已有同名站点", site.Name)
		}
		return err
	})
	return site, err
}

func checkWebhook(u string) string {
	if u == "" {
		return ""
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return "an http(s) URL"
	}
	return ""
}

const siteCols = "s.id, s.name, s.kind, s.county_code, s.owner_kind, s.owner_id, s.crop, s.area_mu, s.head_count, s.farm_field_id, s.webhook_url, s.created_at, COALESCE(c.manager_user_id, '')"
const siteFrom = " FROM sensing_sites s LEFT JOIN market_coops c ON s.owner_kind = 'coop' AND c.id = s.owner_id"

func scanSite(sc interface{ Scan(...any) error }) (Site, error) {
	var st Site
	var created string
	err := sc.Scan(&st.ID, &st.Name, &st.Kind, &st.CountyCode, &st.OwnerKind, &st.OwnerID, &st.Crop, &st.AreaMu, &st.HeadCount, &st.FarmFieldID, &st.WebhookURL, &created, &st.manager)
	if err == nil {
		st.CreatedAt, err = db.ParseTime(created)
	}
	return st, err
}

// Site returns a site the caller can see; others are not found.
func (s *Service) Site(ctx context.Context, p fishpond.Principal, id string) (Site, error) {
	st, err := scanSite(s.db.Read().QueryRowContext(ctx, "SELECT "+siteCols+siteFrom+" WHERE s.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !canSee(p, st)) {
		return Site{}, fishpond.Errorf(fishpond.ENotFound, "site not found / 站点不存在")
	}
	return st, err
}

// Sites lists the sites the caller can see, by county and name.
func (s *Service) Sites(ctx context.Context, p fishpond.Principal) ([]Site, error) {
	q := "SELECT " + siteCols + siteFrom
	var args []any
	switch {
	case p.Role == fishpond.RoleHousehold:
		q += " WHERE s.owner_kind = 'household' AND s.owner_id = ?"
		args = append(args, p.HouseholdID)
	case p.SeesAllCounties():
	case p.Role.CountyScoped() && len(p.Counties) > 0:
		q += " WHERE s.county_code IN (" + db.Placeholders(len(p.Counties)) + ")"
		for _, c := range p.Counties {
			args = append(args, c)
		}
	default:
		return nil, nil
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY s.county_code, s.name, s.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Site
	for rows.Next() {
		st, err := scanSite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// CanManage reports whether the caller may change the site (pages show forms by it).
func CanManage(p fishpond.Principal, st Site) bool { return canManage(p, st) }
