package fund

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/registry"
)

// Enrolment roles.
const (
	RoleParticipant = "participant" // a trainee or beneficiary
	RoleStudent     = "student"
	RoleTeacher     = "teacher"
	RolePrincipal   = "principal"
	RoleWorker      = "worker"  // AI-trainer workplace
	RoleVisitor     = "visitor" // parenting home visitor
)

// Enrolment statuses.
const (
	EnrolEnrolled  = "enrolled"
	EnrolCompleted = "completed"
	EnrolCertified = "certified"
	EnrolDropped   = "dropped"
)

// rolesOf are the roles each kind of programme enrols.
var rolesOf = map[string][]string{
	KindEducation:  {RoleStudent, RoleTeacher, RolePrincipal},
	KindVocational: {RoleParticipant},
	KindWomen:      {RoleVisitor, RoleParticipant},
	KindAITrainer:  {RoleWorker},
	KindOther:      {RoleParticipant},
}

// staffRole reports whether a role is school staff, supported without being a
// registry member (teachers and principals of rural schools).
func staffRole(r string) bool { return r == RoleTeacher || r == RolePrincipal }

// Enrolment is one person in one programme.
type Enrolment struct {
	ID          string    `json:"id"`
	ProgrammeID string    `json:"programme_id"`
	CountyCode  string    `json:"county_code"`
	HouseholdID string    `json:"household_id"` // "" for school staff
	MemberID    string    `json:"member_id"`    // "" for school staff
	StaffRef    string    `json:"staff_ref"`    // a school's staff reference for teachers and principals
	Role        string    `json:"role"`
	Woman       bool      `json:"woman"`
	Course      string    `json:"course"`
	Status      string    `json:"status"`
	Certificate string    `json:"certificate"`
	EnrolledOn  string    `json:"enrolled_on"`
	CompletedOn string    `json:"completed_on"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// EnrolInput enrols a registry member (HouseholdID, MemberID) or, in education
// programmes, a teacher or principal (StaffRef, CountyCode, Woman).
type EnrolInput struct {
	ProgrammeID string `json:"programme_id,omitempty"`
	HouseholdID string `json:"household_id,omitempty"`
	MemberID    string `json:"member_id,omitempty"`
	StaffRef    string `json:"staff_ref,omitempty"`
	CountyCode  string `json:"county_code,omitempty"`
	Woman       bool   `json:"woman,omitempty"`
	Role        string `json:"role,omitempty"`
	Course      string `json:"course,omitempty"`
	On          string `json:"on,omitempty"` // YYYY-MM-DD; "" is today
}

// canEnrol: the fund's staff, and officers of the household's county.
func canEnrol(p fishpond.Principal, county string) bool {
	return canManage(p) || (p.Role == fishpond.RoleCountyOfficer && p.CanEditRegistry(county))
}

// Enrol adds a person to a programme after checking the programme's eligibility
// rule against the registry, its capacity and its dates. An ineligible person is
// refused with the reasons and nothing is written.
func (s *Service) Enrol(ctx context.Context, p fishpond.Principal, in EnrolInput) (Enrolment, error) {
	in.StaffRef, in.Course, in.CountyCode = strings.TrimSpace(in.StaffRef), strings.TrimSpace(in.Course), strings.TrimSpace(in.CountyCode)
	pr, err := loadProgramme(ctx, s.db.Read(), in.ProgrammeID)
	if err != nil {
		return Enrolment{}, err
	}
	if !canSeeProgramme(p, pr) {
		return Enrolment{}, notFound("项目不存在 / programme not found")
	}
	if in.On == "" {
		in.On = s.today()
	}
	f := map[string]string{}
	on, ok := parseDay(in.On)
	switch {
	case !ok:
		f["on"] = "日期格式 YYYY-MM-DD / a date like 2020-03-01"
	case in.On < pr.StartsOn || in.On > pr.EndsOn:
		f["on"] = "不在项目期间 " + pr.StartsOn + "–" + pr.EndsOn + " / outside the programme's dates"
	}
	if !slices.Contains(rolesOf[pr.Kind], in.Role) {
		f["role"] = "该项目可用的角色 / roles of this programme: " + strings.Join(rolesOf[pr.Kind], ", ")
	}
	if tooLong(in.Course, 100) {
		f["course"] = "最长100字 / at most 100 characters"
	}
	e := Enrolment{ID: newID(), ProgrammeID: pr.ID, Role: in.Role, Course: in.Course, Status: EnrolEnrolled, EnrolledOn: in.On, CreatedBy: p.UserID}
	if staffRole(in.Role) {
		if in.StaffRef == "" || tooLong(in.StaffRef, 60) {
			f["staff_ref"] = "学校和工号必填 / the school's staff reference is required"
		}
		if !slices.Contains(pr.Counties, in.CountyCode) {
			f["county_code"] = "须为项目所在县 / must be one of the programme's counties"
		}
		e.StaffRef, e.CountyCode, e.Woman = in.StaffRef, in.CountyCode, in.Woman
	} else if len(f) == 0 {
		h, err := s.reg.Household(ctx, p, in.HouseholdID)
		if err != nil {
			return Enrolment{}, fishpond.Invalid("户不存在 / no such household", map[string]string{"household_id": "unknown household"})
		}
		var m *registry.Member
		for i := range h.Members {
			if h.Members[i].ID == in.MemberID {
				m = &h.Members[i]
			}
		}
		if m == nil {
			return Enrolment{}, fishpond.Invalid("该户没有这个成员 / no such member of the household", map[string]string{"member_id": "not a member of the household"})
		}
		if why := pr.Rule.Check(h, *m, pr.Counties, on); len(why) > 0 {
			return Enrolment{}, fishpond.Invalid("不符合项目条件 / not eligible for the programme", map[string]string{"member_id": strings.Join(why, "; ")})
		}
		e.HouseholdID, e.MemberID, e.CountyCode, e.Woman = h.ID, m.ID, h.CountyCode, m.Sex == "F"
	}
	if len(f) > 0 {
		return Enrolment{}, fishpond.Invalid("报名有误 / invalid enrolment", f)
	}
	if !canEnrol(p, e.CountyCode) {
		return Enrolment{}, forbidden("无权为该县报名 / not allowed to enrol people of this county")
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// Lock the programme row so that concurrent enrolments count capacity in turn.
		var cap int
		if err := tx.QueryRowContext(ctx, "SELECT capacity FROM fund_programmes WHERE id = ?"+tx.ForUpdate(), pr.ID).Scan(&cap); err != nil {
			return fishpond.Internal(err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM fund_enrolments WHERE programme_id = ? AND status <> ?", pr.ID, EnrolDropped).Scan(&n); err != nil {
			return fishpond.Internal(err)
		}
		if n >= cap {
			return fishpond.Errorf(fishpond.EConflict, "项目名额已满（%d）/ the programme is full (%d places)", cap, cap)
		}
		now := s.now()
		e.CreatedAt = now
		_, err := tx.ExecContext(ctx, `INSERT INTO fund_enrolments (id, programme_id, county_code, household_id, member_id, staff_ref, role, woman, course, status,
			certificate, enrolled_on, completed_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, '', ?, ?)`,
			e.ID, e.ProgrammeID, e.CountyCode, e.HouseholdID, e.MemberID, e.StaffRef, e.Role, boolInt(e.Woman), e.Course, e.Status, e.EnrolledOn, e.CreatedBy, db.FormatTime(now))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "此人已报名该项目 / this person is already enrolled in the programme")
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "fund.enrolment.made", Subject: e.ID, CountyCode: e.CountyCode, Payload: map[string]any{
			"enrolment_id": e.ID, "programme_id": pr.ID, "area": pr.Area, "kind": pr.Kind, "county": e.CountyCode, "role": e.Role,
			"woman": e.Woman, "student": e.Role == RoleStudent, "teacher": staffRole(e.Role),
		}})
	})
	if err != nil {
		return Enrolment{}, err
	}
	return e, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const enrolmentColumns = `id, programme_id, county_code, household_id, member_id, staff_ref, role, woman, course, status, certificate, enrolled_on,
	completed_on, created_by, created_at FROM fund_enrolments`

func scanEnrolment(sc interface{ Scan(...any) error }) (Enrolment, error) {
	var e Enrolment
	var woman int
	var created string
	err := sc.Scan(&e.ID, &e.ProgrammeID, &e.CountyCode, &e.HouseholdID, &e.MemberID, &e.StaffRef, &e.Role, &woman, &e.Course, &e.Status, &e.Certificate,
		&e.EnrolledOn, &e.CompletedOn, &e.CreatedBy, &created)
	e.Woman = woman != 0
	if err == nil {
		e.CreatedAt = db.MustTime(created)
	}
	return e, err
}

func loadEnrolment(ctx context.Context, q db.Querier, id string) (Enrolment, error) {
	e, err := scanEnrolment(q.QueryRowContext(ctx, "SELECT "+enrolmentColumns+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Enrolment{}, notFound("报名记录不存在 / enrolment not found")
	}
	if err != nil {
		return Enrolment{}, fishpond.Internal(err)
	}
	return e, nil
}

// Progress moves an enrolment on: completed (course finished), certified (with the
// certificate's number) or dropped. Certification follows completion; a dropped
// or certified enrolment does not move again.
func (s *Service) Progress(ctx context.Context, p fishpond.Principal, enrolmentID, status, certificate, on string) (Enrolment, error) {
	certificate = strings.TrimSpace(certificate)
	if on == "" {
		on = s.today()
	}
	f := map[string]string{}
	if _, ok := parseDay(on); !ok {
		f["on"] = "日期格式 YYYY-MM-DD / a date like 2020-06-30"
	}
	switch status {
	case EnrolCompleted, EnrolDropped:
	case EnrolCertified:
		if certificate == "" || tooLong(certificate, 100) {
			f["certificate"] = "证书编号必填 / the certificate number is required"
		}
	default:
		f["status"] = "completed, certified 或 dropped / one of completed, certified, dropped"
	}
	if len(f) > 0 {
		return Enrolment{}, fishpond.Invalid("状态有误 / invalid progress", f)
	}
	var e Enrolment
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		e, err = scanEnrolment(tx.QueryRowContext(ctx, "SELECT "+enrolmentColumns+" WHERE id = ?"+tx.ForUpdate(), enrolmentID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("报名记录不存在 / enrolment not found")
		} else if err != nil {
			return fishpond.Internal(err)
		}
		if !canEnrol(p, e.CountyCode) {
			return forbidden("无权更改该报名 / not allowed to change this enrolment")
		}
		allowed := map[string][]string{EnrolEnrolled: {EnrolCompleted, EnrolDropped}, EnrolCompleted: {EnrolCertified, EnrolDropped}}
		if !slices.Contains(allowed[e.Status], status) {
			return fishpond.Errorf(fishpond.EConflict, "不能从%s变为%s / cannot go from %s to %s", e.Status, status, e.Status, status)
		}
		completed := e.CompletedOn
		if status == EnrolCompleted {
			completed = on
		}
		if on < e.EnrolledOn {
			return fishpond.Invalid("日期早于报名 / before the enrolment", map[string]string{"on": "must not be before " + e.EnrolledOn})
		}
		if _, err := tx.ExecContext(ctx, "UPDATE fund_enrolments SET status = ?, certificate = ?, completed_on = ? WHERE id = ?", status, certificate, completed, e.ID); err != nil {
			return fishpond.Internal(err)
		}
		e.Status, e.CompletedOn = status, completed
		if status == EnrolCertified {
			e.Certificate = certificate
		}
		return nil
	})
	if err != nil {
		return Enrolment{}, err
	}
	return e, nil
}

// Enrolments lists a programme's enrolments, oldest first.
func (s *Service) Enrolments(ctx context.Context, p fishpond.Principal, programmeID string) ([]Enrolment, error) {
	pr, err := s.Programme(ctx, p, programmeID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+enrolmentColumns+" WHERE programme_id = ? ORDER BY enrolled_on, id", pr.ID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Enrolment
	for rows.Next() {
		e, err := scanEnrolment(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		if canRead(p) || p.CanSeeCounty(e.CountyCode) {
			out = append(out, e)
		}
	}
	return out, rows.Err()
}
