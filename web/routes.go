package web

import (
	"io/fs"
	"net/http"

	"fishpond/access"
)

// apiRoute is one JSON endpoint; the list is also what the OpenAPI test checks.
type apiRoute struct {
	Method, Path string
	Handler      func(w http.ResponseWriter, r *http.Request, u access.User) error
}

// capabilityAPIs and capabilityPages let each capability's api_*.go and page_*.go
// files add their routes from an init function, so that adding a capability
// touches its own files and not this list.
var (
	capabilityAPIs  []func(s *Server) []apiRoute
	capabilityPages []func(s *Server, m *http.ServeMux)
	// capabilityPublicAPIs are JSON endpoints anyone may call without signing in
	// (a partner organisation's application); the handler gets an anonymous user.
	capabilityPublicAPIs []func(s *Server) []apiRoute
)

func (s *Server) apiRoutes() []apiRoute {
	routes := s.foundationAPIs()
	for _, f := range capabilityAPIs {
		routes = append(routes, f(s)...)
	}
	return routes
}

func (s *Server) foundationAPIs() []apiRoute {
	return []apiRoute{
		{"GET", "/api/v1/me", s.apiMe},
		{"GET", "/api/v1/provinces", s.apiProvinces},
		{"GET", "/api/v1/counties", s.apiCounties},
		{"GET", "/api/v1/counties/{code}", s.apiCounty},
		{"GET", "/api/v1/counties/{code}/stats", s.apiCountyStats},
		{"GET", "/api/v1/counties/{code}/villages", s.apiVillages},
		{"POST", "/api/v1/counties/{code}/villages", s.apiCreateVillage},
		{"GET", "/api/v1/households", s.apiHouseholds},
		{"POST", "/api/v1/households", s.apiCreateHousehold},
		{"GET", "/api/v1/households/{id}", s.apiHousehold},
		{"PUT", "/api/v1/households/{id}", s.apiUpdateHousehold},
		{"GET", "/api/v1/households/{id}/members", s.apiMembers},
		{"GET", "/api/v1/households/{id}/history", s.apiHistory},
		{"POST", "/api/v1/members/{id}/reveal", s.apiReveal},
		{"POST", "/api/v1/imports/households", s.apiImportHouseholds},
		{"GET", "/api/v1/households/{id}/income", s.apiHouseholdIncome},
		{"GET", "/api/v1/households/{id}/statuses", s.apiHouseholdStatuses},
		{"POST", "/api/v1/households/{id}/declared-income", s.apiDeclareIncome},
		{"GET", "/api/v1/poverty-lines", s.apiPovertyLines},
		{"PUT", "/api/v1/poverty-lines/{year}", s.apiSetPovertyLine},
		{"POST", "/api/v1/assessments", s.apiRunAssessment},
		{"GET", "/api/v1/counties/{code}/assessment", s.apiCountyAssessment},
		{"PUT", "/api/v1/counties/{code}/rural-population/{year}", s.apiSetRuralPopulation},
		{"GET", "/api/v1/audits", s.apiAudits},
		{"POST", "/api/v1/audits", s.apiDrawSample},
		{"GET", "/api/v1/audits/{id}", s.apiAudit},
		{"POST", "/api/v1/audits/{id}/findings", s.apiRecordFinding},
		{"POST", "/api/v1/audits/{id}/survey", s.apiRecordSurvey},
		{"GET", "/api/v1/products", s.apiProducts},
		{"GET", "/api/v1/products/{id}", s.apiProduct},
		{"POST", "/api/v1/products", s.apiAddProduct},
		{"POST", "/api/v1/products/{id}/photos", s.apiAddPhoto},
		{"POST", "/api/v1/shops", s.apiOpenShop},
		{"POST", "/api/v1/flash-sales", s.apiCreateFlashSale},
		{"GET", "/api/v1/channel/coverage", s.apiChannelCoverage},
		{"GET", "/api/v1/trace/{code}", s.apiOrigin},
		{"GET", "/api/v1/addresses", s.apiAddresses},
		{"POST", "/api/v1/addresses", s.apiAddAddress},
		{"GET", "/api/v1/orders", s.apiOrders},
		{"POST", "/api/v1/orders", s.apiPlaceOrder},
		{"GET", "/api/v1/orders/{id}", s.apiOrder},
		{"POST", "/api/v1/orders/{id}/pay", s.apiPayOrder},
		{"POST", "/api/v1/orders/{id}/ship", s.apiShipOrder},
		{"POST", "/api/v1/orders/{id}/received", s.apiConfirmDelivery},
		{"POST", "/api/v1/orders/{id}/refunds", s.apiRefund},
		{"GET", "/api/v1/users", s.apiUsers},
		{"POST", "/api/v1/users", s.apiCreateUser},
		{"GET", "/api/v1/tokens", s.apiTokens},
		{"POST", "/api/v1/tokens", s.apiCreateToken},
		{"DELETE", "/api/v1/tokens/{id}", s.apiRevokeToken},
	}
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.Handle("GET /metrics", s.metrics)
	m.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		b, err := OpenAPI()
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	m.HandleFunc("GET /api/v1/templates/{file}", s.template)
	for _, rt := range s.apiRoutes() {
		m.HandleFunc(rt.Method+" "+rt.Path, s.api(rt.Handler))
	}
	for _, f := range capabilityPublicAPIs {
		for _, rt := range f(s) {
			m.HandleFunc(rt.Method+" "+rt.Path, s.publicAPI(rt.Handler))
		}
	}
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.apiError(w, r, errNoRoute)
	})

	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	m.HandleFunc("GET /lang/{lang}", s.setLang)
	// Browsers ask for /favicon.ico on pages that name no icon (the wallet's cashier).
	m.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.loginSubmit)
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("GET /signup", s.signupPage)
	m.HandleFunc("POST /signup", s.signupSubmit)
	m.HandleFunc("GET /{$}", s.page(s.homePage))
	m.HandleFunc("GET /counties", s.page(s.countiesPage))
	m.HandleFunc("GET /counties/{code}", s.page(s.countyPage))
	m.HandleFunc("GET /households/{id}", s.page(s.householdPage))
	m.HandleFunc("POST /members/{id}/reveal", s.page(s.revealFragment))
	m.HandleFunc("GET /households/{id}/income", s.page(s.incomePage))
	m.HandleFunc("POST /households/{id}/declared-income", s.page(s.declareSubmit))
	m.HandleFunc("GET /counties/{code}/assessment", s.page(s.assessmentPage))
	m.HandleFunc("POST /counties/{code}/assessment", s.page(s.assessmentSubmit))
	m.HandleFunc("POST /counties/{code}/rural-population", s.page(s.populationSubmit))
	m.HandleFunc("GET /audits", s.page(s.auditsPage))
	m.HandleFunc("POST /audits", s.page(s.auditsSubmit))
	m.HandleFunc("GET /audits/{id}", s.page(s.auditPage))
	m.HandleFunc("POST /audits/{id}/findings", s.page(s.findingSubmit))
	m.HandleFunc("POST /audits/{id}/survey", s.page(s.surveySubmit))
	m.HandleFunc("GET /shop", s.public(s.storeSearch))
	m.HandleFunc("GET /trace/{code}", s.public(s.tracePage))
	m.HandleFunc("GET /trace/{code}/qr.png", s.traceQR)
	m.HandleFunc("GET /channel", s.public(s.channelPage))
	m.HandleFunc("POST /channel/applications/{id}", s.page(s.channelReviewSubmit))
	m.HandleFunc("POST /products/{id}/channel", s.page(s.channelApplySubmit))
	m.HandleFunc("GET /brands/{id}", s.public(s.brandPage))
	m.HandleFunc("GET /products/{id}", s.public(s.productPage))
	m.HandleFunc("GET /products/{id}/photos/{photo}", s.photoFile)
	m.HandleFunc("GET /shops/{id}", s.public(s.shopPage))
	m.HandleFunc("GET /cart", s.page(s.cartPage))
	m.HandleFunc("POST /cart", s.page(s.cartAdd))
	m.HandleFunc("POST /addresses", s.page(s.addressSubmit))
	m.HandleFunc("POST /checkout", s.page(s.checkoutSubmit))
	m.HandleFunc("GET /orders", s.page(s.ordersPage))
	m.HandleFunc("GET /orders/return", s.page(s.payReturn))
	m.HandleFunc("GET /orders/{id}", s.page(s.orderPage))
	m.HandleFunc("POST /orders/{id}/pay", s.page(s.orderPaySubmit))
	m.HandleFunc("POST /orders/{id}/{action}", s.page(s.orderActionSubmit))
	m.HandleFunc("GET /seller", s.page(s.sellerPage))
	m.HandleFunc("POST /seller/products", s.page(s.productSubmit))
	// The wallet's asynchronous notification: authenticated by its RSA2 signature,
	// not by a session, and sent without an Origin header.
	m.HandleFunc("POST /pay/notify", s.payNotify)
	if s.PaymentSandbox != nil {
		m.Handle("/sandbox/pay/", http.StripPrefix("/sandbox/pay", s.PaymentSandbox))
	}
	m.HandleFunc("GET /import", s.page(s.importPage))
	m.HandleFunc("POST /import", s.page(s.importSubmit))
	m.HandleFunc("GET /admin/users", s.page(s.usersPage))
	m.HandleFunc("POST /admin/users", s.page(s.usersSubmit))
	m.HandleFunc("POST /admin/users/{id}/disabled", s.page(s.userDisableSubmit))
	m.HandleFunc("GET /tokens", s.page(s.tokensPage))
	m.HandleFunc("POST /tokens", s.page(s.tokensSubmit))
	m.HandleFunc("POST /tokens/{id}/revoke", s.page(s.tokenRevokeSubmit))
	for _, f := range capabilityPages {
		f(s, m)
	}
	m.HandleFunc("/", s.page(func(w http.ResponseWriter, r *http.Request, u access.User) error { return errNoRoute }))
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := s.DB.Version(r.Context()); err != nil {
		s.Log.Error("healthz: database unreachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// RouteList names every documented endpoint as "METHOD /path", for the test that
// keeps openapi.json accurate.
func RouteList() []string {
	s := &Server{}
	out := []string{"GET /healthz", "GET /metrics", "GET /api/openapi.json", "GET /api/v1/templates/{file}", "POST /pay/notify"}
	for _, r := range s.apiRoutes() {
		out = append(out, r.Method+" "+r.Path)
	}
	for _, f := range capabilityPublicAPIs {
		for _, r := range f(s) {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}
