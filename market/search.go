package market

import (
	"context"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// SearchQuery is what a buyer asks the catalogue: words (Chinese needs no spaces;
// space-separated words must all match) and filters. The zero value lists every
// listed product.
type SearchQuery struct {
	Text          string
	ProvinceCode  string // 2 digits, e.g. "13"
	CountyCode    string // 6 digits, origin county
	PovertyCounty bool   // only products from national poverty counties
	BrandID       string // only members of this county brand
	ChannelOnly   bool   // only products carrying the 兴农扶贫 label
	MinPrice      fishpond.Money
	MaxPrice      fishpond.Money // 0: no upper bound
	Limit         int            // 1–100, default 20
	Cursor        string         // from the previous page's Next
}

// SearchHit is one product of a result page with what a result card shows.
// Producers are not loaded: cards show origin, not households.
type SearchHit struct {
	Product       Product
	ShopName      string
	CountyName    string
	ProvinceCode  string
	ProvinceName  string
	PovertyCounty bool
	InChannel     bool
	Brands        []string
	Score         int // relevance: higher first
}

// SearchPage is one page of results; Next is "" on the last page.
type SearchPage struct {
	Hits []SearchHit
	Next string
}

// Search limits, so one request cannot ask for unbounded work.
const (
	MaxSearchRunes = 50
	MaxSearchTerms = 5
	MaxSearchLimit = 100
)

// Relevance weights of a matching word: in the name, in the category or a brand,
// elsewhere (shop, origin county or province).
const (
	scoreName = 4
	scoreTags = 2
	scoreBody = 1
)

var (
	provincePattern = regexp.MustCompile(`^[0-9]{2}$`)
	countyPattern   = regexp.MustCompile(`^[0-9]{6}$`)
)

// likeEscaper escapes LIKE wildcards so a buyer's "%" matches a percent sign.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (q *SearchQuery) validate() (terms []string, afterScore int, afterID string, f map[string]string) {
	f = map[string]string{}
	text := strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(text) > MaxSearchRunes {
		f["q"] = "搜索词最多50字 at most 50 characters"
	}
	seen := map[string]bool{}
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if !seen[w] {
			seen[w] = true
			terms = append(terms, w)
		}
	}
	if len(terms) > MaxSearchTerms {
		f["q"] = "最多5个词 at most 5 words"
	}
	if q.ProvinceCode != "" && !provincePattern.MatchString(q.ProvinceCode) {
		f["province"] = "省份代码为2位数字 a province code has 2 digits"
	}
	if q.CountyCode != "" && !countyPattern.MatchString(q.CountyCode) {
		f["county"] = "县代码为6位数字 a county code has 6 digits"
	}
	if q.MinPrice < 0 || q.MinPrice > MaxPrice {
		f["min_price"] = "价格须在0到100万元之间 price must be 0–1,000,000 yuan"
	}
	if q.MaxPrice < 0 || q.MaxPrice > MaxPrice {
		f["max_price"] = "价格须在0到100万元之间 price must be 0–1,000,000 yuan"
	} else if q.MaxPrice > 0 && q.MaxPrice < q.MinPrice {
		f["max_price"] = "最高价不能低于最低价 the maximum is below the minimum"
	}
	if q.Limit == 0 {
		q.Limit = 20
	}
	if q.Limit < 1 || q.Limit > MaxSearchLimit {
		f["limit"] = "每页1到100条 1–100 per page"
	}
	afterScore = -1
	if q.Cursor != "" {
		var ok bool
		afterScore, afterID, ok = decodeSearchCursor(q.Cursor)
		if !ok {
			f["cursor"] = "翻页参数无效 invalid cursor"
		}
	}
	return terms, afterScore, afterID, f
}

func encodeSearchCursor(score int, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(score) + "|" + id))
}

func decodeSearchCursor(c string) (int, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", false
	}
	s, id, ok := strings.Cut(string(raw), "|")
	score, err := strconv.Atoi(s)
	if !ok || err != nil || score < 0 || id == "" || len(id) > 64 {
		return 0, "", false
	}
	return score, id, true
}

// Search finds listed products by words and filters, most relevant first (a word
// in the name counts most, then category and brand, then shop and place), ties in
// id order, one page at a time. Words of three or more characters use the trigram
// index (FTS5 on SQLite, pg_trgm on PostgreSQL); shorter ones such as "小米" or
// "苹果" fall back to a substring scan, since a trigram index cannot hold them.
// The catalogue is public, so Search takes no principal.
func (s *Store) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	terms, afterScore, afterID, f := q.validate()
	if len(f) > 0 {
		return SearchPage{}, fishpond.Invalid("搜索条件有误 invalid search", f)
	}
	rd := s.db.Read()
	var where []string
	var scoreParts []string
	var scoreArgs, whereArgs []any
	from := "market_products p JOIN counties c ON c.code = p.origin_county"
	if len(terms) > 0 {
		from += " JOIN market_search s ON s.product_id = p.id"
	}
	var matchTerms []string
	for _, t := range terms {
		pat := "%" + likeEscaper.Replace(t) + "%"
		scoreParts = append(scoreParts, `(CASE WHEN s.name LIKE ? ESCAPE '\' THEN `+strconv.Itoa(scoreName)+
			` WHEN s.tags LIKE ? ESCAPE '\' THEN `+strconv.Itoa(scoreTags)+` ELSE `+strconv.Itoa(scoreBody)+` END)`)
		scoreArgs = append(scoreArgs, pat, pat)
		if rd.Dialect() == db.SQLite && utf8.RuneCountInString(t) >= 3 {
			matchTerms = append(matchTerms, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
			continue
		}
		where = append(where, `s.body LIKE ? ESCAPE '\'`)
		whereArgs = append(whereArgs, pat)
	}
	if len(matchTerms) > 0 {
		where = append(where, "s.doc IN (SELECT rowid FROM market_search_fts WHERE market_search_fts MATCH ?)")
		whereArgs = append(whereArgs, strings.Join(matchTerms, " AND "))
	}
	where = append(where, "p.status = 'listed'")
	if q.ProvinceCode != "" {
		where, whereArgs = append(where, "c.province_code = ?"), append(whereArgs, q.ProvinceCode)
	}
	if q.CountyCode != "" {
		where, whereArgs = append(where, "p.origin_county = ?"), append(whereArgs, q.CountyCode)
	}
	if q.PovertyCounty {
		where = append(where, "c.poverty = 1")
	}
	if q.BrandID != "" {
		where = append(where, "EXISTS (SELECT 1 FROM market_brand_members m WHERE m.product_id = p.id AND m.brand_id = ?)")
		whereArgs = append(whereArgs, q.BrandID)
	}
	if q.ChannelOnly {
		where = append(where, "EXISTS (SELECT 1 FROM market_channel_products cp WHERE cp.product_id = p.id)")
	}
	if q.MinPrice > 0 {
		where, whereArgs = append(where, "p.price >= ?"), append(whereArgs, int64(q.MinPrice))
	}
	if q.MaxPrice > 0 {
		where, whereArgs = append(where, "p.price <= ?"), append(whereArgs, int64(q.MaxPrice))
	}
	score := "0"
	if len(scoreParts) > 0 {
		score = strings.Join(scoreParts, " + ")
	}
	query := "SELECT id, score FROM (SELECT p.id AS id, " + score + " AS score FROM " + from +
		" WHERE " + strings.Join(where, " AND ") + ") x"
	args := append(scoreArgs, whereArgs...)
	if afterScore >= 0 {
		query += " WHERE score < ? OR (score = ? AND id > ?)"
		args = append(args, afterScore, afterScore, afterID)
	}
	query += " ORDER BY score DESC, id LIMIT ?"
	args = append(args, q.Limit+1)

	if len(terms) == 0 {
		// Browsing (filters only, no words): a few dozen query texts at most, run
		// by every buyer, so prepared once each.
		rd = s.prepared()
	}
	rows, err := rd.QueryContext(ctx, query, args...)
	if err != nil {
		return SearchPage{}, internal(err)
	}
	var ids []string
	scores := map[string]int{}
	for rows.Next() {
		var id string
		var sc int
		if err := rows.Scan(&id, &sc); err != nil {
			rows.Close()
			return SearchPage{}, internal(err)
		}
		ids = append(ids, id)
		scores[id] = sc
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SearchPage{}, internal(err)
	}
	var page SearchPage
	if len(ids) > q.Limit {
		ids = ids[:q.Limit]
		last := ids[len(ids)-1]
		page.Next = encodeSearchCursor(scores[last], last)
	}
	hits, err := loadHits(ctx, s.prepared(), ids) // the IN list holds at most MaxSearchLimit ids
	if err != nil {
		return SearchPage{}, err
	}
	for i := range hits {
		hits[i].Score = scores[hits[i].Product.ID]
	}
	page.Hits = hits
	return page, nil
}

// loadHits reads the result cards of ids, in the order given.
func loadHits(ctx context.Context, q db.Querier, ids []string) ([]SearchHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := "(" + db.Placeholders(len(ids)) + ")"
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.shop_id, p.name, p.category, p.unit, p.price, p.stock, p.sold, p.origin_county,
		COALESCE(p.origin_village_id, ''), p.batch_code, p.harvest_date, COALESCE(p.coop_id, ''), p.per_buyer_limit, p.pledge,
		p.pledge_fund, p.poverty, p.status, sh.name, c.name, c.province_code, v.name, c.poverty,
		(SELECT COUNT(*) FROM market_channel_products cp WHERE cp.product_id = p.id)
		FROM market_products p JOIN market_shops sh ON sh.id = p.shop_id JOIN counties c ON c.code = p.origin_county
		JOIN provinces v ON v.code = c.province_code WHERE p.id IN `+in, args...)
	if err != nil {
		return nil, internal(err)
	}
	byID := map[string]SearchHit{}
	for rows.Next() {
		var h SearchHit
		var price, pledge int64
		var pov, cpov, channel int
		pr := &h.Product
		if err := rows.Scan(&pr.ID, &pr.ShopID, &pr.Name, &pr.Category, &pr.Unit, &price, &pr.Stock, &pr.Sold, &pr.OriginCounty, &pr.OriginVillageID,
			&pr.BatchCode, &pr.HarvestDate, &pr.CoopID, &pr.PerBuyerLimit, &pledge, &pr.PledgeFund, &pov, &pr.Status,
			&h.ShopName, &h.CountyName, &h.ProvinceCode, &h.ProvinceName, &cpov, &channel); err != nil {
			rows.Close()
			return nil, internal(err)
		}
		pr.Price, pr.Pledge, pr.Poverty = fishpond.Money(price), fishpond.Money(pledge), pov == 1
		h.PovertyCounty, h.InChannel = cpov == 1, channel > 0
		byID[pr.ID] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal(err)
	}
	brands, err := brandNamesOf(ctx, q, ids, in, args)
	if err != nil {
		return nil, err
	}
	out := make([]SearchHit, 0, len(ids))
	for _, id := range ids {
		if h, ok := byID[id]; ok {
			h.Brands = brands[id]
			out = append(out, h)
		}
	}
	return out, nil
}

func brandNamesOf(ctx context.Context, q db.Querier, ids []string, in string, args []any) (map[string][]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.product_id, b.name FROM market_brand_members m JOIN market_brands b ON b.id = m.brand_id
		WHERE m.product_id IN `+in+` ORDER BY m.product_id, b.name`, args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var pid, name string
		if err := rows.Scan(&pid, &name); err != nil {
			return nil, internal(err)
		}
		out[pid] = append(out[pid], name)
	}
	return out, rows.Err()
}

// Reindex rebuilds every product's search document from the catalogue. Triggers
// keep the index in sync on every write; this is for operators after a restore or
// a change of what documents contain.
func (s *Store) Reindex(ctx context.Context) error {
	return internal(s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM market_search"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO market_search (product_id, name, tags, body) SELECT product_id, name, tags, body FROM market_search_source")
		return err
	}))
}
