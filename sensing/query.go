package sensing

import (
	"context"
	"time"

	"fishpond"
)

// Point is one value of a series: a raw reading, or an hour's or day's rollup
// (Value the mean, with count, min and max).
type Point struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
	N     int64     `json:"n,omitempty"`
	Min   float64   `json:"min,omitempty"`
	Max   float64   `json:"max,omitempty"`
}

// Steps are the resolutions readings are queried at.
var Steps = []string{"raw", "hour", "day"}

// MaxPoints bounds one query's answer.
const MaxPoints = 10000

// Readings returns a device's metric in [from, to) in event-time order: raw
// readings, or the hour or day rollups kept on write.
func (s *Service) Readings(ctx context.Context, p fishpond.Principal, deviceID, metric string, from, to time.Time, step string) ([]Point, error) {
	d, err := s.Device(ctx, p, deviceID)
	if err != nil {
		return nil, err
	}
	f := map[string]string{}
	if !measures(d.Type, metric) {
		f["metric"] = "not measured by this device"
	}
	if !to.After(from) {
		f["to"] = "must be after from"
	}
	if step != "raw" && step != "hour" && step != "day" {
		f["step"] = "raw, hour or day"
	}
	if len(f) > 0 {
		return nil, fishpond.Invalid("invalid query / 查询参数有误", f)
	}
	var q string
	switch step {
	case "raw":
		q = `SELECT r.at_ms, r.value, 1, r.value, r.value FROM sensing_readings r JOIN sensing_series s ON s.id = r.series_id
			WHERE s.device_id = ? AND s.metric = ? AND r.at_ms >= ? AND r.at_ms < ? ORDER BY r.at_ms LIMIT ?`
	default:
		q = `SELECT r.start_ms, r.total / r.n, r.n, r.min_value, r.max_value FROM sensing_rollups r JOIN sensing_series s ON s.id = r.series_id
			WHERE s.device_id = ? AND s.metric = ? AND r.bucket = '` + step[:1] + `' AND r.start_ms >= ? AND r.start_ms < ? ORDER BY r.start_ms LIMIT ?`
	}
	rows, err := s.db.Read().QueryContext(ctx, q, deviceID, metric, from.UnixMilli(), to.UnixMilli(), MaxPoints)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Point
	for rows.Next() {
		var pt Point
		var at int64
		if err := rows.Scan(&at, &pt.Value, &pt.N, &pt.Min, &pt.Max); err != nil {
			return nil, err
		}
		pt.At = time.UnixMilli(at).UTC()
		out = append(out, pt)
	}
	return out, rows.Err()
}
