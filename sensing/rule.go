package sensing

import (
	"context"
	"slices"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Rule raises an alert for every device of a type whose metric crosses it, and
// clears the alert only past ClearAt, so a value wobbling around the threshold
// does not flap: for "below" ClearAt > Threshold, for "above" ClearAt < Threshold.
// "drop" and "rise" look at the change over the last WindowMin minutes: a hive
// losing 2 kg in an hour has swarmed or been stolen; the alert clears when the
// change over the window is back within ClearAt.
type Rule struct {
	ID         string  `json:"id"`
	DeviceType string  `json:"device_type"`
	Metric     string  `json:"metric"`
	Kind       string  `json:"kind"`
	Threshold  float64 `json:"threshold"`
	ClearAt    float64 `json:"clear_at"`
	WindowMin  int64   `json:"window_min,omitempty"`
	Message    string  `json:"message"`
	Enabled    bool    `json:"enabled"`
}

// RuleKinds are the kinds of rule.
var RuleKinds = []string{"above", "below", "drop", "rise"}

func (r Rule) validate() map[string]string {
	f := map[string]string{}
	if _, ok := DeviceTypes[r.DeviceType]; !ok || r.DeviceType == "gateway" {
		f["device_type"] = "one of soil, weather, barn, hive"
	} else if !measures(r.DeviceType, r.Metric) {
		f["metric"] = "one of " + strings.Join(DeviceTypes[r.DeviceType], ", ")
	}
	switch r.Kind {
	case "above":
		if !(r.ClearAt < r.Threshold) {
			f["clear_at"] = "must be below the threshold (hysteresis)"
		}
	case "below":
		if !(r.ClearAt > r.Threshold) {
			f["clear_at"] = "must be above the threshold (hysteresis)"
		}
	case "drop", "rise":
		if !(r.Threshold > 0) || !(r.ClearAt >= 0 && r.ClearAt < r.Threshold) {
			f["clear_at"] = "0 ≤ clear_at < threshold, threshold > 0 (change over the window)"
		}
		if r.WindowMin < 1 || r.WindowMin > 7*24*60 {
			f["window_min"] = "1 to 10080 minutes"
		}
	default:
		f["kind"] = "one of above, below, drop, rise"
	}
	if strings.TrimSpace(r.Message) == "" || len(r.Message) > 300 {
		f["message"] = "1–300 characters"
	}
	return f
}

// Rules lists every rule.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id, device_type, metric, kind, threshold, clear_at, window_min, message, enabled FROM sensing_rules ORDER BY device_type, metric, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		var en int
		if err := rows.Scan(&r.ID, &r.DeviceType, &r.Metric, &r.Kind, &r.Threshold, &r.ClearAt, &r.WindowMin, &r.Message, &en); err != nil {
			return nil, err
		}
		r.Enabled = en != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutRule creates a rule or replaces one (admins only: rules apply everywhere).
// Open alerts of a replaced rule keep their state and clear under the new limits.
func (s *Service) PutRule(ctx context.Context, p fishpond.Principal, r Rule) (Rule, error) {
	if p.Role != fishpond.RoleAdmin {
		return Rule{}, fishpond.Errorf(fishpond.EForbidden, "only administrators change alert rules / 仅管理员可修改告警规则")
	}
	if f := r.validate(); len(f) > 0 {
		return Rule{}, fishpond.Invalid("invalid rule / 规则有误", f)
	}
	if r.ID == "" {
		r.ID = newID()
	}
	en := 0
	if r.Enabled {
		en = 1
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE sensing_rules SET device_type = ?, metric = ?, kind = ?, threshold = ?, clear_at = ?, window_min = ?, message = ?, enabled = ? WHERE id = ?",
			r.DeviceType, r.Metric, r.Kind, r.Threshold, r.ClearAt, r.WindowMin, r.Message, en, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO sensing_rules (id, device_type, metric, kind, threshold, clear_at, window_min, message, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			r.ID, r.DeviceType, r.Metric, r.Kind, r.Threshold, r.ClearAt, r.WindowMin, r.Message, en, db.FormatTime(s.now()))
		return err
	})
	if err == nil {
		s.in.rulesStale.Store(true)
	}
	return r, err
}

type point struct {
	at int64
	v  float64
}

// measure is what a rule compares: the value itself, or its change over the
// window (ok=false while the window holds too little history to say).
func (r Rule) measure(buf []point, at int64, v float64) (float64, bool) {
	switch r.Kind {
	case "above", "below":
		return v, true
	}
	from := at - r.WindowMin*int64(time.Minute/time.Millisecond)
	i, _ := slices.BinarySearchFunc(buf, from, func(p point, t int64) int { return int(min(max(p.at-t, -1), 1)) })
	if i >= len(buf) || buf[i].at >= at {
		return 0, false
	}
	if r.Kind == "drop" {
		return buf[i].v - v, true
	}
	return v - buf[i].v, true
}

// next decides the alert state after a measurement: raise when closed and past
// the threshold, clear when open and back past ClearAt, otherwise keep.
func (r Rule) next(open bool, m float64) (raise, clear bool) {
	switch r.Kind {
	case "above":
		return !open && m > r.Threshold, open && m <= r.ClearAt
	case "below":
		return !open && m < r.Threshold, open && m >= r.ClearAt
	default: // drop, rise: m is the change in the rule's direction
		return !open && m >= r.Threshold, open && m <= r.ClearAt
	}
}
