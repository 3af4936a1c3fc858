package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/secret"
)

const (
	countyA = "130624" // 阜平县
	countyB = "410225" // 兰考县
)

var testNow = time.Date(2020, 6, 1, 2, 0, 0, 0, time.UTC)

var ctx = context.Background()

func mustStore(t *testing.T, d *db.DB) *Store {
	t.Helper()
	raw, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(d, keys, fishpond.FixedClock{T: testNow})
	if _, _, _, err := s.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	admin     = fishpond.System
	officerA  = fishpond.Principal{UserID: "u-a", Name: "fuping", Role: fishpond.RoleCountyOfficer, Counties: []string{countyA}}
	officerB  = fishpond.Principal{UserID: "u-b", Name: "lankao", Role: fishpond.RoleCountyOfficer, Counties: []string{countyB}}
	auditorA  = fishpond.Principal{UserID: "u-au", Name: "auditor", Role: fishpond.RoleAuditor, Counties: []string{countyA}}
	consumer  = fishpond.Principal{UserID: "u-c", Name: "buyer", Role: fishpond.RoleConsumer}
	fundAdmin = fishpond.Principal{UserID: "u-f", Name: "fund", Role: fishpond.RoleFundAdmin}
)

// mkID builds a valid identity number.
func mkID(addr, birth string, seq int, male bool) string {
	sex := 2 * (seq % 5)
	if male {
		sex++
	}
	first := fmt.Sprintf("%s%s%02d%d", addr, strings.ReplaceAll(birth, "-", ""), seq%100, sex)
	return first + string(IDCheckChar(first))
}

func member(county, name, rel string, male bool, birth string, seq int) MemberInput {
	sex := "F"
	if male {
		sex = "M"
	}
	return MemberInput{Name: name, Relationship: rel, Sex: sex, BirthDate: birth, IDNumber: mkID(county, birth, seq, male),
		Labour: "普通劳动力", Health: "健康", Schooling: "初中"}
}

func household(county, number string, seq int) HouseholdInput {
	head := member(county, "王建国", "户主", true, "1970-03-12", seq)
	head.Phone = "13800138000"
	return HouseholdInput{CountyCode: county, Town: "城关镇", Village: "新田村", Number: number, RegisteredYear: 2016,
		PovertyCause: CauseIllness, Indicators: Indicators{true, true, true, "B", true},
		Members: []MemberInput{head, member(county, "李秀英", "配偶", false, "1972-07-01", seq+1)}}
}

func mustCreate(t *testing.T, s *Store, p fishpond.Principal, in HouseholdInput) Household {
	t.Helper()
	h, err := s.CreateHousehold(ctx, p, in)
	if err != nil {
		t.Fatalf("CreateHousehold: %v", err)
	}
	return h
}

func wantCode(t *testing.T, err error, code fishpond.ErrorCode) *fishpond.Error {
	t.Helper()
	if fishpond.Code(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	var fe *fishpond.Error
	errors.As(err, &fe)
	return fe
}
