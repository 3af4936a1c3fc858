package live

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// AnchorKind is who an anchor is in the programme.
type AnchorKind string

// The three kinds of anchor of the issue.
const (
	KindHousehold AnchorKind = "household_member" // a member of a registered household
	KindCoopStaff AnchorKind = "coop_staff"       // a cooperative's staff (its manager's account)
	KindOfficial  AnchorKind = "official"         // a county official (县长带货)
)

// Anchor statuses: an application is certified (may go live) or rejected.
const (
	AnchorApplied   = "applied"
	AnchorCertified = "certified"
	AnchorRejected  = "rejected"
)

// Anchor is a user who sells on camera.
type Anchor struct {
	ID          string
	UserID      string
	Kind        AnchorKind
	DisplayName string
	CountyCode  string
	HouseholdID string
	Bio         string
	Status      string
	Reason      string // why rejected
	AppliedAt   time.Time
	CertifiedAt time.Time
}

// AnchorInput is an application.
type AnchorInput struct {
	Kind        AnchorKind
	DisplayName string
	CountyCode  string // for coop staff and officials; a household member's is the household's
	Bio         string
}

// Training is one course an anchor attended, recorded by a county officer.
type Training struct {
	ID        string
	AnchorID  string
	Course    string
	Minutes   int64
	Passed    bool
	TrainedOn string // YYYY-MM-DD
}

// TrainingInput is what an officer records.
type TrainingInput struct {
	Course    string
	Minutes   int64
	Passed    bool
	TrainedOn string
}

// AnchorStats are an anchor's results across all sessions.
type AnchorStats struct {
	Sessions    int
	LiveMinutes int64
	Orders      int // paid attributed orders
	GMV         fishpond.Money
	PeakViewers int64 // the best session's peak
}

// Apply makes the caller an anchor applicant. Who may apply as what follows the
// principal: a household account as a household member (the county is the
// household's), a cooperative manager as coop staff and a county officer as an
// official, in a county of their own; an admin as anything anywhere.
func (s *Service) Apply(ctx context.Context, p fishpond.Principal, in AnchorInput) (Anchor, error) {
	if p.UserID == "" {
		return Anchor{}, fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	in.DisplayName, in.Bio, in.CountyCode = strings.TrimSpace(in.DisplayName), strings.TrimSpace(in.Bio), strings.TrimSpace(in.CountyCode)
	f := map[string]string{}
	if in.DisplayName == "" || utf8.RuneCountInString(in.DisplayName) > 30 {
		f["display_name"] = "必填，最多30字 required, at most 30 characters"
	}
	if utf8.RuneCountInString(in.Bio) > 500 {
		f["bio"] = "最多500字 at most 500 characters"
	}
	a := Anchor{ID: newID(), UserID: p.UserID, Kind: in.Kind, DisplayName: in.DisplayName, Bio: in.Bio, Status: AnchorApplied, AppliedAt: s.now()}
	switch in.Kind {
	case KindHousehold:
		switch {
		case p.Role == fishpond.RoleHousehold && p.HouseholdID != "":
			h, err := s.registry.Household(ctx, p, p.HouseholdID)
			if err != nil {
				return Anchor{}, err
			}
			a.CountyCode, a.HouseholdID = h.CountyCode, h.ID
		case p.Role == fishpond.RoleAdmin:
			a.CountyCode = in.CountyCode
		default:
			f["kind"] = "只有登记户账号可申请为农户主播 only a household account may apply as a household member"
		}
	case KindCoopStaff:
		if p.Role != fishpond.RoleCoopManager && p.Role != fishpond.RoleAdmin {
			f["kind"] = "只有合作社管理员可申请为合作社主播 only a cooperative manager may apply as coop staff"
		}
		a.CountyCode = in.CountyCode
	case KindOfficial:
		if p.Role != fishpond.RoleCountyOfficer && p.Role != fishpond.RoleAdmin {
			f["kind"] = "只有县级干部可申请为干部主播 only a county officer may apply as an official"
		}
		a.CountyCode = in.CountyCode
	default:
		f["kind"] = "须为 household_member、coop_staff 或 official must be household_member, coop_staff or official"
	}
	if _, bad := f["kind"]; !bad && a.CountyCode == "" {
		f["county_code"] = "必填 required"
	} else if a.CountyCode != "" && a.HouseholdID == "" && !p.SeesAllCounties() && !slices.Contains(p.Counties, a.CountyCode) {
		f["county_code"] = "只能在本人负责的县申请 only in a county you serve"
	}
	if len(f) > 0 {
		return Anchor{}, fishpond.Invalid("主播申请有误 invalid anchor application", f)
	}
	if _, err := s.registry.County(ctx, a.CountyCode); err != nil {
		return Anchor{}, fishpond.Invalid("主播申请有误 invalid anchor application", map[string]string{"county_code": "没有该县 no such county"})
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO live_anchors (id, user_id, kind, display_name, county_code, household_id, bio, status, applied_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.UserID, string(a.Kind), a.DisplayName, a.CountyCode, nullable(a.HouseholdID), a.Bio, a.Status, db.FormatTime(a.AppliedAt))
		if db.IsUniqueViolation(err) {
			return conflict("您已申请过主播 you have already applied")
		}
		if err != nil {
			return err
		}
		return events.Append(ctx, tx, a.AppliedAt, events.Event{Type: "live.anchor.applied", Subject: a.ID, CountyCode: a.CountyCode,
			Payload: map[string]any{"kind": a.Kind}})
	})
	if err != nil {
		return Anchor{}, internal(err)
	}
	return a, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const anchorColumns = "id, user_id, kind, display_name, county_code, household_id, bio, status, reason, applied_at, certified_at FROM live_anchors"

func scanAnchor(row interface{ Scan(...any) error }) (Anchor, error) {
	var a Anchor
	var kind, applied string
	var hh, cert *string
	err := row.Scan(&a.ID, &a.UserID, &kind, &a.DisplayName, &a.CountyCode, &hh, &a.Bio, &a.Status, &a.Reason, &applied, &cert)
	if err != nil {
		return a, err
	}
	a.Kind, a.AppliedAt, a.CertifiedAt = AnchorKind(kind), db.MustTime(applied), nullTime(cert)
	if hh != nil {
		a.HouseholdID = *hh
	}
	return a, nil
}

// Anchor reads an anchor's public profile.
func (s *Service) Anchor(ctx context.Context, id string) (Anchor, error) {
	a, err := scanAnchor(s.db.Read().QueryRowContext(ctx, "SELECT "+anchorColumns+" WHERE id = ?", id))
	if err != nil {
		return Anchor{}, db.NotFound(err, "没有该主播 no such anchor")
	}
	return a, nil
}

// MyAnchor reads the caller's own anchor record (not found: not applied yet).
func (s *Service) MyAnchor(ctx context.Context, p fishpond.Principal) (Anchor, error) {
	a, err := scanAnchor(s.db.Read().QueryRowContext(ctx, "SELECT "+anchorColumns+" WHERE user_id = ?", p.UserID))
	if err != nil {
		return Anchor{}, db.NotFound(err, "您还不是主播 you are not an anchor yet")
	}
	return a, nil
}

// Anchors lists a county's anchors for its officers (status "" for all).
func (s *Service) Anchors(ctx context.Context, p fishpond.Principal, county, status string) ([]Anchor, error) {
	if !p.CanSeeCounty(county) {
		return nil, forbidden("无权查看该县主播 you may not see this county's anchors")
	}
	q := "SELECT " + anchorColumns + " WHERE county_code = ?"
	args := []any{county}
	if status != "" {
		q += " AND status = ?"
		args = append(args, status)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY applied_at DESC LIMIT 500", args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Anchor
	for rows.Next() {
		a, err := scanAnchor(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, a)
	}
	return out, internal(rows.Err())
}

// officerOf checks that p may train and certify anchors of the county.
func officerOf(p fishpond.Principal, county string) error {
	if p.Role == fishpond.RoleAdmin || (p.Role == fishpond.RoleCountyOfficer && slices.Contains(p.Counties, county)) {
		return nil
	}
	return forbidden("只有本县干部可培训和认证主播 only the county's officers train and certify anchors")
}

// RecordTraining records a course an anchor attended.
func (s *Service) RecordTraining(ctx context.Context, p fishpond.Principal, anchorID string, in TrainingInput) (Training, error) {
	a, err := s.Anchor(ctx, anchorID)
	if err != nil {
		return Training{}, err
	}
	if err := officerOf(p, a.CountyCode); err != nil {
		return Training{}, err
	}
	in.Course = strings.TrimSpace(in.Course)
	f := map[string]string{}
	if in.Course == "" || utf8.RuneCountInString(in.Course) > 100 {
		f["course"] = "必填，最多100字 required, at most 100 characters"
	}
	if in.Minutes <= 0 || in.Minutes > 10_000 {
		f["minutes"] = "须在1到10000之间 must be 1–10000"
	}
	if d, err := time.Parse("2006-01-02", in.TrainedOn); err != nil || d.After(s.now().Add(24*time.Hour)) {
		f["trained_on"] = "日期格式 YYYY-MM-DD，不能晚于今天 a date (YYYY-MM-DD), not in the future"
	}
	if len(f) > 0 {
		return Training{}, fishpond.Invalid("培训记录有误 invalid training record", f)
	}
	t := Training{ID: newID(), AnchorID: a.ID, Course: in.Course, Minutes: in.Minutes, Passed: in.Passed, TrainedOn: in.TrainedOn}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO live_trainings (id, anchor_id, course, minutes, passed, trained_on, recorded_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.AnchorID, t.Course, t.Minutes, boolInt(t.Passed), t.TrainedOn, p.UserID, db.FormatTime(s.now()))
		return err
	})
	return t, internal(err)
}

// Trainings lists an anchor's training record (public: it backs the profile).
func (s *Service) Trainings(ctx context.Context, anchorID string) ([]Training, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, anchor_id, course, minutes, passed, trained_on FROM live_trainings
		WHERE anchor_id = ? ORDER BY trained_on, id`, anchorID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Training
	for rows.Next() {
		var t Training
		var passed int
		if err := rows.Scan(&t.ID, &t.AnchorID, &t.Course, &t.Minutes, &passed, &t.TrainedOn); err != nil {
			return nil, internal(err)
		}
		t.Passed = passed == 1
		out = append(out, t)
	}
	return out, internal(rows.Err())
}

// Certify approves an applicant who has passed a training course, or rejects the
// application with a reason. Only certified anchors may go live.
func (s *Service) Certify(ctx context.Context, p fishpond.Principal, anchorID string, approve bool, reason string) (Anchor, error) {
	a, err := s.Anchor(ctx, anchorID)
	if err != nil {
		return Anchor{}, err
	}
	if err := officerOf(p, a.CountyCode); err != nil {
		return Anchor{}, err
	}
	reason = strings.TrimSpace(reason)
	if !approve && (reason == "" || utf8.RuneCountInString(reason) > 200) {
		return Anchor{}, fishpond.Invalid("请说明原因 give a reason", map[string]string{"reason": "必填，最多200字 required, at most 200 characters"})
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, "SELECT status FROM live_anchors WHERE id = ?"+tx.ForUpdate(), a.ID).Scan(&status); err != nil {
			return err
		}
		if status == AnchorCertified {
			return conflict("该主播已认证 the anchor is already certified")
		}
		if !approve {
			_, err := tx.ExecContext(ctx, "UPDATE live_anchors SET status = ?, reason = ? WHERE id = ?", AnchorRejected, reason, a.ID)
			a.Status, a.Reason = AnchorRejected, reason
			return err
		}
		var passed int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM live_trainings WHERE anchor_id = ? AND passed = 1", a.ID).Scan(&passed); err != nil {
			return err
		}
		if passed == 0 {
			return conflict("主播尚未通过培训 the anchor has passed no training yet")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE live_anchors SET status = ?, reason = '', certified_at = ?, certified_by = ? WHERE id = ?",
			AnchorCertified, db.FormatTime(now), p.UserID, a.ID); err != nil {
			return err
		}
		a.Status, a.Reason, a.CertifiedAt = AnchorCertified, "", now
		return events.Append(ctx, tx, now, events.Event{Type: "live.anchor.certified", Subject: a.ID, CountyCode: a.CountyCode,
			Payload: map[string]any{"kind": a.Kind, "household": a.HouseholdID != ""}})
	})
	if err != nil {
		return Anchor{}, internal(err)
	}
	return a, nil
}

// Stats sums an anchor's sessions and attributed, paid orders.
func (s *Service) Stats(ctx context.Context, anchorID string) (AnchorStats, error) {
	var st AnchorStats
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, "SELECT started_at, ended_at, peak_viewers FROM live_sessions WHERE anchor_id = ? AND started_at IS NOT NULL", anchorID)
	if err != nil {
		return st, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var start string
		var end *string
		var peak int64
		if err := rows.Scan(&start, &end, &peak); err != nil {
			return st, internal(err)
		}
		st.Sessions++
		e := nullTime(end)
		if e.IsZero() {
			e = s.now()
		}
		st.LiveMinutes += int64(e.Sub(db.MustTime(start)).Minutes())
		st.PeakViewers = max(st.PeakViewers, peak)
	}
	if err := rows.Err(); err != nil {
		return st, internal(err)
	}
	var gmv int64
	err = q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(total - refunded), 0) FROM live_orders
		WHERE anchor_id = ? AND paid_at IS NOT NULL`, anchorID).Scan(&st.Orders, &gmv)
	st.GMV = fishpond.Money(gmv)
	return st, internal(err)
}
