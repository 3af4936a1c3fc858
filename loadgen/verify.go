package loadgen

import (
	"context"

	"fishpond/internal/db"
)

// Verification is what the database says was sold, counted after the run
// independently of the stock counters the order path maintains: the sum of the
// order lines of the run's product in every order that still holds its stock.
type Verification struct {
	InitialStock int64 `json:"initial_stock"`
	StockLeft    int64 `json:"stock_left"`
	Sold         int64 `json:"sold"`        // units in placed/paid/…/settled orders
	PaidOrders   int64 `json:"paid_orders"` // orders of the product in status paid
	FlashUnits   int64 `json:"flash_units,omitempty"`
	FlashSold    int64 `json:"flash_sold,omitempty"` // the offer's own counter
	// Oversold is the units sold beyond stock by any of the counts: order lines
	// beyond the initial stock, negative stock left, the flash counter or flash
	// order lines beyond the units offered. It must be 0.
	Oversold int64 `json:"oversold"`
	// Consistent is false when initial stock − stock left ≠ units in orders: stock
	// leaked or was double-counted even if nothing was oversold.
	Consistent bool `json:"consistent"`
}

// The orders whose lines hold stock: everything but cancelled, expired and refunded.
const holdingStatuses = "('placed', 'paid', 'shipped', 'delivered', 'settled')"

// verify reads the outcome straight from the market tables (read-only): the point
// is to check the order path's own bookkeeping, so it does not ask the order path.
func verify(ctx context.Context, d *db.DB, f Fixture) (Verification, error) {
	v := Verification{InitialStock: f.Stock, FlashUnits: f.Units}
	q := d.Read()
	if err := q.QueryRowContext(ctx, "SELECT stock FROM market_products WHERE id = ?", f.ProductID).Scan(&v.StockLeft); err != nil {
		return v, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(l.qty), 0) FROM market_order_lines l JOIN market_orders o ON o.id = l.order_id
		WHERE l.product_id = ? AND o.status IN `+holdingStatuses, f.ProductID).Scan(&v.Sold); err != nil {
		return v, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_orders o WHERE o.status = 'paid'
		AND EXISTS (SELECT 1 FROM market_order_lines l WHERE l.order_id = o.id AND l.product_id = ?)`, f.ProductID).Scan(&v.PaidOrders); err != nil {
		return v, err
	}
	v.Oversold = max(0, v.Sold-v.InitialStock, -v.StockLeft)
	if f.FlashID != "" {
		var flashLines int64
		if err := q.QueryRowContext(ctx, "SELECT sold FROM market_flash_sales WHERE id = ?", f.FlashID).Scan(&v.FlashSold); err != nil {
			return v, err
		}
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(l.qty), 0) FROM market_order_lines l JOIN market_orders o ON o.id = l.order_id
			WHERE l.flash_id = ? AND o.status IN `+holdingStatuses, f.FlashID).Scan(&flashLines); err != nil {
			return v, err
		}
		v.Oversold = max(v.Oversold, v.FlashSold-v.FlashUnits, flashLines-v.FlashUnits)
	}
	v.Consistent = v.InitialStock-v.StockLeft == v.Sold
	return v, nil
}
