package registry

import (
	"regexp"
	"strings"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestScoping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		ha := mustCreate(t, s, officerA, household(countyA, "A001", 10))
		hb := mustCreate(t, s, admin, household(countyB, "B001", 20))

		_, err := s.Household(ctx, officerA, hb.ID)
		wantCode(t, err, fishpond.ENotFound)
		if _, err := s.Household(ctx, officerA, ha.ID); err != nil {
			t.Fatal(err)
		}
		list, _, err := s.Households(ctx, officerA, HouseholdFilter{})
		if err != nil || len(list) != 1 || list[0].ID != ha.ID {
			t.Errorf("officer A lists %+v, %v", list, err)
		}
		list, _, _ = s.Households(ctx, officerA, HouseholdFilter{CountyCode: countyB})
		if len(list) != 0 {
			t.Errorf("officer A sees %d households of B", len(list))
		}
		list, _, _ = s.Households(ctx, fundAdmin, HouseholdFilter{})
		if len(list) != 2 {
			t.Errorf("fund admin sees %d households, want 2", len(list))
		}

		self := fishpond.Principal{UserID: "u-h", Role: fishpond.RoleHousehold, HouseholdID: ha.ID}
		if _, err := s.Household(ctx, self, ha.ID); err != nil {
			t.Errorf("household cannot see itself: %v", err)
		}
		_, err = s.Household(ctx, self, hb.ID)
		wantCode(t, err, fishpond.ENotFound)
		list, _, _ = s.Households(ctx, self, HouseholdFilter{})
		if len(list) != 1 || list[0].ID != ha.ID {
			t.Errorf("household lists %+v", list)
		}

		list, _, err = s.Households(ctx, consumer, HouseholdFilter{})
		if err != nil || len(list) != 0 {
			t.Errorf("consumer lists %d households, %v", len(list), err)
		}
		_, err = s.Household(ctx, consumer, ha.ID)
		wantCode(t, err, fishpond.ENotFound)
		_, err = s.History(ctx, officerB, ha.ID)
		wantCode(t, err, fishpond.ENotFound)

		_, err = s.CreateHousehold(ctx, officerA, household(countyB, "B002", 30))
		wantCode(t, err, fishpond.EForbidden)
		_, err = s.CreateHousehold(ctx, auditorA, household(countyA, "A009", 30))
		wantCode(t, err, fishpond.EForbidden)
		_, err = s.UpdateHousehold(ctx, officerA, hb.ID, household(countyB, "B001", 20))
		wantCode(t, err, fishpond.ENotFound)
		// Reads out of scope are not_found, so a county's data does not leak by error.
		_, err = s.Villages(ctx, officerA, countyB)
		wantCode(t, err, fishpond.ENotFound)
		_, err = s.CountyStats(ctx, officerA, countyB)
		wantCode(t, err, fishpond.ENotFound)
		_, err = s.FindMemberByIDNumber(ctx, officerA, mkID(countyB, "1970-03-12", 20, true))
		wantCode(t, err, fishpond.ENotFound)
		m, err := s.FindMemberByIDNumber(ctx, officerA, mkID(countyA, "1970-03-12", 10, true))
		if err != nil || m.HouseholdID != ha.ID || m.Name != "王建国" {
			t.Errorf("find by id number: %+v, %v", m, err)
		}
	})
}

var maskedID = regexp.MustCompile(`^[0-9]{3}\*{11}[0-9]{3}[0-9X]$`)

func TestMaskingRevealAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		in := household(countyA, "A001", 10)
		h := mustCreate(t, s, officerA, in)
		if len(h.Members) != 2 || h.Size != 2 || h.HeadName != "王建国" || h.Status != "poor" || h.VillageName != "新田村" {
			t.Fatalf("created %+v", h)
		}
		head := h.Members[0]
		if !maskedID.MatchString(head.IDNumber) || head.Phone != "138****8000" {
			t.Errorf("not masked: %q %q", head.IDNumber, head.Phone)
		}
		_, _, err := s.RevealMember(ctx, auditorA, head.ID, "check")
		wantCode(t, err, fishpond.EForbidden)
		_, _, err = s.RevealMember(ctx, officerB, head.ID, "check")
		wantCode(t, err, fishpond.ENotFound)
		_, _, err = s.RevealMember(ctx, officerA, head.ID, " ")
		wantCode(t, err, fishpond.EInvalid)
		id, phone, err := s.RevealMember(ctx, officerA, head.ID, "入户核查 / home visit")
		if err != nil || id != in.Members[0].IDNumber || phone != "13800138000" {
			t.Fatalf("reveal = %q %q %v", id, phone, err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM pii_audit WHERE user_id = ? AND subject_id = ? AND purpose = ?",
			officerA.UserID, head.ID, "入户核查 / home visit").Scan(&n); err != nil || n != 2 {
			t.Errorf("audit rows = %d, %v; want 2 (id number and phone)", n, err)
		}
	})
}

func TestUpdateHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		h := mustCreate(t, s, officerA, household(countyA, "A001", 10))
		// An edit form sends back masked values: they keep the stored numbers.
		in := HouseholdInput{Town: h.Town, Village: h.VillageName, Number: h.Number, RegisteredYear: h.RegisteredYear,
			PovertyCause: CauseLackOfSkills, Indicators: h.Indicators}
		in.Indicators.HousingSafety = "A"
		for _, m := range h.Members {
			in.Members = append(in.Members, MemberInput{ID: m.ID, Name: m.Name, Relationship: m.Relationship, Sex: m.Sex,
				BirthDate: m.BirthDate, IDNumber: m.IDNumber, Phone: m.Phone, Labour: m.Labour, Health: m.Health, Schooling: m.Schooling})
		}
		in.Members[1].Phone = "13912345678"
		child := member(countyA, "王子轩", "子", true, "2010-09-01", 12)
		in.Members = append(in.Members, child)
		h2, err := s.UpdateHousehold(ctx, officerA, h.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if h2.Size != 3 || h2.PovertyCause != CauseLackOfSkills || h2.Indicators.HousingSafety != "A" {
			t.Errorf("updated %+v", h2)
		}
		id, _, err := s.RevealMember(ctx, officerA, h.Members[0].ID, "test")
		if err != nil || id != mkID(countyA, "1970-03-12", 10, true) {
			t.Errorf("masked value did not keep the number: %q %v", id, err)
		}
		hist, err := s.History(ctx, officerA, h.ID)
		if err != nil || len(hist) != 2 {
			t.Fatalf("history %+v, %v", hist, err)
		}
		if hist[0].Action != "create" || hist[1].Action != "update" || hist[1].Actor != officerA.UserID || hist[1].ActorName != "fuping" {
			t.Errorf("history = %+v", hist)
		}
		got := map[string]FieldChange{}
		for _, c := range hist[1].Changes {
			got[c.Field] = c
			if strings.Contains(c.Old+c.New, "13912345678") || strings.Contains(c.Old+c.New, child.IDNumber) {
				t.Errorf("history holds a plain number: %+v", c)
			}
		}
		if got["poverty_cause"].New != "lack_of_skills" || got["housing_safety"].Old != "B" || got["phone"].New != "139****5678" || got["member"].Member != "王子轩" {
			t.Errorf("changes = %+v", hist[1].Changes)
		}
		// The same input again changes nothing and records nothing.
		in.Members[2].ID = ""
		if _, err := s.UpdateHousehold(ctx, officerA, h.ID, in); err != nil {
			t.Fatal(err)
		}
		if hist, _ := s.History(ctx, officerA, h.ID); len(hist) != 2 {
			t.Errorf("a no-op update wrote history: %d entries", len(hist))
		}
		_, err = s.CreateHousehold(ctx, officerA, household(countyA, "A001", 40))
		wantCode(t, err, fishpond.EConflict)
		st, err := s.CountyStats(ctx, officerA, countyA)
		if err != nil || st.Households != 1 || st.People != 3 || st.Villages != 1 || st.ByCause[CauseLackOfSkills] != 1 || st.ByStatus["poor"] != 1 {
			t.Errorf("stats %+v, %v", st, err)
		}
		vs, err := s.Villages(ctx, officerA, countyA)
		if err != nil || len(vs) != 1 || vs[0].Households != 1 {
			t.Errorf("villages %+v, %v", vs, err)
		}
		_, err = s.CreateVillage(ctx, officerA, countyA, "城关镇", "新田村")
		wantCode(t, err, fishpond.EConflict)
		c, err := s.County(ctx, countyA)
		if err != nil || c.Households != 1 || c.People != 3 {
			t.Errorf("county counts %+v, %v", c, err)
		}
	})
}

func TestValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		mustCreate(t, s, officerA, household(countyA, "A001", 10))
		cases := []struct {
			name  string
			edit  func(in *HouseholdInput)
			field string
		}{
			{"checksum", func(in *HouseholdInput) {
				id := in.Members[0].IDNumber
				in.Members[0].IDNumber = id[:17] + map[bool]string{true: "1", false: "0"}[id[17] == '0']
			}, "members[0].id_number"},
			{"birth date differs", func(in *HouseholdInput) { in.Members[1].BirthDate = "1972-07-02" }, "members[1].birth_date"},
			{"sex differs", func(in *HouseholdInput) { in.Members[1].Sex = "男" }, "members[1].sex"},
			{"two heads", func(in *HouseholdInput) { in.Members[1].Relationship = "户主" }, "members"},
			{"no head", func(in *HouseholdInput) { in.Members[0].Relationship = "其他" }, "members"},
			{"phone", func(in *HouseholdInput) { in.Members[0].Phone = "0312-1234567" }, "members[0].phone"},
			{"housing", func(in *HouseholdInput) { in.Indicators.HousingSafety = "E" }, "housing_safety"},
			{"cause", func(in *HouseholdInput) { in.PovertyCause = "bad luck" }, "poverty_cause"},
			{"relationship", func(in *HouseholdInput) { in.Members[1].Relationship = "邻居" }, "members[1].relationship"},
			{"year", func(in *HouseholdInput) { in.RegisteredYear = 2021 }, "registered_year"},
			{"head name", func(in *HouseholdInput) { in.HeadName = "李四" }, "head_name"},
			{"id of another household", func(in *HouseholdInput) {
				in.Members[1] = member(countyA, "李秀英", "配偶", false, "1972-07-01", 11)
			}, "members[1].id_number"},
			{"duplicate in household", func(in *HouseholdInput) {
				in.Members = append(in.Members, in.Members[1])
				in.Members[2].Relationship = "女"
			}, "members[2].id_number"},
		}
		for _, c := range cases {
			in := household(countyA, "A100", 50)
			c.edit(&in)
			_, err := s.CreateHousehold(ctx, officerA, in)
			fe := wantCode(t, err, fishpond.EInvalid)
			if _, ok := fe.Fields[c.field]; !ok {
				t.Errorf("%s: fields %v, want %s", c.name, fe.Fields, c.field)
			}
			for _, m := range in.Members {
				if m.IDNumber != "" && strings.Contains(err.Error(), m.IDNumber) {
					t.Errorf("%s: error repeats the identity number", c.name)
				}
			}
		}
		list, _, _ := s.Households(ctx, admin, HouseholdFilter{})
		if len(list) != 1 {
			t.Errorf("invalid inputs created households: %d", len(list))
		}
	})
}

func TestHouseholdsPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		for i, in := range Synthesize(7, County{Code: countyA}, []string{"龙泉关镇/骆驼湾村", "龙泉关镇/顾家台村", "城南庄镇/后堡村"}, 25) {
			if _, err := s.CreateHousehold(ctx, officerA, in); err != nil {
				t.Fatalf("synthetic household %d: %v", i, err)
			}
		}
		seen := map[string]bool{}
		cursor := ""
		for {
			page, next, err := s.Households(ctx, officerA, HouseholdFilter{Limit: 7, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range page {
				if seen[h.ID] {
					t.Fatalf("household %s on two pages", h.Number)
				}
				seen[h.ID] = true
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != 25 {
			t.Errorf("paged through %d households, want 25", len(seen))
		}
		ill, _, err := s.Households(ctx, officerA, HouseholdFilter{Cause: "因病", Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range ill {
			if h.PovertyCause != CauseIllness {
				t.Errorf("cause filter returned %s", h.PovertyCause)
			}
		}
		q, _, err := s.Households(ctx, officerA, HouseholdFilter{Query: countyA + "001"})
		if err != nil || len(q) == 0 {
			t.Errorf("number query: %d, %v", len(q), err)
		}
	})
}
