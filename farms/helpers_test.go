package farms

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
)

const county = "130624" // 阜平县, a national poverty county

var (
	ctx     = context.Background()
	admin   = fishpond.System
	manager = fishpond.Principal{UserID: "u-coop", Name: "社长", Role: fishpond.RoleCoopManager, Counties: []string{county}}
	officer = fishpond.Principal{UserID: "u-officer", Role: fishpond.RoleCountyOfficer, Counties: []string{county}}
	other   = fishpond.Principal{UserID: "u-other-coop", Role: fishpond.RoleCoopManager, Counties: []string{county}}
)

// clock is a settable fake clock shared by every store of a fixture (a
// fishpond.Clock), so tests move time across rent due dates.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, fishpond.ChinaTime)
}

type fixture struct {
	d     *db.DB
	keys  *secret.Keys
	clock *clock
	reg   *registry.Store
	m     *market.Store
	l     *ledger.Ledger
	s     *Service
	coop  market.Coop
	shop  market.Shop
	seq   int
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	keys, err := secret.New(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{d: d, keys: keys, clock: &clock{t: cst(2019, 9, 1, 10)}}
	f.reg = registry.NewStore(d, keys, f.clock)
	if _, _, _, err := f.reg.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := market.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	f.m = market.NewStore(d, keys, f.clock, cfg)
	f.l = ledger.New(d, f.clock)
	t.Cleanup(f.l.Close)
	f.s = f.service(t)
	return f
}

// service builds a fresh Service on the same database: a restarted server.
func (f *fixture) service(t testing.TB) *Service {
	return New(f.d, f.m, f.clock, Config{FileDir: t.TempDir(), DefaultMinDailyWage: fishpond.Yuan(80)})
}

// household registers a household of n adults (all indicators met) and returns
// its id. Identity numbers are valid and distinct.
func (f *fixture) household(t testing.TB, number string, n int) string {
	t.Helper()
	var ms []registry.MemberInput
	for k := 0; k < n; k++ {
		f.seq++
		rel := "户主"
		if k == 1 {
			rel = "配偶"
		} else if k > 1 {
			rel = "子"
		}
		birth := time.Date(1960+k, time.Month(1+f.seq%12), 1+f.seq%27, 0, 0, 0, 0, time.UTC)
		sex, digit := "M", (f.seq%5)*2+1
		if rel == "配偶" {
			sex, digit = "F", (f.seq%5)*2
		}
		first := fmt.Sprintf("%s%s%02d%d", county, birth.Format("20060102"), f.seq%100, digit)
		ms = append(ms, registry.MemberInput{Name: fmt.Sprintf("社员%d", f.seq), Relationship: rel, Sex: sex,
			BirthDate: birth.Format("2006-01-02"), IDNumber: first + string(registry.IDCheckChar(first))})
	}
	h, err := f.reg.CreateHousehold(ctx, admin, registry.HouseholdInput{CountyCode: county, Town: "龙泉关镇", Village: "骆驼湾村",
		Number: number, RegisteredYear: 2014, PovertyCause: registry.CauseLackOfCapital, Members: ms,
		Indicators: registry.Indicators{FoodClothingSecure: true, CompulsoryEducation: true, MedicalInsurance: true, HousingSafety: "A", SafeWater: true}})
	if err != nil {
		t.Fatalf("household %s: %v", number, err)
	}
	return h.ID
}

// farm registers a marketplace cooperative managed by manager with the given
// market shares, opens its shop and registers it as a farm with members.
func (f *fixture) farm(t testing.TB, marketShares []market.Share, members []MemberInput) Coop {
	t.Helper()
	mc, err := f.m.CreateCoop(ctx, admin, market.CoopInput{Name: "骆驼湾小米合作社", CountyCode: county, ManagerUserID: manager.UserID, Members: marketShares})
	if err != nil {
		t.Fatal(err)
	}
	f.coop = mc
	sh, err := f.m.OpenShop(ctx, manager, market.ShopInput{Name: "骆驼湾小米", OwnerKind: market.OwnerCoop, OwnerID: mc.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.shop = sh
	c, err := f.s.RegisterCoop(ctx, officer, CoopInput{CoopID: mc.ID, LegalRep: "王社长", MinDailyWage: fishpond.Yuan(80), Members: members})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) income(t testing.TB, hh string, year int) ledger.Income {
	t.Helper()
	from := time.Date(year, 1, 1, 0, 0, 0, 0, fishpond.ChinaTime)
	in, err := f.l.HouseholdIncome(ctx, hh, from, from.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (f *fixture) verifyLedger(t testing.TB) {
	t.Helper()
	rep, err := f.l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) countEvents(t testing.TB, typ string) int {
	t.Helper()
	log := events.New(f.d, f.clock)
	n, after := 0, int64(0)
	for {
		evs, err := log.Read(ctx, after, []string{typ}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return n
		}
		n += len(evs)
		after = evs[len(evs)-1].Seq
	}
}

func wantCode(t testing.TB, err error, code fishpond.ErrorCode, field string) {
	t.Helper()
	if fishpond.Code(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	if field != "" {
		e := err.(*fishpond.Error)
		if _, ok := e.Fields[field]; !ok {
			t.Fatalf("want a message for field %q, got %v", field, e.Fields)
		}
	}
}

func (f *fixture) coopID(t testing.TB) string { return f.coop.ID }

func (f *fixture) deposit(t testing.TB, coopID string, amount fishpond.Money) {
	t.Helper()
	if _, err := f.s.Deposit(ctx, manager, coopID, amount, "股金 capital", "capital-1"); err != nil {
		t.Fatal(err)
	}
}
