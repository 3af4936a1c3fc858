package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/client"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/secret"
	"fishpond/ledger"
	"fishpond/partners"
	"fishpond/registry"
	"fishpond/web"
)

const countyC = "622926"

// shiftClock is the system clock moved forward by a settable amount, for key
// expiry.
type shiftClock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *shiftClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.d) }
func (c *shiftClock) add(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// receiver is a partner's webhook endpoint: it verifies every delivery with the
// documented algorithm (client.VerifyWebhook) and keeps what it got.
type receiver struct {
	mu      sync.Mutex
	secret  string
	fail    bool
	got     []client.WebhookEnvelope
	raw     [][]byte
	headers []http.Header
	bad     []error
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.fail {
		http.Error(w, "receiver down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if err := client.VerifyWebhook(rc.secret, r.Header.Get(client.HeaderSignature), body, time.Now(), 0); err != nil {
		rc.bad = append(rc.bad, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var env client.WebhookEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		rc.bad = append(rc.bad, err)
	}
	rc.got = append(rc.got, env)
	rc.raw = append(rc.raw, body)
	rc.headers = append(rc.headers, r.Header.Clone())
}

type partnerWorld struct {
	srv      *httptest.Server
	psvc     *partners.Service
	calls    *partners.CallLog
	disp     *partners.Dispatcher
	cons     *events.Consumer
	clock    *shiftClock
	admin    *client.Client
	asr      *assess.Assessor
	led      *ledger.Ledger
	d        *db.DB
	acc      *access.Service
	reg      *registry.Store
	counties map[string][]string // county → household IDs
}

// newPartnerWorld builds three counties with households, an admin and the
// partners service behind a test server; with adds more services (green, sensing).
func newPartnerWorld(t *testing.T, d *db.DB, with ...func(*web.Services)) *partnerWorld {
	ctx := context.Background()
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	sys := fishpond.SystemClock{}
	w := &partnerWorld{d: d, clock: &shiftClock{}, counties: map[string][]string{}}
	reg := registry.NewStore(d, keys, sys)
	if _, _, _, err := reg.LoadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{countyA, countyB, countyC} {
		c, err := reg.County(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		v, err := reg.CreateVillage(ctx, fishpond.System, code, "城关镇", "试点村")
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range registry.Synthesize(int64(i+7), c, []string{v.ID}, 2) {
			h, err := reg.CreateHousehold(ctx, fishpond.System, in)
			if err != nil {
				t.Fatal(err)
			}
			w.counties[code] = append(w.counties[code], h.ID)
		}
	}
	w.acc = access.New(d, sys)
	if _, err := w.acc.CreateUser(ctx, fishpond.System, access.NewUser{Name: "admin", Role: fishpond.RoleAdmin, Password: "password-admin"}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := w.acc.CreateToken(ctx, fishpond.System, "admin", "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w.led = ledger.New(d, sys)
	t.Cleanup(w.led.Close)
	w.asr = assess.New(d, reg, w.led, sys)
	w.psvc = partners.New(d, keys, w.acc, w.clock)
	w.psvc.AllowHTTPWebhooks = true
	w.calls = partners.NewCallLog(d)
	w.disp = partners.NewDispatcher(w.psvc)
	w.cons = w.psvc.Consumer(events.New(d, sys))
	w.reg = reg
	svc := web.Services{Access: w.acc, Registry: reg, Ledger: w.led, Assessor: w.asr, Partners: w.psvc}
	for _, f := range with {
		f(&svc)
	}
	s := web.New(d, svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.PartnerCalls = w.calls
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	w.admin = client.New(w.srv.URL, tok)
	return w
}

// pump runs the webhook consumer to the end of the log and sends what is due.
func (w *partnerWorld) pump(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for {
		n, err := w.cons.ProcessBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if _, err := w.disp.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
}

func apiCode(err error) string {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestPartnerJourney is the "done when": an NGO applies and is approved,
// gets a key scoped to two counties, reads their aggregated data and nothing else,
// and receives signed webhooks for those counties' events only — all through the
// Go client.
func TestPartnerJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newPartnerWorld(t, d)
		anon := client.New(w.srv.URL, "")
		app := client.Application{Name: "乡村发展基金会", Kind: "ngo", Website: "https://rural.example.org", Purpose: "监测两个县的脱贫成效并开展技能培训",
			ContactName: "李明", ContactPhone: "13800138000", UserName: "rural.ngo", Password: "rural-ngo-2020"}
		p, err := anon.Apply(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != "pending" {
			t.Fatalf("new partner status %q", p.Status)
		}
		if _, err := anon.Apply(ctx, app); apiCode(err) != "conflict" {
			t.Fatalf("second application with the same name: %v", err)
		}
		bad := app
		bad.Name, bad.Website, bad.ContactPhone, bad.UserName = "另一个机构", "ftp://x", "call me", "other.ngo"
		if _, err := anon.Apply(ctx, bad); apiCode(err) != "invalid" || !strings.Contains(err.Error(), "website") || !strings.Contains(err.Error(), "contact_phone") {
			t.Fatalf("bad application: %v", err)
		}
		memberTok, _, err := w.acc.CreateToken(ctx, fishpond.System, "rural.ngo", "portal", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		member := client.New(w.srv.URL, memberTok)
		if _, err := member.CreateKey(ctx, p.ID, client.KeyRequest{Label: "early", Scopes: []string{"read:aggregates"}}); apiCode(err) != "forbidden" {
			t.Fatalf("key before approval: %v", err)
		}
		if _, err := member.Decide(ctx, p.ID, "approved", ""); apiCode(err) != "forbidden" {
			t.Fatalf("member approving itself: %v", err)
		}
		if _, err := w.admin.Decide(ctx, p.ID, "approved", "材料齐全"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.admin.Grant(ctx, p.ID, []string{"read:aggregates", "webhooks"}, []string{countyA, countyB}, 600); err != nil {
			t.Fatal(err)
		}
		// Escalation: counties, scopes or a rate beyond the grant are refused.
		for _, req := range []client.KeyRequest{
			{Label: "k", Scopes: []string{"read:aggregates"}, Counties: []string{countyA, countyC}},
			{Label: "k", Scopes: []string{"read:aggregates", "write:sensors"}, Counties: []string{countyA}},
			{Label: "k", Scopes: []string{"read:aggregates"}, Counties: []string{countyA}, RatePerMinute: 10000},
		} {
			if _, err := member.CreateKey(ctx, p.ID, req); apiCode(err) != "forbidden" || !strings.Contains(err.Error(), "not granted") {
				t.Fatalf("escalating key %+v: %v", req, err)
			}
		}
		nk, err := member.CreateKey(ctx, p.ID, client.KeyRequest{Label: "监测系统", Scopes: []string{"read:aggregates", "webhooks"}, Counties: []string{countyA, countyB}, ExpiresInDays: 30})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(nk.Key, "fpk_") || nk.Detail.Prefix == "" || strings.Contains(nk.Detail.Prefix, nk.Key[10:]) {
			t.Fatalf("issued key %q detail %+v", nk.Key, nk.Detail)
		}
		key := client.New(w.srv.URL, nk.Key)
		me, err := key.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if me.Role != "partner" || strings.Join(me.Counties, ",") != countyA+","+countyB {
			t.Fatalf("key is %+v", me)
		}
		for _, c := range []string{countyA, countyB} {
			st, err := key.CountyStats(ctx, c)
			if err != nil {
				t.Fatalf("stats of granted county %s: %v", c, err)
			}
			if st.Households != 2 {
				t.Fatalf("stats of %s: %+v", c, st)
			}
		}
		if key.Rate.Limit != 600 || key.Rate.Remaining < 500 {
			t.Fatalf("rate headers %+v", key.Rate)
		}
		if _, err := key.CountyStats(ctx, countyC); err == nil || (apiCode(err) != "not_found" && apiCode(err) != "forbidden") {
			t.Fatalf("stats of a county outside the key: %v", err)
		}
		// Household-level data, writes and the portal's own endpoints are closed to keys.
		for _, call := range []struct{ method, path string }{
			{"GET", "/api/v1/households?county=" + countyA},
			{"GET", "/api/v1/households/" + w.counties[countyA][0]},
			{"GET", "/api/v1/partners/" + p.ID + "/keys"},
			{"POST", "/api/v1/partners/" + p.ID + "/keys"},
			{"GET", "/api/v1/users"},
		} {
			if err := key.Do(ctx, call.method, call.path, nil, nil); apiCode(err) != "forbidden" {
				t.Fatalf("key calling %s %s: %v", call.method, call.path, err)
			}
		}
		// A key cannot open pages either.
		req, _ := http.NewRequest("GET", w.srv.URL+"/counties/"+countyA, nil)
		req.Header.Set("Authorization", "Bearer "+nk.Key)
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("a partner key opening an HTML page = %d %s", res.StatusCode, res.Header.Get("Location"))
		}

		// Webhooks: only the granted counties, verified by the receiver.
		rc := &receiver{}
		hook := httptest.NewServer(rc)
		defer hook.Close()
		if _, err := member.Subscribe(ctx, p.ID, hook.URL, []string{"household.status.changed"}, []string{countyA, countyC}); apiCode(err) != "forbidden" {
			t.Fatalf("webhook for an ungranted county: %v", err)
		}
		if _, err := member.Subscribe(ctx, p.ID, hook.URL, []string{"household.moved"}, []string{countyA}); apiCode(err) != "invalid" {
			t.Fatalf("webhook for an unknown event type: %v", err)
		}
		sub, err := member.Subscribe(ctx, p.ID, hook.URL, []string{"household.*"}, []string{countyA, countyB})
		if err != nil {
			t.Fatal(err)
		}
		rc.secret = sub.Secret
		if _, err := w.asr.SetPovertyLine(ctx, fishpond.System, 2020, 400000, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.asr.Run(ctx, fishpond.System, 2020, ""); err != nil {
			t.Fatal(err)
		}
		w.pump(t)
		rc.mu.Lock()
		if len(rc.bad) > 0 {
			t.Fatalf("receiver refused deliveries: %v", rc.bad)
		}
		want := map[string]bool{}
		for _, c := range []string{countyA, countyB} {
			for _, h := range w.counties[c] {
				want[h] = true
			}
		}
		for _, env := range rc.got {
			if env.CountyCode == countyC || !want[env.Subject] {
				t.Fatalf("delivered an event outside the grant: %+v", env)
			}
			if env.Type != "household.status.changed" || env.Data["to"] == nil && env.Data["status"] == nil && len(env.Data) == 0 {
				t.Fatalf("envelope %+v", env)
			}
			delete(want, env.Subject)
		}
		if len(want) > 0 {
			t.Fatalf("households of the granted counties without a delivery: %v (got %d)", want, len(rc.got))
		}
		// Replays and tampering fail verification.
		sig, body := rc.headers[0].Get(client.HeaderSignature), rc.raw[0]
		rc.mu.Unlock()
		if err := client.VerifyWebhook(sub.Secret, sig, body, time.Now().Add(10*time.Minute), 0); !errors.Is(err, client.ErrStale) {
			t.Fatalf("a replay ten minutes later: %v", err)
		}
		if err := client.VerifyWebhook(sub.Secret, sig, bytes.Replace(body, []byte(`"county_code":"`), []byte(`"county_code":"6`), 1), time.Now(), 0); !errors.Is(err, client.ErrBadSignature) {
			t.Fatalf("a tampered body: %v", err)
		}
		if err := client.VerifyWebhook("whsec_wrong", sig, body, time.Now(), 0); !errors.Is(err, client.ErrBadSignature) {
			t.Fatalf("the wrong secret: %v", err)
		}
		ds, err := member.Deliveries(ctx, p.ID, "delivered")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 4 {
			t.Fatalf("%d delivered, want 4", len(ds))
		}

		// A failing receiver: the delivery stays pending with the error, and is
		// sent again by hand.
		rc.mu.Lock()
		rc.fail = true
		rc.mu.Unlock()
		if _, err := w.asr.SetPovertyLine(ctx, fishpond.System, 2021, 500000, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.asr.Run(ctx, fishpond.System, 2021, countyA); err != nil {
			t.Fatal(err)
		}
		w.pump(t)
		pend, err := member.Deliveries(ctx, p.ID, "pending")
		if err != nil {
			t.Fatal(err)
		}
		if len(pend) == 0 || pend[0].Attempts != 1 || pend[0].LastStatus != 503 || !strings.Contains(pend[0].LastError, "maintenance") {
			t.Fatalf("failed deliveries %+v", pend)
		}
		rc.mu.Lock()
		rc.fail = false
		rc.mu.Unlock()
		for _, dl := range pend {
			if err := member.Redeliver(ctx, dl.ID); err != nil {
				t.Fatal(err)
			}
		}
		w.pump(t)
		if pend, _ = member.Deliveries(ctx, p.ID, "pending"); len(pend) != 0 {
			t.Fatalf("still pending after redelivery: %+v", pend)
		}

		// Rotation keeps the old key for the grace period; revocation and expiry
		// stop keys with a message that says which.
		rot, err := member.RotateKey(ctx, nk.Detail.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := key.Me(ctx); err != nil {
			t.Fatalf("old key within its grace period: %v", err)
		}
		newKey := client.New(w.srv.URL, rot.Key)
		if _, err := newKey.CountyStats(ctx, countyA); err != nil {
			t.Fatal(err)
		}
		w.clock.add(2 * time.Hour)
		if _, err := key.Me(ctx); apiCode(err) != "unauthorized" || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("old key after its grace period: %v", err)
		}
		if err := member.RevokeKey(ctx, rot.Detail.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := newKey.Me(ctx); apiCode(err) != "unauthorized" || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("revoked key: %v", err)
		}
		if _, err := client.New(w.srv.URL, "fpk_nosuchkey").Me(ctx); apiCode(err) != "unauthorized" || !strings.Contains(err.Error(), "unknown") {
			t.Fatalf("unknown key: %v", err)
		}

		// Rate limit: a key of 3 calls a minute gets a clear 429 on the fourth.
		slow, err := member.CreateKey(ctx, p.ID, client.KeyRequest{Label: "slow", Scopes: []string{"read:aggregates"}, Counties: []string{countyA}, RatePerMinute: 3})
		if err != nil {
			t.Fatal(err)
		}
		sk := client.New(w.srv.URL, slow.Key)
		for i := range 3 {
			if _, err := sk.CountyStats(ctx, countyA); err != nil {
				t.Fatalf("call %d within the limit: %v", i+1, err)
			}
		}
		_, err = sk.CountyStats(ctx, countyA)
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != 429 || ce.Code != "rate_limited" || ce.RetryAfter < time.Second || sk.Rate.Limit != 3 || sk.Rate.Remaining != 0 {
			t.Fatalf("fourth call: %v (rate %+v)", err, sk.Rate)
		}

		// Suspension stops every key of the organisation.
		if _, err := w.admin.Decide(ctx, p.ID, "suspended", "违反数据使用协议"); err != nil {
			t.Fatal(err)
		}
		if _, err := sk.Me(ctx); apiCode(err) != "unauthorized" || !strings.Contains(err.Error(), "suspended") {
			t.Fatalf("key of a suspended partner: %v", err)
		}

		// Every call made with a key is logged and counted.
		if err := w.calls.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		us, err := member.Usage(ctx, p.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		ok, refused := 0, 0
		for _, d := range us.Days {
			ok, refused = ok+d.OK, refused+d.Refused
		}
		if ok < 8 || refused < 6 || len(us.Keys) < 3 {
			t.Fatalf("usage %+v", us)
		}
	})
}

// TestOversizedBodiesRefused checks a body over the bound gets 413 and changes
// nothing.
func TestOversizedBodiesRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newPartnerWorld(t, d)
		big := `{"name":"` + strings.Repeat("大", 400000) + `"}`
		res, err := http.Post(w.srv.URL+"/api/v1/partner-applications", "application/json", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "too_large") {
			t.Fatalf("oversized application = %d %s", res.StatusCode, b)
		}
		ps, err := w.admin.Partners(context.Background(), "")
		if err != nil || len(ps) != 0 {
			t.Fatalf("partners after a refused application: %v %v", ps, err)
		}
	})
}
