package logistics

import (
	"context"
	"time"

	"fishpond"
)

// Carrier is a trunk carrier (an express company) that takes parcels from a county
// warehouse to the destination county. Real carriers are reached over their HTTP
// APIs; NewSandboxCarrier is the one that runs here.
type Carrier interface {
	// Name is stored with each parcel.
	Name() string
	// Book hands a parcel to the carrier and returns its reference. It must be
	// idempotent by tracking number: a retried transaction books again.
	Book(ctx context.Context, b Booking) (string, error)
	// Track returns the carrier's events for a booked parcel that happened by now.
	Track(ctx context.Context, q TrackQuery) ([]CarrierEvent, error)
}

// Booking is what a carrier is told about a parcel.
type Booking struct {
	TrackingNo   string
	OriginCounty string
	DestCounty   string
	DestSite     string // "" for the door
	WeightG      int64
	ColdChain    bool
	At           time.Time
}

// TrackQuery asks a carrier what happened to a parcel.
type TrackQuery struct {
	Ref          string
	TrackingNo   string
	HandedOverAt time.Time
	ToDoor       bool
	Now          time.Time
}

// CarrierEvent is one report from a carrier: in transit somewhere, or delivered to
// the door. ID is the carrier's own event id, so a repeated report is a duplicate.
type CarrierEvent struct {
	ID    string
	Kind  EventKind // EventTransit or EventDelivered
	Place string
	At    time.Time
}

// SandboxCarrier is a carrier of our own for development, tests and the demo: it
// books every parcel and reports a fixed, believable timeline after handover. It
// is clearly named as a sandbox everywhere it shows: no real express company runs here.
type SandboxCarrier struct {
	// Transit is when it reports each leg after handover; Door when it delivers
	// door parcels.
	Transit []SandboxStop
	Door    time.Duration
}

// SandboxStop is one reported place on the sandbox carrier's timeline.
type SandboxStop struct {
	After time.Duration
	Place string
}

// NewSandboxCarrier returns the sandbox carrier with its default timeline.
func NewSandboxCarrier() *SandboxCarrier {
	return &SandboxCarrier{
		Transit: []SandboxStop{
			{2 * time.Hour, "沙箱快递 始发县分拨中心 / sandbox carrier: origin county hub"},
			{20 * time.Hour, "沙箱快递 省级转运中心 / sandbox carrier: provincial hub"},
			{40 * time.Hour, "沙箱快递 目的县分拨中心 / sandbox carrier: destination county hub"},
		},
		Door: 52 * time.Hour,
	}
}

// SandboxCarrierName is the name parcels carried by the sandbox show.
const SandboxCarrierName = "sandbox 沙箱快递（测试用，非真实承运商）"

// Name says it is a sandbox.
func (c *SandboxCarrier) Name() string { return SandboxCarrierName }

// Book returns a reference derived from the tracking number (idempotent).
func (c *SandboxCarrier) Book(_ context.Context, b Booking) (string, error) {
	if b.TrackingNo == "" {
		return "", fishpond.Errorf(fishpond.EInvalid, "sandbox carrier: tracking number required")
	}
	return "SBX-" + b.TrackingNo, nil
}

// Track reports the timeline's events up to now.
func (c *SandboxCarrier) Track(_ context.Context, q TrackQuery) ([]CarrierEvent, error) {
	var out []CarrierEvent
	for i, st := range c.Transit {
		at := q.HandedOverAt.Add(st.After)
		if at.After(q.Now) {
			break
		}
		out = append(out, CarrierEvent{ID: q.Ref + "-" + string(rune('a'+i)), Kind: EventTransit, Place: st.Place, At: at})
	}
	if q.ToDoor {
		if at := q.HandedOverAt.Add(c.Door); !at.After(q.Now) {
			out = append(out, CarrierEvent{ID: q.Ref + "-door", Kind: EventDelivered, Place: "沙箱快递 送货上门 / sandbox carrier: delivered to the door", At: at})
		}
	}
	return out, nil
}

// SyncCarrier asks the carrier about every parcel it holds and records what it
// reports (as the system; repeated reports are duplicates). A ticker in serve calls
// it. It returns how many new events were recorded.
func (s *Store) SyncCarrier(ctx context.Context) (int, error) {
	now := s.now()
	held, err := s.parcelsWhere(ctx, s.db.Read(), "status = ? AND carrier_ref <> '' ORDER BY due_at LIMIT 1000", string(StatusInTransit))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pc := range held {
		var handed string
		if err := s.db.Read().QueryRowContext(ctx, "SELECT COALESCE(MIN(at), '') FROM logistics_events WHERE parcel_id = ? AND kind = ?", pc.ID, string(EventHandedOver)).Scan(&handed); err != nil || handed == "" {
			continue // out-of-order: in transit by a carrier report before the handover scan arrived
		}
		evs, err := s.carrier.Track(ctx, TrackQuery{Ref: pc.CarrierRef, TrackingNo: pc.TrackingNo, HandedOverAt: parseTime(handed), ToDoor: pc.DestSite == "", Now: now})
		if err != nil {
			return n, err
		}
		for _, e := range evs {
			res, err := s.Scan(ctx, fishpond.System, pc.TrackingNo, ScanRequest{Kind: e.Kind, At: e.At, Place: e.Place, Ref: e.ID})
			if err != nil {
				return n, err
			}
			if !res.Duplicate {
				n++
			}
		}
	}
	return n, nil
}
