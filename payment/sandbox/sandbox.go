// Package sandbox is Fishpond's built-in SANDBOX payment provider: a pretend wallet
// that runs the real Alipay-style flow — cashier page, RSA2-signed asynchronous
// notification over HTTP with retries, synchronous query, idempotent refunds — so
// the whole payment path can be demonstrated and tested without a bank. No money
// moves and no card or account data is ever asked for. It must never be configured
// as the provider of a production shop.
package sandbox

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"fishpond"
	"fishpond/payment"
)

// Name is the provider name stored with sandbox payments.
const Name = "sandbox"

// DefaultAppID is the merchant app id the sandbox issues when none is configured.
const DefaultAppID = "2021000000000000-sandbox"

// DefaultRetryDelays is how long the sandbox waits before re-sending a notification
// that was not answered "success": Alipay's schedule (4m, 10m, 10m, 1h, 2h, 6h, 15h)
// compressed so that a demo recovers in seconds.
var DefaultRetryDelays = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, time.Minute}

// Config sets up a sandbox. Key or KeyDir is required.
type Config struct {
	// BaseURL is where Handler is reachable, e.g. http://localhost:8080/sandbox/pay;
	// cashier URLs are BaseURL + "/cashier?t=…".
	BaseURL string
	// AppID defaults to DefaultAppID.
	AppID string
	// Key is the sandbox's signing key: an *rsa.PrivateKey (RSA2, as the wallets
	// sign) or a P-256 *ecdsa.PrivateKey (ES256). If nil, the key is loaded from
	// KeyDir, or generated there on first use, so that a restarted server verifies
	// the same signatures.
	Key    crypto.Signer
	KeyDir string
	// KeyType chooses the key loaded from KeyDir: KeyRSA (the default: 2048-bit
	// RSA, RSA2 signatures, the wallets' real flow) or KeyECDSA (P-256, ES256): the
	// sandbox signs every notification with its private key on our own CPU, and
	// ECDSA makes that work ~50× cheaper in load tests. Our side verifies either.
	KeyType string
	// Client sends notifications; defaults to a client with a 10 s timeout.
	Client *http.Client
	// Clock stamps notify_time; defaults to the system clock.
	Clock fishpond.Clock
	// RetryDelays are the waits between notification attempts (DefaultRetryDelays
	// if nil); after the last one the sandbox gives up, as wallets do.
	RetryDelays []time.Duration
}

// Sandbox is the provider. It keeps trades in memory: a restart forgets unpaid
// sandbox trades, which a buyer simply starts again.
type Sandbox struct {
	cfg    Config
	key    crypto.Signer
	mu     sync.Mutex
	trades map[string]*trade // by out_trade_no
	tokens map[string]string // cashier token -> out_trade_no
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

type trade struct {
	req       payment.TradeRequest
	token     string
	status    payment.TradeStatus
	tradeNo   string
	notifyID  string
	delivered bool
	refunds   map[string]fishpond.Money // by out_request_no
	refunded  fishpond.Money
}

// New builds a sandbox from cfg, loading or creating its key.
func New(cfg Config) (*Sandbox, error) {
	key := cfg.Key
	if key == nil {
		if cfg.KeyDir == "" {
			return nil, fishpond.Errorf(fishpond.EInvalid, "sandbox payments need a key or a key directory")
		}
		var err error
		switch cfg.KeyType {
		case "", KeyRSA:
			key, err = LoadOrCreateKey(cfg.KeyDir)
		case KeyECDSA:
			key, err = LoadOrCreateECDSAKey(cfg.KeyDir)
		default:
			err = fishpond.Errorf(fishpond.EInvalid, "sandbox key type must be %s or %s", KeyRSA, KeyECDSA)
		}
		if err != nil {
			return nil, err
		}
	}
	if cfg.AppID == "" {
		cfg.AppID = DefaultAppID
	}
	if cfg.Client == nil {
		// Keep connections to the shop open: a busy shop gets many notifications at
		// once, and the default 2 idle connections per host meant a new TCP
		// connection for nearly every one.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		cfg.Client = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	}
	if cfg.Clock == nil {
		cfg.Clock = fishpond.SystemClock{}
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = DefaultRetryDelays
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	ctx, stop := context.WithCancel(context.Background())
	return &Sandbox{cfg: cfg, key: key, trades: map[string]*trade{}, tokens: map[string]string{}, ctx: ctx, stop: stop}, nil
}

// Close stops pending notification retries and waits for deliveries in flight, so
// that a server shuts down cleanly.
func (s *Sandbox) Close() {
	s.stop()
	s.wg.Wait()
}

// Name implements payment.Provider.
func (s *Sandbox) Name() string { return Name }

// AppID implements payment.Provider.
func (s *Sandbox) AppID() string { return s.cfg.AppID }

// PublicKey implements payment.Provider: the half of the sandbox key that our side
// verifies notifications with.
func (s *Sandbox) PublicKey() crypto.PublicKey { return s.key.Public() }

// CreateTrade implements payment.Provider.
func (s *Sandbox) CreateTrade(ctx context.Context, req payment.TradeRequest) (string, error) {
	if req.OutTradeNo == "" || req.Amount <= 0 || req.NotifyURL == "" {
		return "", fishpond.Invalid("sandbox trade incomplete", map[string]string{"trade": "out_trade_no, amount and notify URL are required"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[req.OutTradeNo]
	switch {
	case t == nil:
		t = &trade{req: req, token: randomHex(16), status: payment.TradeWaitBuyerPay, refunds: map[string]fishpond.Money{}}
		s.trades[req.OutTradeNo] = t
		s.tokens[t.token] = req.OutTradeNo
	case t.req.Amount != req.Amount:
		return "", fishpond.Errorf(fishpond.EConflict, "sandbox trade %s exists with another amount", req.OutTradeNo)
	case t.status != payment.TradeWaitBuyerPay:
		return "", fishpond.Errorf(fishpond.EConflict, "sandbox trade %s is no longer payable", req.OutTradeNo)
	default:
		t.req = req
	}
	return s.cfg.BaseURL + "/cashier?t=" + t.token, nil
}

// QueryTrade implements payment.Provider.
func (s *Sandbox) QueryTrade(ctx context.Context, outTradeNo string) (payment.Trade, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[outTradeNo]
	if t == nil {
		return payment.Trade{}, fishpond.Errorf(fishpond.ENotFound, "sandbox has no trade %s", outTradeNo)
	}
	return payment.Trade{OutTradeNo: outTradeNo, TradeNo: t.tradeNo, Amount: t.req.Amount, Refunded: t.refunded, Status: t.status}, nil
}

// Refund implements payment.Provider, idempotent by OutRequestNo like the wallets.
func (s *Sandbox) Refund(ctx context.Context, req payment.RefundRequest) (payment.RefundResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[req.OutTradeNo]
	if t == nil {
		return payment.RefundResult{}, fishpond.Errorf(fishpond.ENotFound, "sandbox has no trade %s", req.OutTradeNo)
	}
	res := payment.RefundResult{OutTradeNo: req.OutTradeNo, OutRequestNo: req.OutRequestNo, Amount: req.Amount}
	if prev, ok := t.refunds[req.OutRequestNo]; ok {
		if prev != req.Amount {
			return payment.RefundResult{}, fishpond.Errorf(fishpond.EConflict, "sandbox refund %s was for another amount", req.OutRequestNo)
		}
		res.TotalRefunded = t.refunded
		return res, nil
	}
	if !t.status.Paid() && !(t.status == payment.TradeClosed && t.tradeNo != "") {
		return payment.RefundResult{}, fishpond.Errorf(fishpond.EConflict, "sandbox trade %s is not paid", req.OutTradeNo)
	}
	if req.Amount <= 0 || t.refunded+req.Amount > t.req.Amount {
		return payment.RefundResult{}, fishpond.Errorf(fishpond.EInvalid, "sandbox refund exceeds the trade")
	}
	t.refunds[req.OutRequestNo] = req.Amount
	t.refunded += req.Amount
	if t.refunded == t.req.Amount {
		t.status = payment.TradeClosed
	}
	res.TotalRefunded = t.refunded
	return res, nil
}

// pay marks the trade paid (once) and starts delivering its notification.
func (s *Sandbox) pay(outTradeNo string) (*trade, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[outTradeNo]
	if t == nil || t.status != payment.TradeWaitBuyerPay {
		return t, false
	}
	t.status = payment.TradeSuccess
	t.tradeNo = s.cfg.Clock.Now().In(fishpond.ChinaTime).Format("20060102") + "2200" + randomDigits(14)
	t.notifyID = randomHex(16)
	return t, true
}

// cancel closes an unpaid trade, as when a buyer abandons the wallet's cashier.
func (s *Sandbox) cancel(outTradeNo string) *trade {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[outTradeNo]
	if t != nil && t.status == payment.TradeWaitBuyerPay {
		t.status = payment.TradeClosed
	}
	return t
}

// byToken copies the trade behind a cashier token.
func (s *Sandbox) byToken(token string) (payment.TradeRequest, payment.Trade, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[s.tokens[token]]
	if t == nil {
		return payment.TradeRequest{}, payment.Trade{}, false
	}
	return t.req, payment.Trade{OutTradeNo: t.req.OutTradeNo, TradeNo: t.tradeNo, Amount: t.req.Amount, Status: t.status}, true
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// returnURL adds the trade's public result to the buyer's return URL, signed like
// Alipay's return so a page may display it; only the notification is trusted.
func (s *Sandbox) returnURL(t payment.Trade, base string) string {
	if base == "" {
		return ""
	}
	q := url.Values{}
	q.Set("app_id", s.cfg.AppID)
	q.Set("out_trade_no", t.OutTradeNo)
	q.Set("total_amount", t.Amount.String())
	q.Set("trade_no", t.TradeNo)
	q.Set("timestamp", s.cfg.Clock.Now().In(fishpond.ChinaTime).Format(payment.NotifyTimeLayout))
	payment.Sign(q, s.key)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}
