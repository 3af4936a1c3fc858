package fund

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Specialist is a member of staff posted to a county as a poverty-alleviation
// specialist (扶贫特派员) for a period.
type Specialist struct {
	ID          string `json:"id"`
	StaffRef    string `json:"staff_ref"`
	DisplayName string `json:"display_name"`
	CountyCode  string `json:"county_code"`
	StartsOn    string `json:"starts_on"`
	EndsOn      string `json:"ends_on"`
	Reports     int    `json:"reports"`
}

// SpecialistInput posts a specialist.
type SpecialistInput struct {
	StaffRef    string `json:"staff_ref,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	CountyCode  string `json:"county_code,omitempty"`
	StartsOn    string `json:"starts_on,omitempty"`
	EndsOn      string `json:"ends_on,omitempty"`
}

// PostSpecialist records a posting. The same person cannot be posted to two
// counties over overlapping periods.
func (s *Service) PostSpecialist(ctx context.Context, p fishpond.Principal, in SpecialistInput) (Specialist, error) {
	if !canManage(p) {
		return Specialist{}, forbidden("只有基金管理员可以派驻特派员 / only fund administrators post specialists")
	}
	in.StaffRef, in.DisplayName, in.CountyCode = strings.TrimSpace(in.StaffRef), strings.TrimSpace(in.DisplayName), strings.TrimSpace(in.CountyCode)
	f := map[string]string{}
	if in.StaffRef == "" || tooLong(in.StaffRef, 60) {
		f["staff_ref"] = "员工编号必填 / the staff reference is required"
	}
	if in.DisplayName == "" || tooLong(in.DisplayName, 60) {
		f["display_name"] = "姓名必填 / the name is required"
	}
	if _, err := s.reg.County(ctx, in.CountyCode); err != nil {
		f["county_code"] = "未知的县 / unknown county"
	}
	start, ok1 := parseDay(in.StartsOn)
	end, ok2 := parseDay(in.EndsOn)
	if !ok1 {
		f["starts_on"] = "日期格式 YYYY-MM-DD / a date like 2019-03-01"
	} else if !ok2 || end.Before(start) {
		f["ends_on"] = "须为不早于开始的日期 / a date not before the start"
	}
	if len(f) > 0 {
		return Specialist{}, fishpond.Invalid("派驻信息有误 / invalid posting", f)
	}
	sp := Specialist{ID: newID(), StaffRef: in.StaffRef, DisplayName: in.DisplayName, CountyCode: in.CountyCode, StartsOn: in.StartsOn, EndsOn: in.EndsOn}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var other string
		err := tx.QueryRowContext(ctx, "SELECT county_code FROM fund_specialists WHERE staff_ref = ? AND starts_on <= ? AND ends_on >= ?", sp.StaffRef, sp.EndsOn, sp.StartsOn).Scan(&other)
		if err == nil {
			return fishpond.Errorf(fishpond.EConflict, "此人该期间已派驻%s / this person is already posted to %s in that period", other, other)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO fund_specialists (id, staff_ref, display_name, county_code, starts_on, ends_on, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sp.ID, sp.StaffRef, sp.DisplayName, sp.CountyCode, sp.StartsOn, sp.EndsOn, p.UserID, db.FormatTime(s.now()))
		if err != nil {
			return fishpond.Internal(err)
		}
		// The report's "counties visited": a specialist posted to a county.
		if err := events.Append(ctx, tx, s.now(), events.Event{Type: "fund.specialist.posted", Subject: sp.ID, CountyCode: sp.CountyCode,
			Payload: map[string]any{"specialist_id": sp.ID, "starts_on": sp.StartsOn, "ends_on": sp.EndsOn}}); err != nil {
			return err
		}
		return staffEngaged(ctx, tx, s.now(), sp.StaffRef, sp.ID, sp.CountyCode)
	})
	if err != nil {
		return Specialist{}, err
	}
	return sp, nil
}

// ReportVisit records a specialist's report from the county (a visit, what was done).
func (s *Service) ReportVisit(ctx context.Context, p fishpond.Principal, specialistID, on, summary string) error {
	if !canManage(p) {
		return forbidden("只有基金管理员可以登记报告 / only fund administrators record reports")
	}
	summary = strings.TrimSpace(summary)
	f := map[string]string{}
	if _, ok := parseDay(on); !ok {
		f["on"] = "日期格式 YYYY-MM-DD / a date like 2020-05-12"
	}
	if summary == "" || tooLong(summary, 2000) {
		f["summary"] = "必填，最长2000字 / required, at most 2000 characters"
	}
	if len(f) > 0 {
		return fishpond.Invalid("报告有误 / invalid report", f)
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var county, starts, ends string
		if err := tx.QueryRowContext(ctx, "SELECT county_code, starts_on, ends_on FROM fund_specialists WHERE id = ?", specialistID).Scan(&county, &starts, &ends); err != nil {
			return db.NotFound(err, "特派员不存在 / specialist not found")
		}
		if on < starts || on > ends {
			return fishpond.Invalid("不在派驻期间 / outside the posting", map[string]string{"on": "between " + starts + " and " + ends})
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO fund_specialist_reports (id, specialist_id, county_code, reported_on, summary, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, newID(), specialistID, county, on, summary, p.UserID, db.FormatTime(s.now()))
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
}

// Specialists lists the postings, newest first.
func (s *Service) Specialists(ctx context.Context, p fishpond.Principal) ([]Specialist, error) {
	if !canRead(p) {
		return nil, forbidden("无权查看 / not allowed")
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, staff_ref, display_name, county_code, starts_on, ends_on,
		(SELECT COUNT(*) FROM fund_specialist_reports r WHERE r.specialist_id = s.id) FROM fund_specialists s ORDER BY starts_on DESC, id`)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Specialist
	for rows.Next() {
		var sp Specialist
		if err := rows.Scan(&sp.ID, &sp.StaffRef, &sp.DisplayName, &sp.CountyCode, &sp.StartsOn, &sp.EndsOn, &sp.Reports); err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// VolunteerTargetMinutes is each employee's public-service target per year:
// three hours.
const VolunteerTargetMinutes = 180

// VolunteerInput logs public-service time of a member of staff.
type VolunteerInput struct {
	StaffRef       string `json:"staff_ref,omitempty"`
	CountyCode     string `json:"county_code,omitempty"`
	Project        string `json:"project,omitempty"`
	Minutes        int64  `json:"minutes,omitempty"`
	On             string `json:"on,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// VolunteerEntry is one logged stint.
type VolunteerEntry struct {
	ID         string `json:"id"`
	StaffRef   string `json:"staff_ref"`
	CountyCode string `json:"county_code"`
	Project    string `json:"project"`
	Minutes    int64  `json:"minutes"`
	ServedOn   string `json:"served_on"`
	Replayed   bool   `json:"replayed"`
}

// LogVolunteer records volunteer time against a county project, once per
// idempotency key.
func (s *Service) LogVolunteer(ctx context.Context, p fishpond.Principal, in VolunteerInput) (VolunteerEntry, error) {
	if !canManage(p) {
		return VolunteerEntry{}, forbidden("只有基金管理员可以登记志愿时长 / only fund administrators log volunteer hours")
	}
	in.StaffRef, in.Project, in.IdempotencyKey = strings.TrimSpace(in.StaffRef), strings.TrimSpace(in.Project), strings.TrimSpace(in.IdempotencyKey)
	f := map[string]string{}
	if in.StaffRef == "" || tooLong(in.StaffRef, 60) {
		f["staff_ref"] = "员工编号必填 / the staff reference is required"
	}
	if in.Project == "" || tooLong(in.Project, 100) {
		f["project"] = "项目必填 / the project is required"
	}
	if in.Minutes <= 0 || in.Minutes > 24*60 {
		f["minutes"] = "每次0–24小时 / more than 0 and at most 24 hours at a time"
	}
	if _, ok := parseDay(in.On); !ok {
		f["on"] = "日期格式 YYYY-MM-DD / a date like 2020-05-12"
	} else if in.On > s.today() {
		f["on"] = "不能是将来的日期 / must not be in the future"
	}
	if _, err := s.reg.County(ctx, in.CountyCode); err != nil {
		f["county_code"] = "未知的县 / unknown county"
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 150 {
		f["idempotency_key"] = "必填 / required"
	}
	if len(f) > 0 {
		return VolunteerEntry{}, fishpond.Invalid("志愿时长有误 / invalid volunteer hours", f)
	}
	v := VolunteerEntry{ID: newID(), StaffRef: in.StaffRef, CountyCode: in.CountyCode, Project: in.Project, Minutes: in.Minutes, ServedOn: in.On}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var prev VolunteerEntry
		err := tx.QueryRowContext(ctx, "SELECT id, staff_ref, county_code, project, minutes, served_on FROM fund_volunteer_hours WHERE idempotency_key = ?", in.IdempotencyKey).
			Scan(&prev.ID, &prev.StaffRef, &prev.CountyCode, &prev.Project, &prev.Minutes, &prev.ServedOn)
		if err == nil {
			if prev.StaffRef != v.StaffRef || prev.Minutes != v.Minutes || prev.ServedOn != v.ServedOn || prev.CountyCode != v.CountyCode || prev.Project != v.Project {
				return fishpond.Errorf(fishpond.EConflict, "幂等键已用于另一条记录 / the idempotency key was used for another entry")
			}
			v, v.Replayed = prev, true
			return nil
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO fund_volunteer_hours (id, staff_ref, county_code, project, minutes, served_on, idempotency_key, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.ID, v.StaffRef, v.CountyCode, v.Project, v.Minutes, v.ServedOn, in.IdempotencyKey, p.UserID, db.FormatTime(now)); err != nil {
			if db.IsUniqueViolation(err) {
				return db.Retry(err)
			}
			return fishpond.Internal(err)
		}
		if err := events.Append(ctx, tx, now, events.Event{Type: "fund.volunteer.logged", Subject: v.ID, CountyCode: v.CountyCode, Payload: map[string]any{
			"entry_id": v.ID, "county": v.CountyCode, "minutes": v.Minutes, "hours": float64(v.Minutes) / 60, "served_on": v.ServedOn,
		}}); err != nil {
			return err
		}
		return staffEngaged(ctx, tx, now, v.StaffRef, v.ID, v.CountyCode)
	})
	if err != nil {
		return VolunteerEntry{}, err
	}
	return v, nil
}

// VolunteerYear is one person's public service in a year against the target.
type VolunteerYear struct {
	StaffRef string `json:"staff_ref"`
	Minutes  int64  `json:"minutes"`
	Counties int    `json:"counties"`
	Met      bool   `json:"met"`
}

// VolunteerSummary is a year's volunteer log with the per-person target.
type VolunteerSummary struct {
	Year         int              `json:"year"`
	People       []VolunteerYear  `json:"people"`
	TotalMinutes int64            `json:"total_minutes"`
	MetTarget    int              `json:"met_target"`
	Recent       []VolunteerEntry `json:"recent"`
}

// Hours renders minutes as hours with one decimal, e.g. "2.5".
func Hours(minutes int64) string { return fmt.Sprintf("%d.%d", minutes/60, minutes%60*10/60) }

// Volunteers summarises a year: each person's minutes and whether they met the
// three-hour target, the total, and the latest entries.
func (s *Service) Volunteers(ctx context.Context, p fishpond.Principal, year int) (VolunteerSummary, error) {
	if !canRead(p) {
		return VolunteerSummary{}, forbidden("无权查看 / not allowed")
	}
	if year < 2000 || year > 2100 {
		return VolunteerSummary{}, fishpond.Invalid("年份有误 / invalid year", map[string]string{"year": "2000–2100"})
	}
	from, to := fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year)
	sum := VolunteerSummary{Year: year}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT staff_ref, SUM(minutes), COUNT(DISTINCT county_code) FROM fund_volunteer_hours
		WHERE served_on >= ? AND served_on <= ? GROUP BY staff_ref ORDER BY staff_ref`, from, to)
	if err != nil {
		return sum, fishpond.Internal(err)
	}
	for rows.Next() {
		var v VolunteerYear
		if err := rows.Scan(&v.StaffRef, &v.Minutes, &v.Counties); err != nil {
			rows.Close()
			return sum, fishpond.Internal(err)
		}
		v.Met = v.Minutes >= VolunteerTargetMinutes
		if v.Met {
			sum.MetTarget++
		}
		sum.TotalMinutes += v.Minutes
		sum.People = append(sum.People, v)
	}
	rows.Close()
	rows, err = s.db.Read().QueryContext(ctx, `SELECT id, staff_ref, county_code, project, minutes, served_on FROM fund_volunteer_hours
		WHERE served_on >= ? AND served_on <= ? ORDER BY served_on DESC, id DESC LIMIT 50`, from, to)
	if err != nil {
		return sum, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v VolunteerEntry
		if err := rows.Scan(&v.ID, &v.StaffRef, &v.CountyCode, &v.Project, &v.Minutes, &v.ServedOn); err != nil {
			return sum, fishpond.Internal(err)
		}
		sum.Recent = append(sum.Recent, v)
	}
	return sum, rows.Err()
}

// staffEngaged appends fund.staff.engaged the first time a member of staff gives
// volunteer time or is posted as a specialist, so the report can count distinct
// staff engaged (a stock) from events. rowID is the row just written, which the
// check leaves out. Its subject is the row's opaque ID, never the staff reference.
func staffEngaged(ctx context.Context, tx *db.Tx, now time.Time, staffRef, rowID, county string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM fund_volunteer_hours WHERE staff_ref = ? AND id <> ?)
		+ (SELECT COUNT(*) FROM fund_specialists WHERE staff_ref = ? AND id <> ?)`, staffRef, rowID, staffRef, rowID).Scan(&n); err != nil {
		return fishpond.Internal(err)
	}
	if n > 0 {
		return nil
	}
	return events.Append(ctx, tx, now, events.Event{Type: "fund.staff.engaged", Subject: rowID, CountyCode: county, Payload: map[string]any{"first_row": rowID}})
}
