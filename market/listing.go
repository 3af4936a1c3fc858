package market

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Shops lists shops for the storefront index, poverty-alleviation shops first.
func (s *Store) Shops(ctx context.Context, limit int) ([]Shop, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+shopColumns+" ORDER BY poverty DESC, id LIMIT ?", limit)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Shop
	for rows.Next() {
		sh, err := scanShop(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// SellerShops lists the shops the principal may manage: its household's shop, its
// cooperative's, its county's service centre, or all for an admin. The seller
// dashboard starts here.
func (s *Store) SellerShops(ctx context.Context, p fishpond.Principal) ([]Shop, error) {
	all, err := s.Shops(ctx, 500)
	if err != nil {
		return nil, err
	}
	q := s.db.Read()
	var out []Shop
	for _, sh := range all {
		if s.canSellFor(ctx, q, p, sh) == nil {
			out = append(out, sh)
		}
	}
	return out, nil
}

// LatestProducts lists products in stock, newest first, for the storefront before a
// search narrows them.
func (s *Store) LatestProducts(ctx context.Context, limit int) ([]Product, error) {
	if limit <= 0 || limit > 200 {
		limit = 40
	}
	return s.listProducts(ctx, "WHERE stock > 0 ORDER BY id DESC LIMIT ?", limit)
}

// FlashSales lists a product's flash-sale offers that have not ended, soonest
// first, so the product page can show the offer and its remaining quantity.
func (s *Store) FlashSales(ctx context.Context, productID string, now time.Time) ([]FlashSale, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+flashColumns+" WHERE product_id = ? AND ends_at > ? ORDER BY starts_at",
		productID, db.FormatTime(now))
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []FlashSale
	for rows.Next() {
		fs, err := scanFlash(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, fs)
	}
	return out, rows.Err()
}
