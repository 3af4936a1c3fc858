package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// client is the one HTTP client of a run: every buyer shares its transport, so
// connections are reused (20,000 buyers must not mean 20,000 sockets), and slots
// caps the requests in flight.
type client struct {
	base  string
	hc    *http.Client
	slots chan struct{}
}

func newClient(base string, maxInFlight int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxInFlight,
		MaxIdleConnsPerHost: maxInFlight,
		MaxConnsPerHost:     maxInFlight,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{
		base:  base,
		slots: make(chan struct{}, maxInFlight),
		hc: &http.Client{Transport: tr, Timeout: 60 * time.Second,
			// The cashier answers with a redirect to the shop's return page; the
			// redirect itself is the wallet's "paid", so it is not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// callError is a failed request, classified for the "errors by kind" report.
type callError struct {
	Status int    // 0 for a transport error
	Code   string // the API's error code, when the body had one
	Err    error
}

func (e *callError) Error() string {
	if e.Status == 0 {
		return "transport: " + e.Err.Error()
	}
	return fmt.Sprintf("HTTP %d %s", e.Status, e.Code)
}

// kind names the error for counting: transport, timeout, http_500, http_409_conflict …
func (e *callError) kind() string {
	switch {
	case e.Status == 0 && errors.Is(e.Err, context.DeadlineExceeded):
		return "timeout"
	case e.Status == 0:
		return "transport"
	case e.Code != "":
		return fmt.Sprintf("http_%d_%s", e.Status, e.Code)
	}
	return fmt.Sprintf("http_%d", e.Status)
}

// request is one HTTP call of a buyer.
type request struct {
	method, path, token string
	body                []byte
	form                bool   // body is application/x-www-form-urlencoded
	idemKey             string // Idempotency-Key header
	want                []int  // accepted statuses (default 200, 201)
	out                 any    // JSON destination, nil to discard
}

// do runs the request within a slot, decodes the JSON answer into out, and returns
// the time the request took (slot waiting excluded, so latency is the server's
// and the loopback's, not the generator's own queue).
func (c *client) do(ctx context.Context, r request) (time.Duration, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, &callError{Err: ctx.Err()}
	}
	defer func() { <-c.slots }()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return 0, &callError{Err: err}
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.body != nil {
		if r.form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if r.idemKey != "" {
		req.Header.Set("Idempotency-Key", r.idemKey)
	}
	start := time.Now()
	res, err := c.hc.Do(req)
	if err != nil {
		return time.Since(start), &callError{Err: err}
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(start)
	if err != nil {
		return took, &callError{Err: err}
	}
	want := r.want
	if want == nil {
		want = []int{http.StatusOK, http.StatusCreated}
	}
	ok := false
	for _, s := range want {
		ok = ok || res.StatusCode == s
	}
	if !ok {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		json.Unmarshal(b, &e)
		return took, &callError{Status: res.StatusCode, Code: e.Error.Code}
	}
	if r.out != nil {
		if err := json.Unmarshal(b, r.out); err != nil {
			return took, &callError{Status: res.StatusCode, Code: "bad_json", Err: err}
		}
	}
	return took, nil
}
