package sensing

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Retention is how many days raw readings, hour rollups and day rollups are
// kept (0: for ever). Pruning runs hourly in serve and with `fishpond sensing prune`.
type Retention struct {
	RawDays  int64 `json:"raw_days"`
	HourDays int64 `json:"hour_days"`
	DayDays  int64 `json:"day_days"`
}

// Retention returns the current settings.
func (s *Service) Retention(ctx context.Context) (Retention, error) {
	var r Retention
	rows, err := s.db.Read().QueryContext(ctx, "SELECT kind, days FROM sensing_retention")
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var d int64
		if err := rows.Scan(&k, &d); err != nil {
			return r, err
		}
		switch k {
		case "raw":
			r.RawDays = d
		case "hour":
			r.HourDays = d
		case "day":
			r.DayDays = d
		}
	}
	return r, rows.Err()
}

// SetRetention changes the settings (admins). Raw readings must outlive the late
// window, and rollups must outlive what they summarise.
func (s *Service) SetRetention(ctx context.Context, p fishpond.Principal, r Retention) error {
	if p.Role != fishpond.RoleAdmin {
		return fishpond.Errorf(fishpond.EForbidden, "only administrators change retention / 仅管理员可修改保留期")
	}
	f := map[string]string{}
	lateDays := int64(s.cfg.LateWindow / (24 * time.Hour))
	if r.RawDays != 0 && r.RawDays <= lateDays {
		f["raw_days"] = "0 (for ever) or more than the late window"
	}
	if r.HourDays != 0 && (r.HourDays < r.RawDays || r.RawDays == 0) {
		f["hour_days"] = "0 (for ever) or at least raw_days"
	}
	if r.DayDays != 0 && (r.DayDays < r.HourDays || r.HourDays == 0) {
		f["day_days"] = "0 (for ever) or at least hour_days"
	}
	if r.RawDays < 0 || r.HourDays < 0 || r.DayDays < 0 || r.DayDays > 36500 || r.HourDays > 36500 || r.RawDays > 36500 {
		f["days"] = "0 to 36500"
	}
	if len(f) > 0 {
		return fishpond.Invalid("invalid retention / 保留期设置有误", f)
	}
	now := db.FormatTime(s.now())
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for k, d := range map[string]int64{"raw": r.RawDays, "hour": r.HourDays, "day": r.DayDays} {
			if _, err := tx.ExecContext(ctx, "UPDATE sensing_retention SET days = ?, updated_at = ? WHERE kind = ?", d, now, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Prune deletes readings and rollups past their retention and returns how many
// rows went. Deletes go in slices so the single writer is never held for long.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	r, err := s.Retention(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now().UnixMilli()
	day := int64(24 * time.Hour / time.Millisecond)
	var total int64
	for _, job := range []struct {
		days int64
		q    string
	}{
		{r.RawDays, "DELETE FROM sensing_readings WHERE at_ms < ? AND series_id = ?"},
		{r.HourDays, "DELETE FROM sensing_rollups WHERE start_ms < ? AND series_id = ? AND bucket = 'h'"},
		{r.DayDays, "DELETE FROM sensing_rollups WHERE start_ms < ? AND series_id = ? AND bucket = 'd'"},
	} {
		if job.days == 0 {
			continue
		}
		cut := now - job.days*day
		ids, err := s.seriesIDs(ctx)
		if err != nil {
			return total, err
		}
		for _, id := range ids {
			err := s.db.InTx(ctx, func(tx *db.Tx) error {
				res, err := tx.ExecContext(ctx, job.q, cut, id)
				if err == nil {
					n, _ := res.RowsAffected()
					total += n
				}
				return err
			})
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

func (s *Service) seriesIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id FROM sensing_series ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
