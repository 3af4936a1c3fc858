package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// idemKey is a fresh Idempotency-Key per checkout, as a shop app makes one.
func idemKey() string {
	var b [12]byte
	rand.Read(b[:])
	return "bench-" + hex.EncodeToString(b[:])
}

// errSoldOut marks the expected end of a flash buyer who came too late.
var errSoldOut = errors.New("sold out")

// errNotPaid is a checkout whose order did not turn paid within PaidTimeout.
var errNotPaid = errors.New("order not paid in time")

// browse is what a buyer does before buying: the product list (the storefront and
// its search), then the product's own page.
func (b *bench) browse(ctx context.Context, t *tally, buyer *Buyer) error {
	d, err := b.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/products?limit=20", token: buyer.Token})
	if err != nil {
		t.fail(StepBrowse, err)
		return err
	}
	t.observe(StepBrowse, d)
	d, err = b.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/products/" + b.fx.ProductID, token: buyer.Token})
	if err != nil {
		t.fail(StepView, err)
		return err
	}
	t.observe(StepView, d)
	return nil
}

// buy places an order for one unit (of the flash offer in flash mode) and, unless
// paying is skipped, pays it at the sandbox cashier and waits until the server has
// accepted the wallet's signed notification. It returns errSoldOut when a flash
// buyer finds nothing left.
func (b *bench) buy(ctx context.Context, t *tally, buyer *Buyer) error {
	body := fmt.Sprintf(`{"address_id":%q,"lines":[{"product_id":%q,"flash_id":%q,"qty":1}]}`, buyer.AddressID, b.fx.ProductID, b.fx.FlashID)
	var o struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	d, err := b.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/orders", token: buyer.Token, body: []byte(body), idemKey: idemKey(), out: &o})
	if ce, ok := err.(*callError); ok && b.cfg.Flash && ce.Status == http.StatusConflict {
		t.observe(StepOrder, d)
		return errSoldOut
	}
	if err != nil {
		t.fail(StepOrder, err)
		return err
	}
	t.observe(StepOrder, d)
	if b.cfg.Pay == PaySkip {
		return nil
	}
	var pay struct {
		RedirectURL string `json:"redirect_url"`
	}
	if d, err = b.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/orders/" + o.ID + "/pay", token: buyer.Token, out: &pay}); err != nil {
		t.fail(StepPay, err)
		return err
	}
	t.observe(StepPay, d)
	u, err := url.Parse(pay.RedirectURL)
	if err != nil || u.Query().Get("t") == "" {
		err = &callError{Status: http.StatusOK, Code: "bad_redirect_url", Err: err}
		t.fail(StepPay, err)
		return err
	}
	// The buyer presses 确认支付 on the cashier page; the wallet answers with a
	// redirect back to the shop and sends its signed notification asynchronously.
	form := url.Values{"t": {u.Query().Get("t")}, "action": {"pay"}}.Encode()
	if d, err = b.c.do(ctx, request{method: http.MethodPost, path: strings.TrimSuffix(u.Path, "/"), body: []byte(form), form: true,
		want: []int{http.StatusSeeOther, http.StatusFound, http.StatusOK}}); err != nil {
		t.fail(StepCashier, err)
		return err
	}
	t.observe(StepCashier, d)
	return b.waitPaid(ctx, t, buyer, o.ID)
}

// waitPaid asks for the order, as a shop app's result page does, until it is
// paid: each request waits on the server (?wait=) until the order's status changes
// or the wait ends, so one request usually suffices; a server that answers at
// once (no ?wait support) is polled with short waits first, then backing off so
// that polling does not become the load.
func (b *bench) waitPaid(ctx context.Context, t *tally, buyer *Buyer, orderID string) error {
	start := time.Now()
	pause := 2 * time.Millisecond
	for {
		var o struct {
			Status string `json:"status"`
		}
		wait := min(b.cfg.PaidTimeout-time.Since(start), 10*time.Second)
		asked := time.Now()
		path := "/api/v1/orders/" + orderID
		if wait > time.Millisecond {
			path += "?wait=" + wait.Round(time.Millisecond).String()
		}
		if _, err := b.c.do(ctx, request{method: http.MethodGet, path: path, token: buyer.Token, out: &o}); err != nil {
			t.fail(StepPaidWait, err)
			return err
		}
		t.requests++
		if o.Status == "paid" {
			t.lat[StepPaidWait] = append(t.lat[StepPaidWait], time.Since(start))
			return nil
		}
		if o.Status != "placed" || time.Since(start) > b.cfg.PaidTimeout {
			t.errs[StepPaidWait+": "+errNotPaid.Error()+" ("+o.Status+")"]++
			return errNotPaid
		}
		if time.Since(asked) < wait/2 { // answered at once: poll
			time.Sleep(pause)
			pause = min(pause*2, 100*time.Millisecond)
		}
	}
}
