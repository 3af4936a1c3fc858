package assess_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/assess"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/registry"
)

// Counties used by the tests: an eastern one (Hebei) and a western one (Gansu).
const (
	eastCounty = "130631" // 望都县, Hebei, exited 2016
	westCounty = "620122" // 皋兰县, Gansu, exited 2017
)

var admin = fishpond.System

func officer(counties ...string) fishpond.Principal {
	return fishpond.Principal{UserID: "officer-" + strings.Join(counties, "-"), Role: fishpond.RoleCountyOfficer, Counties: counties}
}

type env struct {
	ctx context.Context
	d   *db.DB
	reg *registry.Store
	led *ledger.Ledger
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
	return &env{ctx: ctx, d: d, reg: reg, led: led, a: assess.New(d, reg, led, clock)}
}

// person is a member to register: age in 2020, and whether in school.
type person struct {
	rel      string
	age      int
	inSchool bool
}

var family4 = []person{{"户主", 45, false}, {"配偶", 43, false}, {"子", 14, true}, {"女", 10, true}}

func allMet() registry.Indicators {
	return registry.Indicators{FoodClothingSecure: true, CompulsoryEducation: true, MedicalInsurance: true, HousingSafety: "A", SafeWater: true}
}

// household registers a household with valid identity numbers and opens its books.
func (e *env) household(t *testing.T, county, number string, people []person, ind registry.Indicators) string {
	t.Helper()
	var ms []registry.MemberInput
	for _, p := range people {
		e.seq++
		male := p.rel == "户主" || p.rel == "子"
		birth := time.Date(2020-p.age, 3, 1+e.seq%27, 0, 0, 0, 0, time.UTC)
		sexDigit := (e.seq % 5) * 2
		sex := "F"
		if male {
			sexDigit++
			sex = "M"
		}
		first := fmt.Sprintf("%s%s%02d%d", county, birth.Format("20060102"), e.seq%100, sexDigit)
		ms = append(ms, registry.MemberInput{Name: "成员" + fmt.Sprint(e.seq), Relationship: p.rel, Sex: sex,
			BirthDate: birth.Format("2006-01-02"), IDNumber: first + string(registry.IDCheckChar(first)), InSchool: p.inSchool})
	}
	h, err := e.reg.CreateHousehold(e.ctx, admin, registry.HouseholdInput{CountyCode: county, Town: "城关镇", Village: "一村",
		Number: number, RegisteredYear: 2014, PovertyCause: registry.CauseLackOfCapital, Indicators: ind, Members: ms})
	if err != nil {
		t.Fatalf("create household %s: %v", number, err)
	}
	if _, err := e.led.EnsureHouseholdAccounts(e.ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	return h.ID
}

// setIndicators changes a household's indicators through the registry.
func (e *env) setIndicators(t *testing.T, id string, ind registry.Indicators) {
	t.Helper()
	h, err := e.reg.Household(e.ctx, admin, id)
	if err != nil {
		t.Fatal(err)
	}
	in := registry.HouseholdInput{CountyCode: h.CountyCode, VillageID: h.VillageID, Number: h.Number, RegisteredYear: h.RegisteredYear,
		PovertyCause: h.PovertyCause, Indicators: ind}
	for _, m := range h.Members {
		in.Members = append(in.Members, registry.MemberInput{ID: m.ID, Name: m.Name, Relationship: m.Relationship, Sex: m.Sex,
			BirthDate: m.BirthDate, IDNumber: m.IDNumber, InSchool: m.InSchool})
	}
	if _, err := e.reg.UpdateHousehold(e.ctx, admin, id, in); err != nil {
		t.Fatal(err)
	}
}

// income posts a payment into one of the household's income accounts through the
// real ledger: the counterparty pays into the household's wallet.
func (e *env) income(t *testing.T, hh, category, key string, at time.Time, amount fishpond.Money) {
	t.Helper()
	acc, err := e.led.EnsureHouseholdAccounts(e.ctx, hh)
	if err != nil {
		t.Fatal(err)
	}
	dst := map[string]ledger.Account{ledger.CatWage: acc.Wage, ledger.CatOperating: acc.Operating,
		ledger.CatProperty: acc.Property, ledger.CatTransfer: acc.Transfer}[category]
	_, err = e.led.Post(e.ctx, ledger.TransferRequest{IdempotencyKey: key, Kind: category, Memo: key, At: at,
		Postings: []ledger.Posting{{AccountID: acc.Wallet.ID, Amount: amount}, {AccountID: dst.ID, Amount: -amount}}})
	if err != nil {
		t.Fatalf("post %s: %v", key, err)
	}
}

func cst(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 10, 0, 0, 0, fishpond.ChinaTime)
}

// workedExampleIncome posts the example: rent for 5 mu at 650 yuan/mu,
// 180 days of farm wages at 100 yuan/day (paid monthly), 300 kg of millet at 8 yuan.
func (e *env) workedExampleIncome(t *testing.T, hh, prefix string, year int) {
	t.Helper()
	e.income(t, hh, ledger.CatProperty, prefix+"-rent", cst(year, 3, 1), 5*fishpond.Yuan(650))
	for m := 0; m < 6; m++ {
		e.income(t, hh, ledger.CatWage, fmt.Sprintf("%s-wage-%d", prefix, m), cst(year, time.Month(4+m), 28), 30*fishpond.Yuan(100))
	}
	e.income(t, hh, ledger.CatOperating, prefix+"-millet", cst(year, 10, 15), 300*fishpond.Yuan(8))
}

func (e *env) run(t *testing.T, p fishpond.Principal, year int, county string) assess.RunReport {
	t.Helper()
	rep, err := e.a.Run(e.ctx, p, year, county)
	if err != nil {
		t.Fatalf("run %d %q: %v", year, county, err)
	}
	return rep
}

func (e *env) status(t *testing.T, hh string, year int) assess.HouseholdStatus {
	t.Helper()
	s, err := e.a.HouseholdStatus(e.ctx, admin, hh, year)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantCode(t *testing.T, err error, code fishpond.ErrorCode) {
	t.Helper()
	var fe *fishpond.Error
	if !errors.As(err, &fe) || fe.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func hasReason(s assess.HouseholdStatus, part string) bool {
	for _, r := range s.Reasons {
		if strings.Contains(r, part) {
			return true
		}
	}
	return false
}
