package generate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/live"
)

// Live-selling history: certified anchors of the poverty counties, each with a
// room selling one of the county's shops, and their broadcasts month after month.
// A broadcast sells part of its county's sales for the month (orders placed during
// it, attributed to it as the live capability attributes watch-page orders), so
// the marketplace total stays calibrated and live-driven sales are a part of it.
// The rows are live's own (anchors, trainings, rooms with sealed stream keys,
// sessions, featured products, per-five-minute statistics, attributed orders) and
// so are the events (live.anchor.applied and .certified, live.session.started and
// .ended, with the payloads live writes), which the report folds into its
// aggregates: the live pages and the report read the same history.

// Published live-selling figures the history is scaled to (times the factor and
// the scale's share of the country), spread over the generated months.
const (
	PublishedAnchors            = 90_000
	PublishedLiveSessions       = 2_400_000
	PublishedLiveGMVFen   int64 = 8_000_000_000 * 100
)

type cellKey struct {
	month  string
	county int // index into gen.counties
}

type liveAnchor struct {
	id, user, name, kind, county, room string
	countyName                         string
	shop                               *shop
	certified                          time.Time
	month                              int // index of the certification month
}

type liveSession struct {
	id         string
	anchor     *liveAnchor
	start, end time.Time
	budget     int64 // fen of the month's county sales it sells
	peak       int64
	// Drawn with the orders: paid orders placed during the broadcast and their total.
	orders, gmv int64
}

var (
	genSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "马", "何", "罗", "郭"}
	genGiven    = []string{"秀英", "建国", "桂兰", "志强", "春梅", "红霞", "海燕", "德明", "玉兰", "国庆", "小燕", "永福", "丽娟", "卫东"}
)

// planLive draws the anchors and every broadcast (who, when, how much it sells)
// from its own generator, before any order is drawn, so a resumed run draws the
// same history.
func (g *gen) planLive(share float64, base []float64) {
	if g.cfg.LiveKeys == nil {
		return
	}
	rng := rand.New(rand.NewPCG(g.cfg.Seed, 0x6c6976652d6c6976))
	nA := max(1, int(math.Round(PublishedAnchors*g.cfg.Factor*share)))
	nS := int(math.Round(PublishedLiveSessions * g.cfg.Factor * share))
	goal := float64(PublishedLiveGMVFen) * g.cfg.Factor * share

	// Counties with more sales have more anchors (weighted draw with replacement).
	cum := make([]float64, len(g.counties))
	var sum float64
	for i, c := range g.counties {
		sum += c.weight
		cum[i] = sum
	}
	monthCum := make([]float64, len(base))
	var msum float64
	for i, b := range base {
		msum += b
		monthCum[i] = msum
	}
	pickMonth := func(from int) int {
		lo := 0.0
		if from > 0 {
			lo = monthCum[from-1]
		}
		return min(len(base)-1, sort.SearchFloat64s(monthCum, lo+rng.Float64()*(msum-lo)))
	}
	countyIdx := map[string]int{}
	for i, c := range g.counties {
		countyIdx[c.Code] = i
	}
	for range nA {
		ci := min(len(cum)-1, sort.SearchFloat64s(cum, rng.Float64()*sum))
		c := g.counties[ci]
		a := &liveAnchor{county: c.Code, countyName: c.Name, shop: c.shops[rng.IntN(len(c.shops))],
			name: genSurnames[rng.IntN(len(genSurnames))] + genGiven[rng.IntN(len(genGiven))]}
		// Seven in ten are farmers, two cooperative staff, one a county official (县长带货).
		switch r := rng.IntN(10); {
		case r < 7:
			a.kind = string(live.KindHousehold)
		case r < 9:
			a.kind = string(live.KindCoopStaff)
		default:
			a.kind = string(live.KindOfficial)
		}
		// More anchors join as the programme grows; the first ones before the window opens.
		a.month = pickMonth(0)
		ms, _ := time.ParseInLocation("2006-01", g.months[a.month], fishpond.ChinaTime)
		a.certified = ms.Add(time.Duration(rng.Int64N(int64(10*24*time.Hour))) + 9*time.Hour)
		a.id, a.user, a.room = idFrom(rng, a.certified), idFrom(rng, a.certified), idFrom(rng, a.certified)
		g.anchors = append(g.anchors, a)
	}

	// Broadcasts: an anchor, a month from their certification on (more in busier
	// months), an evening (some afternoons), one to three hours.
	type day struct {
		a *liveAnchor
		d string
	}
	taken := map[day]bool{}
	g.sessions = map[cellKey][]*liveSession{}
	var all []*liveSession
	var wsum float64
	weights := make([]float64, 0, nS)
	for range nS {
		a := g.anchors[rng.IntN(len(g.anchors))]
		var start time.Time
		for try := 0; try < 8; try++ {
			mi := pickMonth(a.month)
			ms, _ := time.ParseInLocation("2006-01", g.months[mi], fishpond.ChinaTime)
			days := ms.AddDate(0, 1, 0).Sub(ms) / (24 * time.Hour)
			d := ms.AddDate(0, 0, rng.IntN(int(days)))
			if mi == a.month && d.Before(a.certified) {
				d = a.certified.Truncate(24 * time.Hour).Add(24 * time.Hour)
				if d.Format("2006-01") != g.months[mi] {
					continue
				}
			}
			hour := 19
			if rng.IntN(10) < 3 {
				hour = 14
			}
			start = time.Date(d.Year(), d.Month(), d.Day(), hour, rng.IntN(4)*15, 0, 0, fishpond.ChinaTime)
			if k := (day{a, start.Format("2006-01-02")}); !taken[k] {
				taken[k] = true
				break
			}
			start = time.Time{}
		}
		if start.IsZero() {
			continue
		}
		ls := &liveSession{anchor: a, start: start, end: start.Add(time.Duration(60+rng.IntN(9)*15) * time.Minute)}
		ls.id = idFrom(rng, ls.start)
		w := math.Exp(rng.NormFloat64() * 0.8)
		weights = append(weights, w)
		wsum += w
		all = append(all, ls)
	}
	// Sales budgets: the published live sales shared by weight, but never more
	// than half of what the county sells that month.
	cellLive := map[cellKey]int64{}
	for i, ls := range all {
		ls.budget = int64(goal * weights[i] / wsum)
		k := cellKey{ls.start.Format("2006-01"), countyIdx[ls.anchor.county]}
		cellLive[k] += ls.budget
	}
	for _, ls := range all {
		k := cellKey{ls.start.Format("2006-01"), countyIdx[ls.anchor.county]}
		if limit := g.target[k.month][k.county] / 2; cellLive[k] > limit {
			ls.budget = ls.budget * limit / cellLive[k]
		}
		ls.peak = 20 + int64(float64(ls.budget)/100/20*math.Exp(rng.NormFloat64()*0.4))
		g.sessions[k] = append(g.sessions[k], ls)
	}
	for _, ss := range g.sessions {
		sort.Slice(ss, func(i, j int) bool { return ss[i].start.Before(ss[j].start) })
	}
}

// audience is the broadcast's viewers every five minutes: a hump that builds to
// the peak in the first third and thins out. Comments are a quarter of it, likes
// three times.
func (ls *liveSession) audience() []int64 {
	steps := max(1, int(ls.end.Sub(ls.start)/(5*time.Minute)))
	out := make([]int64, steps)
	for i := range out {
		x := float64(i) / float64(max(1, steps-1))
		out[i] = int64(math.Round(float64(ls.peak) * math.Sin(math.Pi*math.Pow(x, 0.6))))
	}
	out[steps/3] = ls.peak
	return out
}

type timedEvent struct {
	at time.Time
	e  events.Event
}

// idFrom is a UUIDv7 for instant at drawn from r (see gen.idAt).
func idFrom(r *rand.Rand, at time.Time) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	ms := at.UnixMilli()
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (8 * (5 - i)))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// unusableHash is stored as generated anchors' password: bcrypt accepts nothing
// for it, so their accounts exist (for the anchor console and statistics) but
// cannot sign in until an admin sets a password.
const unusableHash = "!generated"

// writeAnchors writes the anchors' accounts, training, certification and rooms,
// with the anchors' events, in one transaction.
func (g *gen) writeAnchors(ctx context.Context) error {
	if len(g.anchors) == 0 {
		return nil
	}
	var n int // a resumed run wrote them already
	if err := g.d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM live_anchors WHERE id = ?", g.anchors[0].id).Scan(&n); err != nil || n > 0 {
		return err
	}
	return g.d.InTx(ctx, func(tx *db.Tx) error {
		users := newBatch(tx, "users", "id, name, display_name, role, password_hash, household_id, disabled, created_at", 200)
		scope := newBatch(tx, "user_counties", "user_id, county_code", 400)
		anchors := newBatch(tx, "live_anchors", "id, user_id, kind, display_name, county_code, household_id, bio, status, reason, applied_at, certified_at, certified_by", 200)
		trainings := newBatch(tx, "live_trainings", "id, anchor_id, course, minutes, passed, trained_on, recorded_by, created_at", 200)
		rooms := newBatch(tx, "live_rooms", "id, anchor_id, shop_id, title, key_hash, key_sealed, key_rotated_at, created_at", 200)
		scope.parent, anchors.parent, trainings.parent, rooms.parent = users, users, anchors, anchors
		var evs []timedEvent
		for n, a := range g.anchors {
			applied := a.certified.Add(-6 * 24 * time.Hour)
			role := fishpond.RoleConsumer // a farmer's own account
			switch live.AnchorKind(a.kind) {
			case live.KindCoopStaff:
				role = fishpond.RoleCoopManager
			case live.KindOfficial:
				role = fishpond.RoleCountyOfficer
			}
			if err := users.add(ctx, a.user, fmt.Sprintf("gen%d-anchor-%05d", g.cfg.Seed, n+1), a.name, string(role), unusableHash, nil, 0, db.FormatTime(applied)); err != nil {
				return err
			}
			if role != fishpond.RoleConsumer {
				if err := scope.add(ctx, a.user, a.county); err != nil {
					return err
				}
			}
			bio := "扎根乡村，直播带货，把家乡好物卖向全国。"
			if err := anchors.add(ctx, a.id, a.user, a.kind, a.name, a.county, nil, bio, live.AnchorCertified, "",
				db.FormatTime(applied), db.FormatTime(a.certified), "generator"); err != nil {
				return err
			}
			trained := a.certified.Add(-3 * 24 * time.Hour)
			if err := trainings.add(ctx, "t"+a.id[1:], a.id, "电商直播基础培训", int64(480), 1, trained.Format("2006-01-02"), "generator", db.FormatTime(trained)); err != nil {
				return err
			}
			hash, sealed, err := live.NewRoomKey(g.cfg.LiveKeys)
			if err != nil {
				return err
			}
			if err := rooms.add(ctx, a.room, a.id, a.shop.id, a.name+"的助农直播间", hash, sealed, db.FormatTime(a.certified), db.FormatTime(a.certified)); err != nil {
				return err
			}
			evs = append(evs,
				timedEvent{applied, events.Event{Type: "live.anchor.applied", Subject: a.id, CountyCode: a.county, Payload: map[string]any{"kind": a.kind}}},
				timedEvent{a.certified, events.Event{Type: "live.anchor.certified", Subject: a.id, CountyCode: a.county, Payload: map[string]any{"kind": a.kind, "household": false}}})
		}
		for _, b := range []*batch{users, scope, anchors, trainings, rooms} {
			if err := b.flush(ctx); err != nil {
				return err
			}
			g.res.Rows += b.rows
		}
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
		for _, ev := range evs {
			if err := events.Append(ctx, tx, ev.at, ev.e); err != nil {
				return err
			}
		}
		g.res.LiveAnchors = int64(len(g.anchors))
		return nil
	})
}

// writeSessions writes ended broadcasts with their featured products and their
// audience every five minutes (rising to the peak and falling away); it returns
// the rows written.
func (g *gen) writeSessions(ctx context.Context, tx *db.Tx, ss []*liveSession) (int64, error) {
	if len(ss) == 0 {
		return 0, nil
	}
	sessions := newBatch(tx, "live_sessions", `id, room_id, anchor_id, shop_id, county_code, poverty, title, planned_start, planned_end, status,
		started_at, ended_at, replay_url, pinned_product_id, pinned_flash_id, peak_viewers, created_at`, 100)
	products := newBatch(tx, "live_session_products", "session_id, product_id, position", 300)
	minutes := newBatch(tx, "live_minutes", "session_id, minute, instance, peak_viewers, comments, likes", 400)
	products.parent, minutes.parent = sessions, sessions
	for _, ls := range ss {
		a := ls.anchor
		pinned := a.shop.products[0].id
		if err := sessions.add(ctx, ls.id, a.room, a.id, a.shop.id, a.county, 1, a.countyName+a.shop.products[0].category+"专场", db.FormatTime(ls.start), db.FormatTime(ls.end),
			live.StatusEnded, db.FormatTime(ls.start), db.FormatTime(ls.end), "", pinned, "", ls.peak, db.FormatTime(ls.start.Add(-48*time.Hour))); err != nil {
			return 0, err
		}
		for i, p := range a.shop.products[:min(3, len(a.shop.products))] {
			if err := products.add(ctx, ls.id, p.id, i+1); err != nil {
				return 0, err
			}
		}
		for i, v := range ls.audience() {
			if err := minutes.add(ctx, ls.id, ls.start.Unix()/60+int64(5*i), "generated", v, v/4, v*3); err != nil {
				return 0, err
			}
		}
	}
	var rows int64
	for _, b := range []*batch{sessions, products, minutes} {
		if err := b.flush(ctx); err != nil {
			return 0, err
		}
		rows += b.rows
	}
	return rows, nil
}

// sessionEvents appends each broadcast's started and ended events with the
// payloads live writes; the ended event carries the paid orders and sales
// attributed to it, as live's own end of a session counts them.
func (g *gen) sessionEvents(ctx context.Context, tx *db.Tx, ss []*liveSession) error {
	for _, ls := range ss {
		a := ls.anchor
		if err := events.Append(ctx, tx, ls.start, events.Event{Type: "live.session.started", Subject: ls.id, CountyCode: a.county,
			Payload: map[string]any{"anchor_id": a.id, "room_id": a.room, "shop_id": a.shop.id, "poverty_county": true}}); err != nil {
			return err
		}
		var comments int64
		for _, v := range ls.audience() {
			comments += v / 4 // as writeSessions records them
		}
		if err := events.Append(ctx, tx, ls.end, events.Event{Type: "live.session.ended", Subject: ls.id, CountyCode: a.county,
			Payload: map[string]any{"anchor_id": a.id, "room_id": a.room, "poverty_county": true,
				"minutes": int64(ls.end.Sub(ls.start).Minutes()), "peak_viewers": ls.peak, "unique_viewers": 0,
				"comments": comments, "orders": ls.orders, "gmv_fen": ls.gmv}}); err != nil {
			return err
		}
	}
	return nil
}
