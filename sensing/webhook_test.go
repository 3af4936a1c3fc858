package sensing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// Alerts of a site with a webhook are delivered signed, at least once: a failing
// receiver gets the delivery again later with the same delivery id.
func TestWebhookDeliveryIsSignedAndRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		var mu sync.Mutex
		var got []map[string]any
		var ids []string
		fail := true
		var secret string
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write(body)
			if r.Header.Get("X-Fishpond-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
				t.Errorf("bad signature %q", r.Header.Get("X-Fishpond-Signature"))
			}
			mu.Lock()
			defer mu.Unlock()
			ids = append(ids, r.Header.Get("X-Fishpond-Delivery"))
			if fail {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			var m map[string]any
			json.Unmarshal(body, &m)
			got = append(got, m)
		}))
		defer recv.Close()
		barn := must[Site](t)(f.s.CreateSite(ctx, manager, NewSite{Name: "hooked", Kind: "barn", OwnerKind: "coop", OwnerID: f.coop, HeadCount: 50, WebhookURL: recv.URL + "/hook"}))
		secret = must[string](t)(f.s.WebhookSecret(ctx, manager, barn.ID))
		if _, err := f.s.WebhookSecret(ctx, officer, barn.ID); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("officer of another county reads the webhook secret: %v", err)
		}
		dev := f.device(t, barn, "barn", "b1")
		must[Result](t)(f.s.Ingest(ctx, dev.ID, single(dev.ID, f.clock.Now().Add(-time.Minute), "barn_temp", 33), true))
		if n := must[int](t)(f.s.SendWebhooks(ctx, nil)); n != 0 {
			t.Fatalf("delivered %d to a failing receiver", n)
		}
		if n := must[int](t)(f.s.SendWebhooks(ctx, nil)); n != 0 || len(ids) != 1 {
			t.Fatalf("retried before its time: %d deliveries, %d attempts", n, len(ids))
		}
		mu.Lock()
		fail = false
		mu.Unlock()
		f.clock.set(f.clock.Now().Add(2 * time.Second))
		if n := must[int](t)(f.s.SendWebhooks(ctx, http.DefaultClient)); n != 1 {
			t.Fatalf("retry delivered %d", n)
		}
		if len(ids) != 2 || ids[0] != ids[1] || len(got) != 1 || got[0]["event"] != "sensing.alert.raised" {
			t.Fatalf("deliveries %v, bodies %v", ids, got)
		}
		if n := must[int](t)(f.s.SendWebhooks(ctx, nil)); n != 0 {
			t.Fatalf("delivered again after success: %d", n)
		}
	})
}

// Retention prunes raw readings and rollups past their days; settings are checked.
func TestRetentionPrunes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		field := f.site(t, "field")
		soil := f.device(t, field, "soil", "s1")
		start := f.clock.Now().Add(-24 * time.Hour)
		var at []int64
		var vs [][]float64
		for h := range 24 {
			at = append(at, start.Add(time.Duration(h)*time.Hour).UnixMilli())
			vs = append(vs, []float64{30, 18})
		}
		must[Result](t)(f.s.Ingest(ctx, soil.ID, EncodeBatch(soil.ID, DeviceTypes["soil"], at, vs), true))
		if err := f.s.SetRetention(ctx, manager, Retention{RawDays: 10}); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("a manager changed retention: %v", err)
		}
		if err := f.s.SetRetention(ctx, admin, Retention{RawDays: 3, HourDays: 20, DayDays: 0}); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("raw retention inside the late window accepted: %v", err)
		}
		if err := f.s.SetRetention(ctx, admin, Retention{RawDays: 10, HourDays: 20, DayDays: 0}); err != nil {
			t.Fatal(err)
		}
		count := func(q string) (n int) {
			d.Read().QueryRowContext(ctx, q).Scan(&n)
			return n
		}
		f.clock.set(f.clock.Now().Add(12 * 24 * time.Hour))
		must[int64](t)(f.s.Prune(ctx))
		if r, h, dd := count("SELECT COUNT(*) FROM sensing_readings"), count("SELECT COUNT(*) FROM sensing_rollups WHERE bucket = 'h'"), count("SELECT COUNT(*) FROM sensing_rollups WHERE bucket = 'd'"); r != 0 || h != 48 || dd == 0 {
			t.Fatalf("after 12 days: raw %d, hour %d, day %d", r, h, dd)
		}
		f.clock.set(f.clock.Now().Add(10 * 24 * time.Hour))
		must[int64](t)(f.s.Prune(ctx))
		if h, dd := count("SELECT COUNT(*) FROM sensing_rollups WHERE bucket = 'h'"), count("SELECT COUNT(*) FROM sensing_rollups WHERE bucket = 'd'"); h != 0 || dd == 0 {
			t.Fatalf("after 22 days: hour %d, day %d (days are kept for ever)", h, dd)
		}
	})
}
