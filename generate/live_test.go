package generate_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/generate"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/live"
	"fishpond/market"
	"fishpond/registry"
	"fishpond/report"
)

// TestLiveHistory generates two counties with a live-selling history and checks
// that the report's live metrics are exactly what live's own tables hold, that
// every attributed order was placed in its broadcast by its shop, that the
// history changes neither the sales calibration nor the rebuild, that live's
// service reads it (a generated room's sealed stream key goes live), and that the
// same seed draws the same broadcasts on both engines.
func TestLiveHistory(t *testing.T) {
	var first string
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		places(t, d)
		raw, _ := secret.Generate()
		keys, _ := secret.New(raw)
		cfg := generate.Config{Scale: generate.ScaleCounty, Factor: 0.02, Seed: 5, Counties: []string{"130624", "622926"}, TxOrders: 3000, LiveKeys: keys}
		res, err := generate.Run(ctx, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// 90,000 anchors and 2.4 million broadcasts × 0.02 × 2 of 812 counties.
		if res.LiveAnchors != 4 || res.LiveSessions < 100 || res.LiveSessions > 118 || res.LiveGMVFen <= 0 {
			t.Fatalf("live history %d anchors, %d sessions, %d fen", res.LiveAnchors, res.LiveSessions, res.LiveGMVFen)
		}
		q := d.Read()
		var bad int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM live_orders lo JOIN live_sessions s ON s.id = lo.session_id
			JOIN market_orders o ON o.id = lo.order_id
			WHERE o.shop_id <> s.shop_id OR o.placed_at < s.started_at OR o.paid_at > s.ended_at OR lo.total <> o.total`).Scan(&bad); err != nil || bad != 0 {
			t.Fatalf("%d attributed orders outside their broadcast or shop (%v)", bad, err)
		}

		rg, _ := report.ParseRange("2018H1")
		from, to := rg.Bounds()
		rep, err := report.Build(ctx, q, rg, fishpond.SystemClock{}.Now(), true)
		if err != nil {
			t.Fatal(err)
		}
		var sessions, gmv, anchors, counties int64
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT county_code) FROM live_sessions WHERE ended_at >= ? AND ended_at < ?`,
			db.FormatTime(from), db.FormatTime(to)).Scan(&sessions, &counties); err != nil {
			t.Fatal(err)
		}
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(lo.total), 0) FROM live_orders lo JOIN live_sessions s ON s.id = lo.session_id
			WHERE s.ended_at >= ? AND s.ended_at < ?`, db.FormatTime(from), db.FormatTime(to)).Scan(&gmv); err != nil {
			t.Fatal(err)
		}
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM live_anchors WHERE status = 'certified' AND certified_at < ?`, db.FormatTime(to)).Scan(&anchors); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]int64{"live_sessions": sessions, "live_gmv_fen": gmv, "farmer_anchors": anchors, "live_counties": counties} {
			if f := rep.Figure(id); f.Status != report.Measured || f.V != want {
				t.Errorf("%s = %+v, live's tables say %d", id, f.Value, want)
			}
		}
		if sessions == 0 || gmv == 0 {
			t.Fatalf("no live selling in 2018H1: %d sessions, %d fen", sessions, gmv)
		}
		want := float64(generate.PublishedGMVFen) * 0.02 * 2 / generate.PublishedCountiesWithSales
		if got := rep.Figure("poverty_county_gmv_fen").V; math.Abs(float64(got)-want)/want > 0.01 {
			t.Fatalf("2018H1 GMV %d with live selling, want %.0f ± 1%%", got, want)
		}
		inc, err := report.AllFacts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		re, _, err := report.Recompute(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := report.Diff(inc, re, 10); diff != "" {
			t.Fatalf("aggregates differ from a rebuild:\n%s", diff)
		}

		// Units sold are taken from stock, product by product, as orders take them.
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_products p WHERE p.sold <> (SELECT COALESCE(SUM(l.qty), 0) FROM market_order_lines l WHERE l.product_id = p.id)
			OR p.stock + p.sold <> 1000000`).Scan(&bad); err != nil || bad != 0 {
			t.Fatalf("%d products whose sold or stock disagree with their order lines (%v)", bad, err)
		}
		// Generated products are on sale: search finds them and a buyer could order them.
		mkt := market.NewStore(d, keys, nil, market.DefaultConfig)
		page, err := mkt.Search(ctx, market.SearchQuery{Text: "小米", CountyCode: "130624"})
		if err != nil || len(page.Hits) == 0 {
			t.Fatalf("search for the generated county's millet: %d results, %v", len(page.Hits), err)
		}

		// Live's own service reads the history, and a generated room can go live.
		svc := live.NewService(d, mkt, registry.NewStore(d, keys, nil), keys, nil, live.DefaultConfig, live.NewLocalBus())
		t.Cleanup(svc.Close)
		var listed int
		for _, a := range []string{"130624", "622926"} {
			ss, err := svc.Sessions(ctx, live.SessionFilter{Status: live.StatusEnded, County: a, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			listed += len(ss)
		}
		ended, err := svc.Sessions(ctx, live.SessionFilter{Status: live.StatusEnded, Limit: 1})
		if err != nil || len(ended) != 1 || listed < min(int(res.LiveSessions), 100) {
			t.Fatalf("live lists %d ended sessions (%v), generator wrote %d", listed, err, res.LiveSessions)
		}
		r, err := svc.Report(ctx, fishpond.System, ended[0].ID)
		if err != nil || r.Totals.PeakViewers <= 0 || r.Totals.Comments <= 0 {
			t.Fatalf("session report %+v, %v", r.Totals, err)
		}
		room, err := svc.Room(ctx, fishpond.System, ended[0].RoomID)
		if err != nil || !strings.HasPrefix(room.StreamKey, "fp") {
			t.Fatalf("generated room %+v, %v", room, err)
		}
		s, err := svc.Publish(ctx, room.ID, room.StreamKey)
		if err != nil || s.Status != live.StatusLive {
			t.Fatalf("publishing to a generated room: %+v, %v", s, err)
		}
		if _, err := svc.PublishDone(ctx, room.ID); err != nil {
			t.Fatal(err)
		}

		var sb strings.Builder
		rows, err := q.QueryContext(ctx, "SELECT s.id, s.started_at, s.county_code, COUNT(lo.order_id), COALESCE(SUM(lo.total), 0) FROM live_sessions s LEFT JOIN live_orders lo ON lo.session_id = s.id GROUP BY s.id, s.started_at, s.county_code ORDER BY s.id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, at, county string
			var n, sum int64
			if err := rows.Scan(&id, &at, &county, &n, &sum); err != nil {
				t.Fatal(err)
			}
			if id == s.ID {
				continue // published above, today
			}
			if db.MustTime(at).Before(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)) || db.MustTime(at).After(time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("broadcast %s at %s, outside the generated months", id, at)
			}
			fmt.Fprintf(&sb, "%s %s %s %d %d\n", id, at, county, n, sum)
		}
		rows.Close()
		if first == "" {
			first = sb.String()
		} else if first != sb.String() {
			t.Fatal("same seed, different broadcasts on the two engines")
		}
	})
}
