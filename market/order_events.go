package market

import (
	"context"
	"sync"
	"time"

	"fishpond/events"
	"fishpond/internal/db"
)

// orderEventLine is a line as events carry it: no buyer, no address.
type orderEventLine struct {
	ProductID    string `json:"product_id"`
	Qty          int64  `json:"qty"`
	UnitPriceFen int64  `json:"unit_price_fen"`
}

type orderEventPayload struct {
	OrderID     string           `json:"order_id"`
	ShopID      string           `json:"shop_id"`
	Status      string           `json:"status"`
	TotalFen    int64            `json:"total_fen"`
	RefundedFen int64            `json:"refunded_fen"`
	Lines       []orderEventLine `json:"lines"`
}

// appendOrderEvent records "order.<what>" for o in tx: placed, paid, shipped,
// delivered, settled, cancelled, expired, or refunded (each refund, partial or full;
// refunded_fen is the running total and status tells whether the order closed). The
// county is the shop's, for county sales reports.
func appendOrderEvent(ctx context.Context, tx *db.Tx, now time.Time, what string, o *Order) error {
	county, err := shopCounty(ctx, tx, o.ShopID)
	if err != nil {
		return err
	}
	p := orderEventPayload{OrderID: o.ID, ShopID: o.ShopID, Status: string(o.Status), TotalFen: int64(o.Total),
		RefundedFen: int64(o.Refunded), Lines: make([]orderEventLine, len(o.Lines))}
	for i, l := range o.Lines {
		p.Lines[i] = orderEventLine{ProductID: l.ProductID, Qty: l.Qty, UnitPriceFen: int64(l.UnitPrice)}
	}
	return events.Append(ctx, tx, now, events.Event{Type: "order." + what, Subject: o.ID, CountyCode: county, Payload: p})
}

// shopCounties caches each shop's county (shop id -> county code): it is fixed when
// the shop opens and never changes, and every order event needs it.
var shopCounties sync.Map

func shopCounty(ctx context.Context, tx *db.Tx, shopID string) (string, error) {
	if c, ok := shopCounties.Load(shopID); ok {
		return c.(string), nil
	}
	st, err := tx.Stmt(ctx, "SELECT county_code FROM market_shops WHERE id = ?")
	if err != nil {
		return "", err
	}
	var county string
	if err := st.QueryRowContext(ctx, shopID).Scan(&county); err != nil {
		return "", err
	}
	shopCounties.Store(shopID, county)
	return county, nil
}
