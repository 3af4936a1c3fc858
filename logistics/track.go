package logistics

import (
	"context"
	"time"
)

// PublicTracking is what anyone with a tracking number may see: where the parcel
// has been and where it is going, by place, never by person. No recipient, order,
// operator, weight or pickup code.
type PublicTracking struct {
	TrackingNo string
	Status     Status
	From       string // origin county name
	To         string // destination county name
	ToStation  string // destination station name; "" for the door
	ColdChain  bool
	Carrier    string
	DueAt      time.Time
	Events     []PublicEvent
}

// PublicEvent is one tracking event by place.
type PublicEvent struct {
	Kind  EventKind
	Place string
	At    time.Time
}

// Track is the public tracking page's query: an unknown number is not_found.
func (s *Store) Track(ctx context.Context, trackingNo string) (PublicTracking, error) {
	q := s.db.Read()
	pc, err := loadParcel(ctx, q, trackingNo, "")
	if err != nil {
		return PublicTracking{}, err
	}
	out := PublicTracking{TrackingNo: pc.TrackingNo, Status: pc.Status, ColdChain: pc.ColdChain, Carrier: pc.Carrier, DueAt: pc.DueAt,
		From: s.countyName(ctx, pc.OriginCounty), To: s.countyName(ctx, pc.DestCounty)}
	if pc.DestSite != "" {
		if st, err := loadSite(ctx, q, pc.DestSite); err == nil {
			out.ToStation = st.Name
		}
	}
	evs, err := loadEvents(ctx, q, pc.ID)
	if err != nil {
		return PublicTracking{}, internal(err)
	}
	names := map[string]string{}
	for _, e := range evs {
		place := e.Place
		if e.SiteID != "" {
			if _, ok := names[e.SiteID]; !ok {
				if st, err := loadSite(ctx, q, e.SiteID); err == nil {
					names[e.SiteID] = s.countyName(ctx, st.County) + " " + st.Name
				}
			}
			place = names[e.SiteID]
		}
		out.Events = append(out.Events, PublicEvent{Kind: e.Kind, Place: place, At: e.At})
	}
	return out, nil
}

func (s *Store) countyName(ctx context.Context, code string) string {
	var name string
	if err := s.db.Read().QueryRowContext(ctx, "SELECT name FROM counties WHERE code = ?", code).Scan(&name); err != nil {
		return code
	}
	return name
}
