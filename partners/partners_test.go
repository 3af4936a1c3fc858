package partners_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/partners"
	"fishpond/registry"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLimiterRefillsAtTheRate(t *testing.T) {
	c := &clock{t: time.Date(2020, 6, 1, 8, 0, 0, 0, time.UTC)}
	l := partners.NewLimiter(c)
	for i := range 6 {
		if d := l.Allow("k", 6, "p", 100); !d.Allowed {
			t.Fatalf("call %d of a burst of 6 refused", i+1)
		}
	}
	d := l.Allow("k", 6, "p", 100)
	if d.Allowed || d.Scope != "key" || d.RetryAfter <= 0 || d.RetryAfter > 10*time.Second {
		t.Fatalf("seventh call: %+v", d)
	}
	c.add(10 * time.Second) // 6 a minute: one call back every 10 s
	if d := l.Allow("k", 6, "p", 100); !d.Allowed {
		t.Fatalf("after 10 s: %+v", d)
	}
	if d := l.Allow("k", 6, "p", 100); d.Allowed {
		t.Fatalf("a second call after 10 s: %+v", d)
	}
	// The partner's budget binds across its keys.
	for i := range 3 {
		if d := l.Allow("k2", 100, "q", 3); !d.Allowed {
			t.Fatalf("partner call %d refused", i+1)
		}
	}
	if d := l.Allow("k3", 100, "q", 3); d.Allowed || d.Scope != "partner" {
		t.Fatalf("another key of an exhausted partner: %+v", d)
	}
}

// TestDeliveryGivesUpAfterTheBackoffSchedule: a receiver that always fails gets
// one attempt per backoff step, then the delivery is marked failed with every
// attempt logged; nothing is sent before its time.
func TestDeliveryGivesUpAfterTheBackoffSchedule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{t: time.Now().UTC()}
		keys, _ := secret.New(make([]byte, 32))
		reg := registry.NewStore(d, keys, c)
		if _, _, _, err := reg.LoadPlaces(ctx); err != nil {
			t.Fatal(err)
		}
		acc := access.New(d, c)
		s := partners.New(d, keys, acc, c)
		s.AllowHTTPWebhooks = true
		p, err := s.Apply(ctx, partners.Application{Name: "测试机构", Kind: "ngo", Website: "https://t.example.org", Purpose: "测试事件推送的重试与放弃",
			ContactName: "王", ContactPhone: "13800000000", UserName: "tester", Password: "tester-password"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decide(ctx, fishpond.System, p.ID, partners.StatusApproved, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Grant(ctx, fishpond.System, p.ID, []string{partners.ScopeWebhooks}, []string{"130624"}, 60); err != nil {
			t.Fatal(err)
		}
		var hits atomic.Int32
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
		}))
		defer rc.Close()
		if _, _, err := s.Subscribe(ctx, fishpond.System, p.ID, partners.SubscriptionInput{URL: rc.URL, EventTypes: []string{"order.*"}, Counties: []string{"130624"}}); err != nil {
			t.Fatal(err)
		}
		// An event from before the consumer's first start is history, not news.
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return events.Append(ctx, tx, c.Now(), events.Event{Type: "order.paid", Subject: "old", CountyCode: "130624", Payload: map[string]int{"total_fen": 1}})
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.StartAtHead(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.StartAtHead(ctx); err != nil { // a second start keeps the checkpoint
			t.Fatal(err)
		}
		c.add(time.Second)
		log := events.New(d, c)
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return events.AppendMany(ctx, tx, c.Now(), []events.Event{
				{Type: "order.paid", Subject: "o1", CountyCode: "130624", Payload: map[string]int{"total_fen": 100}},
				{Type: "order.paid", Subject: "o2", CountyCode: "410225", Payload: map[string]int{"total_fen": 100}},
				{Type: "household.status.changed", Subject: "h1", CountyCode: "130624", Payload: map[string]string{"to": "exited"}},
			})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Consumer(log).ProcessBatch(ctx); err != nil {
			t.Fatal(err)
		}
		disp := partners.NewDispatcher(s)
		for i, wait := range append([]time.Duration{0}, partners.Backoff...) {
			c.add(wait - time.Second)
			if n, _ := disp.SendDue(ctx); n != 0 && i > 0 {
				t.Fatalf("attempt %d sent a second early", i+1)
			}
			c.add(time.Second)
			if n, err := disp.SendDue(ctx); err != nil || n != 1 {
				t.Fatalf("attempt %d: sent %d, %v", i+1, n, err)
			}
		}
		c.add(48 * time.Hour)
		if n, _ := disp.SendDue(ctx); n != 0 {
			t.Fatal("a failed delivery was sent again without a redelivery")
		}
		ds, err := s.Deliveries(ctx, fishpond.System, p.ID, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].Status != partners.DeliveryFailed || ds[0].Attempts != len(partners.Backoff)+1 || int(hits.Load()) != ds[0].Attempts {
			t.Fatalf("deliveries %+v, receiver hit %d times", ds, hits.Load())
		}
		var logged int
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM webhook_attempts WHERE delivery_id = ?", ds[0].ID).Scan(&logged)
		if logged != ds[0].Attempts {
			t.Fatalf("%d attempts logged, want %d", logged, ds[0].Attempts)
		}
		// The consumer enqueues exactly once: running it again adds nothing.
		if n, err := s.Consumer(log).ProcessBatch(ctx); err != nil || n != 0 {
			t.Fatalf("consumer re-run handled %d: %v", n, err)
		}
	})
}
