package market

import (
	"context"
	"sort"

	"fishpond"
	"fishpond/internal/db"
)

// CartItem is a product (optionally at a flash-sale price) a buyer means to buy;
// nothing is reserved until checkout, so carts never hold stock hostage.
type CartItem struct {
	ProductID string
	FlashID   string
	Qty       int64
	ShopID    string
}

// SetCartItem puts qty of a product in the caller's cart (0 removes it).
func (s *Store) SetCartItem(ctx context.Context, p fishpond.Principal, productID, flashID string, qty int64) error {
	if p.UserID == "" {
		return fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	if qty < 0 || qty > MaxLineQty {
		return fishpond.Invalid("数量有误 invalid quantity", map[string]string{"qty": "0到10000 0–10000"})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM market_cart_items WHERE buyer_id = ? AND product_id = ? AND flash_id = ?", p.UserID, productID, flashID); err != nil {
			return internal(err)
		}
		if qty == 0 {
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, "SELECT 1 FROM market_products WHERE id = ? AND status = 'listed'", productID).Scan(&one); err != nil {
			return db.NotFound(err, "没有该商品 no such product")
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO market_cart_items (buyer_id, product_id, flash_id, qty, added_at) VALUES (?, ?, ?, ?, ?)",
			p.UserID, productID, flashID, qty, db.FormatTime(s.now()))
		return internal(err)
	})
}

// Cart lists the caller's cart, grouped by shop.
func (s *Store) Cart(ctx context.Context, p fishpond.Principal) ([]CartItem, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT c.product_id, c.flash_id, c.qty, pr.shop_id FROM market_cart_items c
		JOIN market_products pr ON pr.id = c.product_id WHERE c.buyer_id = ? ORDER BY pr.shop_id, c.product_id, c.flash_id`, p.UserID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []CartItem
	for rows.Next() {
		var it CartItem
		if err := rows.Scan(&it.ProductID, &it.FlashID, &it.Qty, &it.ShopID); err != nil {
			return nil, internal(err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// CheckoutCart places one order per shop in the cart, each in its own transaction
// that also empties those cart lines. The per-shop idempotency key is
// key + ":" + shop id. Ordered lines leave the cart, so a retry after success
// sees an empty cart (invalid); clients that must replay use PlaceOrder's key.
func (s *Store) CheckoutCart(ctx context.Context, p fishpond.Principal, idempotencyKey, addressID string) ([]Order, error) {
	items, err := s.Cart(ctx, p)
	if err != nil {
		return nil, err
	}
	byShop := map[string][]LineRequest{}
	for _, it := range items {
		byShop[it.ShopID] = append(byShop[it.ShopID], LineRequest{ProductID: it.ProductID, FlashID: it.FlashID, Qty: it.Qty})
	}
	shops := make([]string, 0, len(byShop))
	for sh := range byShop {
		shops = append(shops, sh)
	}
	sort.Strings(shops)
	if len(shops) == 0 {
		return nil, fishpond.Invalid("购物车为空 the cart is empty", map[string]string{"cart": "empty"})
	}
	var out []Order
	for _, sh := range shops {
		req := OrderRequest{IdempotencyKey: idempotencyKey + ":" + sh, AddressID: addressID, Lines: byShop[sh]}
		hash, err := req.validate()
		if err != nil {
			return out, err
		}
		var o Order
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			var err error
			o, err = s.placeOrderTx(ctx, tx, p.UserID, req, hash, s.now(), true)
			return err
		})
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}
