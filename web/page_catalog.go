package web

import (
	"net/http"
	"strconv"
	"strings"

	"fishpond"
	"fishpond/access"
	"fishpond/market"
)

// searchQuery reads the storefront's search form (also used by the JSON API).
func searchQuery(r *http.Request) (market.SearchQuery, error) {
	q := r.URL.Query()
	sq := market.SearchQuery{Text: strings.TrimSpace(q.Get("q")), ProvinceCode: q.Get("province"), CountyCode: q.Get("county"),
		PovertyCounty: q.Get("poverty") == "true", BrandID: q.Get("brand"), ChannelOnly: q.Get("channel") == "true", Cursor: q.Get("cursor")}
	for _, p := range []struct {
		name string
		dst  *fishpond.Money
	}{{"min_price", &sq.MinPrice}, {"max_price", &sq.MaxPrice}} {
		if v := strings.TrimSpace(q.Get(p.name)); v != "" {
			m, err := fishpond.ParseMoney(v)
			if err != nil || m < 0 {
				return sq, fishpond.Invalid("bad price / 价格有误", map[string]string{p.name: "yuan with at most two decimals / 金额（元），最多两位小数"})
			}
			*p.dst = m
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return sq, fishpond.Invalid("bad limit", map[string]string{"limit": "1–100"})
		}
		sq.Limit = n
	}
	return sq, nil
}

func (s *Server) storeSearch(w http.ResponseWriter, r *http.Request, u access.User) error {
	sq, err := searchQuery(r)
	if err != nil {
		return err
	}
	if sq.Limit == 0 {
		sq.Limit = 40
	}
	page, err := s.Market.Search(r.Context(), sq)
	if err != nil {
		return err
	}
	ps, err := s.Registry.Provinces(r.Context())
	if err != nil {
		return err
	}
	cov, err := s.Market.ChannelCoverage(r.Context())
	if err != nil {
		return err
	}
	shops, err := s.Market.Shops(r.Context(), 50)
	if err != nil {
		return err
	}
	v := s.view(r, "store")
	v.Title = translate(v.Lang, "Poverty-county produce")
	q := r.URL.Query()
	v.Data = map[string]any{"Hits": page.Hits, "Next": page.Next, "Q": sq.Text, "Province": sq.ProvinceCode, "Poverty": q.Get("poverty"),
		"Channel": q.Get("channel"), "MinPrice": q.Get("min_price"), "MaxPrice": q.Get("max_price"), "Provinces": ps, "Coverage": cov, "Shops": shops,
		"Searching": r.URL.RawQuery != ""}
	s.render(w, r, http.StatusOK, "store", v)
	return nil
}

// tracePage is the public origin page a traceability QR code opens: where and when
// the batch was grown, by whom (without personal data), and its brand inspection.
func (s *Server) tracePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	o, err := s.Market.Origin(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	v := s.view(r, "trace")
	v.Title = translate(v.Lang, "Origin") + " · " + o.ProductName
	v.Data = map[string]any{"O": o}
	s.render(w, r, http.StatusOK, "trace", v)
	return nil
}

func (s *Server) traceQR(w http.ResponseWriter, r *http.Request) {
	png, err := s.Market.TraceQR(r.Context(), r.PathValue("code"), s.baseURL(r))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(png)
}

// baseURL is this site's address as the browser reached it, for links printed on
// labels.
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || s.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) channelPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderChannel(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderChannel(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	cov, err := s.Market.ChannelCoverage(r.Context())
	if err != nil {
		return err
	}
	page, err := s.Market.Search(r.Context(), market.SearchQuery{ChannelOnly: true, Limit: 40})
	if err != nil {
		return err
	}
	data := map[string]any{"Coverage": cov, "Hits": page.Hits, "Error": formErr}
	if u.ID != "" {
		if ok, err := s.Market.IsChannelEditor(r.Context(), u.Principal()); err == nil && ok {
			queue, err := s.Market.ChannelQueue(r.Context(), u.Principal(), 100)
			if err != nil {
				return err
			}
			data["Queue"], data["Editor"] = queue, true
		}
	}
	v := s.view(r, "channel")
	v.Title = market.ChannelLabel
	v.Data = data
	s.render(w, r, status, "channel", v)
	return nil
}

func (s *Server) channelReviewSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	var err error
	if r.FormValue("decision") == "approve" {
		_, err = s.Market.ApproveChannel(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("note"))
	} else {
		_, err = s.Market.RejectChannel(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("reason"))
	}
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound {
			return err
		}
		return s.renderChannel(w, r, u, statusOf[e.Code], e)
	}
	http.Redirect(w, r, "/channel", http.StatusSeeOther)
	return nil
}

func (s *Server) channelApplySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if _, err := s.Market.ApplyToChannel(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("note")); err != nil {
		return err
	}
	http.Redirect(w, r, "/products/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) brandPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	b, err := s.Market.Brand(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	members, err := s.Market.BrandMembers(r.Context(), b.ID)
	if err != nil {
		return err
	}
	inc, err := s.Market.BrandIncome(r.Context(), b.ID, s.Ledger)
	if err != nil {
		return err
	}
	v := s.view(r, "brand")
	v.Title = b.Name
	var chart map[string]any
	if inc.Measured > 0 {
		chart = map[string]any{
			"grid":   map[string]any{"left": 8, "right": 48, "top": 8, "bottom": 8, "containLabel": true},
			"xAxis":  map[string]any{"type": "value"},
			"yAxis":  map[string]any{"type": "category", "inverse": true, "data": []string{translate(v.Lang, "Before joining"), translate(v.Lang, "After joining")}},
			"series": []map[string]any{{"type": "bar", "label": map[string]any{"show": true, "position": "right"}, "data": []map[string]any{{"value": yuanF(inc.AvgBeforePerMu), "itemStyle": map[string]any{"color": "#98a2b3"}}, {"value": yuanF(inc.AvgAfterPerMu), "itemStyle": map[string]any{"color": "#1f7a4d"}}}}},
		}
	}
	v.Data = map[string]any{"B": b, "Members": members, "Income": inc, "Chart": chart}
	s.render(w, r, http.StatusOK, "brand", v)
	return nil
}
