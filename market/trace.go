package market

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/qr"
)

// Origin is the public origin record behind a batch's trace code: where and by
// whom it was grown, to which standard, and when harvested. It carries no
// personal data — producing households appear only as "registered household of
// X village", never by name or number — because anyone holding the label can
// read it.
type Origin struct {
	Code          string
	ProductID     string
	ProductName   string
	Category      string
	BatchCode     string // the seller's harvest batch
	HarvestDate   string // YYYY-MM-DD
	ProvinceName  string
	CountyCode    string
	CountyName    string
	PovertyCounty bool
	VillageName   string // "" when the seller named no village
	ShopName      string
	Producer      string // the cooperative's name, or the producing households' villages
	Households    int    // registered households sharing in the sales
	InChannel     bool
	Brands        []OriginBrand
}

// OriginBrand is a brand the batch belongs to, with its standard and the latest
// passing inspection, the evidence behind the label.
type OriginBrand struct {
	Brand      Brand
	Inspection Inspection
}

// TraceQRSize is the width in pixels of trace QR images: enough for a label
// printer at 300 dpi, small enough for a phone page.
const TraceQRSize = 512

var tracePattern = regexp.MustCompile(`^[0-9A-F]{12}$`)

// normalizeTraceCode accepts codes typed in lower case or with spaces, as buyers
// copy them from labels.
func normalizeTraceCode(code string) (string, bool) {
	code = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
	return code, tracePattern.MatchString(code)
}

// TraceCode is a product batch's public trace code, issued when the product was
// listed, for the seller's label and the product page's QR image.
func (s *Store) TraceCode(ctx context.Context, productID string) (string, error) {
	var code string
	err := s.db.Read().QueryRowContext(ctx, "SELECT code FROM market_trace_codes WHERE product_id = ?", productID).Scan(&code)
	if err != nil {
		return "", db.NotFound(err, "没有该商品 no such product")
	}
	return code, nil
}

// Origin reads the public origin record of a trace code; unknown codes are
// not_found, whatever their shape.
func (s *Store) Origin(ctx context.Context, code string) (Origin, error) {
	code, ok := normalizeTraceCode(code)
	if !ok {
		return Origin{}, notFound("没有该溯源码 no such trace code")
	}
	q := s.db.Read()
	o := Origin{Code: code}
	var coopID string
	var pov int
	err := q.QueryRowContext(ctx, `SELECT p.id, p.name, p.category, p.batch_code, p.harvest_date, v.name, c.code, c.name, c.poverty,
		COALESCE(vl.name, ''), sh.name, COALESCE(p.coop_id, '')
		FROM market_trace_codes t JOIN market_products p ON p.id = t.product_id JOIN market_shops sh ON sh.id = p.shop_id
		JOIN counties c ON c.code = p.origin_county JOIN provinces v ON v.code = c.province_code
		LEFT JOIN villages vl ON vl.id = p.origin_village_id WHERE t.code = ?`, code).
		Scan(&o.ProductID, &o.ProductName, &o.Category, &o.BatchCode, &o.HarvestDate, &o.ProvinceName, &o.CountyCode, &o.CountyName, &pov,
			&o.VillageName, &o.ShopName, &coopID)
	if err != nil {
		return Origin{}, db.NotFound(err, "没有该溯源码 no such trace code")
	}
	o.PovertyCounty = pov == 1
	if o.Producer, o.Households, err = producerText(ctx, q, o.ProductID, coopID); err != nil {
		return Origin{}, err
	}
	if o.InChannel, err = s.InChannel(ctx, o.ProductID); err != nil {
		return Origin{}, err
	}
	rows, err := q.QueryContext(ctx, "SELECT brand_id FROM market_brand_members WHERE product_id = ? ORDER BY joined_on, brand_id", o.ProductID)
	if err != nil {
		return Origin{}, internal(err)
	}
	var brandIDs []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return Origin{}, internal(err)
		}
		brandIDs = append(brandIDs, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Origin{}, internal(err)
	}
	for _, id := range brandIDs {
		b, err := loadBrand(ctx, q, id)
		if err != nil {
			return Origin{}, err
		}
		ins, err := queryInspections(ctx, q, " WHERE i.product_id = ? AND i.brand_id = ? AND i.passed = 1 ORDER BY i.inspected_on DESC, i.id DESC LIMIT 1", o.ProductID, id)
		if err != nil {
			return Origin{}, err
		}
		ob := OriginBrand{Brand: b}
		if len(ins) == 1 {
			ob.Inspection = ins[0]
			ob.Inspection.RecordedBy = "" // a user id is not public
		}
		o.Brands = append(o.Brands, ob)
	}
	return o, nil
}

// producerText names the producer without personal data: the cooperative, or the
// villages of the registered households.
func producerText(ctx context.Context, q db.Querier, productID, coopID string) (string, int, error) {
	var households int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM market_product_producers WHERE product_id = ?", productID).Scan(&households); err != nil {
		return "", 0, internal(err)
	}
	if coopID != "" {
		var name string
		err := q.QueryRowContext(ctx, "SELECT name FROM market_coops WHERE id = ?", coopID).Scan(&name)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", 0, internal(err)
		}
		if name != "" {
			return name, households, nil
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT v.name FROM market_product_producers pp JOIN households h ON h.id = pp.household_id
		JOIN villages v ON v.id = h.village_id WHERE pp.product_id = ? ORDER BY v.name`, productID)
	if err != nil {
		return "", 0, internal(err)
	}
	defer rows.Close()
	var villages []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return "", 0, internal(err)
		}
		villages = append(villages, v)
	}
	if err := rows.Err(); err != nil {
		return "", 0, internal(err)
	}
	if len(villages) == 0 {
		return "", households, nil
	}
	text := strings.Join(villages, "、") + "建档立卡户 registered households of " + strings.Join(villages, ", ")
	return text, households, nil
}

// TraceQR draws the QR image a label prints for a trace code: a link to
// baseURL + "/trace/" + code, the public origin page. baseURL is the site's public
// address (http or https, no query).
func (s *Store) TraceQR(ctx context.Context, code, baseURL string) ([]byte, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fishpond.Invalid("网站地址无效 invalid site address", map[string]string{"base_url": "须为 http(s):// 开头的网址 an http(s):// address without query"})
	}
	code, ok := normalizeTraceCode(code)
	if !ok {
		return nil, notFound("没有该溯源码 no such trace code")
	}
	var one int
	if err := s.db.Read().QueryRowContext(ctx, "SELECT 1 FROM market_trace_codes WHERE code = ?", code).Scan(&one); err != nil {
		return nil, db.NotFound(err, "没有该溯源码 no such trace code")
	}
	return qr.PNG(strings.TrimRight(u.String(), "/")+"/trace/"+code, TraceQRSize)
}
