package logistics

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// EventKind is what a tracking event says happened.
type EventKind string

// The tracking event kinds. Stations and warehouses scan accepted, warehouse_in,
// handed_over and arrived; the carrier reports transit and delivered (to the
// door); picked_up is written only by a pickup with the right code.
const (
	EventCreated     EventKind = "created"
	EventAccepted    EventKind = "accepted"
	EventWarehouseIn EventKind = "warehouse_in"
	EventHandedOver  EventKind = "handed_over"
	EventTransit     EventKind = "transit"
	EventArrived     EventKind = "arrived"
	EventPickedUp    EventKind = "picked_up"
	EventDelivered   EventKind = "delivered"
)

// eventStatus is the status an event proves the parcel reached.
var eventStatus = map[EventKind]Status{
	EventCreated: StatusCreated, EventAccepted: StatusAccepted, EventWarehouseIn: StatusAtWarehouse, EventHandedOver: StatusInTransit,
	EventTransit: StatusInTransit, EventArrived: StatusAwaiting, EventPickedUp: StatusDelivered, EventDelivered: StatusDelivered,
}

// TrackEvent is one stored tracking event.
type TrackEvent struct {
	Kind       EventKind
	SiteID     string
	Place      string // where, for carrier events without a site
	At         time.Time
	RecordedAt time.Time
}

// ScanRequest is one scan at a site, or one report from the carrier.
type ScanRequest struct {
	Kind   EventKind
	SiteID string
	// At is when it happened; zero means now. Scans from a phone that was offline
	// arrive later than later scans: the parcel follows At, not arrival order.
	At time.Time
	// Place and Ref describe carrier events: where, and the carrier's own event id
	// (which makes a repeated report idempotent).
	Place string
	Ref   string
}

// ScanResult is the parcel after the scan. Duplicate is true when the same scan had
// been recorded before and nothing changed.
type ScanResult struct {
	Parcel    Parcel
	Duplicate bool
}

// clockSkew is how far in the future a scan's time may lie: phone clocks drift.
const clockSkew = 10 * time.Minute

// Scan records a tracking event. A repeated scan changes nothing; a scan at a site
// the parcel does not pass through is refused; events arriving out of order are
// stored by their time and the parcel's status is derived from all of them.
func (s *Store) Scan(ctx context.Context, p fishpond.Principal, trackingNo string, req ScanRequest) (ScanResult, error) {
	pa, err := s.platformAccountIDs(ctx)
	if err != nil {
		return ScanResult{}, err
	}
	var res ScanResult
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		res, err = s.scanTx(ctx, tx, p, trackingNo, req, s.now(), pa)
		return err
	})
	if err != nil {
		return ScanResult{}, internal(err)
	}
	if res.Parcel.Status == StatusDelivered && !res.Duplicate {
		res.Parcel, err = s.afterDelivery(ctx, res.Parcel)
	}
	return res, err
}

func wrongSite(why string) error {
	return &fishpond.Error{Code: fishpond.EConflict, Message: "扫描站点不对 parcel scanned at the wrong site", Fields: map[string]string{"site_id": why}}
}

func (s *Store) scanTx(ctx context.Context, tx *db.Tx, p fishpond.Principal, trackingNo string, req ScanRequest, now time.Time, pa platformAccounts) (ScanResult, error) {
	_, known := eventStatus[req.Kind]
	if !known || req.Kind == EventCreated || req.Kind == EventPickedUp {
		return ScanResult{}, invalid("扫描类型有误 invalid scan", "kind", "accepted, warehouse_in, handed_over, arrived, transit 或 delivered")
	}
	if utf8.RuneCountInString(req.Place) > 100 || len(req.Ref) > 100 {
		return ScanResult{}, invalid("扫描有误 invalid scan", "place", "最多100字 / at most 100 characters")
	}
	pc, err := loadParcel(ctx, tx, trackingNo, tx.ForUpdate())
	if err != nil {
		return ScanResult{}, err
	}
	at := req.At.UTC().Truncate(time.Microsecond)
	if req.At.IsZero() {
		at = now
	}
	switch {
	case at.After(now.Add(clockSkew)):
		return ScanResult{}, invalid("扫描时间有误 invalid scan time", "at", "不能晚于现在 / cannot be in the future")
	case at.Before(pc.CreatedAt):
		return ScanResult{}, invalid("扫描时间有误 invalid scan time", "at", "早于运单创建时间 / before the parcel was created")
	}
	var key string
	switch req.Kind {
	case EventTransit, EventDelivered:
		// Carrier reports: the system's carrier sync, or an admin relaying one.
		if p.Role != fishpond.RoleAdmin {
			return ScanResult{}, fishpond.Errorf(fishpond.EForbidden, "只有承运商能报告在途和送达 only the carrier reports transit and door delivery")
		}
		if req.Kind == EventDelivered && pc.DestSite != "" {
			return ScanResult{}, wrongSite("该包裹送往服务站，须凭取件码取件 / this parcel goes to a station and is picked up with its code")
		}
		if strings.TrimSpace(req.Ref) == "" {
			return ScanResult{}, invalid("扫描有误 invalid scan", "ref", "承运商事件编号必填 / the carrier's event id is required")
		}
		key = string(req.Kind) + ":" + req.Ref
	default:
		site, err := s.operableSite(ctx, tx, p, req.SiteID)
		if err != nil {
			return ScanResult{}, err
		}
		switch req.Kind {
		case EventAccepted:
			if site.ID != pc.OriginSite {
				return ScanResult{}, wrongSite("该包裹应在始发服务站收件 / this parcel is accepted at its origin station, not here")
			}
		case EventWarehouseIn, EventHandedOver:
			if site.Kind != Warehouse || site.County != pc.OriginCounty {
				return ScanResult{}, wrongSite("该包裹经始发县的县级仓 / this parcel passes through its origin county's warehouse, not here")
			}
		case EventArrived:
			if pc.DestSite == "" {
				return ScanResult{}, wrongSite("该包裹送货上门，不经服务站 / this parcel is delivered to the door, not to a station")
			}
			if site.ID != pc.DestSite {
				return ScanResult{}, wrongSite("该包裹不是送往本站的 / this parcel is bound for another station")
			}
		}
		key = string(req.Kind) + ":" + site.ID
	}
	if pc.Status == StatusDelivered && at.After(pc.DeliveredAt) {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM logistics_events WHERE parcel_id = ? AND scan_key = ?", pc.ID, key).Scan(&n); err != nil {
			return ScanResult{}, err
		}
		if n > 0 {
			return ScanResult{Parcel: pc, Duplicate: true}, nil
		}
		return ScanResult{}, conflict("包裹已于%s签收 parcel was delivered at %s", pc.DeliveredAt.In(fishpond.ChinaTime).Format("2006-01-02 15:04"), pc.DeliveredAt.Format(time.RFC3339))
	}
	dup, err := insertEvent(ctx, tx, pc.ID, key, req.Kind, req.SiteID, req.Place, at, now, p.UserID)
	if err != nil || dup {
		return ScanResult{Parcel: pc, Duplicate: dup}, err
	}
	pc, err = s.derive(ctx, tx, pc, now, pa)
	return ScanResult{Parcel: pc}, err
}

// insertEvent stores an event unless one with the same key exists; dup says so.
func insertEvent(ctx context.Context, tx *db.Tx, parcelID, key string, kind EventKind, site, place string, at, now time.Time, actor string) (dup bool, err error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO logistics_events (id, parcel_id, scan_key, kind, site_id, place, at, recorded_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (parcel_id, scan_key) DO NOTHING`, newID(), parcelID, key, string(kind), site, place, db.FormatTime(at), db.FormatTime(now), actor)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 0, err
}

func loadEvents(ctx context.Context, q db.Querier, parcelID string) ([]TrackEvent, error) {
	rows, err := q.QueryContext(ctx, "SELECT kind, site_id, place, at, recorded_at FROM logistics_events WHERE parcel_id = ? ORDER BY at, recorded_at, id", parcelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TrackEvent
	for rows.Next() {
		var e TrackEvent
		var kind, at, rec string
		if err := rows.Scan(&kind, &e.SiteID, &e.Place, &at, &rec); err != nil {
			return nil, err
		}
		e.Kind, e.At, e.RecordedAt = EventKind(kind), parseTime(at), parseTime(rec)
		out = append(out, e)
	}
	return out, rows.Err()
}

// derived is what a parcel's events say about it.
type derived struct {
	status                           Status
	sent, arrived, delivered, lastAt time.Time
	accepted, handedOver, pickedUp   bool
	reached                          map[Status]time.Time // earliest event proving each status
}

// deriveState folds events (in event-time order) into the parcel's state. A
// parcel never goes backwards: its status is the furthest any event proves, so a
// late-arriving earlier scan adds history without undoing later progress.
func deriveState(evs []TrackEvent) derived {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	d := derived{status: StatusCreated, reached: map[Status]time.Time{}}
	for _, e := range evs {
		st := eventStatus[e.Kind]
		if statusRank[st] > statusRank[d.status] {
			d.status = st
		}
		if t, ok := d.reached[st]; !ok || e.At.Before(t) {
			d.reached[st] = e.At
		}
		if e.Kind != EventCreated && d.sent.IsZero() {
			d.sent = e.At
		}
		switch e.Kind {
		case EventAccepted:
			d.accepted = true
		case EventHandedOver:
			d.handedOver = true
		case EventArrived:
			d.arrived = e.At
		case EventPickedUp, EventDelivered:
			d.delivered = e.At
			d.pickedUp = e.Kind == EventPickedUp
		}
		if e.At.After(d.lastAt) {
			d.lastAt = e.At
		}
	}
	return d
}

// derive recomputes the parcel from its events, writes it, and does what reaching
// a new stage entails: pay the origin station for accepting it, book the carrier,
// issue the pickup code, pay the destination station, raise late alerts and
// append the report's events (last, as events require).
func (s *Store) derive(ctx context.Context, tx *db.Tx, pc Parcel, now time.Time, pa platformAccounts) (Parcel, error) {
	evs, err := loadEvents(ctx, tx, pc.ID)
	if err != nil {
		return pc, err
	}
	d := deriveState(evs)
	old := pc
	pc.Status, pc.SentAt, pc.ArrivedAt, pc.DeliveredAt, pc.LastEventAt = d.status, d.sent, d.arrived, d.delivered, d.lastAt
	if !pc.SentAt.IsZero() {
		pc.DueAt = pc.SentAt.Add(s.cfg.FirstMile + s.cfg.Warehouse + s.cfg.Carrier)
	}
	var out []events.Event
	if d.accepted {
		if err := s.payOperator(ctx, tx, pa, pc, pc.OriginSite, "accept", now); err != nil {
			return pc, err
		}
	}
	if old.SentAt.IsZero() && !pc.SentAt.IsZero() {
		out = append(out, events.Event{Type: "logistics.parcel.sent", Subject: pc.ID, CountyCode: pc.OriginCounty, Payload: parcelSent{
			ParcelID: pc.ID, OriginCounty: pc.OriginCounty, DestCounty: pc.DestCounty, PovertyCounty: pc.Poverty, ColdChain: pc.ColdChain, FromOrder: pc.OrderID != "", WeightG: pc.WeightG}})
	}
	if statusRank[pc.Status] >= statusRank[StatusInTransit] && pc.CarrierRef == "" {
		ref, err := s.carrier.Book(ctx, Booking{TrackingNo: pc.TrackingNo, OriginCounty: pc.OriginCounty, DestCounty: pc.DestCounty, DestSite: pc.DestSite, WeightG: pc.WeightG, ColdChain: pc.ColdChain, At: pc.SentAt})
		if err != nil {
			return pc, err
		}
		pc.CarrierRef = ref
	}
	if pc.DestSite != "" && statusRank[pc.Status] >= statusRank[StatusAwaiting] && pc.pickupHash == "" {
		if err := s.issueCode(&pc); err != nil {
			return pc, err
		}
	}
	if pc.Status == StatusDelivered && old.Status != StatusDelivered {
		if d.pickedUp {
			if err := s.payOperator(ctx, tx, pa, pc, pc.DestSite, "handover", now); err != nil {
				return pc, err
			}
		}
		onTime, _ := pc.OnTime()
		out = append(out, events.Event{Type: "logistics.parcel.delivered", Subject: pc.ID, CountyCode: pc.OriginCounty, Payload: parcelDelivered{
			ParcelID: pc.ID, OriginCounty: pc.OriginCounty, DestCounty: pc.DestCounty, PovertyCounty: pc.Poverty, OnTime: onTime, ToDoor: pc.DestSite == "",
			Hours: int64(pc.DeliveredAt.Sub(pc.SentAt) / time.Hour)}})
	}
	_, err = tx.ExecContext(ctx, `UPDATE logistics_parcels SET status = ?, sent_at = ?, arrived_at = ?, delivered_at = ?, last_event_at = ?, due_at = ?, carrier_ref = ?,
		pickup_hash = ?, pickup_sealed = ?, pickup_attempts = ?, pickup_locked = ? WHERE id = ?`,
		string(pc.Status), fmtTime(pc.SentAt), fmtTime(pc.ArrivedAt), fmtTime(pc.DeliveredAt), fmtTime(pc.LastEventAt), db.FormatTime(pc.DueAt), pc.CarrierRef,
		pc.pickupHash, pc.pickupSealed, pc.PickupAttempts, boolInt(pc.PickupLocked), pc.ID)
	if err != nil {
		return pc, err
	}
	alerts, err := s.raiseLate(ctx, tx, pc, d, now)
	if err != nil {
		return pc, err
	}
	out = append(out, alerts...)
	if len(out) > 0 {
		return pc, events.AppendMany(ctx, tx, now, out)
	}
	return pc, nil
}

// parcelSent is the payload of logistics.parcel.sent.
type parcelSent struct {
	ParcelID      string `json:"parcel_id"`
	OriginCounty  string `json:"origin_county"`
	DestCounty    string `json:"dest_county"`
	PovertyCounty bool   `json:"poverty_county"`
	ColdChain     bool   `json:"cold_chain"`
	FromOrder     bool   `json:"from_order"`
	WeightG       int64  `json:"weight_g"`
}

// parcelDelivered is the payload of logistics.parcel.delivered.
type parcelDelivered struct {
	ParcelID      string `json:"parcel_id"`
	OriginCounty  string `json:"origin_county"`
	DestCounty    string `json:"dest_county"`
	PovertyCounty bool   `json:"poverty_county"`
	OnTime        bool   `json:"on_time"`
	ToDoor        bool   `json:"to_door"`
	Hours         int64  `json:"hours"`
}

// Events returns a parcel's tracking events in event-time order, for a principal
// who may see the parcel.
func (s *Store) Events(ctx context.Context, p fishpond.Principal, trackingNo string) ([]TrackEvent, error) {
	pc, err := s.Parcel(ctx, p, trackingNo)
	if err != nil {
		return nil, err
	}
	evs, err := loadEvents(ctx, s.db.Read(), pc.ID)
	return evs, internal(err)
}
