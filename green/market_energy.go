package green

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// MarketConsumerName is the checkpoint name of the order-event consumer.
const MarketConsumerName = "green.energy.market"

// MarketConsumer turns marketplace order events into energy, exactly once (the
// drops and the checkpoint commit together, and action ids are idempotent):
//
//   - order.shipped: consolidated shipping. Every item in a parcel beyond the
//     first is a parcel avoided; an order shipped in a parcel that already
//     carries an earlier order of the same buyer (same shop, same tracking
//     number) avoids a parcel for every item.
//   - order.delivered: an electronic receipt instead of a paper one.
//
// Market is not changed for this: the consumer reads the order's buyer and
// tracking number through market's public API.
func (s *Service) MarketConsumer(log *events.Log) *events.Consumer {
	return &events.Consumer{Log: log, Name: MarketConsumerName, Types: []string{"order.shipped", "order.delivered"}, Batch: 200, Handle: s.handleOrderEvent}
}

type orderEvent struct {
	OrderID string `json:"order_id"`
	ShopID  string `json:"shop_id"`
	Lines   []struct {
		Qty int64 `json:"qty"`
	} `json:"lines"`
}

func (s *Service) handleOrderEvent(ctx context.Context, tx *db.Tx, e events.Stored) error {
	var p orderEvent
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.OrderID == "" {
		return nil // not an order payload this consumer understands; nothing to earn
	}
	o, err := s.market.Order(ctx, fishpond.System, p.OrderID)
	if fishpond.Code(err) == fishpond.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	var a Action
	switch e.Type {
	case "order.shipped":
		var items int64
		for _, l := range p.Lines {
			items += l.Qty
		}
		avoided, err := parcelsAvoided(ctx, tx, p.ShopID, o.TrackingNo, o.BuyerID, o.ID, items)
		if err != nil || avoided <= 0 {
			return err
		}
		a = Action{ID: "market:order:" + o.ID + ":" + KindConsolidated, UserID: o.BuyerID, Kind: KindConsolidated, Quantity: avoided, At: e.At, Source: "market"}
	case "order.delivered":
		a = Action{ID: "market:order:" + o.ID + ":" + KindEReceipt, UserID: o.BuyerID, Kind: KindEReceipt, Quantity: 1, At: e.At, Source: "market"}
	default:
		return nil
	}
	res, err := s.RecordTx(ctx, tx, s.now(), []Action{a})
	if err != nil {
		return err
	}
	if res[0].Err != nil && fishpond.Code(res[0].Err) != fishpond.EInvalid {
		return fmt.Errorf("green: energy for order %s: %w", o.ID, res[0].Err)
	}
	return nil
}

// parcelsAvoided remembers the parcel (shop, tracking number) and says how many
// parcels shipping items in it avoided.
func parcelsAvoided(ctx context.Context, tx *db.Tx, shopID, tracking, buyer, orderID string, items int64) (int64, error) {
	if tracking == "" {
		return items - 1, nil
	}
	key := shopID + "|" + tracking
	var firstBuyer, first string
	err := tx.QueryRowContext(ctx, "SELECT buyer_id, first_order FROM green_parcels WHERE parcel_key = ?", key).Scan(&firstBuyer, &first)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, "INSERT INTO green_parcels (parcel_key, buyer_id, first_order) VALUES (?, ?, ?)", key, buyer, orderID); err != nil {
			return 0, fishpond.Internal(err)
		}
		return items - 1, nil
	case err != nil:
		return 0, fishpond.Internal(err)
	case first != orderID && firstBuyer == buyer:
		return items, nil // joined a parcel already on its way
	}
	return items - 1, nil
}
