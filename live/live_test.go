package live

import (
	"encoding/json"
	"testing"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

// TestSessionEndToEnd follows one broadcast: the media server's publish callback
// turns the scheduled session live, a viewer receives a comment, a pin, a flash
// sale and purchase notices, two orders are bought in the flash sale (one paid),
// and the report, the anchor's statistics, the campaign leaderboard and the ended
// event show exactly the paid one.
func TestSessionEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		s := f.s
		camp, err := s.CreateCampaign(ctx, admin, CampaignInput{Name: "扶贫直播日", StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.JoinCampaign(ctx, f.hh, camp.ID, f.room.ID); err != nil {
			t.Fatal(err)
		}
		ss, err := s.Schedule(ctx, f.hh, SessionInput{RoomID: f.room.ID, Title: "新枣上市", PlannedStart: time.Now(), PlannedEnd: time.Now().Add(time.Hour),
			ProductIDs: []string{f.product.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Publish(ctx, f.room.ID, "wrong-key"); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("a wrong stream key: %v, want forbidden", err)
		}
		if _, err := s.PostComment(ctx, buyer, ss.ID, "你好"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("comment before live: %v, want conflict", err)
		}
		live, err := s.Publish(ctx, f.room.ID, f.room.StreamKey)
		if err != nil {
			t.Fatal(err)
		}
		if live.ID != ss.ID || live.Status != StatusLive {
			t.Fatalf("publish turned %s %s live, want the scheduled %s", live.ID, live.Status, ss.ID)
		}
		sub := s.Hub().Subscribe(ss.ID, "viewer-1")
		defer s.Hub().Unsubscribe(sub)
		if _, err := s.PostComment(ctx, buyer, ss.ID, "枣子甜吗？"); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, sub, "comment"); m.Text != "枣子甜吗？" || m.User != "买家" {
			t.Fatalf("comment received as %+v", m)
		}
		if _, err := s.SetBannedWords(ctx, admin, []string{"加微信"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PostComment(ctx, buyer, ss.ID, "请加微信 123"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("banned word: %v, want invalid", err)
		}
		if _, err := s.Pin(ctx, buyer, ss.ID, f.product.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("a viewer pinning: %v, want not found", err)
		}
		if _, err := s.Pin(ctx, f.hh, ss.ID, f.product.ID); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, sub, "pin"); m.ProductID != f.product.ID {
			t.Fatalf("pin received as %+v", m)
		}
		fs, err := s.StartFlash(ctx, f.hh, ss.ID, FlashInput{ProductID: f.product.ID, Price: fishpond.Yuan(10), Quantity: 3, PerBuyerLimit: 2, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if m := recv(t, sub, "flash"); m.FlashID != fs.ID || m.Remaining == nil || *m.Remaining != 3 {
			t.Fatalf("flash received as %+v", m)
		}
		buy := func(key string, qty int64) (market.Order, error) {
			return s.Buy(ctx, buyer, ss.ID, market.OrderRequest{IdempotencyKey: key, AddressID: f.address,
				Lines: []market.LineRequest{{ProductID: f.product.ID, FlashID: fs.ID, Qty: qty}}})
		}
		o1, err := buy("k1", 2)
		if err != nil {
			t.Fatal(err)
		}
		if m := recv(t, sub, "purchase"); m.Qty != 2 || m.Place != "杭州市" {
			t.Fatalf("purchase notice %+v, want 2 bought in 杭州市", m)
		}
		if m := recv(t, sub, "flash"); *m.Remaining != 1 {
			t.Fatalf("remaining after 2 of 3 sold: %d", *m.Remaining)
		}
		if again, err := buy("k1", 2); err != nil || again.ID != o1.ID {
			t.Fatalf("retried purchase: %v %v, want the same order", again.ID, err)
		}
		if _, err := buy("k2", 1); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("third unit past the per-buyer limit of 2: %v, want conflict", err)
		}
		other := fishpond.Principal{UserID: "u-other", Name: "路人", Role: fishpond.RoleConsumer}
		a2, err := f.m.AddAddress(ctx, other, market.AddressInput{Name: "赵六", Phone: "13900139000", ProvinceCode: "44", CountyCode: "440106", Detail: "天河路1号"})
		if err != nil {
			t.Fatal(err)
		}
		o2, err := s.Buy(ctx, other, ss.ID, market.OrderRequest{IdempotencyKey: "o1", AddressID: a2.ID, Lines: []market.LineRequest{{ProductID: f.product.ID, FlashID: fs.ID, Qty: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Buy(ctx, other, ss.ID, market.OrderRequest{IdempotencyKey: "o2", AddressID: a2.ID, Lines: []market.LineRequest{{ProductID: f.product.ID, FlashID: fs.ID, Qty: 1}}}); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("fourth unit of a 3-unit flash sale: %v, want conflict (sold out)", err)
		}
		// An order bought outside the session is not the session's.
		outside, err := f.m.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: "shop", AddressID: f.address, Lines: []market.LineRequest{{ProductID: f.product.ID, Qty: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		f.pay(t, o1)
		f.pay(t, outside)
		if _, err := s.SyncOrders(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Report(ctx, f.hh, ss.ID)
		if err != nil {
			t.Fatal(err)
		}
		tt := rep.Totals
		if tt.PlacedOrders != 2 || tt.PaidOrders != 1 || tt.GMV != o1.Total || tt.Buyers != 1 || tt.UniqueViewers != 1 || tt.Comments != 1 || tt.PeakViewers != 1 || tt.ConversionBp != 10000 {
			t.Fatalf("report totals %+v; want 2 placed, 1 paid for %s, 1 viewer, 1 comment", tt, o1.Total)
		}
		var minuteOrders int64
		var minuteGMV fishpond.Money
		for _, m := range rep.Minutes {
			minuteOrders += m.Orders
			minuteGMV += m.GMV
		}
		if minuteOrders != 1 || minuteGMV != o1.Total {
			t.Fatalf("report by minute sums to %d orders %s", minuteOrders, minuteGMV)
		}
		board, err := s.Leaderboard(ctx, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if board.RoomsLive != 1 || board.Orders != 1 || board.GMV != o1.Total || board.Counties != 1 || board.PovertyCounties != 1 || board.Viewers != 1 {
			t.Fatalf("leaderboard %+v", board)
		}
		_ = o2
		ended, err := s.PublishDone(ctx, ss.ID)
		if err != nil || ended.Status != StatusEnded {
			t.Fatalf("publish done: %v %v", ended.Status, err)
		}
		if m := recv(t, sub, "status"); m.Status != StatusEnded {
			t.Fatalf("status %+v", m)
		}
		if _, err := s.Buy(ctx, other, ss.ID, market.OrderRequest{IdempotencyKey: "late", AddressID: a2.ID, Lines: []market.LineRequest{{ProductID: f.product.ID, Qty: 1}}}); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("buying after the end: %v", err)
		}
		evs, err := events.New(d, nil).Read(ctx, 0, []string{"live.session.ended", "live.session.started", "live.anchor.certified"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 3 {
			t.Fatalf("%d live events, want certified, started, ended", len(evs))
		}
		var p struct {
			Orders int64 `json:"orders"`
			GMV    int64 `json:"gmv_fen"`
			Peak   int64 `json:"peak_viewers"`
		}
		if err := json.Unmarshal(evs[2].Payload, &p); err != nil || evs[2].CountyCode != povertyCounty || p.Orders != 1 || p.GMV != int64(o1.Total) || p.Peak != 1 {
			t.Fatalf("ended event %s %s", evs[2].CountyCode, evs[2].Payload)
		}
		st, err := s.Stats(ctx, f.anchor.ID)
		if err != nil || st.Sessions != 1 || st.Orders != 1 || st.GMV != o1.Total {
			t.Fatalf("anchor stats %+v %v", st, err)
		}
	})
}

func TestAnchorRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		s := f.s
		cons := fishpond.Principal{UserID: "u-c", Role: fishpond.RoleConsumer}
		if _, err := s.Apply(ctx, cons, AnchorInput{Kind: KindHousehold, DisplayName: "x"}); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("a consumer applying as a household member: %v", err)
		}
		off := fishpond.Principal{UserID: "u-off2", Role: fishpond.RoleCountyOfficer, Counties: []string{povertyCounty}}
		if _, err := s.Apply(ctx, off, AnchorInput{Kind: KindOfficial, DisplayName: "县长", CountyCode: "110101"}); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("an officer applying in another county: %v", err)
		}
		a, err := s.Apply(ctx, off, AnchorInput{Kind: KindOfficial, DisplayName: "县长", CountyCode: povertyCounty})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Certify(ctx, officer, a.ID, true, ""); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("certifying without training: %v", err)
		}
		other := fishpond.Principal{UserID: "u-o3", Role: fishpond.RoleCountyOfficer, Counties: []string{"110101"}}
		if _, err := s.RecordTraining(ctx, other, a.ID, TrainingInput{Course: "c", Minutes: 10, Passed: true, TrainedOn: "2020-01-01"}); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("another county's officer training: %v", err)
		}
		if _, err := s.CreateRoom(ctx, cons, f.shop.ID, "x"); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("a non-anchor opening a room: %v", err)
		}
		old := f.room.StreamKey
		r, err := s.RotateKey(ctx, f.hh, f.room.ID)
		if err != nil || r.StreamKey == old {
			t.Fatalf("rotate: %v", err)
		}
		if _, err := s.Publish(ctx, f.room.ID, old); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("the rotated-out key still publishes: %v", err)
		}
		ss, err := s.Publish(ctx, r.ID, r.StreamKey)
		if err != nil || ss.Title != f.room.Title || ss.Status != StatusLive {
			t.Fatalf("an unscheduled publish: %+v %v", ss, err)
		}
		if _, err := s.PublishDone(ctx, r.StreamKey); err != nil {
			t.Fatalf("done by key: %v", err)
		}
		if got, _ := s.Session(ctx, ss.ID); got.Status != StatusEnded {
			t.Fatalf("status after done: %s", got.Status)
		}
	})
}
