package fund

import (
	"context"
	"slices"
	"strings"

	"fishpond"
	"fishpond/internal/db"
)

// Visit is a parenting home visit by a women's-programme visitor to a registered
// family with a child aged 0–3.
type Visit struct {
	ID            string `json:"id"`
	EnrolmentID   string `json:"enrolment_id"`
	ProgrammeID   string `json:"programme_id"`
	CountyCode    string `json:"county_code"`
	HouseholdID   string `json:"household_id"`
	ChildMemberID string `json:"child_member_id"`
	VisitedOn     string `json:"visited_on"`
	Note          string `json:"note"`
}

// VisitInput logs a visit.
type VisitInput struct {
	EnrolmentID   string `json:"enrolment_id,omitempty"`    // the visitor's enrolment
	HouseholdID   string `json:"household_id,omitempty"`    // the family visited
	ChildMemberID string `json:"child_member_id,omitempty"` // its child aged 0–3
	On            string `json:"on,omitempty"`              // YYYY-MM-DD
	Note          string `json:"note,omitempty"`
}

// LogVisit records a home visit. The visited family must be registered in one of
// the programme's counties and the child must be aged 0 to 3 on the day. One visit
// per visitor, family and day.
func (s *Service) LogVisit(ctx context.Context, p fishpond.Principal, in VisitInput) (Visit, error) {
	in.Note = strings.TrimSpace(in.Note)
	if in.On == "" {
		in.On = s.today()
	}
	on, ok := parseDay(in.On)
	if !ok {
		return Visit{}, fishpond.Invalid("日期有误 / invalid date", map[string]string{"on": "a date like 2020-05-12"})
	}
	if tooLong(in.Note, 500) {
		return Visit{}, fishpond.Invalid("备注过长 / note too long", map[string]string{"note": "at most 500 characters"})
	}
	e, err := loadEnrolment(ctx, s.db.Read(), in.EnrolmentID)
	if err != nil {
		return Visit{}, err
	}
	if !canEnrol(p, e.CountyCode) {
		return Visit{}, forbidden("无权登记家访 / not allowed to log visits here")
	}
	pr, err := loadProgramme(ctx, s.db.Read(), e.ProgrammeID)
	if err != nil {
		return Visit{}, err
	}
	if pr.Kind != KindWomen || e.Role != RoleVisitor || e.Status == EnrolDropped {
		return Visit{}, fishpond.Invalid("不是在岗的家访员 / not an active home visitor", map[string]string{"enrolment_id": "must be a visitor of a women's programme"})
	}
	if in.On < e.EnrolledOn || in.On > pr.EndsOn {
		return Visit{}, fishpond.Invalid("不在服务期间 / outside the visitor's service", map[string]string{"on": "between " + e.EnrolledOn + " and " + pr.EndsOn})
	}
	h, err := s.reg.Household(ctx, p, in.HouseholdID)
	if err != nil {
		return Visit{}, fishpond.Invalid("户不存在 / no such household", map[string]string{"household_id": "unknown household"})
	}
	if !slices.Contains(pr.Counties, h.CountyCode) {
		return Visit{}, fishpond.Invalid("该户不在项目所在县 / the family is not in the programme's counties", map[string]string{"household_id": "outside the programme's counties"})
	}
	child := false
	for _, m := range h.Members {
		if m.ID == in.ChildMemberID {
			age, ok := Age(m.BirthDate, on)
			child = ok && age >= 0 && age <= 3
		}
	}
	if !child {
		return Visit{}, fishpond.Invalid("须为该户0–3岁的孩子 / must be a child of the family aged 0–3 on the day", map[string]string{"child_member_id": "not a child aged 0–3 of this household"})
	}
	v := Visit{ID: newID(), EnrolmentID: e.ID, ProgrammeID: pr.ID, CountyCode: h.CountyCode, HouseholdID: h.ID, ChildMemberID: in.ChildMemberID, VisitedOn: in.On, Note: in.Note}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO fund_visits (id, enrolment_id, programme_id, county_code, household_id, child_member_id, visited_on, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.ID, v.EnrolmentID, v.ProgrammeID, v.CountyCode, v.HouseholdID, v.ChildMemberID, v.VisitedOn, v.Note, p.UserID, db.FormatTime(s.now()))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "当天已登记过这次家访 / this visit is already logged for the day")
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
	if err != nil {
		return Visit{}, err
	}
	return v, nil
}
