package sensing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Reading is one value of one metric of one device at one instant (event time).
type Reading struct {
	Device string
	Metric string
	AtMs   int64
	Value  float64
}

// message is the documented JSON payload: the single form
//
//	{"device":"ID","time":"2026-05-01T08:00:00Z","readings":{"soil_moisture":23.5}}
//
// or the compact batch form, rows of [offset seconds from t0, values in metric order]
// with null for a value not measured:
//
//	{"device":"ID","t0":1777622400,"metrics":["soil_moisture","soil_temp"],"rows":[[0,23.5,18.2],[60,23.4,null]]}
//
// A payload is one message or a JSON array of them (a gateway sending for its
// sensors).
type message struct {
	Device   string              `json:"device"`
	Time     string              `json:"time"`
	Readings map[string]*float64 `json:"readings"`
	T0       *float64            `json:"t0"`
	Metrics  []string            `json:"metrics"`
	Rows     [][]*float64        `json:"rows"`
}

// MaxPayload bounds one payload (MQTT message or HTTP body).
const MaxPayload = 1 << 20

// MaxReadings bounds the readings of one payload.
const MaxReadings = 20000

// ParsePayload decodes a payload into readings. A structurally broken payload is
// an error naming what is wrong, and yields nothing; values are checked later
// against the device (range, metric, time), one reading at a time.
func ParsePayload(b []byte) ([]Reading, error) {
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("payload larger than %d bytes", MaxPayload)
	}
	b = bytes.TrimSpace(b)
	var msgs []message
	switch {
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &msgs); err != nil {
			return nil, fmt.Errorf("malformed JSON: %v", err)
		}
	case len(b) > 0 && b[0] == '{':
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("malformed JSON: %v", err)
		}
		msgs = []message{m}
	default:
		return nil, fmt.Errorf("payload must be a JSON object or array")
	}
	var out []Reading
	for i, m := range msgs {
		if m.Device == "" {
			return nil, fmt.Errorf("message %d: device is missing", i)
		}
		switch {
		case m.Readings != nil:
			if m.Rows != nil || m.T0 != nil {
				return nil, fmt.Errorf("message %d: use either readings or t0/metrics/rows", i)
			}
			t, err := time.Parse(time.RFC3339Nano, m.Time)
			if err != nil {
				return nil, fmt.Errorf("message %d: time must be RFC 3339 (2026-05-01T08:00:00Z)", i)
			}
			for name, v := range m.Readings {
				if v == nil {
					continue
				}
				out = append(out, Reading{m.Device, name, t.UnixMilli(), *v})
			}
		case m.Rows != nil:
			if m.T0 == nil || math.IsNaN(*m.T0) || *m.T0 < 0 || *m.T0 > 1e11 {
				return nil, fmt.Errorf("message %d: t0 (unix seconds) is missing or invalid", i)
			}
			if len(m.Metrics) == 0 {
				return nil, fmt.Errorf("message %d: metrics is missing", i)
			}
			t0 := int64(math.Round(*m.T0 * 1000))
			for r, row := range m.Rows {
				if len(row) != len(m.Metrics)+1 {
					return nil, fmt.Errorf("message %d row %d: want %d values (offset and one per metric), got %d", i, r, len(m.Metrics)+1, len(row))
				}
				if row[0] == nil || math.Abs(*row[0]) > 1e9 {
					return nil, fmt.Errorf("message %d row %d: offset is missing or invalid", i, r)
				}
				at := t0 + int64(math.Round(*row[0]*1000))
				for k, v := range row[1:] {
					if v != nil {
						out = append(out, Reading{m.Device, m.Metrics[k], at, *v})
					}
				}
			}
		default:
			return nil, fmt.Errorf("message %d: no readings (want readings, or t0/metrics/rows)", i)
		}
		if len(out) > MaxReadings {
			return nil, fmt.Errorf("more than %d readings in one payload", MaxReadings)
		}
	}
	return out, nil
}

// EncodeBatch writes readings of one device in the compact batch form (the
// simulator and tests use it). Rows share t0 = the first instant, in seconds.
func EncodeBatch(device string, metrics []string, atMs []int64, values [][]float64) []byte {
	b := make([]byte, 0, 64+len(atMs)*(10+8*len(metrics)))
	t0 := atMs[0] / 1000
	b = append(b, `{"device":`...)
	b = strconv.AppendQuote(b, device)
	b = append(b, `,"t0":`...)
	b = strconv.AppendInt(b, t0, 10)
	b = append(b, `,"metrics":[`...)
	for i, m := range metrics {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, m)
	}
	b = append(b, `],"rows":[`...)
	for r, at := range atMs {
		if r > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendFloat(b, float64(at-t0*1000)/1000, 'f', -1, 64)
		for _, v := range values[r] {
			b = append(b, ',')
			b = strconv.AppendFloat(b, v, 'f', 2, 64)
		}
		b = append(b, ']')
	}
	return append(b, "]}"...)
}
