package green

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"

	"github.com/google/uuid"
)

// Work statuses.
const (
	WorkSubmitted = "submitted"
	WorkVerified  = "verified" // and paid
	WorkRejected  = "rejected"
)

// Work is reported work with its evidence: trees planted on a day, or days guarded
// up to a day.
type Work struct {
	ID          string
	JobID       string
	ProjectID   string
	HouseholdID string
	CountyCode  string
	Kind        string
	Date        time.Time // the work day (China midnight)
	Quantity    int64     // trees planted, or days guarded
	PhotoSHA256 string
	PhotoType   string
	Lat, Lon    float64
	TakenAt     time.Time
	GeoSource   string // "exif": the photo's own tags; "device": the phone's report
	Status      string
	Reason      string
	Wage        fishpond.Money
	TransferID  string
	SubmittedBy string
	SubmittedAt time.Time
	VerifiedBy  string
	VerifiedAt  time.Time
	Replayed    bool
}

// WorkInput is a report of work with its photo and where and when it was taken,
// from the phone's location and clock. When the photo carries its own GPS and time
// tags (EXIF), those are the evidence, and a report that disagrees with them by
// more than 1 km or 2 hours is refused.
type WorkInput struct {
	JobID    string
	Date     string // YYYY-MM-DD (China)
	Quantity int64
	Lat, Lon float64
	TakenAt  time.Time
	Photo    io.Reader
	Key      string // idempotency key
}

// MaxWorkAge is how far back work may be reported.
const MaxWorkAge = 180 * 24 * time.Hour

// SubmitWork records reported work with its geo-tagged, time-stamped photo. The
// household itself or the project's officers may report; nothing is paid until an
// officer verifies it.
func (s *Service) SubmitWork(ctx context.Context, p fishpond.Principal, in WorkInput) (Work, error) {
	j, err := loadJob(ctx, s.db.Read(), in.JobID)
	if err != nil {
		return Work{}, err
	}
	own := p.Role == fishpond.RoleHousehold && p.HouseholdID == j.HouseholdID
	if !own && !CanManage(p, j.CountyCode) {
		return Work{}, fishpond.Errorf(fishpond.ENotFound, "工作 %s 不存在 job %s not found", in.JobID, in.JobID)
	}
	pr, err := s.Project(ctx, j.ProjectID)
	if err != nil {
		return Work{}, err
	}
	photo, ct, err := readPhoto(in.Photo)
	if err != nil {
		return Work{}, err
	}
	now := s.now()
	f := map[string]string{}
	taken, lat, lon, source := in.TakenAt.UTC().Truncate(time.Microsecond), in.Lat, in.Lon, "device"
	if ct == "image/jpeg" {
		tags := readPhotoTags(photo)
		if tags.HasGPS {
			if (lat != 0 || lon != 0) && distanceKm(lat, lon, tags.Lat, tags.Lon) > 1 {
				f["location"] = "与照片自带的定位不符 disagrees with the location the photo itself records"
			}
			lat, lon, source = tags.Lat, tags.Lon, "exif"
		}
		if tags.HasTime {
			if !in.TakenAt.IsZero() && (taken.Sub(tags.Taken) > 2*time.Hour || tags.Taken.Sub(taken) > 2*time.Hour) {
				f["taken_at"] = "与照片自带的拍摄时间不符 disagrees with the time the photo itself records"
			}
			taken, source = tags.Taken.Truncate(time.Microsecond), "exif"
		}
	}
	key := strings.TrimSpace(in.Key)
	if key == "" || len(key) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	date, derr := time.ParseInLocation("2006-01-02", in.Date, fishpond.ChinaTime)
	switch {
	case derr != nil:
		f["date"] = "日期格式 YYYY-MM-DD a date like 2026-04-12"
	case date.After(now):
		f["date"] = "不能是将来 cannot be in the future"
	case date.Before(now.Add(-MaxWorkAge)):
		f["date"] = "超过180天 more than 180 days ago"
	case j.Kind == JobPlanting && !pr.InSeason(date.Month()):
		f["date"] = fmt.Sprintf("不在种植季（%d–%d月） outside the planting season (months %d–%d)", pr.SeasonFrom, pr.SeasonTo, pr.SeasonFrom, pr.SeasonTo)
	}
	maxQ := int64(500)
	if j.Kind == JobGuarding {
		maxQ = 31
	}
	if in.Quantity <= 0 || in.Quantity > maxQ {
		f["quantity"] = fmt.Sprintf("1 至 %d from 1 to %d", maxQ, maxQ)
	}
	if _, bad := f["taken_at"]; !bad && derr == nil && (taken.Before(date) || !taken.Before(date.AddDate(0, 0, 2)) || taken.After(now.Add(5*time.Minute))) {
		f["taken_at"] = "照片须在工作当天或次日拍摄 the photo must be taken on the work day or the day after"
	}
	if _, bad := f["location"]; !bad {
		s.checkPlace(pr, lat, lon, f)
	}
	if len(f) > 0 {
		return Work{}, fishpond.Invalid("工作记录无效 invalid work report", f)
	}
	idem := p.UserID + ":" + key
	if w, err := s.workBy(ctx, s.db.Read(), "idem_key", idem); err == nil {
		if w.JobID != j.ID || w.Quantity != in.Quantity || !w.Date.Equal(date) {
			return Work{}, fishpond.Errorf(fishpond.EConflict, "该幂等键已用于另一记录 idempotency key already used for another report")
		}
		w.Replayed = true
		return w, nil
	}
	sum, ct, err := s.storePhoto(photo, ct)
	if err != nil {
		return Work{}, err
	}
	w := Work{ID: uuid.Must(uuid.NewV7()).String(), JobID: j.ID, ProjectID: pr.ID, HouseholdID: j.HouseholdID, CountyCode: j.CountyCode, Kind: j.Kind,
		Date: date, Quantity: in.Quantity, PhotoSHA256: sum, PhotoType: ct, Lat: round6(lat), Lon: round6(lon), TakenAt: taken, GeoSource: source,
		Status: WorkSubmitted, SubmittedBy: p.UserID, SubmittedAt: now}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO green_work (id, idem_key, job_id, project_id, household_id, county_code, kind, work_date, quantity,
			photo_sha256, photo_type, lat_e6, lon_e6, taken_at, geo_source, status, submitted_by, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, idem, w.JobID, w.ProjectID, w.HouseholdID, w.CountyCode, w.Kind, db.FormatTime(w.Date), w.Quantity, w.PhotoSHA256, w.PhotoType,
			e6(w.Lat), e6(w.Lon), db.FormatTime(w.TakenAt), w.GeoSource, w.Status, w.SubmittedBy, db.FormatTime(now))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "该记录正在提交 this report is being submitted; retry to see it")
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
	return w, err
}

const workColumns = `id, job_id, project_id, household_id, county_code, kind, work_date, quantity, photo_sha256, photo_type, lat_e6, lon_e6, taken_at,
	geo_source, status, reason, wage_fen, transfer_id, submitted_by, submitted_at, verified_by, verified_at`

func scanWork(row interface{ Scan(...any) error }) (Work, error) {
	var w Work
	var date, taken, sub, ver string
	var lat, lon, wage int64
	err := row.Scan(&w.ID, &w.JobID, &w.ProjectID, &w.HouseholdID, &w.CountyCode, &w.Kind, &date, &w.Quantity, &w.PhotoSHA256, &w.PhotoType,
		&lat, &lon, &taken, &w.GeoSource, &w.Status, &w.Reason, &wage, &w.TransferID, &w.SubmittedBy, &sub, &w.VerifiedBy, &ver)
	w.Date, w.TakenAt, w.SubmittedAt = db.MustTime(date).In(fishpond.ChinaTime), db.MustTime(taken), db.MustTime(sub)
	if ver != "" {
		w.VerifiedAt = db.MustTime(ver)
	}
	w.Lat, w.Lon, w.Wage = fromE6(lat), fromE6(lon), fishpond.Money(wage)
	return w, err
}

func (s *Service) workBy(ctx context.Context, q db.Querier, col, v string) (Work, error) {
	return workWhere(ctx, q, col, v, "")
}

func workWhere(ctx context.Context, q db.Querier, col, v, suffix string) (Work, error) {
	w, err := scanWork(q.QueryRowContext(ctx, "SELECT "+workColumns+" FROM green_work WHERE "+col+" = ?"+suffix, v))
	if err != nil {
		return w, db.NotFound(err, "工作记录不存在 work report not found")
	}
	return w, nil
}

// Work returns one report for the household or the project's officers.
func (s *Service) Work(ctx context.Context, p fishpond.Principal, id string) (Work, error) {
	w, err := s.workBy(ctx, s.db.Read(), "id", id)
	if err != nil {
		return w, err
	}
	if !(p.Role == fishpond.RoleHousehold && p.HouseholdID == w.HouseholdID) && !CanManage(p, w.CountyCode) {
		return Work{}, fishpond.Errorf(fishpond.ENotFound, "工作记录不存在 work report not found")
	}
	return w, nil
}

// WorkPhoto opens a report's evidence photo for those who may see the report.
func (s *Service) WorkPhoto(ctx context.Context, p fishpond.Principal, id string) (*os.File, string, error) {
	w, err := s.Work(ctx, p, id)
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(s.photoPath(w.PhotoSHA256, w.PhotoType))
	if err != nil {
		return nil, "", fishpond.Errorf(fishpond.ENotFound, "照片不存在 photo not found")
	}
	return f, w.PhotoType, nil
}

// WorkList lists a project's reports for its officers (status "" for all), or the
// principal household's own reports (projectID "").
func (s *Service) WorkList(ctx context.Context, p fishpond.Principal, projectID, status string) ([]Work, error) {
	q := "SELECT " + workColumns + " FROM green_work WHERE "
	var args []any
	if projectID != "" {
		pr, err := s.Project(ctx, projectID)
		if err != nil {
			return nil, err
		}
		if !CanManage(p, pr.CountyCode) {
			return nil, fishpond.Errorf(fishpond.ENotFound, "项目 %s 不存在 project %s not found", projectID, projectID)
		}
		q, args = q+"project_id = ?", append(args, projectID)
	} else if p.Role == fishpond.RoleHousehold && p.HouseholdID != "" {
		q, args = q+"household_id = ?", append(args, p.HouseholdID)
	} else {
		return nil, nil
	}
	if status != "" {
		q, args = q+" AND status = ?", append(args, status)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY submitted_at DESC, id LIMIT 500", args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Work
	for rows.Next() {
		w, err := scanWork(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// VerifyWork is a project officer's decision on a report. Approving plants the
// reported trees (the oldest pledged trees of the project take the evidence's
// location and time) and pays the wage as the household's wage income, all in one
// transaction; the submitter cannot verify their own report, and a report is
// decided once.
func (s *Service) VerifyWork(ctx context.Context, p fishpond.Principal, id string, approve bool, reason string) (Work, error) {
	w, err := s.workBy(ctx, s.db.Read(), "id", id)
	if err != nil {
		return w, err
	}
	if !CanManage(p, w.CountyCode) {
		return Work{}, fishpond.Errorf(fishpond.ENotFound, "工作记录不存在 work report not found")
	}
	if w.SubmittedBy == p.UserID {
		return Work{}, fishpond.Errorf(fishpond.EForbidden, "不能审核自己提交的记录 you cannot verify a report you submitted")
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return Work{}, fishpond.Invalid("请说明驳回原因 give the reason for rejecting", map[string]string{"reason": "必填 required"})
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		// Locked first, so that two officers deciding at once queue here and the
		// second finds the report decided.
		cur, err := workWhere(ctx, tx, "id", id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if cur.Status != WorkSubmitted {
			return fishpond.Errorf(fishpond.EConflict, "该记录已审核 this report was already decided (%s)", cur.Status)
		}
		w = cur
		w.VerifiedBy, w.VerifiedAt = p.UserID, now
		if !approve {
			w.Status, w.Reason = WorkRejected, reason
			_, err := tx.ExecContext(ctx, "UPDATE green_work SET status = ?, reason = ?, verified_by = ?, verified_at = ? WHERE id = ? AND status = ?",
				w.Status, w.Reason, p.UserID, db.FormatTime(now), w.ID, WorkSubmitted)
			return err
		}
		pr, err := loadProject(ctx, tx, w.ProjectID, tx.ForUpdate())
		if err != nil {
			return err
		}
		var evs []events.Event
		rate := pr.GuardingWage
		if w.Kind == JobPlanting {
			rate = pr.PlantingWage
			if err := plantTrees(ctx, tx, pr, w); err != nil {
				return err
			}
			evs = append(evs, events.Event{Type: "green.tree.planted", Subject: pr.ID, CountyCode: pr.CountyCode,
				Payload: map[string]any{"project_id": pr.ID, "count": w.Quantity}})
		}
		w.Status, w.Wage = WorkVerified, rate*fishpond.Money(w.Quantity)
		if w.Wage > 0 {
			if w.TransferID, err = payWage(ctx, tx, now, pr, w, w.Wage); err != nil {
				return err
			}
			evs = append(evs, events.Event{Type: "green.job.paid", Subject: w.ID, CountyCode: pr.CountyCode,
				Payload: map[string]any{"project_id": pr.ID, "kind": w.Kind, "fen": int64(w.Wage)}})
		}
		res, err := tx.ExecContext(ctx, "UPDATE green_work SET status = ?, wage_fen = ?, transfer_id = ?, verified_by = ?, verified_at = ? WHERE id = ? AND status = ?",
			w.Status, int64(w.Wage), w.TransferID, p.UserID, db.FormatTime(now), w.ID, WorkSubmitted)
		if err != nil {
			return fishpond.Internal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fishpond.Errorf(fishpond.EConflict, "该记录已审核 this report was already decided")
		}
		return events.AppendMany(ctx, tx, now, evs)
	})
	return w, err
}

// plantTrees gives the report's trees to the oldest pledged trees of the project.
// Trees are planted for certificates only: a report of more trees than are pledged
// is a conflict, so no wage is paid for trees nobody redeemed.
func plantTrees(ctx context.Context, tx *db.Tx, pr Project, w Work) error {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM green_trees WHERE project_id = ? AND state = ? ORDER BY created_at, id LIMIT ?"+tx.ForUpdate(), pr.ID, TreePledged, w.Quantity)
	if err != nil {
		return fishpond.Internal(err)
	}
	var ids []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fishpond.Internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if int64(len(ids)) < w.Quantity {
		return &fishpond.Error{Code: fishpond.EConflict, Message: "认领待种的树不足 fewer trees are waiting to be planted than reported",
			Fields: map[string]string{"quantity": fmt.Sprintf("待种 %d waiting", len(ids))}}
	}
	args := append([]any{TreePlanted, w.ID, e6(w.Lat), e6(w.Lon), db.FormatTime(w.TakenAt)}, ids...)
	if _, err := tx.ExecContext(ctx, "UPDATE green_trees SET state = ?, work_id = ?, lat_e6 = ?, lon_e6 = ?, planted_at = ? WHERE id IN ("+db.Placeholders(len(ids))+")", args...); err != nil {
		return fishpond.Internal(err)
	}
	res, err := tx.ExecContext(ctx, "UPDATE green_projects SET planted = planted + ? WHERE id = ? AND planted + ? <= redeemed", w.Quantity, pr.ID, w.Quantity)
	if err != nil {
		return fishpond.Internal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fishpond.Errorf(fishpond.EConflict, "种植数超过认领数 more planted than redeemed")
	}
	return nil
}
