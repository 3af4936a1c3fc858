package web

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/partners"
)

// keyScopes lists the endpoints open to partner API keys and the scope each
// needs ("" : any approved key). An endpoint not listed here refuses keys, so a
// new endpoint is closed to partners until someone decides otherwise. Counties are
// still checked where the data is read (the key's principal carries them).
var keyScopes = map[string]string{
	"GET /api/v1/me":                         "",
	"GET /api/v1/partner":                    "",
	"GET /api/v1/provinces":                  "",
	"GET /api/v1/counties":                   "",
	"GET /api/v1/counties/{code}":            "",
	"GET /api/v1/poverty-lines":              "",
	"GET /api/v1/channel/coverage":           "",
	"GET /api/v1/products":                   "",
	"GET /api/v1/products/{id}":              "",
	"GET /api/v1/counties/{code}/stats":      partners.ScopeReadAggregates,
	"GET /api/v1/counties/{code}/assessment": partners.ScopeReadAggregates,
	"GET /api/v1/green/conversions":          "",
	"POST /api/v1/green/actions":             partners.ScopeReportGreen,
	"POST /api/v1/sensing/readings":          partners.ScopeWriteSensors, // devices of the key's counties only (sensing.IngestFor)
}

// maxPartnerBody bounds any request body sent with a key.
const maxPartnerBody = 1 << 20

// partnerCall serves an API request made with a partner key: authenticate, check
// the endpoint is open to keys and the key holds its scope, spend the rate budget
// (with RateLimit-* headers on every answer), bound the body, and log the call.
func (s *Server) partnerCall(w http.ResponseWriter, r *http.Request, key string, fn func(http.ResponseWriter, *http.Request, access.User) error) {
	c, err := s.Partners.Authenticate(r.Context(), key)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w}
	defer func() {
		if s.PartnerCalls != nil {
			s.PartnerCalls.Record(partners.Call{PartnerID: c.Key.PartnerID, KeyID: c.Key.ID, At: start, Method: r.Method,
				Path: r.URL.Path, Status: cmp.Or(rec.status, http.StatusOK), Duration: time.Since(start)})
		}
	}()
	d := s.Partners.Limiter.Allow(c.Key.ID, c.Key.RatePerMinute, c.Key.PartnerID, c.PartnerRate)
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(0, d.Remaining)))
	h.Set("RateLimit-Reset", strconv.Itoa(int((d.Reset+time.Second-1)/time.Second)))
	h.Set("RateLimit-Policy", strconv.Itoa(d.Limit)+";w=60")
	if !d.Allowed {
		secs := int((d.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.Itoa(max(1, secs)))
		s.apiError(rec, r, fishpond.Errorf(fishpond.ERateLimited, "rate limit of %d calls per minute for this %s reached; retry after %d s / 调用过于频繁", d.Limit, d.Scope, max(1, secs)))
		return
	}
	scope, open := keyScopes[r.Pattern]
	if !open {
		s.apiError(rec, r, fishpond.Errorf(fishpond.EForbidden, "this endpoint is not open to partner API keys / 该接口不对合作伙伴密钥开放"))
		return
	}
	if scope != "" && !c.User.Principal().HasScope(scope) {
		s.apiError(rec, r, fishpond.Errorf(fishpond.EForbidden, "this key lacks the scope %s / 密钥没有 %s 权限", scope, scope))
		return
	}
	if r.ContentLength > maxPartnerBody {
		s.apiError(rec, r, fishpond.Errorf(fishpond.ETooLarge, "request body is over %d bytes / 请求体过大", maxPartnerBody))
		return
	}
	r.Body = http.MaxBytesReader(rec, r.Body, maxPartnerBody)
	if err := fn(rec, r, c.User); err != nil {
		s.apiError(rec, r, err)
	}
}

func init() {
	capabilityPublicAPIs = append(capabilityPublicAPIs, func(s *Server) []apiRoute {
		return []apiRoute{{"POST", "/api/v1/partner-applications", s.apiApplyPartner}}
	})
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/partner", s.apiMyPartner},
			{"GET", "/api/v1/partners", s.apiPartners},
			{"GET", "/api/v1/partners/{id}", s.apiPartner},
			{"POST", "/api/v1/partners/{id}/decision", s.apiDecidePartner},
			{"PUT", "/api/v1/partners/{id}/grant", s.apiGrantPartner},
			{"GET", "/api/v1/partners/{id}/members", s.apiPartnerMembers},
			{"POST", "/api/v1/partners/{id}/members", s.apiAddPartnerMember},
			{"GET", "/api/v1/partners/{id}/keys", s.apiPartnerKeys},
			{"POST", "/api/v1/partners/{id}/keys", s.apiCreatePartnerKey},
			{"POST", "/api/v1/partner-keys/{id}/rotate", s.apiRotatePartnerKey},
			{"DELETE", "/api/v1/partner-keys/{id}", s.apiRevokePartnerKey},
			{"GET", "/api/v1/partners/{id}/webhooks", s.apiPartnerWebhooks},
			{"POST", "/api/v1/partners/{id}/webhooks", s.apiSubscribe},
			{"PUT", "/api/v1/webhooks/{id}/active", s.apiWebhookActive},
			{"GET", "/api/v1/partners/{id}/deliveries", s.apiDeliveries},
			{"POST", "/api/v1/webhook-deliveries/{id}/redeliver", s.apiRedeliver},
			{"GET", "/api/v1/partners/{id}/usage", s.apiPartnerUsage},
		}
	})
}

func (s *Server) apiApplyPartner(w http.ResponseWriter, r *http.Request, _ access.User) error {
	var in partners.Application
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Partners.Apply(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiMyPartner(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Partners.PartnerOf(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiPartners(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Partners.List(r.Context(), u.Principal(), partners.Status(r.URL.Query().Get("status")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[partners.Partner]{Items: ps})
	return nil
}

func (s *Server) apiPartner(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Partners.Get(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiDecidePartner(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Partners.Decide(r.Context(), u.Principal(), r.PathValue("id"), partners.Status(in.Status), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiGrantPartner(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Scopes        []string `json:"scopes"`
		Counties      []string `json:"counties"`
		RatePerMinute int      `json:"rate_per_minute"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.RatePerMinute == 0 {
		in.RatePerMinute = partners.DefaultRatePerMinute
	}
	p, err := s.Partners.Grant(r.Context(), u.Principal(), r.PathValue("id"), in.Scopes, in.Counties, in.RatePerMinute)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiPartnerMembers(w http.ResponseWriter, r *http.Request, u access.User) error {
	ms, err := s.Partners.Members(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[partners.Member]{Items: ms})
	return nil
}

func (s *Server) apiAddPartnerMember(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
		Password    string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := s.Partners.AddMember(r.Context(), u.Principal(), r.PathValue("id"), access.NewUser{Name: in.Name, DisplayName: in.DisplayName, Password: in.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, partners.Member{UserID: m.ID, Name: m.Name, DisplayName: m.DisplayName, AddedAt: m.CreatedAt})
	return nil
}

func (s *Server) apiPartnerKeys(w http.ResponseWriter, r *http.Request, u access.User) error {
	ks, err := s.Partners.Keys(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[partners.Key]{Items: ks})
	return nil
}

type newKeyJSON struct {
	Key    string       `json:"key"`
	Detail partners.Key `json:"detail"`
}

func (s *Server) apiCreatePartnerKey(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Label         string   `json:"label"`
		Scopes        []string `json:"scopes"`
		Counties      []string `json:"counties"`
		ExpiresInDays int      `json:"expires_in_days"`
		RatePerMinute int      `json:"rate_per_minute"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 366 {
		return fishpond.Invalid("invalid key request / 密钥申请无效", map[string]string{"expires_in_days": "1 to 366 days / 1 至 366 天"})
	}
	plain, k, err := s.Partners.CreateKey(r.Context(), u.Principal(), r.PathValue("id"), partners.KeyInput{Label: in.Label, Scopes: in.Scopes,
		Counties: in.Counties, TTL: time.Duration(in.ExpiresInDays) * 24 * time.Hour, RatePerMinute: in.RatePerMinute})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newKeyJSON{plain, k})
	return nil
}

func (s *Server) apiRotatePartnerKey(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		GraceHours int `json:"grace_hours"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	plain, k, err := s.Partners.RotateKey(r.Context(), u.Principal(), r.PathValue("id"), time.Duration(in.GraceHours)*time.Hour)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newKeyJSON{plain, k})
	return nil
}

func (s *Server) apiRevokePartnerKey(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Partners.RevokeKey(r.Context(), u.Principal(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiPartnerWebhooks(w http.ResponseWriter, r *http.Request, u access.User) error {
	subs, err := s.Partners.Subscriptions(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[partners.Subscription]{Items: subs})
	return nil
}

func (s *Server) apiSubscribe(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in partners.SubscriptionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	secret, sub, err := s.Partners.Subscribe(r.Context(), u.Principal(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		Secret string `json:"secret"`
		partners.Subscription
	}{secret, sub})
	return nil
}

func (s *Server) apiWebhookActive(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Active *bool `json:"active"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Active == nil {
		return fishpond.Invalid("active is required", map[string]string{"active": "true or false"})
	}
	if err := s.Partners.SetActive(r.Context(), u.Principal(), r.PathValue("id"), *in.Active); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	st := r.URL.Query().Get("status")
	if st != "" && st != partners.DeliveryPending && st != partners.DeliveryDelivered && st != partners.DeliveryFailed {
		return fishpond.Invalid("bad status", map[string]string{"status": "pending, delivered or failed"})
	}
	ds, err := s.Partners.Deliveries(r.Context(), u.Principal(), r.PathValue("id"), st, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[partners.DeliveryRow]{Items: ds})
	return nil
}

func (s *Server) apiRedeliver(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Partners.Redeliver(r.Context(), u.Principal(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Server) apiPartnerUsage(w http.ResponseWriter, r *http.Request, u access.User) error {
	days := 30
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			return fishpond.Invalid("bad days", map[string]string{"days": "1 to 366"})
		}
		days = n
	}
	us, err := s.Partners.Usage(r.Context(), u.Principal(), r.PathValue("id"), time.Now().AddDate(0, 0, -days))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, us)
	return nil
}

// scopeLabel names a scope in the page's language.
func scopeLabel(lang, id string) string {
	for _, sc := range partners.Scopes {
		if sc.ID == id {
			if lang == "zh" {
				return sc.Zh
			}
			return sc.Descr
		}
	}
	return strings.ReplaceAll(id, ":", " ")
}
