package fund_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fishpond"
	"fishpond/assess"
	"fishpond/fund"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/registry"
)

// 阜平县 (Hebei, a national poverty county) and 东乡族自治县 (Gansu).
const (
	fuping    = "130624"
	dongxiang = "622926"
)

var (
	adminA = fishpond.Principal{UserID: "fund-a", Name: "A", Role: fishpond.RoleFundAdmin}
	adminB = fishpond.Principal{UserID: "fund-b", Name: "B", Role: fishpond.RoleFundAdmin}
)

type env struct {
	ctx context.Context
	d   *db.DB
	reg *registry.Store
	led *ledger.Ledger
	f   *fund.Service
	a   *assess.Assessor
	seq int
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	keys, err := secret.New(make([]byte, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	clock := fishpond.FixedClock{T: time.Date(2021, 1, 10, 2, 0, 0, 0, time.UTC)}
	reg := registry.NewStore(d, keys, clock)
	if _, _, _, err := reg.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	led := ledger.New(d, clock)
	t.Cleanup(led.Close)
	return &env{ctx: ctx, d: d, reg: reg, led: led, f: fund.New(d, reg, clock), a: assess.New(d, reg, led, clock)}
}

// person is a member to register: relationship, sex, birth date, labour.
type person struct {
	rel, sex, birth, labour string
	inSchool                bool
}

func (e *env) household(t *testing.T, county string, people ...person) registry.Household {
	t.Helper()
	var ms []registry.MemberInput
	for _, p := range people {
		e.seq++
		b, _ := time.Parse(time.DateOnly, p.birth)
		sexDigit := (e.seq % 5) * 2
		if p.sex == "M" {
			sexDigit++
		}
		first := fmt.Sprintf("%s%s%02d%d", county, b.Format("20060102"), e.seq%100, sexDigit)
		ms = append(ms, registry.MemberInput{Name: fmt.Sprint("成员", e.seq), Relationship: p.rel, Sex: p.sex, BirthDate: p.birth,
			IDNumber: first + string(registry.IDCheckChar(first)), Labour: p.labour, InSchool: p.inSchool})
	}
	h, err := e.reg.CreateHousehold(e.ctx, fishpond.System, registry.HouseholdInput{CountyCode: county, Town: "城关镇", Village: "一村",
		Number: fmt.Sprintf("H%04d", e.seq), RegisteredYear: 2014, PovertyCause: registry.CauseLackOfSkills,
		Indicators: registry.Indicators{FoodClothingSecure: true, CompulsoryEducation: true, MedicalInsurance: true, HousingSafety: "A", SafeWater: true},
		Members:    ms})
	if err != nil {
		t.Fatal(err)
	}
	if h, err = e.reg.Household(e.ctx, fishpond.System, h.ID); err != nil {
		t.Fatal(err)
	}
	return h
}

// must returns v or panics with err: Go passes a call's two results to a function
// only when they are all its arguments, so there is no room for t here; a panic
// fails the test with the error and its stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// wantCode fails unless err carries the code.
func wantCode(t *testing.T, err error, code fishpond.ErrorCode, what string) {
	t.Helper()
	if fishpond.Code(err) != code {
		t.Fatalf("%s: want %s, got %v", what, code, err)
	}
}

// count counts rows of a table, to prove a refused request wrote nothing.
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.d.Read().QueryRowContext(e.ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) eventCount(t *testing.T, typ string) int {
	t.Helper()
	var n int
	if err := e.d.Read().QueryRowContext(e.ctx, "SELECT COUNT(*) FROM events WHERE type = ?", typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newFund creates the programme's fund (10 billion yuan over five years) with a
// four-eyes amount of 100,000 yuan and allocates it across the five areas.
func (e *env) newFund(t *testing.T) (fund.Fund, map[string]fund.Allocation) {
	t.Helper()
	f := must(e.f.CreateFund(e.ctx, adminA, fund.FundInput{Name: "百亿扶贫基金", Committed: fishpond.Yuan(10_000_000_000),
		StartsOn: "2017-12-01", EndsOn: "2022-11-30", FourEyesAbove: fishpond.Yuan(100_000)}))
	areas := map[string]fund.Allocation{}
	for area, yuan := range map[string]int64{"ecommerce": 3_000_000_000, "education": 2_000_000_000, "health": 2_000_000_000, "women": 1_500_000_000, "ecology": 1_500_000_000} {
		areas[area] = must(e.f.Allocate(e.ctx, adminA, fund.AllocationInput{FundID: f.ID, Area: area, Budget: fishpond.Yuan(yuan)}))
	}
	return f, areas
}

// verify checks that every ledger balance still agrees with the postings.
func (e *env) verify(t *testing.T) {
	t.Helper()
	rep, err := e.led.Verify(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
}
