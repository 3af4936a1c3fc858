package sensing

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

var ctx = context.Background()

const county = "622926" // 东乡族自治县

// testClock is a settable clock shared by a fixture.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type fixture struct {
	d     *db.DB
	s     *Service
	clock *testClock
	coop  string
	hh    string
	alert chan Alert
}

var (
	admin   = fishpond.System
	manager = fishpond.Principal{UserID: "u-coop", Role: fishpond.RoleCoopManager, Counties: []string{county}}
	farmer  = fishpond.Principal{UserID: "u-farmer", Role: fishpond.RoleHousehold, HouseholdID: "hh-1"}
	officer = fishpond.Principal{UserID: "u-off", Role: fishpond.RoleCountyOfficer, Counties: []string{"130624"}}
)

// places inserts one county, a cooperative and a household by SQL: sensing only
// needs their ids and county.
func places(t testing.TB, d *db.DB) {
	t.Helper()
	now := db.FormatTime(time.Now())
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO provinces (code, name, region) VALUES (?, ?, ?)", []any{"62", "甘肃省", "west"}},
			{"INSERT INTO prefectures (code, name, province_code) VALUES (?, ?, ?)", []any{"6229", "临夏回族自治州", "62"}},
			{"INSERT INTO counties (code, name, prefecture_code, province_code, poverty, region) VALUES (?, ?, ?, ?, 1, 'west')", []any{county, "东乡族自治县", "6229", "62"}},
			{"INSERT INTO villages (id, county_code, name, town, created_at) VALUES (?, ?, ?, ?, ?)", []any{"v-1", county, "布楞沟村", "锁南镇", now}},
			{`INSERT INTO households (id, county_code, village_id, number, head_name, registered_year, poverty_cause, food_clothing_secure, compulsory_education,
				medical_insurance, housing_safety, safe_water, created_at, updated_at) VALUES (?, ?, 'v-1', '0001', '马某', 2016, 'lack_of_funds', 1, 1, 1, 'safe', 1, ?, ?)`, []any{"hh-1", county, now, now}},
			{"INSERT INTO market_coops (id, name, county_code, manager_user_id, created_at) VALUES (?, ?, ?, ?, ?)", []any{"coop-1", "布楞沟养殖合作社", county, "u-coop", now}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	places(t, d)
	f := &fixture{d: d, clock: &testClock{t: time.Date(2026, 7, 1, 4, 45, 0, 0, time.UTC)}, coop: "coop-1", hh: "hh-1", alert: make(chan Alert, 100)}
	cfg := DefaultConfig
	cfg.OnAlert = func(a Alert) { f.alert <- a }
	f.s = New(d, f.clock, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(f.s.Close)
	return f
}

func (f *fixture) site(t testing.TB, kind string) Site {
	t.Helper()
	in := NewSite{Name: "site-" + kind, Kind: kind, OwnerKind: "coop", OwnerID: f.coop, Crop: "小米", AreaMu: 120, HeadCount: 300}
	st, err := f.s.CreateSite(ctx, manager, in)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) device(t testing.TB, site Site, typ, name string) Device {
	t.Helper()
	d, err := f.s.CreateDevice(ctx, manager, site.ID, NewDevice{Name: name, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
