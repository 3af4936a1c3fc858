package generate

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/report"
)

// item is a kind of product a region sells, with a price range in fen.
type item struct {
	category, name string
	lo, hi         int64
}

// What poverty counties sell, by region: livestock, nuts and grains in the west;
// grains, fruit, honey and tea in the centre; fruit, nuts and dried sea food in the
// east.
var regionItems = map[string][]item{
	"west": {{"牛羊肉", "手抓羊肉 1kg", 6800, 12800}, {"干果", "核桃 1kg", 3500, 6800}, {"杂粮", "小米 2.5kg", 2900, 5900},
		{"水果", "苹果 5kg", 3900, 7900}, {"茶叶", "绿茶 250g", 6800, 19800}, {"菌菇", "香菇 500g", 3900, 8800}},
	"central": {{"杂粮", "小米 2.5kg", 2900, 5900}, {"水果", "猕猴桃 3kg", 3900, 6900}, {"蜂蜜", "土蜂蜜 500g", 4800, 9800},
		{"茶叶", "红茶 250g", 5800, 16800}, {"禽蛋", "土鸡蛋 30枚", 3900, 5900}, {"菌菇", "木耳 250g", 2900, 5900}},
	"east": {{"水果", "大枣 1kg", 2900, 5900}, {"干果", "板栗 1kg", 2900, 4900}, {"海产干货", "海带 500g", 1900, 3900},
		{"杂粮", "小米 2.5kg", 2900, 5900}, {"禽蛋", "土鸡蛋 30枚", 3900, 5900}},
}

// Relative sales by calendar month: New Year goods in January, the 618 festival in
// June, Singles' Day in November.
var season = [12]float64{1.25, 0.75, 0.9, 0.9, 0.95, 1.25, 0.85, 0.9, 1.0, 1.05, 1.45, 1.3}

type gen struct {
	d        *db.DB
	cfg      Config
	rng      *rand.Rand
	counties []*county
	anchor   report.Range
	months   []string
	target   map[string][]int64 // month → per county (index of counties) target fen
	total    int64              // estimated orders
	// resumeFrom is how many orders an interrupted run committed.
	resumeFrom int64
	start      time.Time
	res        Result
	// The live-selling history (live.go): anchors, and broadcasts by month and county.
	anchors  []*liveAnchor
	sessions map[cellKey][]*liveSession
}

func (g *gen) id() string { return g.idAt(time.Time{}) }

// idAt is a UUIDv7 for instant at (its first 48 bits the Unix milliseconds, the
// rest drawn from the seeded generator): orders written month after month then
// land near each other in the primary-key index, as the market's own UUIDv7s do.
func (g *gen) idAt(at time.Time) string { return idFrom(g.rng, at) }

func (g *gen) between(lo, hi int64) int64 { return lo + g.rng.Int64N(hi-lo+1) }

// catalogue writes shops, products, a few brands and channel listings.
// When dry (resuming), it draws the same catalogue without writing it.
func (g *gen) catalogue(ctx context.Context, dry bool) error {
	created := db.FormatTime(time.Date(2016, 10, 1, 2, 0, 0, 0, time.UTC))
	listStart, _ := g.anchor.Bounds()
	inChannel, channelTotal := g.channelCounties()
	body := func(tx *db.Tx) error {
		listedN, channelLeft := 0, len(inChannel)
		for _, c := range g.counties {
			c.shops = nil
		}
		g.res.Shops, g.res.Products = 0, 0
		shops := newBatch(tx, "market_shops", "id, name, owner_kind, owner_id, county_code, poverty, poverty_reason, created_at", 100)
		prods := newBatch(tx, "market_products", `id, shop_id, name, category, unit, price, stock, sold, origin_county, batch_code, harvest_date,
			per_buyer_limit, pledge, pledge_fund, poverty, status, created_at`, 100)
		brands := newBatch(tx, "market_brands", "id, county_code, name, description, created_by, created_at", 100)
		apps := newBatch(tx, "market_channel_applications", "id, product_id, applicant, note, status, reviewer, reason, applied_at, reviewed_at", 100)
		listed := newBatch(tx, "market_channel_products", "product_id, application_id, listed_at", 100)
		prods.parent, brands.parent, apps.parent, listed.parent = shops, shops, prods, apps
		for ci, c := range g.counties {
			items := regionItems[c.Region]
			if items == nil {
				items = regionItems["west"]
			}
			nShops := 2 + int(math.Min(6, c.weight*2))
			for s := range nShops {
				sh := &shop{id: g.id(), county: c.Code}
				name := fmt.Sprintf("%s电商服务中心%d号店", c.Name, s+1)
				if err := shops.add(ctx, sh.id, name, "centre", fmt.Sprintf("gen%d:%s", g.cfg.Seed, c.Code), c.Code, 1, "国家级贫困县电商服务中心 county e-commerce centre", created); err != nil {
					return err
				}
				for p := range 3 + g.rng.IntN(4) {
					it := items[(s+p)%len(items)]
					pr := product{id: g.id(), category: it.category, price: g.between(it.lo, it.hi) / 100 * 100}
					if err := prods.add(ctx, pr.id, sh.id, c.Name+" "+it.name, it.category, "份", pr.price, int64(1_000_000), int64(0), c.Code,
						fmt.Sprintf("G%d-%s-%d-%d", g.cfg.Seed, c.Code, s, p), "2017-10-01", int64(0), int64(0), "", 1, "listed", created); err != nil {
						return err
					}
					sh.products = append(sh.products, pr)
					g.res.Products++
				}
				c.shops = append(c.shops, sh)
				g.res.Shops++
			}
			if ci%9 == 0 {
				if err := brands.add(ctx, g.id(), c.Code, c.Name+"好物", "一县一品：统一种植与质量标准 one county, one product", "generator", created); err != nil {
					return err
				}
			}
			// The channel, listed during the anchor half-year.
			if inChannel[c.Code] {
				// An even share of what is left to list, so every channel county
				// lists some and the total lands on the published figure.
				share := (channelTotal - listedN + channelLeft - 1) / channelLeft
				channelLeft--
				n := 0
				for _, sh := range c.shops {
					for _, pr := range sh.products {
						if n >= share {
							break
						}
						n++
						listedN++
						app := g.id()
						at := db.FormatTime(listStart.Add(time.Duration(g.rng.Int64N(int64(150 * 24 * time.Hour)))))
						if err := apps.add(ctx, app, pr.id, "generator", "", "approved", "generator", "", at, at); err != nil {
							return err
						}
						if err := listed.add(ctx, pr.id, app, at); err != nil {
							return err
						}
					}
				}
			}
		}
		for _, b := range []*batch{shops, prods, brands, apps, listed} {
			if err := b.flush(ctx); err != nil {
				return err
			}
			g.res.Rows += b.rows
		}
		g.res.Counties = int64(len(g.counties))
		return nil
	}
	if dry {
		rows := g.res.Rows
		err := body(nil)
		g.res.Rows = rows
		return err
	}
	return g.d.InTx(ctx, body)
}

// Published figures of the channel's first half-year: 8 provinces, 51 poverty
// counties, 701 products.
const (
	channelProvinces = 8
	channelCounties  = 51
	channelProducts  = 701
)

// channelCounties picks the counties whose products the channel lists: at national
// scale 51 counties of the 8 provinces with the most poverty counties, and at most
// 701 products, as published; at smaller scales one county in sixteen (at least one).
func (g *gen) channelCounties() (map[string]bool, int) {
	out := map[string]bool{}
	if g.cfg.Scale != ScaleNational {
		for i, c := range g.counties {
			if i%16 == 0 {
				out[c.Code] = true
			}
		}
		return out, 1 << 30 // every product of those counties
	}
	byProvince := map[string][]*county{}
	var provinces []string
	for _, c := range g.counties {
		if byProvince[c.ProvinceCode] == nil {
			provinces = append(provinces, c.ProvinceCode)
		}
		byProvince[c.ProvinceCode] = append(byProvince[c.ProvinceCode], c)
	}
	sort.SliceStable(provinces, func(i, j int) bool { return len(byProvince[provinces[i]]) > len(byProvince[provinces[j]]) })
	var pool []*county
	for _, p := range provinces[:min(channelProvinces, len(provinces))] {
		pool = append(pool, byProvince[p]...)
	}
	// Every province first, then the rest at random.
	g.rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	seen := map[string]bool{}
	for _, c := range pool {
		if !seen[c.ProvinceCode] {
			seen[c.ProvinceCode] = true
			out[c.Code] = true
		}
	}
	for _, c := range pool {
		if len(out) >= channelCounties {
			break
		}
		out[c.Code] = true
	}
	return out, channelProducts
}

// plan sets each month's and county's sales target: seasonal, growing by
// YearOnYear a year, scaled so the anchor half-year sums to the published figure
// times the factor (times the scale's share of the country). It returns the
// months' relative sales.
func (g *gen) plan(share float64) []float64 {
	from := addMonths(g.anchor.From, -12)
	to := addMonths(g.anchor.To, 6)
	for m := from; m <= to; m = addMonths(m, 1) {
		g.months = append(g.months, m)
	}
	base := make([]float64, len(g.months))
	var anchorSum float64
	for i, m := range g.months {
		mon := int(m[5]-'0')*10 + int(m[6]-'0')
		base[i] = season[mon-1] * math.Pow(YearOnYear, float64(i-12-3)/12)
		if m >= g.anchor.From && m <= g.anchor.To {
			anchorSum += base[i]
		}
	}
	var wsum float64
	for _, c := range g.counties {
		wsum += c.weight
	}
	goal := float64(PublishedGMVFen) * g.cfg.Factor * share
	g.target = map[string][]int64{}
	var avg float64 // average order value, for the progress estimate
	var n float64
	for _, c := range g.counties {
		for _, sh := range c.shops {
			for _, p := range sh.products {
				avg += float64(p.price)
				n++
			}
		}
	}
	avg = avg / n * 1.5 * 1.45 // about 1.45 lines of 1.5 items each
	var all float64
	for i, m := range g.months {
		t := make([]int64, len(g.counties))
		for ci, c := range g.counties {
			t[ci] = int64(math.Round(goal * base[i] / anchorSum * c.weight / wsum))
			all += float64(t[ci])
		}
		g.target[m] = t
	}
	g.total = int64(all / avg)
	return base
}

func addMonths(m string, n int) string {
	t, _ := time.Parse("2006-01", m)
	return t.AddDate(0, n, 0).Format("2006-01")
}

// orders writes the orders month by month, county by county, committing every
// TxOrders orders together with their report facts.
func (g *gen) orders(ctx context.Context) error {
	type cell struct {
		month  string
		county int
	}
	var cells []cell
	for _, m := range g.months {
		for ci := range g.counties {
			cells = append(cells, cell{m, ci})
		}
	}
	if g.d.Dialect == db.SQLite {
		g.d.SQL().ExecContext(ctx, "PRAGMA temp_store = MEMORY")
		defer g.d.SQL().ExecContext(context.WithoutCancel(ctx), "PRAGMA temp_store = DEFAULT")
	}
	next := 0
	var seq int64
	for next < len(cells) {
		// Draw this transaction's orders first, so a retried transaction writes
		// the same rows.
		var batchOrders []order
		var batchSessions []*liveSession
		for next < len(cells) && len(batchOrders) < g.cfg.TxOrders {
			c := cells[next]
			next++
			cty := g.counties[c.county]
			target := g.target[c.month][c.county]
			ms, _ := time.ParseInLocation("2006-01", c.month, fishpond.ChinaTime)
			span := ms.AddDate(0, 1, 0).Sub(ms)
			// The cell's live sessions sell part of its sales first, inside their
			// broadcasts; the rest of the month's orders make up the target.
			for _, ls := range g.sessions[cellKey{c.month, c.county}] {
				var acc int64
				for {
					o := g.draw(ls.anchor.shop, cty.Code)
					if acc > 0 && acc+o.total/2 > ls.budget {
						break
					}
					acc += o.total
					o.placed = ls.start.Add(time.Duration(g.rng.Int64N(int64(ls.end.Sub(ls.start) - 30*time.Minute))))
					g.finish(&o, ms)
					o.session = ls
					ls.orders++
					ls.gmv += o.total
					batchOrders = append(batchOrders, o)
				}
				target -= acc
				batchSessions = append(batchSessions, ls)
			}
			var acc int64
			for {
				o := g.draw(cty.shops[g.rng.IntN(len(cty.shops))], cty.Code)
				// Stop where the cell's total is nearest its target.
				if acc+o.total/2 > target {
					break
				}
				acc += o.total
				o.placed = ms.Add(time.Duration(g.rng.Int64N(int64(span - time.Hour))))
				g.finish(&o, ms)
				batchOrders = append(batchOrders, o)
			}
		}
		if g.resumeFrom > 0 && seq < g.resumeFrom {
			if seq+int64(len(batchOrders)) > g.resumeFrom {
				return fishpond.Errorf(fishpond.EConflict, "cannot resume: %d orders committed, which is not a transaction boundary of this configuration (same --factor, --scale and seed?)", g.resumeFrom)
			}
			seq += int64(len(batchOrders))
			continue
		}
		var done Result
		err := g.d.InTx(ctx, func(tx *db.Tx) error {
			if tx.Dialect() == db.SQLite {
				if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -131072"); err != nil {
					return err
				}
			}
			orders := newBatch(tx, "market_orders", `id, buyer_id, shop_id, idem_key, content_hash, status, total, refunded, address_id, ship_name,
				ship_phone_enc, ship_phone_mask, ship_county, ship_detail, placed_at, expires_at, paid_at, shipped_at, delivered_at, settled_at,
				closed_at, provider, provider_trade_no, tracking_no, settled_amount`, 100)
			lines := newBatch(tx, "market_order_lines", "order_id, line_no, product_id, flash_id, qty, unit_price, pledge, pledge_fund", 400)
			refunds := newBatch(tx, "market_refunds", "id, order_id, idem_key, amount, reason, after_settlement, transfer_id, created_at", 200)
			seen := newBatch(tx, "report_order_refunds", "order_id, refunded", 400)
			liveOrders := newBatch(tx, "live_orders", "order_id, session_id, anchor_id, room_id, county_code, buyer_id, total, qty, status, refunded, placed_at, paid_at", 200)
			lines.parent, refunds.parent, liveOrders.parent = orders, orders, orders
			liveRows, err := g.writeSessions(ctx, tx, batchSessions)
			if err != nil {
				return err
			}
			facts := report.Facts{}
			sold := map[string]int64{} // product → units, taken from stock as an order would
			n := seq
			var anchorGMV int64
			for _, o := range batchOrders {
				n++
				paid := o.placed.Add(time.Duration(60+n%1700) * time.Second)
				shipped := paid.Add(26 * time.Hour)
				delivered := shipped.Add(70 * time.Hour)
				settled := delivered.Add(7 * 24 * time.Hour)
				status, closed := "settled", ""
				if o.refunded == o.total {
					status, closed = "refunded", db.FormatTime(o.refundAt)
				}
				// Buyers come back: one in fifty orders a new one (its idempotency
				// keys then append to the unique index rather than scatter).
				buyer := fmt.Sprintf("gen%d-buyer-%09d", g.cfg.Seed, n/50)
				if err := orders.add(ctx, o.id, buyer, o.shop, fmt.Sprintf("gen%d-%d", g.cfg.Seed, n), "", status, o.total, o.refunded, "", "",
					"", "", urban[n%int64(len(urban))], "", db.FormatTime(o.placed), db.FormatTime(o.placed.Add(30*time.Minute)), db.FormatTime(paid),
					db.FormatTime(shipped), db.FormatTime(delivered), db.FormatTime(settled), closed, "generated", "", "", o.total-o.refunded); err != nil {
					return err
				}
				month := report.Month(paid)
				facts.Add(report.FactGMV, month, o.county, "", o.total)
				facts.Add(report.FactOrders, month, o.county, "", 1)
				for i, l := range o.lines {
					if err := lines.add(ctx, o.id, i+1, l.p.id, "", l.qty, l.p.price, int64(0), ""); err != nil {
						return err
					}
					facts.Add(report.FactCategory, month, o.county, l.p.category, l.qty*l.p.price)
					sold[l.p.id] += l.qty
				}
				if ls := o.session; ls != nil {
					var qty int64
					for _, l := range o.lines {
						qty += l.qty
					}
					if err := liveOrders.add(ctx, o.id, ls.id, ls.anchor.id, ls.anchor.room, o.county, buyer, o.total, qty, status, o.refunded,
						db.FormatTime(o.placed), db.FormatTime(paid)); err != nil {
						return err
					}
				}
				if o.refunded > 0 {
					if err := refunds.add(ctx, g.id2(o.id), o.id, "gen", o.refunded, "买家退款 buyer refund", 0, "", db.FormatTime(o.refundAt)); err != nil {
						return err
					}
					if err := seen.add(ctx, o.id, o.refunded); err != nil {
						return err
					}
					facts.Add(report.FactRefunds, report.Month(o.refundAt), o.county, "", o.refunded)
				}
				if month >= g.anchor.From && month <= g.anchor.To {
					anchorGMV += o.total
				}
			}
			rows := liveRows
			for _, b := range []*batch{orders, lines, refunds, seen, liveOrders} {
				if err := b.flush(ctx); err != nil {
					return err
				}
				rows += b.rows
			}
			if err := report.AddFacts(ctx, tx, facts); err != nil {
				return err
			}
			take, err := tx.Stmt(ctx, "UPDATE market_products SET stock = stock - ?, sold = sold + ? WHERE id = ?")
			if err != nil {
				return err
			}
			for _, id := range slices.Sorted(maps.Keys(sold)) { // key order: no lock-order surprises
				if _, err := take.ExecContext(ctx, sold[id], sold[id], id); err != nil {
					return err
				}
			}
			// The sessions' events go last: on PostgreSQL appending holds the
			// log's lock until the commit.
			if err := g.sessionEvents(ctx, tx, batchSessions); err != nil {
				return err
			}
			done = Result{Orders: int64(len(batchOrders)), Lines: lines.rows, Refunds: refunds.rows, Rows: rows + int64(len(facts)), AnchorGMVFen: anchorGMV}
			return nil
		})
		if err != nil {
			return err
		}
		g.res.Orders += done.Orders
		g.res.Lines += done.Lines
		g.res.Refunds += done.Refunds
		g.res.Rows += done.Rows
		g.res.AnchorGMVFen += done.AnchorGMVFen
		for _, ls := range batchSessions {
			g.res.LiveSessions++
			g.res.LiveGMVFen += ls.gmv
		}
		seq += int64(len(batchOrders))
		if g.cfg.Progress != nil {
			g.cfg.Progress(Progress{Stage: StageOrders, Orders: g.res.Orders, TotalOrders: max(g.total, g.res.Orders), Rows: g.res.Rows, Elapsed: time.Since(g.start)})
		}
	}
	return nil
}

// line and order are drawn orders, before they are written.
type line struct {
	p   product
	qty int64
}

type order struct {
	id, shop, county string
	lines            []line
	total, refunded  int64
	placed           time.Time
	refundAt         time.Time
	session          *liveSession // the broadcast it was placed in, if any
}

// draw draws an order's lines from a shop: mostly one line of one item.
func (g *gen) draw(sh *shop, county string) order {
	o := order{shop: sh.id, county: county}
	nl := 1
	if r := g.rng.IntN(100); r >= 92 {
		nl = 3
	} else if r >= 70 {
		nl = 2
	}
	for range nl {
		q := int64(1)
		if r := g.rng.IntN(10); r >= 9 {
			q = 3
		} else if r >= 6 {
			q = 2
		}
		p := sh.products[g.rng.IntN(len(sh.products))]
		o.lines = append(o.lines, line{p, q})
		o.total += p.price * q
	}
	return o
}

// finish gives a placed order its id (in its month's index region) and draws
// its refund: 2 in 100 partly refunded, 1 in 100 wholly.
func (g *gen) finish(o *order, month time.Time) {
	o.id = g.idAt(month)
	switch r := g.rng.IntN(100); {
	case r < 2:
		o.refunded = max(1, o.total*int64(20+g.rng.IntN(31))/100)
	case r < 3:
		o.refunded = o.total
	}
	if o.refunded > 0 {
		o.refundAt = o.placed.Add(time.Duration(24+g.rng.IntN(120)) * time.Hour)
	}
}

// id2 derives a refund id from its order's (random draws would shift on retry).
func (g *gen) id2(orderID string) string { return "r" + orderID[1:] }

// urban are buyers' counties: city districts where most online shoppers live.
var urban = []string{"110105", "110108", "310115", "310104", "440106", "440305", "330106", "320106", "510107", "420111", "610113", "500105"}

// batch collects rows for one table and writes them with a multi-row INSERT,
// prepared once for the full size.
type batch struct {
	tx      *db.Tx
	table   string
	cols    int
	per     int
	head    string
	pending []any
	rows    int64
	parent  *batch // rows referenced by ours: written first
}

func newBatch(tx *db.Tx, table, cols string, per int) *batch {
	n := strings.Count(cols, ",") + 1
	return &batch{tx: tx, table: table, cols: n, per: per, head: "INSERT INTO " + table + " (" + cols + ") VALUES "}
}

func (b *batch) add(ctx context.Context, vals ...any) error {
	if len(vals) != b.cols {
		return fmt.Errorf("generate: %s: %d values for %d columns", b.table, len(vals), b.cols)
	}
	b.pending = append(b.pending, vals...)
	if len(b.pending) == b.cols*b.per {
		return b.write(ctx, true)
	}
	return nil
}

func (b *batch) flush(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	return b.write(ctx, false)
}

func (b *batch) write(ctx context.Context, full bool) error {
	if b.tx == nil { // a dry run: drawn, not written
		b.rows += int64(len(b.pending) / b.cols)
		b.pending = b.pending[:0]
		return nil
	}
	if b.parent != nil {
		if err := b.parent.flush(ctx); err != nil {
			return err
		}
	}
	n := len(b.pending) / b.cols
	one := "(" + db.Placeholders(b.cols) + ")"
	q := b.head + strings.Repeat(one+", ", n-1) + one
	var err error
	if full {
		st, serr := b.tx.Stmt(ctx, q)
		if serr != nil {
			return fmt.Errorf("generate: %s: %w", b.table, serr)
		}
		_, err = st.ExecContext(ctx, b.pending...)
	} else {
		_, err = b.tx.ExecContext(ctx, q, b.pending...)
	}
	if err != nil {
		return fmt.Errorf("generate: %s: %w", b.table, err)
	}
	b.rows += int64(n)
	b.pending = b.pending[:0]
	return nil
}
