package logistics

import (
	"context"
	"fmt"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/market"
)

// ShipRequest is a seller shipping a paid order from its village station.
type ShipRequest struct {
	OrderID      string
	OriginSiteID string // the station the seller hands the boxes to
	// DestSiteID is the station in the buyer's county the parcels go to; "" picks
	// that county's first station, or the door when it has none.
	DestSiteID string
	Parcels    []ParcelSpec
}

// ShipOrder creates an order's parcels (one or more) and marks the order shipped
// in the marketplace with the first parcel's tracking number. The seller or an
// admin may. Tracking numbers derive from the order id, so a call repeated after
// a failure between the two steps finds the parcels it made instead of making more.
func (s *Store) ShipOrder(ctx context.Context, p fishpond.Principal, req ShipRequest) ([]Parcel, error) {
	f := map[string]string{}
	if req.OrderID == "" {
		f["order_id"] = "必填 / required"
	}
	if req.OriginSiteID == "" {
		f["origin_site_id"] = "请选择交寄的服务站 / choose the station you hand the parcels to"
	}
	switch {
	case len(req.Parcels) == 0:
		f["parcels"] = "至少一个包裹 / at least one parcel"
	case len(req.Parcels) > MaxParcels:
		f["parcels"] = fmt.Sprintf("最多%d个包裹 / at most %d parcels", MaxParcels, MaxParcels)
	}
	for i, sp := range req.Parcels {
		sp.validate(fmt.Sprintf("parcels[%d]", i), f)
	}
	if len(f) > 0 {
		return nil, fishpond.Invalid("发货信息有误 invalid shipment", f)
	}
	o, err := s.market.Order(ctx, p, req.OrderID)
	if err != nil {
		return nil, err
	}
	if p.Role != fishpond.RoleAdmin && p.UserID == o.BuyerID {
		return nil, fishpond.Errorf(fishpond.EForbidden, "买家不能发货 the buyer cannot ship the order")
	}
	first := orderTrackingNo(o.ID, 1)
	switch {
	case o.Status == market.StatusPaid:
	case o.Status == market.StatusShipped && o.TrackingNo == first:
		// shipped by an earlier call that failed before or after writing parcels
	default:
		return nil, conflict("订单状态为%s，不能发货 order is %s and cannot be shipped", o.Status, o.Status)
	}
	var out []Parcel
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		out = nil
		have, err := s.parcelsWhere(ctx, tx, "order_id = ? ORDER BY tracking_no", o.ID)
		if err != nil {
			return err
		}
		if len(have) > 0 {
			out = have
			return nil
		}
		origin, err := loadSite(ctx, tx, req.OriginSiteID)
		if err != nil {
			return invalid("发货信息有误 invalid shipment", "origin_site_id", "没有该服务站 / no such station")
		}
		if origin.Kind != Station {
			return invalid("发货信息有误 invalid shipment", "origin_site_id", "请选择村级服务站，不是县级仓 / choose a village station, not a warehouse")
		}
		dest, err := s.destination(ctx, tx, req.DestSiteID, o.ShipCounty)
		if err != nil {
			return err
		}
		now := s.now()
		for i, sp := range req.Parcels {
			pc := Parcel{TrackingNo: orderTrackingNo(o.ID, i+1), OrderID: o.ID, RecipientUser: o.BuyerID, DestCounty: o.ShipCounty,
				WeightG: sp.WeightG, ColdChain: sp.ColdChain, TempMinC10: sp.TempMinC10, TempMaxC10: sp.TempMaxC10}
			if dest != nil {
				pc.DestSite = dest.ID
			}
			if err := s.insertParcel(ctx, tx, &pc, origin, dest, now, p.UserID); err != nil {
				return err
			}
			out = append(out, pc)
		}
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	if o.Status == market.StatusPaid {
		if _, err := s.market.Ship(ctx, p, o.ID, first); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// destination resolves the station parcels go to: the one asked for, which must be
// a station of the buyer's county, else the county's first station, else the door.
func (s *Store) destination(ctx context.Context, tx *db.Tx, id, county string) (*Site, error) {
	if id != "" {
		st, err := loadSite(ctx, tx, id)
		if err != nil || st.Kind != Station {
			return nil, invalid("发货信息有误 invalid shipment", "dest_site_id", "没有该服务站 / no such station")
		}
		if st.County != county {
			return nil, invalid("发货信息有误 invalid shipment", "dest_site_id", "须为收货人所在县的服务站 / must be a station in the recipient's county")
		}
		return &st, nil
	}
	st, err := scanSite(tx.QueryRowContext(ctx, "SELECT "+siteColumns+" WHERE county_code = ? AND kind = ? ORDER BY created_at, id LIMIT 1", county, string(Station)))
	if err != nil {
		return nil, nil // no station in the county: to the door
	}
	return &st, nil
}

// DropOffRequest is a farmer handing a parcel to a village station.
type DropOffRequest struct {
	OriginSiteID    string
	SenderHousehold string // the registered household sending it, if any
	DestSiteID      string // a station, or "" with DestCounty for the door
	DestCounty      string
	Parcel          ParcelSpec
}

// DropOff registers a parcel handed in at a station by its operator (or an
// officer) and records its acceptance there at once. The operator who registers it
// receives its pickup code to pass to the recipient.
func (s *Store) DropOff(ctx context.Context, p fishpond.Principal, req DropOffRequest) (Parcel, error) {
	f := map[string]string{}
	req.Parcel.validate("parcel", f)
	if req.DestSiteID == "" && len(req.DestCounty) != 6 {
		f["dest_county"] = "请选择目的服务站或目的县 / choose a destination station or county"
	}
	if len(f) > 0 {
		return Parcel{}, fishpond.Invalid("包裹信息有误 invalid parcel", f)
	}
	pa, err := s.platformAccountIDs(ctx)
	if err != nil {
		return Parcel{}, err
	}
	var out Parcel
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		origin, err := s.operableSite(ctx, tx, p, req.OriginSiteID)
		if err != nil {
			return err
		}
		if origin.Kind != Station {
			return invalid("包裹信息有误 invalid parcel", "origin_site_id", "须为村级服务站 / must be a village station")
		}
		if req.SenderHousehold != "" {
			var hc string
			if err := tx.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", req.SenderHousehold).Scan(&hc); err != nil || hc != origin.County {
				return invalid("包裹信息有误 invalid parcel", "sender_household", "须为本县的登记户 / must be a registered household of the station's county")
			}
		}
		county := req.DestCounty
		if req.DestSiteID != "" {
			st, err := loadSite(ctx, tx, req.DestSiteID)
			if err != nil {
				return invalid("包裹信息有误 invalid parcel", "dest_site_id", "没有该服务站 / no such station")
			}
			county = st.County
		} else {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM counties WHERE code = ?", county).Scan(&n); err != nil || n == 0 {
				return invalid("包裹信息有误 invalid parcel", "dest_county", "没有该县 / no such county")
			}
		}
		dest, err := s.destination(ctx, tx, req.DestSiteID, county)
		if err != nil {
			return err
		}
		pc := Parcel{TrackingNo: randomTrackingNo(), RecipientUser: p.UserID, SenderHH: req.SenderHousehold, DestCounty: county,
			WeightG: req.Parcel.WeightG, ColdChain: req.Parcel.ColdChain, TempMinC10: req.Parcel.TempMinC10, TempMaxC10: req.Parcel.TempMaxC10}
		if dest != nil {
			pc.DestSite = dest.ID
		}
		now := s.now()
		if err := s.insertParcel(ctx, tx, &pc, origin, dest, now, p.UserID); err != nil {
			return err
		}
		res, err := s.scanTx(ctx, tx, p, pc.TrackingNo, ScanRequest{Kind: EventAccepted, SiteID: origin.ID}, now, pa)
		if err != nil {
			return err
		}
		out = res.Parcel
		return nil
	})
	return out, internal(err)
}
