package market

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Product is one SKU: what a buyer orders, with the origin and producers that make
// its sales traceable to registered households.
type Product struct {
	ID              string
	ShopID          string
	Name            string
	Category        string
	Unit            string // 斤, 箱, kg …
	Price           fishpond.Money
	Stock           int64
	Sold            int64
	OriginCounty    string
	OriginVillageID string // "" when not given
	BatchCode       string // harvest batch, the traceability code
	HarvestDate     string // YYYY-MM-DD
	CoopID          string // set when a cooperative produced it
	Producers       []Share
	PerBuyerLimit   int64          // 0: no limit
	Pledge          fishpond.Money // charity pledge per item sold
	PledgeFund      string         // fund name, e.g. "health-insurance"
	Poverty         bool           // computed: poverty shop, poverty-county origin or registered producers
	Status          string         // listed
}

// ProductInput is what a seller enters. Producers may be omitted for a household
// shop (the household produced it) or replaced by CoopID (the cooperative's member
// shares are copied, so later membership changes do not rewrite past sales).
type ProductInput struct {
	ShopID          string
	Name            string
	Category        string
	Unit            string
	Price           fishpond.Money
	Stock           int64
	OriginCounty    string
	OriginVillageID string
	BatchCode       string
	HarvestDate     string
	CoopID          string
	Producers       []Share
	PerBuyerLimit   int64
	Pledge          fishpond.Money
	PledgeFund      string
}

// Limits on products, so one bad input cannot store absurd values.
const (
	MaxPrice = fishpond.Money(100_000_000) // one million yuan per item
	MaxStock = int64(1_000_000_000)
)

var (
	batchPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,39}$`)
	fundPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,59}$`)
)

// FundOwner is the ledger owner of a named charity fund, e.g. "fund:health-insurance".
func FundOwner(fund string) string { return "fund:" + fund }

// validate checks everything that needs no database.
func (in *ProductInput) validate(fee fishpond.Bp, today time.Time) map[string]string {
	in.Name, in.Category, in.Unit = strings.TrimSpace(in.Name), strings.TrimSpace(in.Category), strings.TrimSpace(in.Unit)
	in.BatchCode, in.PledgeFund = strings.TrimSpace(in.BatchCode), strings.TrimSpace(in.PledgeFund)
	f := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		f["name"] = "必填，最多100字 required, at most 100 characters"
	}
	if in.Category == "" || utf8.RuneCountInString(in.Category) > 30 {
		f["category"] = "必填，最多30字 required, at most 30 characters"
	}
	if in.Unit == "" || utf8.RuneCountInString(in.Unit) > 10 {
		f["unit"] = "必填，最多10字 required, at most 10 characters"
	}
	if in.Price <= 0 || in.Price > MaxPrice {
		f["price"] = "价格须大于0且不超过100万元 price must be above 0 and at most 1,000,000 yuan"
	}
	if in.Stock < 0 || in.Stock > MaxStock {
		f["stock"] = "库存须在0到10亿之间 stock must be 0–1,000,000,000"
	}
	if !batchPattern.MatchString(in.BatchCode) {
		f["batch_code"] = "批次号为字母、数字和-，最多40位 letters, digits and -, at most 40"
	}
	// A harvest date is a day in China: compare it as midnight China time, or from
	// 16:00 UTC (midnight in China) "today" would read as a day in the future.
	if d, err := time.ParseInLocation("2006-01-02", in.HarvestDate, fishpond.ChinaTime); err != nil {
		f["harvest_date"] = "日期格式为 YYYY-MM-DD date as YYYY-MM-DD"
	} else if d.After(today) {
		f["harvest_date"] = "采收日期不能晚于今天 harvest date cannot be in the future"
	}
	if in.PerBuyerLimit < 0 || in.PerBuyerLimit > MaxStock {
		f["per_buyer_limit"] = "须为0（不限）或正数 0 (no limit) or positive"
	}
	if in.Pledge < 0 || (in.Price > 0 && in.Pledge+fee.Of(in.Price) >= in.Price) {
		f["pledge"] = "公益捐赠加平台费须低于售价 pledge plus fee must be below the price"
	}
	if in.Pledge > 0 && !fundPattern.MatchString(in.PledgeFund) {
		f["pledge_fund"] = "须为基金名称，如 health-insurance a fund name such as health-insurance"
	}
	if in.Pledge == 0 && in.PledgeFund != "" {
		f["pledge"] = "指定了基金但捐赠为0 a fund is named but the pledge is 0"
	}
	if in.CoopID != "" && len(in.Producers) > 0 {
		f["producers"] = "合作社产品的份额来自合作社 a cooperative product takes its cooperative's shares"
	} else if len(in.Producers) > 0 {
		validateShares("producers", in.Producers, f)
	}
	return f
}

// AddProduct lists a product in a shop the principal sells for, checking origin and
// producers against the registry.
func (s *Store) AddProduct(ctx context.Context, p fishpond.Principal, in ProductInput) (Product, error) {
	now := s.now()
	f := in.validate(s.cfg.FeeBp, now.In(fishpond.ChinaTime))
	pr := Product{ID: newID(), Status: "listed"}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		sh, err := s.sellerShop(ctx, tx, p, in.ShopID)
		if err != nil {
			return err
		}
		if err := checkCounty(ctx, tx, "origin_county", in.OriginCounty, f); err != nil {
			return err
		}
		var originPoverty int
		if f["origin_county"] == "" {
			if err := tx.QueryRowContext(ctx, "SELECT poverty FROM counties WHERE code = ?", in.OriginCounty).Scan(&originPoverty); err != nil {
				return internal(err)
			}
		}
		if in.OriginVillageID != "" {
			var vc string
			err := tx.QueryRowContext(ctx, "SELECT county_code FROM villages WHERE id = ?", in.OriginVillageID).Scan(&vc)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && vc != in.OriginCounty) {
				f["origin_village_id"] = "不是产地县的村 not a village of the origin county"
			} else if err != nil {
				return internal(err)
			}
		}
		producers := in.Producers
		switch {
		case in.CoopID != "":
			c, err := loadCoop(ctx, tx, in.CoopID)
			if fishpond.Code(err) == fishpond.ENotFound {
				f["coop_id"] = "没有该合作社 no such cooperative"
			} else if err != nil {
				return err
			} else if len(c.Members) == 0 {
				f["coop_id"] = "合作社没有社员 the cooperative has no members"
			}
			producers = c.Members
		case len(producers) == 0 && sh.OwnerKind == OwnerHousehold:
			producers = []Share{{HouseholdID: sh.OwnerID, Bp: 10000}}
		case len(producers) == 0:
			f["producers"] = "须注明生产农户或合作社 name the producing households or cooperative"
		default:
			if err := checkRegistered(ctx, tx, "producers", producers, f); err != nil {
				return err
			}
		}
		if len(f) > 0 {
			return fishpond.Invalid("商品信息有误 invalid product", f)
		}
		pr = Product{ID: pr.ID, ShopID: sh.ID, Name: in.Name, Category: in.Category, Unit: in.Unit, Price: in.Price, Stock: in.Stock,
			OriginCounty: in.OriginCounty, OriginVillageID: in.OriginVillageID, BatchCode: in.BatchCode, HarvestDate: in.HarvestDate,
			CoopID: in.CoopID, Producers: producers, PerBuyerLimit: in.PerBuyerLimit, Pledge: in.Pledge, PledgeFund: in.PledgeFund,
			Poverty: sh.Poverty || originPoverty == 1 || len(producers) > 0, Status: "listed"}
		_, err = tx.ExecContext(ctx, `INSERT INTO market_products (id, shop_id, name, category, unit, price, stock, origin_county, origin_village_id,
			batch_code, harvest_date, coop_id, per_buyer_limit, pledge, pledge_fund, poverty, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			pr.ID, pr.ShopID, pr.Name, pr.Category, pr.Unit, int64(pr.Price), pr.Stock, pr.OriginCounty, nullable(pr.OriginVillageID),
			pr.BatchCode, pr.HarvestDate, nullable(pr.CoopID), pr.PerBuyerLimit, int64(pr.Pledge), pr.PledgeFund, boolInt(pr.Poverty), pr.Status, db.FormatTime(now))
		if err != nil {
			return internal(err)
		}
		for _, sh := range producers {
			if _, err := tx.ExecContext(ctx, "INSERT INTO market_product_producers (product_id, household_id, share_bp) VALUES (?, ?, ?)",
				pr.ID, sh.HouseholdID, int64(sh.Bp)); err != nil {
				return internal(err)
			}
		}
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	return pr, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const productColumns = `id, shop_id, name, category, unit, price, stock, sold, origin_county, COALESCE(origin_village_id, ''), batch_code,
	harvest_date, COALESCE(coop_id, ''), per_buyer_limit, pledge, pledge_fund, poverty, status FROM market_products`

func scanProduct(row interface{ Scan(...any) error }) (Product, error) {
	var pr Product
	var price, pledge int64
	var pov int
	err := row.Scan(&pr.ID, &pr.ShopID, &pr.Name, &pr.Category, &pr.Unit, &price, &pr.Stock, &pr.Sold, &pr.OriginCounty, &pr.OriginVillageID,
		&pr.BatchCode, &pr.HarvestDate, &pr.CoopID, &pr.PerBuyerLimit, &pledge, &pr.PledgeFund, &pov, &pr.Status)
	pr.Price, pr.Pledge, pr.Poverty = fishpond.Money(price), fishpond.Money(pledge), pov == 1
	return pr, err
}

// loadProducers reads a product's shares ordered by household id, the order the
// settlement remainder rule relies on.
func loadProducers(ctx context.Context, q db.Querier, productID string) ([]Share, error) {
	rows, err := q.QueryContext(ctx, "SELECT household_id, share_bp FROM market_product_producers WHERE product_id = ? ORDER BY household_id", productID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Share
	for rows.Next() {
		var sh Share
		var bp int64
		if err := rows.Scan(&sh.HouseholdID, &bp); err != nil {
			return nil, internal(err)
		}
		sh.Bp = fishpond.Bp(bp)
		out = append(out, sh)
	}
	return out, rows.Err()
}

// Product reads a product with its producers; product pages are public and show
// producers only as household ids with shares.
func (s *Store) Product(ctx context.Context, id string) (Product, error) {
	q := s.prepared() // every buyer's product page
	pr, err := scanProduct(q.QueryRowContext(ctx, "SELECT "+productColumns+" WHERE id = ?", id))
	if err != nil {
		return Product{}, db.NotFound(err, "没有该商品 no such product")
	}
	pr.Producers, err = loadProducers(ctx, q, id)
	return pr, err
}

// ShopProducts lists a shop's products for its storefront, newest first.
func (s *Store) ShopProducts(ctx context.Context, shopID string) ([]Product, error) {
	return s.listProducts(ctx, "WHERE shop_id = ? ORDER BY id DESC", shopID)
}

// listProducts runs one product query (the part after the columns) and scans its rows.
func (s *Store) listProducts(ctx context.Context, where string, args ...any) ([]Product, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+productColumns+" "+where, args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		pr, err := scanProduct(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}

// AddStock changes a product's stock by delta (a new harvest, or a correction); it
// never takes stock below zero, so reserved units stay reserved.
func (s *Store) AddStock(ctx context.Context, p fishpond.Principal, productID string, delta int64) (Product, error) {
	if delta == 0 || delta > MaxStock || delta < -MaxStock {
		return Product{}, fishpond.Invalid("库存变化无效 invalid stock change", map[string]string{"delta": "非零且不超过10亿 non-zero, at most 1,000,000,000"})
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var shopID string
		if err := tx.QueryRowContext(ctx, "SELECT shop_id FROM market_products WHERE id = ?", productID).Scan(&shopID); err != nil {
			return db.NotFound(err, "没有该商品 no such product")
		}
		if _, err := s.sellerShop(ctx, tx, p, shopID); err != nil {
			return notFound("没有该商品 no such product")
		}
		res, err := tx.ExecContext(ctx, "UPDATE market_products SET stock = stock + ? WHERE id = ? AND stock + ? >= 0 AND stock + ? <= ?", delta, productID, delta, delta, MaxStock)
		if err != nil {
			return internal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return conflict("库存不足以减少 stock cannot go below zero")
		}
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	return s.Product(ctx, productID)
}
