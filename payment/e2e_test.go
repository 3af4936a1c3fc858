package payment_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/payment"
	"fishpond/payment/sandbox"
)

var (
	keyOnce             sync.Once
	sandboxKey, evilKey *rsa.PrivateKey
)

func keys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keyOnce.Do(func() {
		sandboxKey, _ = rsa.GenerateKey(rand.Reader, 2048)
		evilKey, _ = rsa.GenerateKey(rand.Reader, 2048)
	})
	return sandboxKey, evilKey
}

// world is a shop and a sandbox wallet talking over real HTTP.
type world struct {
	svc       *payment.Service
	hole      *payment.Service // same shop, but its trades notify an endpoint that never acknowledges
	sb        *sandbox.Sandbox
	shop      *httptest.Server
	wallet    *httptest.Server
	notifyURL string

	mu          sync.Mutex
	marked      map[string]int // order -> successful MarkPaid calls
	applyFails  int            // the next n apply calls fail
	answerFails int            // the next n notifications are answered "failure" unread
	errs        []error
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	key, _ := keys(t)
	w := &world{marked: map[string]int{}}
	shopMux := http.NewServeMux()
	w.shop = httptest.NewServer(shopMux)
	t.Cleanup(w.shop.Close)
	walletMux := http.NewServeMux()
	w.wallet = httptest.NewServer(walletMux)
	t.Cleanup(w.wallet.Close)

	sb, err := sandbox.New(sandbox.Config{BaseURL: w.wallet.URL + "/sandbox/pay", Key: key,
		RetryDelays: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	w.sb = sb
	walletMux.Handle("/sandbox/pay/", http.StripPrefix("/sandbox/pay", sb.Handler()))

	w.notifyURL = w.shop.URL + "/pay/notify"
	w.svc = payment.NewService(d, sb, fishpond.SystemClock{}, payment.Options{NotifyURL: w.notifyURL, ReturnURL: w.shop.URL + "/pay/return"})
	w.hole = payment.NewService(d, sb, fishpond.SystemClock{}, payment.Options{NotifyURL: w.shop.URL + "/pay/hole", ReturnURL: w.shop.URL + "/pay/return"})
	shopMux.HandleFunc("POST /pay/notify", func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		if w.answerFails > 0 {
			w.answerFails--
			w.mu.Unlock()
			io.WriteString(rw, "failure")
			return
		}
		w.mu.Unlock()
		if err := r.ParseForm(); err != nil {
			io.WriteString(rw, "failure")
			return
		}
		_, err := w.svc.HandleNotify(r.Context(), r.PostForm, w.markPaid)
		w.mu.Lock()
		w.errs = append(w.errs, err)
		w.mu.Unlock()
		io.WriteString(rw, payment.Answer(err))
	})
	shopMux.HandleFunc("POST /pay/hole", func(rw http.ResponseWriter, r *http.Request) { io.WriteString(rw, "failure") })
	shopMux.HandleFunc("GET /pay/return", func(rw http.ResponseWriter, r *http.Request) {
		io.WriteString(rw, "returned "+r.URL.Query().Get("out_trade_no"))
	})
	return w
}

// markPaid stands in for market.MarkPaid.
func (w *world) markPaid(ctx context.Context, n payment.Notification) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.applyFails > 0 {
		w.applyFails--
		return errors.New("market unavailable")
	}
	w.marked[n.OrderID]++
	return nil
}

func (w *world) lastErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.errs) == 0 {
		return nil
	}
	return w.errs[len(w.errs)-1]
}

func (w *world) markedCount(order string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.marked[order]
}

// buyerPays opens the cashier page and presses 确认支付 (or 取消).
func (w *world) buyerPays(t *testing.T, cashierURL, action string) string {
	t.Helper()
	resp, err := http.Get(cashierURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "确认支付") || !strings.Contains(string(page), "取消") {
		t.Fatalf("cashier page %d: %s", resp.StatusCode, page)
	}
	u, _ := url.Parse(cashierURL)
	resp, err = http.PostForm(strings.Split(cashierURL, "?")[0], url.Values{"t": {u.Query().Get("t")}, "action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(back)
}

func waitDelivered(t *testing.T, sb *sandbox.Sandbox, order string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !sb.Delivered(order) {
		if time.Now().After(deadline) {
			t.Fatalf("notification for %s never acknowledged", order)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustStatus(t *testing.T, svc *payment.Service, order string, want payment.Status) payment.Payment {
	t.Helper()
	p, err := svc.Get(context.Background(), order)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != want {
		t.Fatalf("%s: status %s, want %s", order, p.Status, want)
	}
	return p
}

func TestPayEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newWorld(t, d)
		cashier, err := w.svc.Create(ctx, "ORD-1", 8850, "赣南脐橙 5kg")
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := http.Get(cashier)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "¥88.50") || !strings.Contains(string(page), "赣南脐橙 5kg") || !strings.Contains(string(page), "沙箱") {
			t.Fatalf("cashier page lacks order, amount or sandbox warning: %s", page)
		}
		if back := w.buyerPays(t, cashier, "pay"); back != "returned ORD-1" {
			t.Fatalf("buyer not returned to the shop: %q", back)
		}
		waitDelivered(t, w.sb, "ORD-1")
		if err := w.lastErr(); err != nil {
			t.Fatalf("genuine notification: %v", err)
		}
		p := mustStatus(t, w.svc, "ORD-1", payment.StatusPaid)
		if p.TradeNo == "" || p.Amount != 8850 || p.PaidAt.IsZero() || w.markedCount("ORD-1") != 1 {
			t.Fatalf("payment %+v, marked %d", p, w.markedCount("ORD-1"))
		}
		tr, err := w.svc.QueryTrade(ctx, "ORD-1")
		if err != nil || tr.Status != payment.TradeSuccess || tr.TradeNo != p.TradeNo || tr.Amount != 8850 {
			t.Fatalf("query %+v %v", tr, err)
		}

		// The wallet re-sends (fresh notify_time, same notify_id): acknowledged, no effect.
		again, _ := w.sb.SignedNotification("ORD-1", nil)
		if ans, _ := w.sb.Deliver(ctx, w.notifyURL, again); ans != "success" || !errors.Is(w.lastErr(), payment.ErrReplay) {
			t.Fatalf("replay answered %q, err %v", ans, w.lastErr())
		}
		// Same notify_id, different (validly signed) content: refused.
		other, _ := w.sb.SignedNotification("ORD-1", func(f url.Values) { f.Set("subject", "something else") })
		if ans, _ := w.sb.Deliver(ctx, w.notifyURL, other); ans == "success" || !errors.Is(w.lastErr(), payment.ErrNotifyConflict) {
			t.Fatalf("conflicting notify_id answered %q, err %v", ans, w.lastErr())
		}
		// A second genuine notification for the same trade (e.g. TRADE_FINISHED).
		fin, _ := w.sb.SignedNotification("ORD-1", func(f url.Values) {
			f.Set("notify_id", "finished-1")
			f.Set("trade_status", string(payment.TradeFinished))
		})
		if ans, _ := w.sb.Deliver(ctx, w.notifyURL, fin); ans != "success" || !errors.Is(w.lastErr(), payment.ErrNoAction) {
			t.Fatalf("finished answered %q, err %v", ans, w.lastErr())
		}
		// The buyer paid twice through another trade: acknowledged, flagged, not re-marked.
		dup, _ := w.sb.SignedNotification("ORD-1", func(f url.Values) {
			f.Set("notify_id", "dup-1")
			f.Set("trade_no", "2020999")
		})
		if ans, _ := w.sb.Deliver(ctx, w.notifyURL, dup); ans != "success" || !errors.Is(w.lastErr(), payment.ErrDuplicateTrade) {
			t.Fatalf("duplicate trade answered %q, err %v", ans, w.lastErr())
		}
		if w.markedCount("ORD-1") != 1 {
			t.Fatalf("order marked paid %d times", w.markedCount("ORD-1"))
		}
		mustStatus(t, w.svc, "ORD-1", payment.StatusPaid)
		if _, err := w.svc.Create(ctx, "ORD-1", 8850, "again"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("create after paid: %v", err)
		}
	})
}

func TestNotifyRetriedUntilApplied(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newWorld(t, d)
		w.answerFails, w.applyFails = 1, 1 // first attempt lost, second: market down
		cashier, err := w.svc.Create(ctx, "ORD-R", 100, "土鸡蛋")
		if err != nil {
			t.Fatal(err)
		}
		w.buyerPays(t, cashier, "pay")
		waitDelivered(t, w.sb, "ORD-R")
		mustStatus(t, w.svc, "ORD-R", payment.StatusPaid)
		if n := w.markedCount("ORD-R"); n != 1 {
			t.Fatalf("marked %d times", n)
		}
	})
}

func TestCancelledAtCashier(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newWorld(t, d)
		cashier, _ := w.svc.Create(ctx, "ORD-C", 100, "茶叶")
		if back := w.buyerPays(t, cashier, "cancel"); back != "returned ORD-C" {
			t.Fatalf("cancel returned %q", back)
		}
		mustStatus(t, w.svc, "ORD-C", payment.StatusCreated)
		if tr, _ := w.svc.QueryTrade(ctx, "ORD-C"); tr.Status != payment.TradeClosed {
			t.Fatalf("trade %+v", tr)
		}
	})
}

func TestForgedNotificationsRejected(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newWorld(t, d)
		_, evil := keys(t)
		old := time.Now().Add(-2 * time.Hour).In(fishpond.ChinaTime).Format(payment.NotifyTimeLayout)
		future := time.Now().Add(time.Hour).In(fishpond.ChinaTime).Format(payment.NotifyTimeLayout)
		cases := []struct {
			name   string
			before func(url.Values) // signed by the sandbox itself
			after  func(url.Values) // tampering after signing
			want   error
			retry  bool // the genuine notification is still accepted afterwards
		}{
			{"altered amount", nil, func(f url.Values) { f.Set("total_amount", "0.01") }, payment.ErrBadSignature, true},
			{"altered order", nil, func(f url.Values) { f.Set("trade_status", "TRADE_SUCCESS ") }, payment.ErrBadSignature, true},
			{"wrong key", nil, func(f url.Values) { payment.Sign(f, evil) }, payment.ErrBadSignature, true},
			{"garbage sign", nil, func(f url.Values) { f.Set("sign", "!!!") }, payment.ErrBadSignature, true},
			{"missing sign", nil, func(f url.Values) { f.Del("sign") }, payment.ErrUnsigned, true},
			{"sha1 sign type", nil, func(f url.Values) { f.Set("sign_type", "RSA") }, payment.ErrUnsigned, true},
			{"repeated field", nil, func(f url.Values) { f.Add("total_amount", "0.01") }, payment.ErrMalformed, true},
			{"wrong app", func(f url.Values) { f.Set("app_id", "2021000000000001") }, nil, payment.ErrWrongApp, true},
			{"stale", func(f url.Values) { f.Set("notify_time", old) }, nil, payment.ErrStale, true},
			{"future", func(f url.Values) { f.Set("notify_time", future) }, nil, payment.ErrStale, true},
			{"unknown order", func(f url.Values) { f.Set("out_trade_no", "ORD-NOPE") }, nil, payment.ErrUnknownOrder, true},
			{"amount in three decimals", func(f url.Values) { f.Set("total_amount", "1.000") }, nil, payment.ErrMalformed, true},
			{"signed wrong amount", func(f url.Values) { f.Set("total_amount", "0.01") }, nil, payment.ErrAmountMismatch, false},
		}
		for i, c := range cases {
			order := "ORD-F" + string(rune('A'+i))
			cashier, err := w.hole.Create(ctx, order, 1999, "核桃")
			if err != nil {
				t.Fatal(err)
			}
			w.buyerPays(t, cashier, "pay") // its genuine notification goes to the hole
			form, err := w.sb.SignedNotification(order, c.before)
			if err != nil {
				t.Fatal(err)
			}
			if c.after != nil {
				c.after(form)
			}
			if ans, err := w.sb.Deliver(ctx, w.notifyURL, form); err != nil || ans != "failure" {
				t.Fatalf("%s: answered %q (%v)", c.name, ans, err)
			}
			if !errors.Is(w.lastErr(), c.want) || fishpond.Code(w.lastErr()) == fishpond.EInternal {
				t.Fatalf("%s: error %v, want %v", c.name, w.lastErr(), c.want)
			}
			mustStatus(t, w.svc, order, payment.StatusCreated)
			if w.markedCount(order) != 0 {
				t.Fatalf("%s: marked paid", c.name)
			}
			if !c.retry {
				continue
			}
			genuine, _ := w.sb.SignedNotification(order, nil)
			if ans, _ := w.sb.Deliver(ctx, w.notifyURL, genuine); ans != "success" {
				t.Fatalf("%s: genuine notification afterwards refused: %v", c.name, w.lastErr())
			}
			mustStatus(t, w.svc, order, payment.StatusPaid)
		}
	})
}

func TestRefundIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newWorld(t, d)
		cashier, _ := w.svc.Create(ctx, "ORD-M", 5000, "蜂蜜")
		if _, err := w.svc.Refund(ctx, "ORD-M", "R0", 100); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("refund before payment: %v", err)
		}
		w.buyerPays(t, cashier, "pay")
		waitDelivered(t, w.sb, "ORD-M")
		for i := 0; i < 3; i++ {
			r, err := w.svc.Refund(ctx, "ORD-M", "R1", 1200)
			if err != nil || !r.Done || r.Amount != 1200 {
				t.Fatalf("refund R1 attempt %d: %+v %v", i, r, err)
			}
		}
		p := mustStatus(t, w.svc, "ORD-M", payment.StatusRefundedPartially)
		tr, _ := w.svc.QueryTrade(ctx, "ORD-M")
		if p.Refunded != 1200 || tr.Refunded != 1200 {
			t.Fatalf("refunded ours %s, wallet %s", p.Refunded, tr.Refunded)
		}
		if _, err := w.svc.Refund(ctx, "ORD-M", "R1", 1300); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("same request, other amount: %v", err)
		}
		if _, err := w.svc.Refund(ctx, "ORD-M", "R2", 3801); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("refund beyond payment: %v", err)
		}
		if _, err := w.svc.Refund(ctx, "ORD-M", "R2", 3800); err != nil {
			t.Fatal(err)
		}
		p = mustStatus(t, w.svc, "ORD-M", payment.StatusRefundedFully)
		if tr, _ := w.svc.QueryTrade(ctx, "ORD-M"); p.Refunded != 5000 || tr.Refunded != 5000 || tr.Status != payment.TradeClosed {
			t.Fatalf("after full refund: ours %+v wallet %+v", p, tr)
		}
		if _, err := w.svc.Refund(ctx, "ORD-NOPE", "R1", 1); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("refund of unknown order: %v", err)
		}
	})
}

func TestCreateValidatesAndIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newWorld(t, d)
		a, err := w.svc.Create(ctx, "ORD-I", 300, "小米")
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.Create(ctx, "ORD-I", 300, "小米")
		if err != nil || a != b {
			t.Fatalf("second create: %q vs %q, %v", a, b, err)
		}
		if _, err := w.svc.Create(ctx, "ORD-I", 301, "小米"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("other amount: %v", err)
		}
		for _, c := range []struct {
			order   string
			amount  fishpond.Money
			subject string
		}{{"", 1, "x"}, {"has space", 1, "x"}, {strings.Repeat("a", 65), 1, "x"}, {"ok", 0, "x"}, {"ok", -5, "x"}, {"ok", 1, ""}} {
			if _, err := w.svc.Create(ctx, c.order, c.amount, c.subject); fishpond.Code(err) != fishpond.EInvalid {
				t.Errorf("%+v: %v", c, err)
			}
		}
	})
}

func TestConcurrentDuplicatesApplyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newWorld(t, d)
		cashier, _ := w.hole.Create(ctx, "ORD-X", 2500, "木耳")
		w.buyerPays(t, cashier, "pay")
		form, _ := w.sb.SignedNotification("ORD-X", nil)
		var wg sync.WaitGroup
		answers := make(chan string, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ans, _ := w.sb.Deliver(ctx, w.notifyURL, form)
				answers <- ans
			}()
		}
		wg.Wait()
		close(answers)
		for ans := range answers {
			if ans != "success" {
				t.Errorf("a concurrent duplicate answered %q", ans)
			}
		}
		mustStatus(t, w.svc, "ORD-X", payment.StatusPaid)
		if n := w.markedCount("ORD-X"); n != 1 {
			t.Fatalf("applied %d times", n)
		}
	})
}
