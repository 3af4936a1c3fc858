// Package generate writes a realistic marketplace history for the 832 national
// poverty counties (or one province, or a few counties) straight into the
// database: shops, products by region, a few county brands, channel listings,
// orders with seasonal monthly sales, and refunds, calibrated so that the anchor
// half-year's poverty-county sales equal the programme's published figure (2018 H1:
// 26 billion yuan online from 800+ poverty counties) times a factor. It writes in
// big transactions with multi-row prepared inserts, and keeps the report
// aggregates in the same transactions (report.AddFacts), so that a report is ready
// at once and equals `fishpond report rebuild`. It writes no events: the history
// is loaded as it stands, the way an import would be. The same seed gives the same
// data.
//
// Generated orders carry no personal data: no recipient, phone or address.
package generate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/secret"
	"fishpond/registry"
	"fishpond/report"
)

// Scales.
const (
	ScaleCounty   = "county"
	ScaleProvince = "province"
	ScaleNational = "national"
)

// Published figures the generator is calibrated to.
const (
	// PublishedGMVFen is 2018 H1 online sales of national poverty counties: 26 billion yuan.
	PublishedGMVFen int64 = 26_000_000_000 * 100
	// PublishedCountiesWithSales is the "800+" counties with sales; the generator
	// makes this many of the 832 sell at national scale.
	PublishedCountiesWithSales = 812
	// YearOnYear is the growth the generated sales follow (60% a year).
	YearOnYear = 1.6
)

// Config says what to generate.
type Config struct {
	Scale  string  // county, province or national
	Factor float64 // 1 = the programme's real size; 0.001 = a thousandth
	Seed   uint64
	// Counties are the county codes at county scale (default 130624 阜平县);
	// Province is the province code at province scale (default 62 甘肃).
	Counties []string
	Province string
	// Anchor is the calibrated half-year (default 2018H1). Sales run from twelve
	// months before it to six months after it.
	Anchor string
	// TxOrders is how many orders go in one transaction (default 20,000).
	TxOrders int
	// Resume continues an interrupted run of the same configuration: the same
	// seed draws the same data, so the transactions already committed are drawn
	// again without being written, and writing starts with the first missing one.
	Resume   bool
	Progress func(Progress)
	// Households, when set, also registers the factor's share of the programme's
	// registered poor households in the counties of the scale (all 832 at national
	// scale), posts their 2018 income and assesses 2018 (see households.go). Nil
	// generates no households: the demo's counties have their own.
	Households *Services
	// LiveKeys, when set, also writes a live-selling history (live.go): certified
	// anchors, their rooms (stream keys sealed with these keys) and broadcasts that
	// sell part of each month's sales. Nil writes none (the demo has its own).
	LiveKeys *secret.Keys
}

// Progress is reported after each transaction.
type Progress struct {
	// Stage is StageOrders, or one of the household stages; Done and Total count
	// that stage's households or transfers.
	Stage               string
	Done, Total         int64
	Orders, TotalOrders int64 // done and (estimated) total
	Rows                int64 // rows written so far, all tables
	Elapsed             time.Duration
}

// Result summarises a run.
type Result struct {
	Counties, Shops, Products, Orders, Lines, Refunds, Rows int64
	AnchorGMVFen                                            int64 // poverty-county sales in the anchor half-year
	Duration                                                time.Duration
	// Households registered by this run; People and Exited count every generated
	// household of the seed (also those an interrupted run registered) and those
	// the 2018 assessment exited (and found marginal: exited, but under the
	// monitoring line), counting every household it assessed; Transfers the
	// generated households' income transfers.
	Households, People, Exited, Marginal, Transfers int64
	HouseholdDuration                               time.Duration
	// The live-selling history: anchors written by this run, broadcasts, and the
	// sales placed during them (all months).
	LiveAnchors, LiveSessions, LiveGMVFen int64
}

// RowsPerSecond is the write rate of the run.
func (r Result) RowsPerSecond() float64 { return float64(r.Rows) / r.Duration.Seconds() }

type county struct {
	registry.County
	weight float64
	shops  []*shop
}

type shop struct {
	id, county string
	products   []product
}

type product struct {
	id, category string
	price        int64
}

// Run generates into d, which must be migrated and hold the places
// (registry.LoadPlaces). It refuses to run twice with the same seed.
func Run(ctx context.Context, d *db.DB, cfg Config) (Result, error) {
	start := time.Now()
	if cfg.Factor <= 0 || cfg.Factor > 10 {
		return Result{}, fishpond.Invalid("factor must be in (0, 10]", map[string]string{"factor": "e.g. 0.001"})
	}
	if cfg.Anchor == "" {
		cfg.Anchor = "2018H1"
	}
	anchor, err := report.ParseRange(cfg.Anchor)
	if err != nil || anchor.Len() != 6 {
		return Result{}, fishpond.Invalid("anchor must be a half-year", map[string]string{"anchor": "like 2018H1"})
	}
	if cfg.TxOrders <= 0 {
		cfg.TxOrders = 20000
	}
	var n int
	if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM market_shops WHERE owner_kind = 'centre' AND owner_id LIKE ?", fmt.Sprintf("gen%d:%%", cfg.Seed)).Scan(&n); err != nil {
		return Result{}, err
	}
	if n > 0 && !cfg.Resume {
		return Result{}, fishpond.Errorf(fishpond.EConflict, "data generated with seed %d is already in this database (--resume continues an interrupted run)", cfg.Seed)
	}
	var done int64
	if n > 0 {
		if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM market_orders WHERE idem_key LIKE ?", fmt.Sprintf("gen%d-%%", cfg.Seed)).Scan(&done); err != nil {
			return Result{}, err
		}
	}
	all, err := poverty(ctx, d)
	if err != nil {
		return Result{}, err
	}
	if len(all) == 0 {
		return Result{}, fishpond.Errorf(fishpond.EInvalid, "no poverty counties: load the places first (fishpond migrate)")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	cs, share, err := pick(cfg, all, rng)
	if err != nil {
		return Result{}, err
	}
	g := &gen{d: d, cfg: cfg, rng: rng, counties: cs, anchor: anchor, start: start, resumeFrom: done}
	if err := g.catalogue(ctx, n > 0); err != nil {
		return Result{}, err
	}
	base := g.plan(share)
	g.planLive(share, base)
	if err := g.writeAnchors(ctx); err != nil {
		return g.res, err
	}
	if err := g.orders(ctx); err != nil {
		return g.res, err
	}
	if len(g.anchors) > 0 {
		if err := drainReport(ctx, g.d); err != nil {
			return g.res, err
		}
	}
	if cfg.Households != nil {
		if err := g.households(ctx, householdCounties(cfg, all, cs)); err != nil {
			return g.res, err
		}
	}
	g.res.Duration = time.Since(start)
	return g.res, nil
}

func poverty(ctx context.Context, d *db.DB) ([]*county, error) {
	rows, err := d.Read().QueryContext(ctx, `SELECT c.code, c.name, c.province_code, p.name, c.region FROM counties c
		JOIN provinces p ON p.code = c.province_code WHERE c.poverty = 1 ORDER BY c.code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*county
	for rows.Next() {
		c := &county{}
		if err := rows.Scan(&c.Code, &c.Name, &c.ProvinceCode, &c.ProvinceName, &c.Region); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// pick chooses the counties of the scale and their sales weights (a log-normal
// spread: a few counties sell much more than most), and returns which share of the
// national figure they stand for.
func pick(cfg Config, all []*county, rng *rand.Rand) ([]*county, float64, error) {
	for _, c := range all {
		c.weight = math.Exp(rng.NormFloat64() * 0.9)
	}
	var cs []*county
	switch cfg.Scale {
	case ScaleNational:
		// 832 − 812 counties sell nothing online (yet): the published "800+".
		perm := rng.Perm(len(all))
		quiet := map[int]bool{}
		for _, i := range perm[:len(all)-PublishedCountiesWithSales] {
			quiet[i] = true
		}
		for i, c := range all {
			if !quiet[i] {
				cs = append(cs, c)
			}
		}
		return cs, 1, nil
	case ScaleProvince:
		p := cfg.Province
		if p == "" {
			p = "62"
		}
		for _, c := range all {
			if c.ProvinceCode == p {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			return nil, 0, fishpond.Invalid("no poverty counties in that province", map[string]string{"province": p})
		}
	case ScaleCounty:
		codes := cfg.Counties
		if len(codes) == 0 {
			codes = []string{"130624"}
		}
		by := map[string]*county{}
		for _, c := range all {
			by[c.Code] = c
		}
		for _, code := range codes {
			c := by[code]
			if c == nil {
				return nil, 0, fishpond.Invalid("not a national poverty county", map[string]string{"county": code})
			}
			cs = append(cs, c)
		}
	default:
		return nil, 0, fishpond.Invalid("unknown scale", map[string]string{"scale": "county, province or national"})
	}
	// A part of the country sells its counties' average share each.
	return cs, float64(len(cs)) / PublishedCountiesWithSales, nil
}
