// Package web is Fishpond's HTTP face: the JSON API under /api/v1 (api_*.go) and the
// HTML pages (page_*.go) share one server, one authentication path and one error
// table. It holds no business rules: every handler parses input, calls a
// capability with the caller's principal, and renders the result.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
	"fishpond/credit"
	"fishpond/farms"
	"fishpond/fund"
	"fishpond/green"
	"fishpond/insurance"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/live"
	"fishpond/logistics"
	"fishpond/market"
	"fishpond/partners"
	"fishpond/payment"
	"fishpond/registry"
	"fishpond/sensing"
)

// Services are the capabilities the server exposes.
type Services struct {
	Access   *access.Service
	Registry *registry.Store
	Ledger   *ledger.Ledger
	Assessor *assess.Assessor
	Market   *market.Store
	Payments *payment.Service
	Partners *partners.Service
	// PartnerCalls logs calls made with partner keys (nil: not logged).
	PartnerCalls *partners.CallLog
	Farms        *farms.Service
	Fund         *fund.Service
	Green        *green.Service
	Sensing      *sensing.Service
	Live         *live.Service
	// PaymentSandbox, when set, is the sandbox wallet's cashier, mounted under
	// /sandbox/pay/ (no real wallet runs here; a production setup leaves it nil).
	PaymentSandbox http.Handler
	// Logistics: warehouses, stations, parcels and pickup codes.
	Logistics *logistics.Store

	Credit    *credit.Service    // microcredit (credit/)
	Insurance *insurance.Service // micro health insurance (insurance/)
}

// Server wires the capabilities to HTTP. Build it with New.
type Server struct {
	Services
	DB  *db.DB
	Log *slog.Logger
	// SecureCookies marks cookies Secure; set it when serving behind TLS.
	SecureCookies bool
	// MaxUpload bounds spreadsheet uploads.
	MaxUpload int64

	metrics *metrics
	pages   *pageSet
	mux     *http.ServeMux
}

// New builds the server and its routes.
func New(d *db.DB, svc Services, log *slog.Logger) *Server {
	s := &Server{Services: svc, DB: d, Log: log, MaxUpload: 20 << 20, metrics: newMetrics(), mux: http.NewServeMux()}
	s.pages = mustPages()
	s.routes()
	return s
}

// Handler returns the whole HTTP handler with middleware applied.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.apiError(w, r, fishpond.Errorf(fishpond.EForbidden, "cross-origin request refused / 拒绝跨站请求"))
	}))
	return s.observe(cop.Handler(s.mux))
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyUser
)

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(keyRequestID).(string)
	return id
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe adds a request id, security headers, panic recovery, access logging and
// metrics. Query strings are not logged: they may hold search terms about people.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		r = r.WithContext(context.WithValue(r.Context(), keyRequestID, id))
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic", "request_id", id, "route", r.Pattern, "panic", p)
				if sw.status == 0 {
					s.apiError(sw, r, fishpond.Internal(nil))
				}
			}
			d := time.Since(start)
			s.metrics.observe(r.Method, r.Pattern, sw.status, d)
			s.Log.Debug("request", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", d.Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

const sessionCookie = "fp_session"

// user resolves the caller from a bearer token or the session cookie.
func (s *Server) user(r *http.Request) (access.User, error) {
	if u, ok := r.Context().Value(keyUser).(access.User); ok {
		return u, nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return access.User{}, fishpond.Errorf(fishpond.EUnauthorized, "Authorization must be 'Bearer <token>'")
		}
		tok = strings.TrimSpace(tok)
		if strings.HasPrefix(tok, partners.KeyPrefix) {
			// Keys are checked, limited and logged by the API wrapper (partnerCall);
			// pages and other paths do not take them.
			return access.User{}, fishpond.Errorf(fishpond.EUnauthorized, "partner API keys work on the JSON API only / 合作伙伴密钥只能用于 JSON API")
		}
		return s.Access.TokenUser(r.Context(), tok)
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return s.Access.Session(r.Context(), c.Value)
	}
	return access.User{}, fishpond.Errorf(fishpond.EUnauthorized, "please log in / 请登录")
}

// api wraps a JSON handler that needs a logged-in caller.
func (s *Server) api(fn func(w http.ResponseWriter, r *http.Request, u access.User) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "+partners.KeyPrefix); ok && s.Partners != nil {
			s.partnerCall(w, r, partners.KeyPrefix+strings.TrimSpace(tok), fn)
			return
		}
		u, err := s.user(r)
		if err != nil && strings.HasPrefix(r.URL.Path, "/api/v1/open/") { // open data: anyone, no credentials
			u, err = access.User{Role: "anonymous"}, nil
		}
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		if err := fn(w, r, u); err != nil {
			s.apiError(w, r, err)
		}
	}
}

// publicAPI wraps a JSON handler anyone may call; a signed-in caller is passed
// along, anyone else as an anonymous user.
func (s *Server) publicAPI(fn func(w http.ResponseWriter, r *http.Request, u access.User) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.user(r)
		if err != nil {
			u = access.User{Role: "anonymous"}
		}
		if err := fn(w, r, u); err != nil {
			s.apiError(w, r, err)
		}
	}
}

// public wraps an HTML handler anyone may open (storefront, product, origin
// pages); a logged-in caller is passed along, an anonymous one as a zero User.
func (s *Server) public(fn func(w http.ResponseWriter, r *http.Request, u access.User) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.user(r)
		if err == nil {
			r = r.WithContext(context.WithValue(r.Context(), keyUser, u))
		} else {
			u = access.User{Role: "anonymous"}
		}
		if err := fn(w, r, u); err != nil {
			s.pageError(w, r, err)
		}
	}
}

// page wraps an HTML handler that needs a logged-in caller.
func (s *Server) page(fn func(w http.ResponseWriter, r *http.Request, u access.User) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.user(r)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), keyUser, u))
		if err := fn(w, r, u); err != nil {
			s.pageError(w, r, err)
		}
	}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	return next
}
