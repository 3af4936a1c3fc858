package logistics

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Reading is one cold-chain temperature reading.
type Reading struct {
	At         time.Time
	TempC10    int64 // tenths of a degree Celsius
	SiteID     string
	OutOfRange bool
}

// RecordTemperature stores a reading from a cold-chain parcel's logger, scanned at
// a site (by its operator) or relayed by an admin. A reading outside the parcel's
// range raises one alert per reading. The same reading again changes nothing.
func (s *Store) RecordTemperature(ctx context.Context, p fishpond.Principal, trackingNo, siteID string, at time.Time, tempC10 int64) (Reading, error) {
	if tempC10 < -600 || tempC10 > 800 {
		return Reading{}, invalid("温度读数有误 invalid reading", "temp_c10", "须在-60到80°C之间（以0.1°C计）/ must be −60–80 °C, in tenths")
	}
	var out Reading
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		pc, err := loadParcel(ctx, tx, trackingNo, tx.ForUpdate())
		if err != nil {
			return err
		}
		if siteID != "" {
			if _, err := s.operableSite(ctx, tx, p, siteID); err != nil {
				return err
			}
		} else if p.Role != fishpond.RoleAdmin {
			return invalid("温度读数有误 invalid reading", "site_id", "必填 / required")
		}
		if !pc.ColdChain {
			return invalid("温度读数有误 invalid reading", "tracking_no", "该包裹不是冷链包裹 / not a cold-chain parcel")
		}
		if at.IsZero() {
			at = now
		}
		at = at.UTC().Truncate(time.Microsecond)
		if at.After(now.Add(clockSkew)) || at.Before(pc.CreatedAt) {
			return invalid("温度读数有误 invalid reading", "at", "须在运单创建之后、不晚于现在 / between the parcel's creation and now")
		}
		out = Reading{At: at, TempC10: tempC10, SiteID: siteID, OutOfRange: tempC10 < pc.TempMinC10 || tempC10 > pc.TempMaxC10}
		res, err := tx.ExecContext(ctx, "INSERT INTO logistics_temperatures (parcel_id, at, temp_c10, site_id, out_of_range) VALUES (?, ?, ?, ?, ?) ON CONFLICT (parcel_id, at) DO NOTHING",
			pc.ID, db.FormatTime(at), tempC10, siteID, boolInt(out.OutOfRange))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || !out.OutOfRange {
			return nil
		}
		detail := fmt.Sprintf("温度 %s°C 超出 %s–%s°C / temperature out of range", c10(tempC10), c10(pc.TempMinC10), c10(pc.TempMaxC10))
		ev, err := insertAlert(ctx, tx, pc, AlertTemperature, db.FormatTime(at), detail, siteID, now)
		if err != nil || ev == nil {
			return err
		}
		return events.Append(ctx, tx, now, *ev)
	})
	return out, internal(err)
}

// c10 renders tenths of a degree.
func c10(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%d", sign, v/10, v%10)
}

// Readings lists a parcel's temperature readings in time order.
func (s *Store) Readings(ctx context.Context, p fishpond.Principal, trackingNo string) ([]Reading, error) {
	pc, err := s.Parcel(ctx, p, trackingNo)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT at, temp_c10, site_id, out_of_range FROM logistics_temperatures WHERE parcel_id = ? ORDER BY at", pc.ID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Reading
	for rows.Next() {
		var r Reading
		var at string
		var oor int
		if err := rows.Scan(&at, &r.TempC10, &r.SiteID, &oor); err != nil {
			return nil, internal(err)
		}
		r.At, r.OutOfRange = parseTime(at), oor == 1
		out = append(out, r)
	}
	return out, internal(rows.Err())
}
