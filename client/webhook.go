package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook deliveries carry these headers. The signature header is
//
//	Fishpond-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The timestamp is inside the signed bytes, so it cannot be changed without the
// secret; a receiver refuses timestamps outside a tolerance (replays of an old
// delivery) and de-duplicates by the Fishpond-Delivery ID, which stays the same
// across retries of one delivery.
const (
	HeaderSignature = "Fishpond-Signature"
	HeaderDelivery  = "Fishpond-Delivery"
	HeaderEvent     = "Fishpond-Event"
)

// DefaultTolerance is how far a webhook's timestamp may be from the receiver's
// clock.
const DefaultTolerance = 5 * time.Minute

// Errors of VerifyWebhook.
var (
	ErrNoSignature  = errors.New("webhook: no Fishpond-Signature header")
	ErrBadSignature = errors.New("webhook: signature does not match the body")
	ErrStale        = errors.New("webhook: timestamp outside the tolerance (replayed or clock skew)")
)

// SignWebhook returns the Fishpond-Signature header value for body sent at t.
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks a delivery's signature header against its raw body with the
// subscription's secret, at the receiver's time now. Any v1 value may match (there
// are several while a secret is being rotated).
func VerifyWebhook(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return ErrNoSignature
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("webhook: malformed signature header %q", header)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("webhook: malformed signature header %q", header)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}
