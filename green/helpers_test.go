package green_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"fishpond"
	"fishpond/green"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/market"
	"fishpond/registry"
)

const county = "130624" // 阜平县, a national poverty county

var (
	ctx   = context.Background()
	t0    = time.Date(2026, 4, 10, 2, 0, 0, 0, time.UTC) // 10:00 in China, in the planting season
	alice = fishpond.Principal{UserID: "u-alice", Name: "alice", Role: fishpond.RoleConsumer}
	bob   = fishpond.Principal{UserID: "u-bob", Name: "bob", Role: fishpond.RoleConsumer}
	carol = fishpond.Principal{UserID: "u-carol", Name: "carol", Role: fishpond.RoleConsumer}
	// officer runs projects in the county; officer2 verifies what officer reports.
	officer  = fishpond.Principal{UserID: "u-officer", Name: "fuping", Role: fishpond.RoleCountyOfficer, Counties: []string{county}}
	officer2 = fishpond.Principal{UserID: "u-officer2", Name: "fuping2", Role: fishpond.RoleCountyOfficer, Counties: []string{county}}
	stranger = fishpond.Principal{UserID: "u-lankao", Name: "lankao", Role: fishpond.RoleCountyOfficer, Counties: []string{"410225"}}
)

// clock is a settable test clock shared by the fixture's services.
type clock struct{ t *time.Time }

func (c clock) Now() time.Time { return *c.t }

type fixture struct {
	d   *db.DB
	now *time.Time
	reg *registry.Store
	m   *market.Store
	l   *ledger.Ledger
	g   *green.Service
	hh  []registry.Household
}

func (f *fixture) advance(d time.Duration) { *f.now = f.now.Add(d) }

func mustFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	raw, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	f := &fixture{d: d, now: &now}
	c := clock{&now}
	f.reg = registry.NewStore(d, keys, c)
	if _, _, _, err := f.reg.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	cty, err := f.reg.County(ctx, county)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.reg.CreateVillage(ctx, fishpond.System, county, "龙泉关镇", "骆驼湾村")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range registry.Synthesize(9, cty, []string{v.ID}, 3) {
		h, err := f.reg.CreateHousehold(ctx, fishpond.System, in)
		if err != nil {
			t.Fatal(err)
		}
		f.hh = append(f.hh, h)
	}
	mcfg := market.DefaultConfig
	mcfg.PhotoDir = t.TempDir()
	f.m = market.NewStore(d, keys, c, mcfg)
	f.l = ledger.New(d, c)
	t.Cleanup(f.l.Close)
	cfg := green.DefaultConfig
	cfg.PhotoDir = t.TempDir()
	f.g = green.New(d, f.reg, f.m, c, cfg)
	t.Cleanup(f.g.Close)
	return f
}

func mustRecord(t *testing.T, f *fixture, partner bool, as ...green.Action) []green.Result {
	t.Helper()
	res, err := f.g.Record(ctx, as, partner)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func walk(id, user string, steps int64) green.Action {
	return green.Action{ID: id, UserID: user, Kind: green.KindWalking, Quantity: steps, Source: "partner:test"}
}

func mustCollect(t *testing.T, f *fixture, p fishpond.Principal) green.Collected {
	t.Helper()
	c, err := f.g.Collect(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func balance(t *testing.T, f *fixture, p fishpond.Principal) int64 {
	t.Helper()
	a, err := f.g.Account(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

// mustProject opens a desert-shrub project in 阜平 at 骆驼湾.
func mustProject(t *testing.T, f *fixture, kind string, capacity int64) green.Project {
	t.Helper()
	pr, err := f.g.CreateProject(ctx, officer, green.ProjectInput{Kind: kind, CountyCode: county, Name: "骆驼湾生态林", Species: "沙棘 sea buckthorn",
		Partner: "阜平县林业局", Place: "龙泉关镇骆驼湾村", Lat: 38.7712, Lon: 113.9521, PriceG: 100, Capacity: capacity, SurvivalTargetBp: 8500,
		SeasonFrom: 3, SeasonTo: 5, PlantingWage: fishpond.Yuan(5), GuardingWage: fishpond.Yuan(60)})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// earn gives p grams of collected energy through public-transport rides.
func earn(t *testing.T, f *fixture, p fishpond.Principal, rides int64, id string) {
	t.Helper()
	res := mustRecord(t, f, true, green.Action{ID: id, UserID: p.UserID, Kind: green.KindPublicTransport, Quantity: rides, Source: "partner:test"})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	mustCollect(t, f, p)
}

func jpegPhoto(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		img.Set(x, x, color.RGBA{0, 128, 0, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func householdP(id string) fishpond.Principal {
	return fishpond.Principal{UserID: "u-" + id, Role: fishpond.RoleHousehold, HouseholdID: id}
}
