package market

import (
	"encoding/base64"
	"slices"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func searchIDs(t *testing.T, c *catalog, q SearchQuery) []string {
	t.Helper()
	page, err := c.m.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, h := range page.Hits {
		ids = append(ids, h.Product.ID)
	}
	return ids
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		cases := []struct {
			name string
			q    SearchQuery
			want []string // in order
		}{
			{"two-character 小米", SearchQuery{Text: "小米"}, []string{c.millet.ID}},
			{"two-character 苹果, name matches tie by id", SearchQuery{Text: "苹果"}, sorted(c.apples.ID, c.chips.ID)},
			{"trigram 红富士", SearchQuery{Text: "红富士"}, []string{c.apples.ID}},
			{"four characters 阜平大枣, name before shop name", SearchQuery{Text: "阜平大枣"}, append([]string{c.dates.ID}, sorted(c.millet.ID, c.apples.ID)...)},
			{"category", SearchQuery{Text: "杂粮"}, []string{c.millet.ID}},
			{"shop name", SearchQuery{Text: "服务中心"}, []string{c.chips.ID}},
			{"county name ranks name matches first", SearchQuery{Text: "阜平"}, append(sorted(c.dates.ID, c.millet.ID), c.apples.ID)},
			{"province name", SearchQuery{Text: "河北"}, sorted(c.dates.ID, c.millet.ID, c.apples.ID)},
			{"all words must match", SearchQuery{Text: "阜平 苹果"}, []string{c.apples.ID}},
			{"latin is case-insensitive", SearchQuery{Text: "2.5KG"}, []string{c.millet.ID}},
			{"no match", SearchQuery{Text: "榴莲"}, []string{}},
			{"wildcards are literal", SearchQuery{Text: "%"}, []string{}},
			{"poverty county only", SearchQuery{Text: "苹果", PovertyCounty: true}, []string{c.apples.ID}},
			{"province filter", SearchQuery{ProvinceCode: "11"}, []string{c.chips.ID}},
			{"county filter", SearchQuery{Text: "苹果", CountyCode: povertyCounty}, []string{c.apples.ID}},
			{"price range", SearchQuery{MinPrice: fishpond.Yuan(20), MaxPrice: fishpond.Yuan(35)}, sorted(c.dates.ID, c.millet.ID)},
			{"brand filter, no members", SearchQuery{BrandID: "nope"}, []string{}},
			{"channel only, none yet", SearchQuery{ChannelOnly: true}, []string{}},
		}
		for _, tc := range cases {
			if got := searchIDs(t, c, tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		page, err := c.m.Search(ctx, SearchQuery{Text: "苹果"})
		if err != nil {
			t.Fatal(err)
		}
		h := page.Hits[0]
		if h.Score != scoreName || h.CountyName == "" || h.ProvinceName == "" || h.ShopName == "" || h.Product.Price == 0 {
			t.Errorf("hit card incomplete: %+v", h)
		}
	})
}

func TestSearchPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		for _, q := range []SearchQuery{{Limit: 1}, {Text: "阜平", Limit: 2}} {
			var all []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("paging does not end")
				}
				q.Cursor = cursor
				page, err := c.m.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range page.Hits {
					all = append(all, h.Product.ID)
				}
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			q.Cursor, q.Limit = "", 100
			if want := searchIDs(t, c, q); !slices.Equal(all, want) {
				t.Errorf("%q: pages gave %v, one page gives %v", q.Text, all, want)
			}
		}
	})
}

func TestSearchFollowsWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		p := mustProduct(t, c.fixture, c.shop, func(in *ProductInput) { in.Name, in.BatchCode = "太行山核桃", "FP-9" })
		if got := searchIDs(t, c, SearchQuery{Text: "核桃"}); !slices.Equal(got, []string{p.ID}) {
			t.Fatalf("new product: got %v", got)
		}
		// Orders change stock and sold: the document stays.
		exec(t, d, "UPDATE market_products SET stock = stock - 1, sold = sold + 1 WHERE id = ?", p.ID)
		exec(t, d, "UPDATE market_products SET name = ? WHERE id = ?", "太行山野生山楂", p.ID)
		if got := searchIDs(t, c, SearchQuery{Text: "核桃"}); len(got) != 0 {
			t.Errorf("renamed product still found under its old name: %v", got)
		}
		if got := searchIDs(t, c, SearchQuery{Text: "野生山楂"}); !slices.Equal(got, []string{p.ID}) {
			t.Errorf("renamed product not found under its new name: %v", got)
		}
		exec(t, d, "UPDATE market_shops SET name = ? WHERE id = ?", "龙泉关农家铺", c.shop.ID)
		if got := searchIDs(t, c, SearchQuery{Text: "龙泉关"}); len(got) != 4 {
			t.Errorf("renamed shop: got %v", got)
		}
		exec(t, d, "UPDATE market_products SET status = 'withdrawn' WHERE id = ?", p.ID)
		if got := searchIDs(t, c, SearchQuery{Text: "山楂"}); len(got) != 0 {
			t.Errorf("withdrawn product found: %v", got)
		}
		for _, q := range []string{"DELETE FROM market_product_producers WHERE product_id = ?", "DELETE FROM market_trace_codes WHERE product_id = ?",
			"DELETE FROM market_products WHERE id = ?"} {
			exec(t, d, q, p.ID)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM market_search WHERE product_id = ?", p.ID); n != 0 {
			t.Errorf("deleted product keeps %d search documents", n)
		}
		if err := c.m.Reindex(ctx); err != nil {
			t.Fatal(err)
		}
		if got := searchIDs(t, c, SearchQuery{Text: "阜平"}); len(got) != 3 {
			t.Errorf("after Reindex: got %v", got)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM market_search"); n != 4 {
			t.Errorf("after Reindex: %d documents, want 4", n)
		}
	})
}

func TestSearchRejectsBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		long := ""
		for range 51 {
			long += "枣"
		}
		cases := []struct {
			q     SearchQuery
			field string
		}{
			{SearchQuery{Text: long}, "q"},
			{SearchQuery{Text: "a b c d e f"}, "q"},
			{SearchQuery{ProvinceCode: "河北"}, "province"},
			{SearchQuery{CountyCode: "1306"}, "county"},
			{SearchQuery{MinPrice: -1}, "min_price"},
			{SearchQuery{MinPrice: 500, MaxPrice: 100}, "max_price"},
			{SearchQuery{Limit: 1000}, "limit"},
			{SearchQuery{Limit: -1}, "limit"},
			{SearchQuery{Cursor: "not a cursor!"}, "cursor"},
			{SearchQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte("x|id"))}, "cursor"},
			{SearchQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte("-3|id"))}, "cursor"},
		}
		for _, tc := range cases {
			_, err := c.m.Search(ctx, tc.q)
			wantCode(t, err, fishpond.EInvalid, tc.field)
		}
		// FTS syntax in a query is text, not syntax.
		for _, q := range []string{`"阜平`, `阜平" OR "小`, `NEAR(阜平 小米)`, `*`} {
			if _, err := c.m.Search(ctx, SearchQuery{Text: q}); err != nil {
				t.Errorf("%q: %v", q, err)
			}
		}
	})
}
