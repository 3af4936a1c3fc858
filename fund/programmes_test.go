package fund_test

import (
	"testing"

	"fishpond"
	"fishpond/fund"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// Women's home visitors, AI trainers, education and volunteers: eligibility, pay as
// wage income, visits only to families with a child aged 0–3, and the figures.
func TestWomenAITrainersEducationAndVolunteers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f, _ := e.newFund(t)
		mother := e.household(t, dongxiang,
			person{rel: "户主", sex: "M", birth: "1990-01-01", labour: "普通劳动力"},
			person{rel: "配偶", sex: "F", birth: "1992-05-05", labour: "普通劳动力"},
			person{rel: "女", sex: "F", birth: "2019-03-01"})
		other := e.household(t, dongxiang,
			person{rel: "户主", sex: "M", birth: "1960-01-01", labour: "普通劳动力"},
			person{rel: "子", sex: "M", birth: "2010-02-02", inSchool: true})
		min, max := fund.Ages(18, 55)
		women := must(e.f.CreateProgramme(e.ctx, adminA, fund.ProgrammeInput{FundID: f.ID, Area: fund.AreaWomen, Kind: fund.KindWomen, Name: "育儿家访",
			Rule: fund.Rule{Sex: "F", MinAge: min, MaxAge: max}, Capacity: 10, StartsOn: "2020-01-01", EndsOn: "2020-12-31", PieceRate: fishpond.Yuan(30),
			Counties: []string{dongxiang}}))
		// A man is not eligible as a home visitor.
		_, err := e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: women.ID, HouseholdID: other.ID, MemberID: other.Members[0].ID, Role: fund.RoleVisitor, On: "2020-03-01"})
		wantCode(t, err, fishpond.EInvalid, "man as visitor")
		visitor := must(e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: women.ID, HouseholdID: mother.ID, MemberID: mother.Members[1].ID, Role: fund.RoleVisitor, On: "2020-03-01"}))
		if !visitor.Woman {
			t.Fatal("visitor not counted as a woman")
		}
		must(e.f.LogVisit(e.ctx, adminA, fund.VisitInput{EnrolmentID: visitor.ID, HouseholdID: mother.ID, ChildMemberID: mother.Members[2].ID, On: "2020-04-03"}))
		must(e.f.LogVisit(e.ctx, adminA, fund.VisitInput{EnrolmentID: visitor.ID, HouseholdID: mother.ID, ChildMemberID: mother.Members[2].ID, On: "2020-04-17"}))
		_, err = e.f.LogVisit(e.ctx, adminA, fund.VisitInput{EnrolmentID: visitor.ID, HouseholdID: other.ID, ChildMemberID: other.Members[1].ID, On: "2020-04-18"})
		wantCode(t, err, fishpond.EInvalid, "visit to a 10-year-old")
		pay := must(e.f.PayPiece(e.ctx, adminA, visitor.ID, "2020-04", 99))
		if pay.Units != 2 || pay.Amount != fishpond.Yuan(60) {
			t.Fatalf("visits pay: %+v (units come from the logged visits)", pay)
		}

		ai := must(e.f.CreateProgramme(e.ctx, adminA, fund.ProgrammeInput{FundID: f.ID, Area: fund.AreaEcommerce, Kind: fund.KindAITrainer, Name: "东乡AI训练师",
			Rule: fund.Rule{MinAge: min, MaxAge: max, Statuses: []string{"poor", "marginal"}}, Capacity: 1, StartsOn: "2020-01-01", EndsOn: "2020-12-31",
			PieceRate: 5, Counties: []string{dongxiang}}))
		worker := must(e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: ai.ID, HouseholdID: mother.ID, MemberID: mother.Members[0].ID, Role: fund.RoleWorker, On: "2020-05-01"}))
		_, err = e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: ai.ID, HouseholdID: other.ID, MemberID: other.Members[0].ID, Role: fund.RoleWorker, On: "2020-05-01"})
		wantCode(t, err, fishpond.EInvalid, "aged 60")                  // over 55, checked before capacity
		must(e.f.PayPiece(e.ctx, adminA, worker.ID, "2020-05", 24_000)) // 24,000 labels at 5 fen
		_, err = e.f.PayPiece(e.ctx, adminA, worker.ID, "2020-05", 1)
		wantCode(t, err, fishpond.EConflict, "a month paid again with other units")

		from, _ := fishpond.Period("2020H1").Bounds()
		inc := must(e.led.HouseholdIncome(e.ctx, mother.ID, from, from.AddDate(1, 0, 0)))
		if inc.Wage != fishpond.Yuan(1260) {
			t.Fatalf("wage income %s, want 1260.00 (60 visits + 1200 labels)", inc.Wage)
		}

		yes := true
		edu := must(e.f.CreateProgramme(e.ctx, adminA, fund.ProgrammeInput{FundID: f.ID, Area: fund.AreaEducation, Kind: fund.KindEducation, Name: "乡村教育",
			Rule: fund.Rule{InSchool: &yes}, Capacity: 100, StartsOn: "2020-01-01", EndsOn: "2020-12-31", Counties: []string{dongxiang}}))
		_, err = e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: edu.ID, HouseholdID: other.ID, MemberID: other.Members[0].ID, Role: fund.RoleStudent, On: "2020-09-01"})
		wantCode(t, err, fishpond.EInvalid, "not in school")
		student := must(e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: edu.ID, HouseholdID: other.ID, MemberID: other.Members[1].ID, Role: fund.RoleStudent, On: "2020-09-01"}))
		must(e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: edu.ID, StaffRef: "东乡一中-T017", CountyCode: dongxiang, Woman: true, Role: fund.RoleTeacher, On: "2020-09-01"}))
		_, err = e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: edu.ID, StaffRef: "X", CountyCode: "130624", Role: fund.RoleTeacher, On: "2020-09-01"})
		wantCode(t, err, fishpond.EInvalid, "teacher outside the programme's counties")
		// A scholarship paid to the student's household through an education allocation.
		alloc := must(e.f.Allocate(e.ctx, adminA, fund.AllocationInput{FundID: f.ID, Area: fund.AreaEducation, ProgrammeID: edu.ID, Budget: fishpond.Yuan(10_000)}))
		must(e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: alloc.ID, PayeeKind: fund.PayeeHousehold, HouseholdID: other.ID,
			EnrolmentID: student.ID, Purpose: "奖学金 scholarship", Amount: fishpond.Yuan(2000), IdempotencyKey: "sch-1", On: "2020-09-10"}))
		_, err = e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: alloc.ID, PayeeKind: fund.PayeeHousehold, HouseholdID: other.ID,
			Purpose: "奖学金 scholarship", Amount: fishpond.Yuan(2000), IdempotencyKey: "sch-future", On: "2031-01-01"})
		wantCode(t, err, fishpond.EInvalid, "a payment dated in the future")
		// Back-dated to 2020, the scholarship is 2020 transfer income of the household.
		inc2020 := must(e.led.HouseholdIncome(e.ctx, other.ID, from, from.AddDate(1, 0, 0)))
		if inc2020.Transfer != fishpond.Yuan(2000) {
			t.Fatalf("2020 transfer income %s", inc2020.Transfer)
		}

		// Volunteers: three hours a year per person.
		for i, v := range []struct {
			staff string
			min   int64
		}{{"E001", 120}, {"E001", 60}, {"E002", 90}} {
			must(e.f.LogVolunteer(e.ctx, adminA, fund.VolunteerInput{StaffRef: v.staff, CountyCode: dongxiang, Project: "乡村小学读书会", Minutes: v.min,
				On: "2020-06-0" + string(rune('1'+i)), IdempotencyKey: "v" + string(rune('0'+i))}))
		}
		again := must(e.f.LogVolunteer(e.ctx, adminA, fund.VolunteerInput{StaffRef: "E002", CountyCode: dongxiang, Project: "乡村小学读书会", Minutes: 90, On: "2020-06-03", IdempotencyKey: "v2"}))
		if !again.Replayed {
			t.Fatal("volunteer replay")
		}
		_, err = e.f.LogVolunteer(e.ctx, adminA, fund.VolunteerInput{StaffRef: "E003", CountyCode: dongxiang, Project: "p", Minutes: 0, On: "2020-06-03", IdempotencyKey: "bad"})
		wantCode(t, err, fishpond.EInvalid, "zero minutes")
		vs := must(e.f.Volunteers(e.ctx, adminA, 2020))
		if vs.TotalMinutes != 270 || vs.MetTarget != 1 || len(vs.People) != 2 {
			t.Fatalf("volunteers: %+v", vs)
		}
		sp := must(e.f.PostSpecialist(e.ctx, adminA, fund.SpecialistInput{StaffRef: "E001", DisplayName: "王特派", CountyCode: dongxiang, StartsOn: "2020-01-01", EndsOn: "2020-12-31"}))
		_, err = e.f.PostSpecialist(e.ctx, adminA, fund.SpecialistInput{StaffRef: "E001", DisplayName: "王特派", CountyCode: "130624", StartsOn: "2020-06-01", EndsOn: "2021-05-31"})
		wantCode(t, err, fishpond.EConflict, "posted twice at once")
		if err := e.f.ReportVisit(e.ctx, adminA, sp.ID, "2020-05-20", "走访合作社"); err != nil {
			t.Fatal(err)
		}

		m := must(e.f.PeriodMetrics(e.ctx, adminA, "2020H1"))
		if m.VolunteerMinutes != 270 || m.Volunteers != 2 || m.VolunteersMetTarget != 1 || m.Specialists != 1 || m.CountiesVisited != 1 {
			t.Fatalf("H1 people metrics: %+v", m)
		}
		if m.Women != 1 || m.People != 2 || m.PiecePaid != fishpond.Yuan(1260) {
			t.Fatalf("H1 programme metrics: people %d women %d piece %s", m.People, m.Women, m.PiecePaid)
		}
		m2 := must(e.f.PeriodMetrics(e.ctx, adminA, "2020H2"))
		if m2.Students != 1 || m2.Teachers != 1 || m2.Women != 1 || m2.VolunteerMinutes != 0 || m2.ToHouseholds != fishpond.Yuan(2000) || m2.DisbursedByArea[fund.AreaEducation] != fishpond.Yuan(2000) {
			t.Fatalf("H2 metrics: %+v", m2)
		}
		if n := e.eventCount(t, "fund.volunteer.logged"); n != 3 {
			t.Fatalf("volunteer events %d", n)
		}
		// Scope: an officer of another county sees neither the programme nor the fund.
		outsider := fishpond.Principal{UserID: "o", Role: fishpond.RoleCountyOfficer, Counties: []string{"130624"}}
		_, err = e.f.Programme(e.ctx, outsider, edu.ID)
		wantCode(t, err, fishpond.ENotFound, "programme out of scope")
		_, err = e.f.Metrics(e.ctx, outsider, "", "")
		wantCode(t, err, fishpond.EForbidden, "metrics for an officer")
		_, err = e.f.HouseholdProgrammes(e.ctx, outsider, other.ID)
		wantCode(t, err, fishpond.ENotFound, "household out of scope")
		e.verify(t)
	})
}
