package logistics

import (
	"context"

	"fishpond"
	"fishpond/internal/db"
)

// Metrics are the figures the half-year report counts.
type Metrics struct {
	Period                fishpond.Period
	ParcelsSent           int // entered the network in the period
	ParcelsSentPoverty    int // of them, from national poverty counties
	Delivered             int // delivered in the period
	OnTime                int // of those arrived in the period, by the promised time
	Arrived               int
	Warehouses            int // at the end of the period
	WarehousesPoverty     int
	Stations              int
	StationsPoverty       int
	PovertyCountiesServed int // poverty counties with a warehouse or station
	HighestStation        *Site
}

// OnTimeBp is the on-time rate in basis points; ok is false when nothing arrived.
func (m Metrics) OnTimeBp() (int64, bool) {
	if m.Arrived == 0 {
		return 0, false
	}
	return int64(m.OnTime) * 10000 / int64(m.Arrived), true
}

// PeriodMetrics computes the report's logistics figures for a half-year. They are
// public aggregates: counts, never parcels or people.
func (s *Store) PeriodMetrics(ctx context.Context, period fishpond.Period) (Metrics, error) {
	m := Metrics{Period: period}
	from, to := period.Bounds()
	f, t := db.FormatTime(from), db.FormatTime(to)
	q := s.db.Read()
	err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(poverty), 0) FROM logistics_parcels WHERE sent_at >= ? AND sent_at < ?`, f, t).Scan(&m.ParcelsSent, &m.ParcelsSentPoverty)
	if err == nil {
		err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM logistics_parcels WHERE delivered_at >= ? AND delivered_at < ?`, f, t).Scan(&m.Delivered)
	}
	if err == nil {
		err = q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN a <= due_at THEN 1 ELSE 0 END), 0) FROM
			(SELECT CASE WHEN dest_site <> '' THEN arrived_at ELSE delivered_at END AS a, due_at FROM logistics_parcels) x WHERE a >= ? AND a < ?`, f, t).Scan(&m.Arrived, &m.OnTime)
	}
	if err == nil {
		err = q.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN kind = 'warehouse' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN kind = 'warehouse' THEN poverty ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN kind = 'station' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN kind = 'station' THEN poverty ELSE 0 END), 0),
			COUNT(DISTINCT CASE WHEN poverty = 1 THEN county_code END) FROM logistics_sites WHERE created_at < ?`, t).
			Scan(&m.Warehouses, &m.WarehousesPoverty, &m.Stations, &m.StationsPoverty, &m.PovertyCountiesServed)
	}
	if err != nil {
		return m, internal(err)
	}
	st, err := scanSite(q.QueryRowContext(ctx, "SELECT "+siteColumns+" WHERE kind = ? AND created_at < ? ORDER BY altitude_m DESC, id LIMIT 1", string(Station), t))
	if err == nil {
		m.HighestStation = &st
	}
	return m, nil
}

// CountyNetwork is one county's part of the network, for the network view.
type CountyNetwork struct {
	County      string
	Name        string
	Poverty     bool
	Warehouses  int
	Stations    int
	MaxAltitude int64
	ParcelsSent int
	Arrived     int
	OnTime      int
}

// Network summarises the network by county, counties with the most stations first.
func (s *Store) Network(ctx context.Context) ([]CountyNetwork, error) {
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, `SELECT s.county_code, c.name, c.poverty, SUM(CASE WHEN s.kind = 'warehouse' THEN 1 ELSE 0 END), SUM(CASE WHEN s.kind = 'station' THEN 1 ELSE 0 END), MAX(s.altitude_m)
		FROM logistics_sites s JOIN counties c ON c.code = s.county_code GROUP BY s.county_code, c.name, c.poverty ORDER BY 5 DESC, 1`)
	if err != nil {
		return nil, internal(err)
	}
	var out []CountyNetwork
	idx := map[string]int{}
	for rows.Next() {
		var n CountyNetwork
		var pov int
		if err := rows.Scan(&n.County, &n.Name, &pov, &n.Warehouses, &n.Stations, &n.MaxAltitude); err != nil {
			rows.Close()
			return nil, internal(err)
		}
		n.Poverty = pov == 1
		idx[n.County] = len(out)
		out = append(out, n)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT origin_county, SUM(CASE WHEN sent_at <> '' THEN 1 ELSE 0 END),
		SUM(CASE WHEN (CASE WHEN dest_site <> '' THEN arrived_at ELSE delivered_at END) <> '' THEN 1 ELSE 0 END),
		SUM(CASE WHEN (CASE WHEN dest_site <> '' THEN arrived_at ELSE delivered_at END) <> '' AND (CASE WHEN dest_site <> '' THEN arrived_at ELSE delivered_at END) <= due_at THEN 1 ELSE 0 END)
		FROM logistics_parcels GROUP BY origin_county`)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var sent, arrived, onTime int
		if err := rows.Scan(&c, &sent, &arrived, &onTime); err != nil {
			return nil, internal(err)
		}
		if i, ok := idx[c]; ok {
			out[i].ParcelsSent, out[i].Arrived, out[i].OnTime = sent, arrived, onTime
		}
	}
	return out, internal(rows.Err())
}
