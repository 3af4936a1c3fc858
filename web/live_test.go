package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fishpond/live"
)

// testLiveConfig is the live configuration of the test servers: a known callback
// secret and short batches.
var testLiveConfig = live.Config{RTMPURL: "rtmp://127.0.0.1:1935/live", HLSBase: "http://127.0.0.1:8088/hls", ReplayBase: "http://127.0.0.1:8088/rec", CallbackSecret: "test-secret",
	Flush: 20 * time.Millisecond, CommentEvery: 0}

// callJSON sends a JSON request with the client's session cookie.
func callJSON(t *testing.T, c *http.Client, method, u string, body any, header ...string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, r)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// viewer reads a session's event stream into a channel of messages.
func viewer(t *testing.T, c *http.Client, base, sessionID string) <-chan live.Message {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/live/sessions/"+sessionID+"/events", nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("event stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ch := make(chan live.Message, 1000)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m live.Message
				if json.Unmarshal([]byte(d), &m) == nil {
					ch <- m
				}
			}
		}
	}()
	return ch
}

func await(t *testing.T, ch <-chan live.Message, typ string) live.Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-ch:
			if m.Type == typ {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q message within 10s", typ)
		}
	}
}

// TestLiveSessionThroughHTTP is the path over HTTP on the demo data: the
// media server's publish callback (with the stream key the farmer's console
// shows) turns the session live and renames the stream; a viewer's event stream
// receives a comment, the pinned product, a flash sale and a purchase notice;
// the order bought from the watch page, once paid, is exactly what the session
// report and the campaign leaderboard show; the done callback ends it.
func TestLiveSessionThroughHTTP(t *testing.T) {
	srv, _, svc := demoServer(t)
	ctx := context.Background()
	farmer := login(t, srv.URL, "farmer", "fishpond-demo")
	shopper := login(t, srv.URL, "consumer", "fishpond-demo")
	anon := &http.Client{}

	status, rooms := callJSON(t, farmer, "GET", srv.URL+"/api/v1/live/rooms", nil)
	items, _ := rooms["items"].([]any)
	if status != 200 || len(items) != 1 {
		t.Fatalf("farmer's rooms: %d %v", status, rooms)
	}
	room := items[0].(map[string]any)
	roomID, key := room["id"].(string), room["stream_key"].(string)
	if room["stream_name"] != roomID+"?key="+key {
		t.Fatalf("stream name %v does not carry the key", room["stream_name"])
	}
	_, body := page(t, farmer, "GET", srv.URL+"/live/console", nil)
	if !strings.Contains(body, key) || !strings.Contains(body, testLiveConfig.RTMPURL) {
		t.Fatal("the anchor console does not show how to go live (server and key)")
	}

	// The media server: a wrong secret, a wrong key, a bare key or another
	// room's name are refused.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, bad := range []struct{ secret, name, key string }{{"nope", roomID, key}, {"test-secret", roomID, "fp-wrong"}, {"test-secret", key, ""},
		{"test-secret", "01a00000-0000-7000-8000-000000000000", key}} {
		res, err := noRedirect.PostForm(srv.URL+"/live/media/publish?secret="+bad.secret, url.Values{"call": {"publish"}, "name": {bad.name}, "key": {bad.key}})
		if err != nil || res.StatusCode != 403 {
			t.Fatalf("publish %+v: %v %v, want 403", bad, res.StatusCode, err)
		}
	}
	res, err := noRedirect.PostForm(srv.URL+"/live/media/publish?secret=test-secret", url.Values{"call": {"publish"}, "app": {"live"}, "name": {roomID}, "key": {key}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("publish: %v %v", res.StatusCode, err)
	}
	sessions, err := svc.Live.Sessions(ctx, live.SessionFilter{RoomID: roomID, Status: live.StatusLive})
	if err != nil || len(sessions) != 1 {
		t.Fatalf("live sessions of the room: %d %v", len(sessions), err)
	}
	ss, err := svc.Live.Session(ctx, sessions[0].ID) // with its products
	if err != nil {
		t.Fatal(err)
	}
	base := srv.URL + "/api/v1/live/sessions/" + ss.ID
	events := viewer(t, anon, srv.URL, ss.ID)
	if m := await(t, events, "hello"); m.Status != live.StatusLive {
		t.Fatalf("hello %+v", m)
	}

	resW, err := anon.Get(srv.URL + "/live/" + ss.ID)
	if err != nil || resW.StatusCode != 200 {
		t.Fatalf("watch page: %v", err)
	}
	wb, _ := io.ReadAll(resW.Body)
	resW.Body.Close()
	if !strings.Contains(string(wb), svc.Live.PlaybackURL(roomID)) || !strings.Contains(resW.Header.Get("Content-Security-Policy"), "media-src 'self' blob: http://127.0.0.1:8088") {
		t.Fatal("watch page lacks the playback URL or a policy that lets hls.js play it")
	}

	if st, _ := callJSON(t, anon, "POST", base+"/comments", map[string]string{"body": "hi"}); st != 401 {
		t.Fatalf("anonymous comment: %d", st)
	}
	if st, out := callJSON(t, shopper, "POST", base+"/comments", map[string]string{"body": "核桃怎么卖？"}); st != 202 {
		t.Fatalf("comment: %d %v", st, out)
	}
	if m := await(t, events, "comment"); m.Text != "核桃怎么卖？" || m.User != "城市消费者" {
		t.Fatalf("comment received %+v", m)
	}
	productID := ss.Products[0]
	if st, out := callJSON(t, shopper, "PUT", base+"/pin", map[string]string{"product_id": productID}); st != 404 {
		t.Fatalf("a shopper pinning: %d %v", st, out)
	}
	if st, out := callJSON(t, farmer, "PUT", base+"/pin", map[string]string{"product_id": productID}); st != 200 {
		t.Fatalf("pin: %d %v", st, out)
	}
	if m := await(t, events, "pin"); m.ProductID != productID {
		t.Fatalf("pin received %+v", m)
	}
	st, flash := callJSON(t, farmer, "POST", base+"/flash-sales", map[string]any{"product_id": productID, "price_fen": 1990, "quantity": 5, "per_buyer_limit": 2, "seconds": 300})
	if st != 201 {
		t.Fatalf("flash sale: %d %v", st, flash)
	}
	if m := await(t, events, "flash"); m.FlashID != flash["id"] || *m.Remaining != 5 {
		t.Fatalf("flash received %+v", m)
	}
	st, addr := callJSON(t, shopper, "POST", srv.URL+"/api/v1/addresses", map[string]string{"name": "李明", "phone": "13800138000", "province_code": "33", "county_code": "330106", "detail": "文三路1号"})
	if st != 201 {
		t.Fatalf("address: %d %v", st, addr)
	}
	camps, err := svc.Live.Campaigns(ctx, 1)
	if err != nil || len(camps) != 1 {
		t.Fatal("demo campaign missing")
	}
	_, board0 := callJSON(t, shopper, "GET", srv.URL+"/api/v1/live/campaigns/"+camps[0].ID, nil)
	before, _ := board0["totals"].(map[string]any)
	if before["orders"] != float64(3) {
		t.Fatalf("the demo campaign starts with %v orders, want the cooperative's 3", before["orders"])
	}
	order := map[string]any{"address_id": addr["id"], "lines": []map[string]any{{"product_id": productID, "flash_id": flash["id"], "qty": 2}}}
	if st, _ := callJSON(t, shopper, "POST", base+"/orders", order); st != 400 {
		t.Fatalf("order without an idempotency key: %d", st)
	}
	st, o := callJSON(t, shopper, "POST", base+"/orders", order, "Idempotency-Key", "watch-1")
	if st != 201 || o["total_fen"] != float64(3980) {
		t.Fatalf("buy: %d %v", st, o)
	}
	if m := await(t, events, "purchase"); m.Place != "杭州市" || m.Qty != 2 {
		t.Fatalf("purchase notice %+v", m)
	}
	if m := await(t, events, "flash"); *m.Remaining != 3 {
		t.Fatalf("remaining after the purchase: %+v", m)
	}
	if _, err := svc.Market.MarkPaid(ctx, o["id"].(string), "sandbox", "T-live-1", 3980); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Live.SyncOrders(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.Live.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st, rep := callJSON(t, farmer, "GET", base+"/report", nil)
	tot, _ := rep["totals"].(map[string]any)
	if st != 200 || tot["orders"] != float64(1) || tot["gmv_fen"] != float64(3980) || tot["comments"] != float64(1) || tot["unique_viewers"] != float64(1) {
		t.Fatalf("report: %d %v", st, rep)
	}
	if st, _ := callJSON(t, shopper, "GET", base+"/report", nil); st != 404 {
		t.Fatalf("a shopper reading the report: %d", st)
	}
	if st, body := page(t, farmer, "GET", srv.URL+"/live/sessions/"+ss.ID+"/report", nil); st != 200 || !strings.Contains(body, "39.80") {
		t.Fatalf("report page: %d", st)
	}
	st, board := callJSON(t, shopper, "GET", srv.URL+"/api/v1/live/campaigns/"+camps[0].ID, nil)
	bt, _ := board["totals"].(map[string]any)
	// The demo's cooperative sold 3 orders in an earlier broadcast of the campaign.
	if st != 200 || bt["orders"] != before["orders"].(float64)+1 || bt["gmv_fen"] != before["gmv_fen"].(float64)+3980 || bt["rooms_live"] != float64(1) || bt["poverty_counties"] != float64(1) {
		t.Fatalf("leaderboard: %d %v, before the purchase %v", st, board, before)
	}
	if st, body := page(t, anon, "GET", srv.URL+"/live/campaigns/"+camps[0].ID, nil); st != 200 || !strings.Contains(body, "39.80") {
		t.Fatalf("campaign page: %d", st)
	}
	if st, body := page(t, anon, "GET", srv.URL+"/live", nil); st != 200 || !strings.Contains(body, ss.Title) {
		t.Fatalf("discovery page: %d", st)
	}
	if res, err := noRedirect.PostForm(srv.URL+"/live/media/publish_done?secret=test-secret", url.Values{"call": {"publish_done"}, "name": {roomID}}); err != nil || res.StatusCode != 200 {
		t.Fatalf("publish done: %v", err)
	}
	if m := await(t, events, "status"); m.Status != live.StatusEnded {
		t.Fatalf("status %+v", m)
	}
	if got, _ := svc.Live.Session(ctx, ss.ID); got.Status != live.StatusEnded {
		t.Fatalf("session %s after done", got.Status)
	}
	// The recording becomes the session's replay.
	if res, err := noRedirect.PostForm(srv.URL+"/live/media/record_done?secret=test-secret", url.Values{"name": {roomID}, "path": {"/var/rec/" + roomID + "-1700000000.flv"}}); err != nil || res.StatusCode != 200 {
		t.Fatalf("record done: %v", err)
	}
	if got, _ := svc.Live.Session(ctx, ss.ID); got.ReplayURL != "http://127.0.0.1:8088/rec/"+roomID+"-1700000000.flv" {
		t.Fatalf("replay %q", got.ReplayURL)
	}

	// SRS's JSON hook (key in "param") starts the room's next session; a
	// MediaMTX viewer check ("read") is let through; MediaMTX's done hook sends
	// the path live/<room id>.
	postJSON := func(path, body string) int {
		res, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := postJSON("/live/media/publish?secret=test-secret", `{"action":"on_publish","app":"live","stream":"`+roomID+`","param":"?key=`+key+`"}`); st != 200 {
		t.Fatalf("SRS on_publish: %d", st)
	}
	if again, _ := svc.Live.Sessions(ctx, live.SessionFilter{RoomID: roomID, Status: live.StatusLive}); len(again) != 1 || again[0].ID == ss.ID {
		t.Fatalf("SRS publish did not start a new session: %+v", again)
	}
	if st := postJSON("/live/media/publish?secret=test-secret", `{"action":"read","path":"live/`+roomID+`","query":""}`); st != 200 {
		t.Fatalf("MediaMTX read check: %d", st)
	}
	if res, err := noRedirect.PostForm(srv.URL+"/live/media/publish_done?secret=test-secret", url.Values{"name": {"live/" + roomID}}); err != nil || res.StatusCode != 200 {
		t.Fatalf("MediaMTX done hook: %v", err)
	}
	if again, _ := svc.Live.Sessions(ctx, live.SessionFilter{RoomID: roomID, Status: live.StatusLive}); len(again) != 0 {
		t.Fatalf("still live after the done hook: %+v", again)
	}
}
