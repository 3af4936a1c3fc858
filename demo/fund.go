package demo

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/fund"
	"fishpond/registry"
)

func init() { steps = append(steps, step{name: "fund", run: loadFund}) }

// loadFund shows the fund and its programmes: a 10-billion-yuan fund allocated
// across the five areas and to the demo counties; a vocational programme in 阜平
// whose graduates' wages (2020) lift their households over the line — the step
// re-assesses 2020 so it shows; parenting home visitors in 东乡, an
// AI-trainer workplace in 兰考, scholarships in 阜平, direct medical relief, a
// disbursement approved by a second administrator and one waiting for the "fund"
// login to approve; specialists posted to the three counties and staff volunteer
// hours.
func loadFund(ctx context.Context, d Deps, l Loaded) error {
	if d.Fund == nil {
		return nil // a caller loading only part of the demo (a capability's own test)
	}
	f, reg := d.Fund, d.Registry
	fundUser, err := d.Access.UserByName(ctx, "fund")
	if err != nil {
		return err
	}
	adminUser, err := d.Access.UserByName(ctx, "admin")
	if err != nil {
		return err
	}
	fa, admin := fundUser.Principal(), adminUser.Principal()
	fd, err := f.CreateFund(ctx, fa, fund.FundInput{Name: "百亿公益扶贫基金", Committed: fishpond.Yuan(10_000_000_000), StartsOn: "2017-12-01",
		EndsOn: "2022-11-30", FourEyesAbove: fishpond.Yuan(100_000)})
	if err != nil {
		return fmt.Errorf("fund: %w", err)
	}
	area := map[string]fund.Allocation{}
	for _, a := range []struct {
		area string
		yuan int64
	}{{fund.AreaEcommerce, 3_000_000_000}, {fund.AreaEducation, 2_000_000_000}, {fund.AreaHealth, 2_000_000_000}, {fund.AreaWomen, 1_500_000_000}, {fund.AreaEcology, 1_500_000_000}} {
		if area[a.area], err = f.Allocate(ctx, fa, fund.AllocationInput{FundID: fd.ID, Area: a.area, Budget: fishpond.Yuan(a.yuan)}); err != nil {
			return fmt.Errorf("allocate %s: %w", a.area, err)
		}
	}
	county := func(a, code string, yuan int64) (fund.Allocation, error) {
		return f.Allocate(ctx, fa, fund.AllocationInput{FundID: fd.ID, Area: a, CountyCode: code, Budget: fishpond.Yuan(yuan)})
	}
	programme := func(a, kind, name, code string, rule fund.Rule, capacity int, rate fishpond.Money) (fund.Programme, error) {
		return f.CreateProgramme(ctx, fa, fund.ProgrammeInput{FundID: fd.ID, Area: a, Kind: kind, Name: name, Rule: rule, Capacity: capacity,
			StartsOn: "2020-01-01", EndsOn: "2022-11-30", PieceRate: rate, Counties: []string{code}})
	}
	byCounty := map[string][]registry.Household{}
	for _, h := range l.Households {
		hh, err := reg.Household(ctx, fishpond.System, h.ID)
		if err != nil {
			return err
		}
		byCounty[h.County] = append(byCounty[h.County], hh)
	}
	// enrolSome enrols up to n members of the county's households that the rule
	// admits (poor households first when poorFirst), skipping the ineligible.
	enrolSome := func(pr fund.Programme, code, role string, n int, on string, poorFirst bool) ([]fund.Enrolment, error) {
		var out []fund.Enrolment
		order := byCounty[code]
		if poorFirst {
			// Households poor for want of income come first (their indicators are
			// met): a job is what moves them.
			var byIncome, poor, rest []registry.Household
			for _, h := range order {
				switch {
				case h.Status == "poor" && h.Indicators.AllMet():
					byIncome = append(byIncome, h)
				case h.Status == "poor":
					poor = append(poor, h)
				default:
					rest = append(rest, h)
				}
			}
			order = append(append(byIncome, poor...), rest...)
		}
		for _, h := range order {
			for _, m := range h.Members {
				if len(out) == n {
					return out, nil
				}
				e, err := f.Enrol(ctx, fa, fund.EnrolInput{ProgrammeID: pr.ID, HouseholdID: h.ID, MemberID: m.ID, Role: role, On: on})
				if fishpond.Code(err) == fishpond.EInvalid || fishpond.Code(err) == fishpond.EConflict {
					continue
				}
				if err != nil {
					return nil, err
				}
				out = append(out, e)
				break // one member per household
			}
		}
		return out, nil
	}

	// Vocational training and job placement in 阜平.
	lo, hi := fund.Ages(18, 50)
	voc, err := programme(fund.AreaEducation, fund.KindVocational, "阜平县电工与家政职业培训", "130624", fund.Rule{MinAge: lo, MaxAge: hi, NoSkills: true}, 60, 0)
	if err != nil {
		return fmt.Errorf("vocational programme: %w", err)
	}
	vocAlloc, err := f.Allocate(ctx, fa, fund.AllocationInput{FundID: fd.ID, Area: fund.AreaEducation, ProgrammeID: voc.ID, Budget: fishpond.Yuan(600_000)})
	if err != nil {
		return err
	}
	if _, err := f.RequestDisbursement(ctx, fa, fund.DisbursementInput{AllocationID: vocAlloc.ID, PayeeKind: fund.PayeeProgramme,
		Purpose: "2020年春季班培训费 training costs, spring 2020", Amount: fishpond.Yuan(96_000), IdempotencyKey: "demo:voc:costs", On: "2020-01-20"}); err != nil {
		return fmt.Errorf("training costs: %w", err)
	}
	trainees, err := enrolSome(voc, "130624", fund.RoleParticipant, 14, "2020-01-06", true)
	if err != nil {
		return fmt.Errorf("enrol trainees: %w", err)
	}
	employers := []string{"保定市供电服务公司", "石家庄家政服务中心", "阜平县城建公司", "北京康乐家政"}
	for i, e := range trainees {
		if i == len(trainees)-1 {
			break // one still in training
		}
		if _, err := f.Progress(ctx, fa, e.ID, fund.EnrolCompleted, "", "2020-02-28"); err != nil {
			return err
		}
		if i%3 == 2 {
			continue // completed, not yet certified or placed
		}
		if _, err := f.Progress(ctx, fa, e.ID, fund.EnrolCertified, fmt.Sprintf("冀职证2020-%04d", i+1), "2020-03-05"); err != nil {
			return err
		}
		pl, err := f.Place(ctx, fa, fund.PlaceInput{EnrolmentID: e.ID, Employer: employers[i%len(employers)], MonthlyWage: fishpond.Yuan(int64(2800 + 150*(i%5))), StartsOn: "2020-03-09"})
		if err != nil {
			return fmt.Errorf("place: %w", err)
		}
		for m := 3; m <= 12; m++ {
			if _, err := f.PayWage(ctx, fa, pl.ID, fmt.Sprintf("2020-%02d", m)); err != nil {
				return fmt.Errorf("wage: %w", err)
			}
		}
	}

	// Education in 阜平: students, teachers and scholarships to their households.
	yes := true
	edu, err := programme(fund.AreaEducation, fund.KindEducation, "阜平县乡村教育计划", "130624", fund.Rule{InSchool: &yes}, 200, 0)
	if err != nil {
		return err
	}
	eduAlloc, err := county(fund.AreaEducation, "130624", 2_000_000)
	if err != nil {
		return err
	}
	students, err := enrolSome(edu, "130624", fund.RoleStudent, 12, "2020-09-01", true)
	if err != nil {
		return fmt.Errorf("students: %w", err)
	}
	for i, st := range students {
		if _, err := f.RequestDisbursement(ctx, fa, fund.DisbursementInput{AllocationID: eduAlloc.ID, PayeeKind: fund.PayeeHousehold, HouseholdID: st.HouseholdID,
			EnrolmentID: st.ID, Purpose: "2020年秋季奖学金 scholarship, autumn 2020", Amount: fishpond.Yuan(1500), IdempotencyKey: fmt.Sprintf("demo:sch:%d", i), On: "2020-09-15"}); err != nil {
			return fmt.Errorf("scholarship: %w", err)
		}
	}
	for i, ref := range []string{"城南庄中学-T03", "龙泉关小学-T11", "骆驼湾小学-P01"} {
		role := fund.RoleTeacher
		if i == 2 {
			role = fund.RolePrincipal
		}
		if _, err := f.Enrol(ctx, fa, fund.EnrolInput{ProgrammeID: edu.ID, StaffRef: ref, CountyCode: "130624", Woman: i != 1, Role: role, On: "2020-09-01"}); err != nil {
			return fmt.Errorf("teacher: %w", err)
		}
	}

	// Parenting home visitors in 东乡: local women visit families with 0–3-year-olds.
	wlo, whi := fund.Ages(20, 50)
	women, err := programme(fund.AreaWomen, fund.KindWomen, "东乡县育儿家访员", "622926", fund.Rule{Sex: "F", MinAge: wlo, MaxAge: whi}, 30, fishpond.Yuan(30))
	if err != nil {
		return err
	}
	if _, err := county(fund.AreaWomen, "622926", 500_000); err != nil {
		return err
	}
	visitors, err := enrolSome(women, "622926", fund.RoleVisitor, 6, "2020-03-01", false)
	if err != nil {
		return fmt.Errorf("visitors: %w", err)
	}
	var families []registry.Household
	var children []string
	for _, h := range byCounty["622926"] {
		for _, m := range h.Members {
			if age, ok := fund.Age(m.BirthDate, time.Date(2020, 6, 1, 0, 0, 0, 0, fishpond.ChinaTime)); ok && age <= 2 {
				families, children = append(families, h), append(children, m.ID)
				break
			}
		}
	}
	for i, v := range visitors {
		for month := 4; month <= 9 && len(families) > 0; month++ {
			for k := 0; k < 3; k++ {
				j := (i*7 + month*3 + k) % len(families)
				_, err := f.LogVisit(ctx, fa, fund.VisitInput{EnrolmentID: v.ID, HouseholdID: families[j].ID, ChildMemberID: children[j],
					On: fmt.Sprintf("2020-%02d-%02d", month, 5+k*8), Note: "亲子阅读与辅食指导"})
				if err != nil && fishpond.Code(err) != fishpond.EConflict {
					return fmt.Errorf("visit: %w", err)
				}
			}
			if _, err := f.PayPiece(ctx, fa, v.ID, fmt.Sprintf("2020-%02d", month), 0); err != nil {
				return fmt.Errorf("visit pay: %w", err)
			}
		}
	}

	// An AI-trainer (data-labelling) workplace in 兰考, piece-rate pay.
	alo, ahi := fund.Ages(18, 45)
	ai, err := programme(fund.AreaEcommerce, fund.KindAITrainer, "兰考县AI训练师基地", "410225", fund.Rule{MinAge: alo, MaxAge: ahi}, 40, 5)
	if err != nil {
		return err
	}
	workers, err := enrolSome(ai, "410225", fund.RoleWorker, 10, "2020-05-06", true)
	if err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	for i, w := range workers {
		for month := 5; month <= 12; month++ {
			if _, err := f.PayPiece(ctx, fa, w.ID, fmt.Sprintf("2020-%02d", month), int64(24_000+1_500*((i+month)%7))); err != nil {
				return fmt.Errorf("labelling pay: %w", err)
			}
		}
	}

	// Health: direct medical relief in 东乡 (transfer income), a hospital grant
	// approved by a second administrator, and one grant waiting for approval.
	health, err := county(fund.AreaHealth, "622926", 1_500_000)
	if err != nil {
		return err
	}
	for i, h := range byCounty["622926"][:8] {
		if _, err := f.RequestDisbursement(ctx, fa, fund.DisbursementInput{AllocationID: health.ID, PayeeKind: fund.PayeeHousehold, HouseholdID: h.ID,
			Purpose: "大病医疗救助 medical relief", Amount: fishpond.Yuan(int64(1200 + 300*(i%4))), IdempotencyKey: fmt.Sprintf("demo:relief:%d", i), On: "2020-07-10"}); err != nil {
			return fmt.Errorf("relief: %w", err)
		}
	}
	grant, err := f.RequestDisbursement(ctx, fa, fund.DisbursementInput{AllocationID: health.ID, PayeeKind: fund.PayeePartner, Payee: "东乡县妇幼保健院",
		Purpose: "新生儿筛查设备 newborn screening equipment", Amount: fishpond.Yuan(380_000), IdempotencyKey: "demo:hospital", On: "2020-08-03"})
	if err != nil {
		return err
	}
	if _, err := f.AttachDocument(ctx, fa, grant.ID, "采购合同.txt", []byte("东乡县妇幼保健院 新生儿筛查设备采购合同 2020-07-28 金额 380000 元")); err != nil {
		return err
	}
	if _, err := f.ApproveDisbursement(ctx, admin, grant.ID); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	ecomm, err := county(fund.AreaEcommerce, "410225", 800_000)
	if err != nil {
		return err
	}
	waiting, err := f.RequestDisbursement(ctx, admin, fund.DisbursementInput{AllocationID: ecomm.ID, PayeeKind: fund.PayeePartner, Payee: "兰考县电商服务中心",
		Purpose: "直播间与冷库建设 live-stream studio and cold store", Amount: fishpond.Yuan(260_000), IdempotencyKey: "demo:lankao-centre"})
	if err != nil {
		return err
	}
	if _, err := f.AttachDocument(ctx, admin, waiting.ID, "预算.txt", []byte("直播间 120000 元；冷库 140000 元")); err != nil {
		return err
	}

	// Specialists posted to the three counties, and staff volunteer hours.
	for i, sp := range []struct{ ref, name, code string }{{"E10021", "李志远", "130624"}, {"E10388", "王晓梅", "410225"}, {"E11205", "马建国", "622926"}} {
		s, err := f.PostSpecialist(ctx, fa, fund.SpecialistInput{StaffRef: sp.ref, DisplayName: sp.name, CountyCode: sp.code, StartsOn: "2019-06-01", EndsOn: "2021-05-31"})
		if err != nil {
			return fmt.Errorf("specialist: %w", err)
		}
		for k, on := range []string{"2020-03-18", "2020-06-22", "2020-10-15"} {
			if err := f.ReportVisit(ctx, fa, s.ID, on, fmt.Sprintf("第%d次驻县报告：走访合作社与培训班，协调产品上线", k+1+i*0)); err != nil {
				return err
			}
		}
	}
	projects := []struct{ code, name string }{{"130624", "骆驼湾小学读书会"}, {"410225", "兰考电商直播培训"}, {"622926", "东乡儿童早期发展"}}
	thisYear := time.Now().In(fishpond.ChinaTime)
	for i := 0; i < 48; i++ {
		p := projects[i%len(projects)]
		staff := fmt.Sprintf("E2%04d", i%24)
		for _, on := range []string{fmt.Sprintf("2020-%02d-%02d", 3+i%9, 1+i%27), thisYear.AddDate(0, 0, -(i*5)%300).Format(time.DateOnly)} {
			_, err := f.LogVolunteer(ctx, fa, fund.VolunteerInput{StaffRef: staff, CountyCode: p.code, Project: p.name, Minutes: int64(60 + 30*(i%4)), On: on,
				IdempotencyKey: fmt.Sprintf("demo:vol:%d:%s", i, on)})
			if err != nil {
				return fmt.Errorf("volunteer: %w", err)
			}
		}
	}

	// Wages, piece-rate pay, scholarships and relief are 2020 income: assess 2020
	// again so the households' statuses show what the programmes did.
	if _, err := d.Assessor.Run(ctx, fishpond.System, 2020, ""); err != nil {
		return fmt.Errorf("re-assess: %w", err)
	}
	return nil
}
