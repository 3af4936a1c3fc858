package sensing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Alert is a rule's finding on one device: raised when the reading crossed the
// threshold, cleared when it came back past the hysteresis limit.
type Alert struct {
	ID           string    `json:"id"`
	RuleID       string    `json:"rule_id"`
	DeviceID     string    `json:"device_id"`
	DeviceName   string    `json:"device_name,omitempty"`
	DeviceType   string    `json:"device_type"`
	SiteID       string    `json:"site_id"`
	SiteName     string    `json:"site_name,omitempty"`
	SiteKind     string    `json:"site_kind"`
	CountyCode   string    `json:"county_code"`
	Metric       string    `json:"metric"`
	RuleKind     string    `json:"rule_kind"`
	Threshold    float64   `json:"threshold"`
	Message      string    `json:"message"`
	RaisedAt     time.Time `json:"raised_at"`
	RaisedValue  float64   `json:"raised_value"`
	ClearedAt    time.Time `json:"cleared_at,omitzero"`
	ClearedValue float64   `json:"cleared_value,omitempty"`
	Open         bool      `json:"open"`
	// Transition is "raised" or "cleared" for the alert just written (OnAlert,
	// webhooks); empty when read back.
	Transition string `json:"transition,omitempty"`
}

// alertEvent is the payload of sensing.alert.raised and sensing.alert.cleared:
// counts and kinds for the half-year report, no personal data.
type alertEvent struct {
	AlertID    string  `json:"alert_id"`
	SiteID     string  `json:"site_id"`
	SiteKind   string  `json:"site_kind"`
	DeviceType string  `json:"device_type"`
	Metric     string  `json:"metric"`
	RuleID     string  `json:"rule_id"`
	RuleKind   string  `json:"rule_kind"`
	Threshold  float64 `json:"threshold"`
	Value      float64 `json:"value"`
	At         string  `json:"at"`
}

// writeAlerts stores raised and cleared alerts, queues webhooks for sites that
// have one, and appends the events last (events serialise appenders on PostgreSQL).
func writeAlerts(ctx context.Context, tx *db.Tx, now time.Time, alerts []Alert) error {
	hooks := map[string]string{}
	var evs []events.Event
	for _, a := range alerts {
		ev := alertEvent{a.ID, a.SiteID, a.SiteKind, a.DeviceType, a.Metric, a.RuleID, a.RuleKind, a.Threshold, a.RaisedValue, db.FormatTime(a.RaisedAt)}
		if a.Transition == "raised" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sensing_alerts (id, rule_id, device_id, site_id, county_code, metric, raised_ms, raised_value, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.RuleID, a.DeviceID, a.SiteID, a.CountyCode, a.Metric, a.RaisedAt.UnixMilli(), a.RaisedValue, db.FormatTime(now)); err != nil {
				return fmt.Errorf("alert: %w", err)
			}
		} else {
			if _, err := tx.ExecContext(ctx, "UPDATE sensing_alerts SET cleared_ms = ?, cleared_value = ? WHERE id = ?", a.ClearedAt.UnixMilli(), a.ClearedValue, a.ID); err != nil {
				return fmt.Errorf("alert: %w", err)
			}
			ev.Value, ev.At = a.ClearedValue, db.FormatTime(a.ClearedAt)
		}
		evs = append(evs, events.Event{Type: "sensing.alert." + a.Transition, Subject: a.ID, CountyCode: a.CountyCode, Payload: ev})
		url, ok := hooks[a.SiteID]
		if !ok {
			if err := tx.QueryRowContext(ctx, "SELECT webhook_url FROM sensing_sites WHERE id = ?", a.SiteID).Scan(&url); err != nil {
				return err
			}
			hooks[a.SiteID] = url
		}
		if url != "" {
			hid := newID()
			body, err := json.Marshal(map[string]any{"id": hid, "event": "sensing.alert." + a.Transition, "alert": a})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO sensing_webhook_outbox (id, site_id, event, body, next_ms) VALUES (?, ?, ?, ?, ?)",
				hid, a.SiteID, "sensing.alert."+a.Transition, string(body), now.UnixMilli()); err != nil {
				return fmt.Errorf("webhook outbox: %w", err)
			}
		}
	}
	return events.AppendMany(ctx, tx, now, evs)
}

// AlertFilter narrows Alerts.
type AlertFilter struct {
	SiteID   string
	OpenOnly bool
	Limit    int
}

// Alerts lists alerts on the sites the caller can see, newest first.
func (s *Service) Alerts(ctx context.Context, p fishpond.Principal, f AlertFilter) ([]Alert, error) {
	sites, err := s.Sites(ctx, p)
	if err != nil {
		return nil, err
	}
	bySite := map[string]Site{}
	var ids []any
	for _, st := range sites {
		if f.SiteID == "" || st.ID == f.SiteID {
			bySite[st.ID] = st
			ids = append(ids, st.ID)
		}
	}
	if f.SiteID != "" && len(ids) == 0 {
		return nil, fishpond.Errorf(fishpond.ENotFound, "site not found / 站点不存在")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT a.id, a.rule_id, a.device_id, d.name, d.type, a.site_id, a.county_code, a.metric, r.kind, r.threshold, r.message,
		a.raised_ms, a.raised_value, a.cleared_ms, a.cleared_value
		FROM sensing_alerts a JOIN sensing_devices d ON d.id = a.device_id JOIN sensing_rules r ON r.id = a.rule_id
		WHERE a.site_id IN (` + db.Placeholders(len(ids)) + ")"
	if f.OpenOnly {
		q += " AND a.cleared_ms = 0"
	}
	q += fmt.Sprintf(" ORDER BY a.raised_ms DESC, a.id DESC LIMIT %d", f.Limit)
	rows, err := s.db.Read().QueryContext(ctx, q, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var raised, cleared int64
		if err := rows.Scan(&a.ID, &a.RuleID, &a.DeviceID, &a.DeviceName, &a.DeviceType, &a.SiteID, &a.CountyCode, &a.Metric, &a.RuleKind, &a.Threshold, &a.Message,
			&raised, &a.RaisedValue, &cleared, &a.ClearedValue); err != nil {
			return nil, err
		}
		a.RaisedAt = time.UnixMilli(raised).UTC()
		a.Open = cleared == 0
		if !a.Open {
			a.ClearedAt = time.UnixMilli(cleared).UTC()
		}
		a.SiteName, a.SiteKind = bySite[a.SiteID].Name, bySite[a.SiteID].Kind
		out = append(out, a)
	}
	return out, rows.Err()
}
