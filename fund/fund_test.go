package fund_test

import (
	"strings"
	"testing"

	"fishpond"
	"fishpond/assess"
	"fishpond/fund"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// The "done when": the fund is allocated across the five areas, a
// vocational programme in a poverty county trains and places a household's
// member, and the placement's wages, paid through the ledger as wage income, lift
// the household over the poverty line in its assessment.
func TestVocationalGraduateLiftsHouseholdOverTheLine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f, areas := e.newFund(t)
		allocs := must(e.f.Allocations(e.ctx, adminA, f.ID))
		if len(allocs) != 5 {
			t.Fatalf("allocations: %d, want 5", len(allocs))
		}
		h := e.household(t, fuping,
			person{rel: "户主", sex: "M", birth: "1985-04-02", labour: "普通劳动力"},
			person{rel: "配偶", sex: "F", birth: "1987-09-10", labour: "弱劳动力或半劳动力"},
			person{rel: "子", sex: "M", birth: "2012-06-01", inSchool: true})
		head := h.Members[0]

		// Before any programme: no income, poor in 2020.
		must(e.a.Run(e.ctx, fishpond.System, 2020, fuping))
		if st := must(e.a.StatusHistory(e.ctx, fishpond.System, h.ID)); len(st) != 1 || st[0].Status != assess.StatusPoor {
			t.Fatalf("before: %+v", st)
		}

		min, max := fund.Ages(16, 55)
		pr := must(e.f.CreateProgramme(e.ctx, adminA, fund.ProgrammeInput{FundID: f.ID, Area: fund.AreaEducation, Kind: fund.KindVocational,
			Name: "阜平电工培训", Rule: fund.Rule{MinAge: min, MaxAge: max, NoSkills: true}, Capacity: 40, StartsOn: "2020-01-01", EndsOn: "2020-12-31",
			Counties: []string{fuping}}))
		county := must(e.f.Allocate(e.ctx, adminA, fund.AllocationInput{FundID: f.ID, Area: fund.AreaEducation, ProgrammeID: pr.ID, Budget: fishpond.Yuan(50_000)}))
		if county.ParentID != areas[fund.AreaEducation].ID {
			t.Fatalf("programme allocation hangs under %q", county.ParentID)
		}
		// The course costs come out of the programme's allocation.
		must(e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: county.ID, PayeeKind: fund.PayeeProgramme,
			Purpose: "培训费 training costs", Amount: fishpond.Yuan(20_000), IdempotencyKey: "course-1"}))

		// The 13-year-old son is not eligible; nothing is written.
		_, err := e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: pr.ID, HouseholdID: h.ID, MemberID: h.Members[2].ID, Role: fund.RoleParticipant, On: "2020-02-01"})
		wantCode(t, err, fishpond.EInvalid, "enrol a child")
		if fe := err.(*fishpond.Error); !strings.Contains(fe.Fields["member_id"], "below 16") {
			t.Fatalf("reason: %v", fe.Fields)
		}
		if n := e.count(t, "fund_enrolments"); n != 0 {
			t.Fatalf("refused enrolment wrote %d rows", n)
		}

		en := must(e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: pr.ID, HouseholdID: h.ID, MemberID: head.ID, Role: fund.RoleParticipant, Course: "低压电工", On: "2020-02-01"}))
		_, err = e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: pr.ID, HouseholdID: h.ID, MemberID: head.ID, Role: fund.RoleParticipant, On: "2020-02-02"})
		wantCode(t, err, fishpond.EConflict, "enrol twice")
		_, err = e.f.Place(e.ctx, adminA, fund.PlaceInput{EnrolmentID: en.ID, Employer: "保定电力", MonthlyWage: fishpond.Yuan(3000), StartsOn: "2020-03-01"})
		wantCode(t, err, fishpond.EInvalid, "place before completion")
		must(e.f.Progress(e.ctx, adminA, en.ID, fund.EnrolCompleted, "", "2020-02-28"))
		must(e.f.Progress(e.ctx, adminA, en.ID, fund.EnrolCertified, "电工证 2020-0001", "2020-02-29"))
		pl := must(e.f.Place(e.ctx, adminA, fund.PlaceInput{EnrolmentID: en.ID, Employer: "保定电力", MonthlyWage: fishpond.Yuan(3000), StartsOn: "2020-03-01"}))
		_, err = e.f.Place(e.ctx, adminA, fund.PlaceInput{EnrolmentID: en.ID, Employer: "石家庄建工", MonthlyWage: fishpond.Yuan(3500), StartsOn: "2020-05-01"})
		wantCode(t, err, fishpond.EConflict, "placed twice at once")
		if n := e.count(t, "fund_placements"); n != 1 {
			t.Fatalf("placements: %d", n)
		}
		for m := 3; m <= 12; m++ {
			must(e.f.PayWage(e.ctx, adminA, pl.ID, "2020-"+twoDigits(m)))
		}
		again := must(e.f.PayWage(e.ctx, adminA, pl.ID, "2020-12"))
		if !again.Replayed {
			t.Fatal("paying a month twice must replay the first payment")
		}
		_, err = e.f.PayWage(e.ctx, adminA, pl.ID, "2020-02")
		wantCode(t, err, fishpond.EInvalid, "wage before the job")

		from, to := fishpond.Period("2020H1").Bounds()
		_, end := fishpond.Period("2020H2").Bounds()
		inc := must(e.led.HouseholdIncome(e.ctx, h.ID, from, end))
		if inc.Wage != fishpond.Yuan(30_000) {
			t.Fatalf("wage income %s, want 30000.00", inc.Wage)
		}
		_ = to

		must(e.a.Run(e.ctx, fishpond.System, 2020, fuping))
		st := must(e.a.StatusHistory(e.ctx, fishpond.System, h.ID))
		if len(st) != 1 || st[0].Status != assess.StatusExited || st[0].PerCapita != fishpond.Yuan(10_000) {
			t.Fatalf("after: %+v", st)
		}

		// The report's figures.
		m := must(e.f.Metrics(e.ctx, adminA, "2020-01-01", "2021-01-01"))
		if m.Trained != 1 || m.Placed != 1 || m.WagesPaid != fishpond.Yuan(30_000) || m.PlacedMonthlyWages != fishpond.Yuan(3000) {
			t.Fatalf("metrics: %+v", m)
		}
		if m.Committed != fishpond.Yuan(10_000_000_000) || m.Allocated != fishpond.Yuan(10_000_000_000) {
			t.Fatalf("committed %s allocated %s", m.Committed, m.Allocated)
		}
		if e.eventCount(t, "fund.enrolment.made") != 1 || e.eventCount(t, "fund.placement.made") != 1 {
			t.Fatal("events missing")
		}
		hist := must(e.f.HouseholdProgrammes(e.ctx, adminA, h.ID))
		if len(hist.Enrolments) != 1 || len(hist.Placements) != 1 || hist.WagesPaid != fishpond.Yuan(30_000) {
			t.Fatalf("history: %+v", hist)
		}
		e.verify(t)
	})
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + string(rune('0'+n))
	}
	return "1" + string(rune('0'+n-10))
}

// The four-eyes rule: above the fund's amount a disbursement waits; its requester
// cannot approve it; a second administrator can, once a supporting document is
// attached; the household then has the money as transfer income.
func TestFourEyesRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f, areas := e.newFund(t)
		h := e.household(t, dongxiang, person{rel: "户主", sex: "F", birth: "1970-01-05", labour: "普通劳动力"})
		county := must(e.f.Allocate(e.ctx, adminA, fund.AllocationInput{FundID: f.ID, Area: fund.AreaHealth, CountyCode: dongxiang, Budget: fishpond.Yuan(400_000)}))

		small := must(e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: county.ID, PayeeKind: fund.PayeeHousehold, HouseholdID: h.ID,
			Purpose: "大病救助 medical relief", Amount: fishpond.Yuan(100_000), IdempotencyKey: "small"}))
		if small.Status != fund.StatusPaid {
			t.Fatalf("at the threshold: %s, want paid at once", small.Status)
		}
		big := must(e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: county.ID, PayeeKind: fund.PayeePartner, Payee: "东乡县医院",
			Purpose: "设备 equipment", Amount: fishpond.Yuan(150_000), IdempotencyKey: "big"}))
		if big.Status != fund.StatusPending || big.TransferID != "" {
			t.Fatalf("above the threshold: %+v", big)
		}
		// Over what is left (400k − 100k paid − 150k pending = 150k): refused, nothing written.
		before := e.count(t, "fund_disbursements")
		_, err := e.f.RequestDisbursement(e.ctx, adminB, fund.DisbursementInput{AllocationID: county.ID, PayeeKind: fund.PayeePartner, Payee: "x",
			Purpose: "more", Amount: fishpond.Yuan(150_001), IdempotencyKey: "over"})
		wantCode(t, err, fishpond.EInvalid, "over the allocation")
		if e.count(t, "fund_disbursements") != before {
			t.Fatal("a refused disbursement was written")
		}
		// The same key and request replays; the same key for something else conflicts.
		replay := must(e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: county.ID, PayeeKind: fund.PayeePartner, Payee: "东乡县医院",
			Purpose: "设备 equipment", Amount: fishpond.Yuan(150_000), IdempotencyKey: "big"}))
		if !replay.Replayed || replay.ID != big.ID {
			t.Fatal("replay")
		}
		_, err = e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: county.ID, PayeeKind: fund.PayeePartner, Payee: "东乡县医院",
			Purpose: "设备 equipment", Amount: fishpond.Yuan(1), IdempotencyKey: "big"})
		wantCode(t, err, fishpond.EConflict, "key reused")

		_, err = e.f.ApproveDisbursement(e.ctx, adminA, big.ID)
		wantCode(t, err, fishpond.EForbidden, "requester approves")
		_, err = e.f.ApproveDisbursement(e.ctx, adminB, big.ID)
		wantCode(t, err, fishpond.EInvalid, "approve without a document")
		county2 := fishpond.Principal{UserID: "officer", Role: fishpond.RoleCountyOfficer, Counties: []string{dongxiang}}
		_, err = e.f.ApproveDisbursement(e.ctx, county2, big.ID)
		wantCode(t, err, fishpond.EForbidden, "officer approves")
		must(e.f.AttachDocument(e.ctx, adminA, big.ID, "invoice.pdf", []byte("%PDF-1.4 invoice")))
		paid := must(e.f.ApproveDisbursement(e.ctx, adminB, big.ID))
		if paid.Status != fund.StatusPaid || paid.DecidedBy != adminB.UserID || paid.TransferID == "" {
			t.Fatalf("approved: %+v", paid)
		}
		_, err = e.f.ApproveDisbursement(e.ctx, adminB, big.ID)
		wantCode(t, err, fishpond.EConflict, "approve twice")

		// The amount is configurable, by an administrator only.
		_, err = e.f.SetFourEyes(e.ctx, adminA, f.ID, fishpond.Yuan(1_000_000))
		wantCode(t, err, fishpond.EForbidden, "a fund administrator raising the four-eyes amount")
		_, err = e.f.SetFourEyes(e.ctx, fishpond.System, f.ID, -1)
		wantCode(t, err, fishpond.EInvalid, "a negative four-eyes amount")
		must(e.f.SetFourEyes(e.ctx, fishpond.System, f.ID, fishpond.Yuan(10_000)))
		lowered := must(e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: county.ID, PayeeKind: fund.PayeeHousehold, HouseholdID: h.ID,
			Purpose: "助学 schooling", Amount: fishpond.Yuan(10_001), IdempotencyKey: "lowered"}))
		if lowered.Status != fund.StatusPending {
			t.Fatalf("above the lowered amount: %s", lowered.Status)
		}
		must(e.f.RejectDisbursement(e.ctx, adminB, lowered.ID, "test"))

		// Budget versus actual, and the ledger agrees.
		for _, a := range must(e.f.Allocations(e.ctx, adminA, f.ID)) {
			switch a.ID {
			case county.ID:
				if a.Actual != fishpond.Yuan(250_000) || a.Pending != 0 {
					t.Fatalf("county allocation: %+v", a)
				}
			case areas[fund.AreaHealth].ID:
				if a.Actual != fishpond.Yuan(250_000) {
					t.Fatalf("area allocation: %+v", a)
				}
			}
		}
		grants := must(e.led.Account(e.ctx, fund.FundOwner(f.ID), "grants_health"))
		if grants.Balance != fishpond.Yuan(250_000) {
			t.Fatalf("grants account %s", grants.Balance)
		}
		from, _ := fishpond.Period("2021H1").Bounds()
		inc := must(e.led.HouseholdIncome(e.ctx, h.ID, from, from.AddDate(1, 0, 0)))
		if inc.Transfer != fishpond.Yuan(100_000) {
			t.Fatalf("household transfer income %s", inc.Transfer)
		}
		if n := e.eventCount(t, "fund.disbursement.paid"); n != 2 {
			t.Fatalf("paid events: %d", n)
		}
		m := must(e.f.Metrics(e.ctx, adminA, "", ""))
		if m.DisbursedByArea[fund.AreaHealth] != fishpond.Yuan(250_000) || m.DisbursedByCounty[dongxiang] != fishpond.Yuan(250_000) || m.ToHouseholds != fishpond.Yuan(100_000) {
			t.Fatalf("metrics: %+v", m)
		}
		// Rejection releases the reservation; the requester cannot reject either.
		p3 := must(e.f.RequestDisbursement(e.ctx, adminB, fund.DisbursementInput{AllocationID: county.ID, PayeeKind: fund.PayeePartner, Payee: "y",
			Purpose: "z", Amount: fishpond.Yuan(120_000), IdempotencyKey: "p3"}))
		_, err = e.f.RejectDisbursement(e.ctx, adminB, p3.ID, "no")
		wantCode(t, err, fishpond.EForbidden, "requester rejects")
		must(e.f.RejectDisbursement(e.ctx, adminA, p3.ID, "重复申请 duplicate"))
		e.verify(t)
	})
}
