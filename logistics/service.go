package logistics

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Leg kinds of a parcel's planned route.
const (
	LegFirstMile = "first_mile" // origin station → county warehouse
	LegWarehouse = "warehouse"  // inside the warehouse until handed to the carrier
	LegCarrier   = "carrier"    // carrier → destination station or door
	LegPickup    = "pickup"     // waiting at the destination station
)

var legChinese = map[string]string{LegFirstMile: "服务站→县级仓", LegWarehouse: "县级仓内", LegCarrier: "承运商干线", LegPickup: "到站待取"}

// legBounds says which statuses start and end each leg.
var legBounds = map[string][2]Status{
	LegFirstMile: {StatusAccepted, StatusAtWarehouse},
	LegWarehouse: {StatusAtWarehouse, StatusInTransit},
	LegCarrier:   {StatusInTransit, StatusAwaiting},
	LegPickup:    {StatusAwaiting, StatusDelivered},
}

// Leg is one planned leg with its expected and actual time.
type Leg struct {
	No       int
	Kind     string
	From, To string // site ids ("" for the door)
	Expected time.Duration
	Started  time.Time // zero until measured
	Finished time.Time
	// Late is true when the leg took longer than expected, or is still open past
	// its expected time.
	Late bool
}

// Actual is how long the leg took (or has taken so far, as of now).
func (l Leg) Actual(now time.Time) time.Duration {
	switch {
	case l.Started.IsZero():
		return 0
	case l.Finished.IsZero():
		return now.Sub(l.Started)
	}
	return l.Finished.Sub(l.Started)
}

func loadLegs(ctx context.Context, q db.Querier, parcelID string) ([]Leg, error) {
	rows, err := q.QueryContext(ctx, "SELECT leg_no, kind, from_site, to_site, expected_secs FROM logistics_legs WHERE parcel_id = ? ORDER BY leg_no", parcelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Leg
	for rows.Next() {
		var l Leg
		var secs int64
		if err := rows.Scan(&l.No, &l.Kind, &l.From, &l.To, &secs); err != nil {
			return nil, err
		}
		l.Expected = time.Duration(secs) * time.Second
		out = append(out, l)
	}
	return out, rows.Err()
}

// measure fills the legs' times from the derived state: a leg starts when its
// start status was first proved and ends at the earliest event proving any later
// status (a door parcel's carrier leg ends at delivery).
func measure(legs []Leg, d derived, now time.Time) {
	for i := range legs {
		b := legBounds[legs[i].Kind]
		legs[i].Started = d.reached[b[0]]
		var end time.Time
		for st, t := range d.reached {
			if statusRank[st] >= statusRank[b[1]] && (end.IsZero() || t.Before(end)) {
				end = t
			}
		}
		if legs[i].Started.IsZero() {
			continue
		}
		legs[i].Finished = end
		legs[i].Late = legs[i].Actual(now) > legs[i].Expected
	}
}

// Legs returns the parcel's planned legs with expected and actual times.
func (s *Store) Legs(ctx context.Context, p fishpond.Principal, trackingNo string) ([]Leg, error) {
	pc, err := s.Parcel(ctx, p, trackingNo)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	legs, err := loadLegs(ctx, q, pc.ID)
	if err != nil {
		return nil, internal(err)
	}
	evs, err := loadEvents(ctx, q, pc.ID)
	if err != nil {
		return nil, internal(err)
	}
	measure(legs, deriveState(evs), s.now())
	return legs, nil
}

// Alert kinds.
const (
	AlertLate        = "late"        // a leg took longer than expected
	AlertUncollected = "uncollected" // waiting at the station longer than expected
	AlertTemperature = "temperature" // a cold-chain reading out of range
)

// Alert is a late parcel or a cold-chain breach, for the warehouse board.
type Alert struct {
	ID         string
	TrackingNo string
	Kind       string
	Ref        string
	Detail     string
	County     string
	SiteID     string
	At         time.Time
}

// insertAlert records an alert once per parcel, kind and ref, and returns the
// report event to append when it is new.
func insertAlert(ctx context.Context, tx *db.Tx, pc Parcel, kind, ref, detail, siteID string, now time.Time) (*events.Event, error) {
	id := newID()
	res, err := tx.ExecContext(ctx, "INSERT INTO logistics_alerts (id, parcel_id, kind, ref, detail, county_code, site_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (parcel_id, kind, ref) DO NOTHING",
		id, pc.ID, kind, ref, detail, pc.OriginCounty, siteID, db.FormatTime(now))
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	return &events.Event{Type: "logistics.alert.raised", Subject: pc.ID, CountyCode: pc.OriginCounty,
		Payload: alertRaised{ParcelID: pc.ID, Kind: kind, Ref: ref, OriginCounty: pc.OriginCounty, ColdChain: pc.ColdChain}}, nil
}

// alertRaised is the payload of logistics.alert.raised.
type alertRaised struct {
	ParcelID     string `json:"parcel_id"`
	Kind         string `json:"kind"`
	Ref          string `json:"ref"`
	OriginCounty string `json:"origin_county"`
	ColdChain    bool   `json:"cold_chain"`
}

// raiseLate records an alert for every leg that is late, finished or not.
func (s *Store) raiseLate(ctx context.Context, tx *db.Tx, pc Parcel, d derived, now time.Time) ([]events.Event, error) {
	legs, err := loadLegs(ctx, tx, pc.ID)
	if err != nil {
		return nil, err
	}
	measure(legs, d, now)
	var out []events.Event
	for _, l := range legs {
		if !l.Late {
			continue
		}
		kind := AlertLate
		if l.Kind == LegPickup {
			kind = AlertUncollected
		}
		detail := fmt.Sprintf("%s 预计 %.0f 小时，实际 %.0f 小时 / %s expected %.0f h, took %.0f h", legChinese[l.Kind], l.Expected.Hours(), l.Actual(now).Hours(), l.Kind, l.Expected.Hours(), l.Actual(now).Hours())
		ev, err := insertAlert(ctx, tx, pc, kind, fmt.Sprintf("leg:%d", l.No), detail, l.From, now)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			out = append(out, *ev)
		}
	}
	return out, nil
}

// CheckLate raises alerts for parcels whose current leg has run past its expected
// time although nobody scanned them; a ticker in serve calls it. It returns how
// many new alerts it raised.
func (s *Store) CheckLate(ctx context.Context) (int, error) {
	open, err := s.parcelsWhere(ctx, s.db.Read(), "status NOT IN (?, ?) ORDER BY due_at LIMIT 5000", string(StatusCreated), string(StatusDelivered))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pc := range open {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			now := s.now()
			evs, err := loadEvents(ctx, tx, pc.ID)
			if err != nil {
				return err
			}
			out, err := s.raiseLate(ctx, tx, pc, deriveState(evs), now)
			if err != nil || len(out) == 0 {
				return err
			}
			n += len(out)
			return events.AppendMany(ctx, tx, now, out)
		})
		if err != nil {
			return n, internal(err)
		}
	}
	return n, nil
}

// Alerts lists recent alerts of a county (all counties for "" and a principal who
// sees them all), newest first.
func (s *Store) Alerts(ctx context.Context, p fishpond.Principal, county string, limit int) ([]Alert, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	if county == "" && !p.SeesAllCounties() {
		return nil, invalid("请选择县 choose a county", "county", "必填 / required")
	}
	if county != "" && !p.CanSeeCounty(county) {
		return nil, notFound("没有该县 no such county")
	}
	q := "SELECT a.id, p.tracking_no, a.kind, a.ref, a.detail, a.county_code, a.site_id, a.at FROM logistics_alerts a JOIN logistics_parcels p ON p.id = a.parcel_id"
	args := []any{}
	if county != "" {
		q += " WHERE a.county_code = ?"
		args = append(args, county)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY a.at DESC, a.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var at string
		if err := rows.Scan(&a.ID, &a.TrackingNo, &a.Kind, &a.Ref, &a.Detail, &a.County, &a.SiteID, &at); err != nil {
			return nil, internal(err)
		}
		a.At = parseTime(at)
		out = append(out, a)
	}
	return out, internal(rows.Err())
}

// StationStats is a station's performance.
type StationStats struct {
	Site      Site
	Sent      int // parcels accepted here into the network
	Arrived   int // parcels that arrived here for pickup
	PickedUp  int
	Waiting   int
	OnTime    int // of Arrived, how many by the promised time
	Alerts    int
	PaidFen   fishpond.Money
	PaidCount int
}

// OnTimeBp is the station's on-time rate in basis points; ok is false when
// nothing has arrived yet ("not measured", never 0%).
func (st StationStats) OnTimeBp() (bp int64, ok bool) {
	if st.Arrived == 0 {
		return 0, false
	}
	return int64(st.OnTime) * 10000 / int64(st.Arrived), true
}

// StationPerformance reports every station of a county (or of all counties).
func (s *Store) StationPerformance(ctx context.Context, county string) ([]StationStats, error) {
	sites, err := s.Sites(ctx, SiteFilter{County: county, Kind: Station})
	if err != nil {
		return nil, err
	}
	by := map[string]*StationStats{}
	out := make([]StationStats, len(sites))
	for i, st := range sites {
		out[i].Site = st
		by[st.ID] = &out[i]
	}
	q := s.db.Read()
	scan := func(query string, fn func(st *StationStats, vals []int64)) error {
		rows, err := q.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			vals := make([]int64, 4)
			if err := rows.Scan(&id, &vals[0], &vals[1], &vals[2], &vals[3]); err != nil {
				return err
			}
			if st := by[id]; st != nil {
				fn(st, vals)
			}
		}
		return rows.Err()
	}
	err = scan(`SELECT dest_site, SUM(CASE WHEN arrived_at <> '' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'awaiting_pickup' THEN 1 ELSE 0 END), SUM(CASE WHEN arrived_at <> '' AND arrived_at <= due_at THEN 1 ELSE 0 END)
		FROM logistics_parcels WHERE dest_site <> '' GROUP BY dest_site`, func(st *StationStats, v []int64) {
		st.Arrived, st.PickedUp, st.Waiting, st.OnTime = int(v[0]), int(v[1]), int(v[2]), int(v[3])
	})
	if err == nil {
		err = scan(`SELECT origin_site, SUM(CASE WHEN sent_at <> '' THEN 1 ELSE 0 END), 0, 0, 0 FROM logistics_parcels GROUP BY origin_site`, func(st *StationStats, v []int64) {
			st.Sent = int(v[0])
		})
	}
	if err == nil {
		err = scan(`SELECT site_id, COUNT(*), 0, 0, 0 FROM logistics_alerts WHERE site_id <> '' GROUP BY site_id`, func(st *StationStats, v []int64) { st.Alerts = int(v[0]) })
	}
	if err == nil {
		err = scan(`SELECT site_id, COUNT(*), COALESCE(SUM(amount), 0), 0, 0 FROM logistics_pay GROUP BY site_id`, func(st *StationStats, v []int64) {
			st.PaidCount, st.PaidFen = int(v[0]), fishpond.Money(v[1])
		})
	}
	return out, internal(err)
}
