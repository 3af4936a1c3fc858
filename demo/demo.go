// Package demo loads the demo dataset behind `fishpond demo`: the real divisions and
// poverty counties, villages and about 2,000 synthetic registered households in
// three real poverty counties (one each in the east, centre and west), and one
// account per role. It sits above the capabilities and uses only their public API.
package demo

import (
	"context"
	"fmt"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/credit"
	"fishpond/farms"
	"fishpond/fund"
	"fishpond/green"
	"fishpond/insurance"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/live"
	"fishpond/logistics"
	"fishpond/market"
	"fishpond/partners"
	"fishpond/registry"
	"fishpond/sensing"
)

// Login is a demo account, printed at start and shown on the login page.
type Login struct{ Name, Password, Role, Note string }

// Progress reports a stage of loading; done of total units.
type Progress func(stage string, done, total int)

// county is one demo county with real town and village names.
type county struct {
	code     string
	villages [][2]string // town, village
	n        int
	seed     int64
}

// The demo counties are real national poverty counties; the villages named are
// real places known from the poverty-alleviation campaign. The households are
// synthetic.
var counties = []county{
	{"130624", [][2]string{{"龙泉关镇", "骆驼湾村"}, {"龙泉关镇", "顾家台村"}, {"城南庄镇", "城南庄村"}, {"城南庄镇", "井沟村"}, {"阜平镇", "法华村"}, {"平阳镇", "各老村"}}, 700, 130624},
	{"410225", [][2]string{{"东坝头乡", "张庄村"}, {"东坝头乡", "东坝头村"}, {"堌阳镇", "徐场村"}, {"葡萄架乡", "赵垛楼村"}, {"仪封乡", "代庄村"}}, 600, 410225},
	{"622926", [][2]string{{"锁南镇", "布楞沟村"}, {"锁南镇", "红柳村"}, {"达板镇", "中心村"}, {"那勒寺镇", "那勒寺村"}, {"高山乡", "高山村"}, {"龙泉镇", "拱北湾村"}}, 700, 622926},
}

// Logins are the demo accounts. The passwords are public on purpose: this is a demo.
func Logins() []Login {
	return []Login{
		{"admin", "fishpond-admin", string(fishpond.RoleAdmin), "全部权限 / everything"},
		{"fuping", "fishpond-demo", string(fishpond.RoleCountyOfficer), "阜平县 130624"},
		{"lankao", "fishpond-demo", string(fishpond.RoleCountyOfficer), "兰考县 410225"},
		{"dongxiang", "fishpond-demo", string(fishpond.RoleCountyOfficer), "东乡族自治县 622926"},
		{"fund", "fishpond-demo", string(fishpond.RoleFundAdmin), "基金 / fund"},
		{"auditor", "fishpond-demo", string(fishpond.RoleAuditor), "阜平县、兰考县 audit"},
		{"farmer", "fishpond-demo", string(fishpond.RoleHousehold), "骆驼湾村的一户 / one household"},
		{"consumer", "fishpond-demo", string(fishpond.RoleConsumer), "城市消费者 / urban consumer"},
		{"coop", "fishpond-demo", string(fishpond.RoleCoopManager), "骆驼湾小米合作社 / millet cooperative"},
		{"ngo", "fishpond-demo", string(fishpond.RolePartner), "合作公益机构 / partner NGO"},
	}
}

// Empty reports whether the database holds no households and no users yet, the
// condition under which `fishpond demo` loads data.
func Empty(ctx context.Context, d *db.DB) (bool, error) {
	var n int
	err := d.Read().QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM households) + (SELECT COUNT(*) FROM users)").Scan(&n)
	return n == 0, err
}

// Deps are the capabilities the demo loads data through.
type Deps struct {
	Registry *registry.Store
	Access   *access.Service
	Ledger   *ledger.Ledger
	Assessor *assess.Assessor
	Market   *market.Store
	Partners *partners.Service

	Logistics *logistics.Store
	Farms     *farms.Service

	Credit    *credit.Service    // optional: the microcredit step runs when set
	Insurance *insurance.Service // optional: the insurance step runs when set
	Fund      *fund.Service
	Green     *green.Service
	Sensing   *sensing.Service
	Live      *live.Service
	DB        *db.DB // the report step writes generated history and aggregates
}

// Loaded is what the foundation's part of the demo created, for the capability
// steps that build on it.
type Loaded struct {
	// Households are the demo's registered households, in creation order.
	Households []Household
	// FarmerHousehold is the household of the "farmer" demo login.
	FarmerHousehold string
}

// Household is one demo household: its id, county code and size.
type Household struct {
	ID, County string
	Size       int
}

// step is one capability's part of the demo, run after the foundation's in
// registration order. A step whose capability is missing from Deps does nothing,
// so a capability's own test can load the demo with only what it needs. A capability's demo file adds its step from an init
// function, so adding a capability does not touch Load.
type step struct {
	name string
	run  func(ctx context.Context, d Deps, l Loaded) error
}

var steps []step

// Load creates the demo dataset: places, households, two years of income through
// the ledger, assessments for 2019 and 2020, an audit, the demo accounts, the demo
// shops with their products, then each capability's step. It is meant for an
// empty database.
func Load(ctx context.Context, d Deps, progress Progress) error {
	reg, acc, led, asr, m := d.Registry, d.Access, d.Ledger, d.Assessor, d.Market
	if progress == nil {
		progress = func(string, int, int) {}
	}
	progress("places", 0, 1)
	if _, _, _, err := reg.LoadPlaces(ctx); err != nil {
		return fmt.Errorf("load places: %w", err)
	}
	progress("places", 1, 1)

	total := 0
	for _, c := range counties {
		total += c.n
	}
	done := 0
	var farmerHousehold string
	var hs []household
	for _, c := range counties {
		cty, err := reg.County(ctx, c.code)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(c.villages))
		for _, v := range c.villages {
			vil, err := reg.CreateVillage(ctx, fishpond.System, c.code, v[0], v[1])
			if err != nil {
				return fmt.Errorf("village %s: %w", v[1], err)
			}
			names = append(names, vil.ID)
		}
		for _, in := range registry.Synthesize(c.seed, cty, names, c.n) {
			h, err := reg.CreateHousehold(ctx, fishpond.System, in)
			if err != nil {
				return fmt.Errorf("household %s in %s: %w", in.Number, c.code, err)
			}
			if farmerHousehold == "" {
				farmerHousehold = h.ID
			}
			hs = append(hs, household{id: h.ID, county: c.code, size: len(in.Members), cause: in.PovertyCause})
			done++
			if done%50 == 0 || done == total {
				progress("households", done, total)
			}
		}
	}

	if err := loadIncome(ctx, led, asr, hs, progress); err != nil {
		return err
	}
	if err := loadAudit(ctx, asr); err != nil {
		return fmt.Errorf("audit: %w", err)
	}

	users := Logins()
	for i, l := range users {
		if l.Role == string(fishpond.RolePartner) {
			continue // created with its organisation by the partners step
		}
		nu := access.NewUser{Name: l.Name, Role: fishpond.Role(l.Role), Password: l.Password}
		switch l.Name {
		case "admin":
			nu.DisplayName = "系统管理员"
		case "fuping":
			nu.DisplayName, nu.Counties = "阜平县扶贫办", []string{"130624"}
		case "lankao":
			nu.DisplayName, nu.Counties = "兰考县扶贫办", []string{"410225"}
		case "dongxiang":
			nu.DisplayName, nu.Counties = "东乡县扶贫办", []string{"622926"}
		case "fund":
			nu.DisplayName = "公益基金"
		case "auditor":
			nu.DisplayName, nu.Counties = "第三方评估组", []string{"130624", "410225"}
		case "farmer":
			nu.DisplayName, nu.HouseholdID = "骆驼湾农户", farmerHousehold
		case "consumer":
			nu.DisplayName = "城市消费者"
		case "coop":
			nu.DisplayName, nu.Counties = "骆驼湾小米合作社", []string{"130624"}
		}
		if _, err := acc.CreateUser(ctx, fishpond.System, nu); err != nil {
			return fmt.Errorf("user %s: %w", l.Name, err)
		}
		progress("users", i+1, len(users))
	}
	progress("market", 0, 1)
	if err := loadMarket(ctx, m, acc, hs, farmerHousehold); err != nil {
		return fmt.Errorf("market: %w", err)
	}
	progress("market", 1, 1)
	l := Loaded{FarmerHousehold: farmerHousehold}
	for _, h := range hs {
		l.Households = append(l.Households, Household{ID: h.id, County: h.county, Size: h.size})
	}
	for _, st := range steps {
		progress(st.name, 0, 1)
		if err := st.run(ctx, d, l); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		progress(st.name, 1, 1)
	}
	return nil
}
