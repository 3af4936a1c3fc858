package sandbox

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"fishpond"
	"fishpond/payment"
)

// notification builds the asynchronous notification of a paid trade, stamped now.
// alter, if not nil, changes fields before signing (tests: a signed lie).
func (s *Sandbox) notification(outTradeNo string, alter func(url.Values)) (url.Values, string, error) {
	s.mu.Lock()
	t := s.trades[outTradeNo]
	if t == nil || t.tradeNo == "" {
		s.mu.Unlock()
		return nil, "", fishpond.Errorf(fishpond.ENotFound, "sandbox has no paid trade %s", outTradeNo)
	}
	f := url.Values{}
	f.Set("notify_id", t.notifyID)
	f.Set("notify_type", "trade_status_sync")
	f.Set("notify_time", s.cfg.Clock.Now().In(fishpond.ChinaTime).Format(payment.NotifyTimeLayout))
	f.Set("charset", "utf-8")
	f.Set("version", "1.0")
	f.Set("app_id", s.cfg.AppID)
	f.Set("out_trade_no", outTradeNo)
	f.Set("trade_no", t.tradeNo)
	f.Set("total_amount", t.req.Amount.String())
	f.Set("subject", t.req.Subject)
	f.Set("trade_status", string(payment.TradeSuccess))
	notifyURL := t.req.NotifyURL
	s.mu.Unlock()
	if alter != nil {
		alter(f)
	}
	if err := payment.Sign(f, s.key); err != nil {
		return nil, "", err
	}
	return f, notifyURL, nil
}

// SignedNotification returns a freshly signed notification of a paid trade, for
// tests that replay it or tamper with it after signing. alter, if not nil, changes
// fields before signing — a notification the sandbox itself vouches for, e.g. with
// a wrong amount, app id or an old notify_time.
func (s *Sandbox) SignedNotification(outTradeNo string, alter func(url.Values)) (url.Values, error) {
	f, _, err := s.notification(outTradeNo, alter)
	return f, err
}

// Deliver POSTs form to notifyURL once, as the wallet does, and returns the
// trimmed answer ("success" when accepted). Tests use it to send replays and
// forgeries over real HTTP.
func (s *Sandbox) Deliver(ctx context.Context, notifyURL string, form url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, notifyURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return strings.TrimSpace(string(b)), err
}

// Delivered tells whether the trade's notification has been answered "success".
func (s *Sandbox) Delivered(outTradeNo string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[outTradeNo]
	return t != nil && t.delivered
}

// deliver sends the trade's notification until the merchant answers "success",
// waiting RetryDelays between attempts and re-signing with a fresh notify_time each
// time; it gives up after the last delay or when the sandbox closes.
func (s *Sandbox) deliver(outTradeNo string) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for attempt := 0; ; attempt++ {
			form, notifyURL, err := s.notification(outTradeNo, nil)
			if err != nil {
				return
			}
			ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
			answer, err := s.Deliver(ctx, notifyURL, form)
			cancel()
			if err == nil && answer == "success" {
				s.mu.Lock()
				s.trades[outTradeNo].delivered = true
				s.mu.Unlock()
				return
			}
			if attempt >= len(s.cfg.RetryDelays) {
				slog.Warn("sandbox payment: notification not acknowledged, giving up", "order", outTradeNo, "attempts", attempt+1)
				return
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(s.cfg.RetryDelays[attempt]):
			}
		}
	}()
}
