package logistics

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Status is where a parcel is, derived from its events.
type Status string

// The parcel statuses, in the order a parcel reaches them.
const (
	StatusCreated     Status = "created"      // labelled, not yet at the origin station
	StatusAccepted    Status = "accepted"     // received at the origin station
	StatusAtWarehouse Status = "at_warehouse" // in the origin county's warehouse
	StatusInTransit   Status = "in_transit"   // with the carrier
	StatusAwaiting    Status = "awaiting_pickup"
	StatusDelivered   Status = "delivered" // picked up with the code, or delivered to the door
)

var statusRank = map[Status]int{StatusCreated: 0, StatusAccepted: 1, StatusAtWarehouse: 2, StatusInTransit: 3, StatusAwaiting: 4, StatusDelivered: 5}

// Parcel is one package on its way.
type Parcel struct {
	ID             string
	TrackingNo     string
	OrderID        string // "" for a parcel a farmer dropped off
	RecipientUser  string
	SenderHH       string // the household that dropped it off, if any
	OriginSite     string
	OriginCounty   string
	DestSite       string // "" for delivery to the door
	DestCounty     string
	Poverty        bool // sent from a national poverty county
	WeightG        int64
	ColdChain      bool
	TempMinC10     int64 // allowed range in tenths of a degree Celsius
	TempMaxC10     int64
	Carrier        string
	CarrierRef     string
	Status         Status
	CreatedAt      time.Time
	DueAt          time.Time // promised arrival at the destination station or door
	SentAt         time.Time
	ArrivedAt      time.Time
	DeliveredAt    time.Time
	LastEventAt    time.Time
	PickupAttempts int
	PickupLocked   bool
	pickupHash     string
	pickupSealed   string
}

// OnTime reports whether the parcel reached its destination by the promised time;
// ok is false while it has not arrived.
func (p Parcel) OnTime() (onTime, ok bool) {
	arrived := p.ArrivedAt
	if p.DestSite == "" {
		arrived = p.DeliveredAt
	}
	if arrived.IsZero() {
		return false, false
	}
	return !arrived.After(p.DueAt), true
}

// ParcelSpec describes one box.
type ParcelSpec struct {
	WeightG    int64
	ColdChain  bool
	TempMinC10 int64
	TempMaxC10 int64
}

// Limits of a parcel: what a station scale and a cold box take.
const (
	MaxWeightG       = 70_000
	MaxParcels       = 9
	minTempC10       = -400
	maxTempC10       = 400
	maxTrackingNoLen = 32
)

func (sp ParcelSpec) validate(name string, f map[string]string) {
	if sp.WeightG <= 0 || sp.WeightG > MaxWeightG {
		f[name+".weight_g"] = fmt.Sprintf("1到%d克 / 1–%d g", MaxWeightG, MaxWeightG)
	}
	if sp.ColdChain {
		if sp.TempMinC10 < minTempC10 || sp.TempMaxC10 > maxTempC10 || sp.TempMinC10 >= sp.TempMaxC10 {
			f[name+".temp_range"] = "冷链温度范围须在-40到40°C之间且下限低于上限 / cold-chain range must lie within −40–40 °C, min below max"
		}
	} else if sp.TempMinC10 != 0 || sp.TempMaxC10 != 0 {
		f[name+".temp_range"] = "非冷链包裹不设温度范围 / only cold-chain parcels have a temperature range"
	}
}

var trackingAlphabet = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// orderTrackingNo is the tracking number of an order's n-th parcel, derived from the
// order id so that a shipment retried after a crash finds the parcels it made.
func orderTrackingNo(orderID string, n int) string {
	h := sha256.Sum256([]byte("fishpond-parcel:" + orderID))
	return fmt.Sprintf("FP%s%d", trackingAlphabet.EncodeToString(h[:])[:11], n)
}

// randomTrackingNo numbers a parcel dropped off at a station (digit 0 marks it).
func randomTrackingNo() string {
	var b [8]byte
	rand.Read(b[:])
	return "FP" + trackingAlphabet.EncodeToString(b[:])[:11] + "0"
}

// NormalizeTrackingNo upper-cases and trims a typed tracking number.
func NormalizeTrackingNo(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

const parcelColumns = `id, tracking_no, order_id, recipient_user, sender_household, origin_site, origin_county, dest_site, dest_county, poverty, weight_g, cold_chain,
	temp_min_c10, temp_max_c10, carrier, carrier_ref, status, created_at, due_at, sent_at, arrived_at, delivered_at, last_event_at, pickup_hash, pickup_sealed,
	pickup_attempts, pickup_locked FROM logistics_parcels`

func scanParcel(row interface{ Scan(...any) error }) (Parcel, error) {
	var p Parcel
	var poverty, cold, locked int
	var status, created, due, sent, arrived, delivered, last string
	var attempts int64
	err := row.Scan(&p.ID, &p.TrackingNo, &p.OrderID, &p.RecipientUser, &p.SenderHH, &p.OriginSite, &p.OriginCounty, &p.DestSite, &p.DestCounty, &poverty, &p.WeightG, &cold,
		&p.TempMinC10, &p.TempMaxC10, &p.Carrier, &p.CarrierRef, &status, &created, &due, &sent, &arrived, &delivered, &last, &p.pickupHash, &p.pickupSealed, &attempts, &locked)
	if err != nil {
		return p, err
	}
	p.Poverty, p.ColdChain, p.PickupLocked, p.PickupAttempts = poverty == 1, cold == 1, locked == 1, int(attempts)
	p.Status = Status(status)
	p.CreatedAt, p.DueAt, p.SentAt, p.ArrivedAt, p.DeliveredAt, p.LastEventAt = parseTime(created), parseTime(due), parseTime(sent), parseTime(arrived), parseTime(delivered), parseTime(last)
	return p, nil
}

func loadParcel(ctx context.Context, q db.Querier, trackingNo, suffix string) (Parcel, error) {
	trackingNo = NormalizeTrackingNo(trackingNo)
	if trackingNo == "" || len(trackingNo) > maxTrackingNoLen {
		return Parcel{}, invalid("运单号有误 invalid tracking number", "tracking_no", "必填，最多32字符 / required, at most 32 characters")
	}
	p, err := scanParcel(q.QueryRowContext(ctx, "SELECT "+parcelColumns+" WHERE tracking_no = ?"+suffix, trackingNo))
	if err != nil {
		return Parcel{}, db.NotFound(err, "没有该运单号 unknown tracking number %s", trackingNo)
	}
	return p, nil
}

func (s *Store) parcelsWhere(ctx context.Context, q db.Querier, where string, args ...any) ([]Parcel, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+parcelColumns+" WHERE "+where, args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Parcel
	for rows.Next() {
		p, err := scanParcel(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, p)
	}
	return out, internal(rows.Err())
}

// newParcel plans a parcel's legs and writes it with its "created" event.
func (s *Store) insertParcel(ctx context.Context, tx *db.Tx, p *Parcel, origin Site, dest *Site, now time.Time, actor string) error {
	var warehouse string
	err := tx.QueryRowContext(ctx, "SELECT id FROM logistics_sites WHERE county_code = ? AND kind = ? ORDER BY created_at, id LIMIT 1", origin.County, string(Warehouse)).Scan(&warehouse)
	if err != nil {
		return invalid("无法发货 cannot ship", "origin_site_id", "该县还没有县级仓 / the origin county has no warehouse yet")
	}
	p.ID, p.CreatedAt, p.Status, p.Carrier = newID(), now, StatusCreated, s.carrier.Name()
	p.OriginSite, p.OriginCounty, p.Poverty = origin.ID, origin.County, origin.Poverty
	p.DueAt = now.Add(s.cfg.FirstMile + s.cfg.Warehouse + s.cfg.Carrier)
	legs := []struct {
		kind, from, to string
		d              time.Duration
	}{
		{LegFirstMile, origin.ID, warehouse, s.cfg.FirstMile},
		{LegWarehouse, warehouse, warehouse, s.cfg.Warehouse},
		{LegCarrier, warehouse, p.DestSite, s.cfg.Carrier},
	}
	if dest != nil {
		legs = append(legs, struct {
			kind, from, to string
			d              time.Duration
		}{LegPickup, dest.ID, dest.ID, s.cfg.Pickup})
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO logistics_parcels (id, tracking_no, order_id, recipient_user, sender_household, origin_site, origin_county, dest_site, dest_county,
		poverty, weight_g, cold_chain, temp_min_c10, temp_max_c10, carrier, status, created_at, due_at, last_event_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.TrackingNo, p.OrderID, p.RecipientUser, p.SenderHH, p.OriginSite, p.OriginCounty, p.DestSite, p.DestCounty, boolInt(p.Poverty), p.WeightG, boolInt(p.ColdChain),
		p.TempMinC10, p.TempMaxC10, p.Carrier, string(p.Status), db.FormatTime(now), db.FormatTime(p.DueAt), db.FormatTime(now))
	if err != nil {
		if db.IsUniqueViolation(err) {
			return db.Retry(err) // a concurrent shipment of the same order; the retry finds its parcels
		}
		return err
	}
	for i, l := range legs {
		if _, err := tx.ExecContext(ctx, "INSERT INTO logistics_legs (parcel_id, leg_no, kind, from_site, to_site, expected_secs) VALUES (?, ?, ?, ?, ?, ?)",
			p.ID, i+1, l.kind, l.from, l.to, int64(l.d/time.Second)); err != nil {
			return err
		}
	}
	p.LastEventAt = now
	_, err = tx.ExecContext(ctx, "INSERT INTO logistics_events (id, parcel_id, scan_key, kind, site_id, place, at, recorded_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		newID(), p.ID, "created", string(EventCreated), "", "", db.FormatTime(now), db.FormatTime(now), actor)
	return err
}

// Parcel reads a parcel the principal may see in full: its recipient, its sender
// household, admins, officers of its origin or destination county, and the
// operators of its stations. Everyone else gets not_found; the public reads
// Track instead.
func (s *Store) Parcel(ctx context.Context, p fishpond.Principal, trackingNo string) (Parcel, error) {
	q := s.db.Read()
	pc, err := loadParcel(ctx, q, trackingNo, "")
	if err != nil {
		return Parcel{}, err
	}
	if !s.canSeeParcel(ctx, q, p, pc) {
		return Parcel{}, notFound("没有该运单号 unknown tracking number %s", pc.TrackingNo)
	}
	return pc, nil
}

func (s *Store) canSeeParcel(ctx context.Context, q db.Querier, p fishpond.Principal, pc Parcel) bool {
	switch {
	case p.Role == fishpond.RoleAdmin:
		return true
	case p.UserID != "" && p.UserID == pc.RecipientUser:
		return true
	case p.Role == fishpond.RoleHousehold && p.HouseholdID != "" && p.HouseholdID == pc.SenderHH:
		return true
	case p.Role == fishpond.RoleCountyOfficer && (p.CanSeeCounty(pc.OriginCounty) || p.CanSeeCounty(pc.DestCounty)):
		return true
	}
	for _, id := range []string{pc.OriginSite, pc.DestSite} {
		if id == "" {
			continue
		}
		if st, err := loadSite(ctx, q, id); err == nil && CanOperate(p, st) {
			return true
		}
	}
	return false
}

// OrderParcels lists the parcels of an order, for the principal who may see them.
func (s *Store) OrderParcels(ctx context.Context, p fishpond.Principal, orderID string) ([]Parcel, error) {
	if _, err := s.market.Order(ctx, p, orderID); err != nil {
		return nil, err
	}
	return s.parcelsWhere(ctx, s.db.Read(), "order_id = ? ORDER BY tracking_no", orderID)
}

// SiteParcels lists the parcels at or bound for a site, for its operators: the
// station console and the warehouse board. Delivered parcels are left out.
func (s *Store) SiteParcels(ctx context.Context, p fishpond.Principal, siteID string) ([]Parcel, error) {
	q := s.db.Read()
	st, err := s.operableSite(ctx, q, p, siteID)
	if err != nil {
		return nil, err
	}
	if st.Kind == Warehouse {
		return s.parcelsWhere(ctx, q, "origin_county = ? AND status IN (?, ?, ?) ORDER BY due_at, tracking_no LIMIT 500",
			st.County, string(StatusCreated), string(StatusAccepted), string(StatusAtWarehouse))
	}
	return s.parcelsWhere(ctx, q, "(origin_site = ? AND status IN (?, ?)) OR (dest_site = ? AND status IN (?, ?)) ORDER BY due_at, tracking_no LIMIT 500",
		st.ID, string(StatusCreated), string(StatusAccepted), st.ID, string(StatusInTransit), string(StatusAwaiting))
}
