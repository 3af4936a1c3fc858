package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/internal/qr"
	"fishpond/logistics"
)

func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /logistics", s.public(s.networkPage))
		m.HandleFunc("GET /track", s.public(s.trackPage))
		m.HandleFunc("GET /track/{tracking}", s.public(s.trackPage))
		m.HandleFunc("GET /stations", s.page(s.myStationsPage))
		m.HandleFunc("GET /stations/{id}", s.page(s.stationPage))
		m.HandleFunc("POST /stations/{id}/receive", s.page(s.stationReceive))
		m.HandleFunc("POST /stations/{id}/pickup", s.page(s.stationPickup))
		m.HandleFunc("POST /stations/{id}/temperature", s.page(s.stationTemperature))
		m.HandleFunc("GET /warehouses/{id}", s.page(s.warehousePage))
		m.HandleFunc("POST /warehouses/{id}/scan", s.page(s.warehouseScan))
		m.HandleFunc("GET /parcels/{tracking}", s.page(s.parcelPage))
		m.HandleFunc("GET /parcels/{tracking}/qr.png", s.page(s.parcelQR))
		m.HandleFunc("POST /parcels/{tracking}/reissue", s.page(s.parcelReissue))
		m.HandleFunc("GET /logistics/ship/{order}", s.page(s.shipPage))
		m.HandleFunc("POST /logistics/ship/{order}", s.page(s.shipSubmit))
	})
	addMessages(map[string]string{
		"Logistics":                            "物流",
		"Express carrier":                      "承运商",
		"Sent from":                            "始发地",
		"Bound for":                            "目的地",
		"Logistics network":                    "物流网络",
		"Track a parcel":                       "查询包裹",
		"Tracking number":                      "运单号",
		"Track":                                "查询",
		"Stations per county":                  "各县服务站",
		"Stations on the map":                  "服务站分布",
		"County warehouses":                    "县级仓",
		"Village stations":                     "村级服务站",
		"Parcels sent":                         "发出包裹",
		"from poverty counties":                "来自贫困县",
		"Highest station":                      "海拔最高的服务站",
		"On-time rate":                         "准时率",
		"not measured":                         "未测量",
		"Poverty counties served":              "覆盖贫困县",
		"Altitude":                             "海拔",
		"Opening hours":                        "营业时间",
		"Capacity":                             "容量",
		"parcels":                              "件",
		"My stations":                          "我的站点",
		"Station console":                      "服务站工作台",
		"Warehouse board":                      "县级仓看板",
		"Receive a parcel":                     "收件",
		"Scan or type the tracking number":     "扫描或输入运单号",
		"Receive":                              "收件",
		"Hand over":                            "取件交付",
		"Pickup code or QR text":               "取件码或二维码内容",
		"Scan QR":                              "扫二维码",
		"Waiting for pickup":                   "待取件",
		"On the way here":                      "在途，将到本站",
		"To send":                              "待发出",
		"Earned from parcels":                  "派件收入",
		"Nothing here.":                        "暂无。",
		"Locked":                               "已锁定",
		"wrong codes":                          "次错误",
		"Due":                                  "应到",
		"Arrived":                              "到站",
		"Late":                                 "超时",
		"Alerts":                               "预警",
		"Into the warehouse":                   "入库",
		"Hand to the carrier":                  "交承运商",
		"Record temperature (°C)":              "记录温度（°C）",
		"Cold chain":                           "冷链",
		"Parcel":                               "包裹",
		"Your pickup code":                     "你的取件码",
		"Show this code or QR at the station.": "到站出示取件码或二维码。",
		"Route legs":                           "运输路段",
		"Expected":                             "预计",
		"Actual":                               "实际",
		"hours":                                "小时",
		"Temperatures":                         "温度记录",
		"Reissue the pickup code":              "重新发放取件码",
		"Ship from a village station":          "从村级服务站发货",
		"Origin station":                       "交寄服务站",
		"Destination station":                  "目的服务站",
		"Nearest in the buyer's county, or the door": "收货县的服务站，没有则送货上门",
		"Number of parcels":                          "包裹数",
		"Weight per parcel (g)":                      "每件重量（克）",
		"Keep cold (2–8 °C)":                         "冷藏（2–8°C）",
		"Ship via a station":                         "经服务站发货",
		"Door":                                       "送货上门",
		"Done.":                                      "已完成。",
		"Order settled.":                             "订单已结算。",
		"Sandbox carrier: no real express company runs here.": "沙箱承运商：这里没有真实的快递公司。",
		"st_created":         "已下单待交寄",
		"st_accepted":        "服务站已收件",
		"st_at_warehouse":    "在县级仓",
		"st_in_transit":      "运输中",
		"st_awaiting_pickup": "待取件",
		"st_delivered":       "已签收",
		"ev_created":         "运单创建",
		"ev_accepted":        "服务站收件",
		"ev_warehouse_in":    "进入县级仓",
		"ev_handed_over":     "交承运商",
		"ev_transit":         "运输中",
		"ev_arrived":         "到达服务站",
		"ev_picked_up":       "凭码取件",
		"ev_delivered":       "送货上门签收",
		"leg_first_mile":     "服务站→县级仓",
		"leg_warehouse":      "县级仓内",
		"leg_carrier":        "承运商干线",
		"leg_pickup":         "到站待取",
		"alert_late":         "超时",
		"alert_uncollected":  "久未取件",
		"alert_temperature":  "温度异常",
	})
}

// logisticsEnglish labels the coded keys above in English; the template function
// lx picks the page's language (translate only knows Chinese for keys).
var logisticsEnglish = map[string]string{
	"st_created": "labelled, not yet handed in", "st_accepted": "accepted at the station", "st_at_warehouse": "in the county warehouse",
	"st_in_transit": "in transit", "st_awaiting_pickup": "waiting for pickup", "st_delivered": "delivered",
	"ev_created": "label created", "ev_accepted": "accepted at the station", "ev_warehouse_in": "into the county warehouse", "ev_handed_over": "handed to the carrier",
	"ev_transit": "in transit", "ev_arrived": "arrived at the station", "ev_picked_up": "picked up with the code", "ev_delivered": "delivered to the door",
	"leg_first_mile": "station → warehouse", "leg_warehouse": "in the warehouse", "leg_carrier": "carrier", "leg_pickup": "waiting for pickup",
	"alert_late": "late", "alert_uncollected": "not collected", "alert_temperature": "temperature",
}

func init() {
	addFunc("lx", func(v view, prefix string, code any) string { return lx(v.Lang, prefix, toString(code)) })
	addFunc("c10", func(v int64) string {
		sign := ""
		if v < 0 {
			sign, v = "-", -v
		}
		return sign + strconv.FormatInt(v/10, 10) + "." + strconv.FormatInt(v%10, 10)
	})
}

// lx labels a status, event, leg or alert code in the language.
func lx(lang, prefix, code string) string {
	key := prefix + "_" + code
	if lang == "en" {
		if s, ok := logisticsEnglish[key]; ok {
			return s
		}
		return code
	}
	return translate(lang, key)
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case logistics.Status:
		return string(x)
	case logistics.EventKind:
		return string(x)
	}
	return ""
}

// networkPage is the public view of the network: stations per county on a chart
// and a map of stations by longitude and latitude, with the report's figures.
func (s *Server) networkPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	ctx := r.Context()
	net, err := s.Logistics.Network(ctx)
	if err != nil {
		return err
	}
	sites, err := s.Logistics.Sites(ctx, logistics.SiteFilter{})
	if err != nil {
		return err
	}
	period := r.URL.Query().Get("period")
	if period == "" {
		now := time.Now().In(fishpond.ChinaTime)
		period = strconv.Itoa(now.Year()) + "H1"
		if now.Month() >= time.July {
			period = strconv.Itoa(now.Year()) + "H2"
		}
	}
	p, err := fishpond.ParsePeriod(period)
	if err != nil {
		return fishpond.Invalid("invalid period / 统计期有误", map[string]string{"period": "like 2020H1 / 形如 2020H1"})
	}
	m, err := s.Logistics.PeriodMetrics(ctx, p)
	if err != nil {
		return err
	}
	v := s.view(r, "logistics_network")
	v.Title = translate(v.Lang, "Logistics network")
	// Bar chart: stations per county (top 15), the "map": stations by position,
	// coloured by altitude.
	type item struct {
		Name  string `json:"name"`
		Value int    `json:"value"`
	}
	var bars []item
	for i, c := range net {
		if i == 15 {
			break
		}
		bars = append(bars, item{c.Name, c.Stations})
	}
	var pts [][]any
	var maxAlt int64 = 1
	for _, st := range sites {
		if st.Kind == logistics.Station {
			pts = append(pts, []any{float64(st.LngE6) / 1e6, float64(st.LatE6) / 1e6, st.AltitudeM, st.Name})
			maxAlt = max(maxAlt, st.AltitudeM)
		}
	}
	scatter := map[string]any{
		"tooltip": map[string]any{"trigger": "item"},
		"grid":    map[string]any{"left": 8, "right": 24, "top": 44, "bottom": 8, "containLabel": true},
		"xAxis":   map[string]any{"type": "value", "scale": true, "splitNumber": 4},
		"yAxis":   map[string]any{"type": "value", "scale": true, "splitNumber": 4},
		"visualMap": map[string]any{"min": 0, "max": maxAlt, "dimension": 2, "orient": "horizontal", "right": 0, "top": 0, "itemHeight": 70, "itemWidth": 10,
			"text": []string{"", translate(v.Lang, "Altitude") + " m"}, "inRange": map[string]any{"color": []string{"#2e90fa", "#12b76a", "#f79009", "#d92d20"}}},
		"series": []map[string]any{{"type": "scatter", "symbolSize": 10, "data": pts}},
	}
	onTime, measured := m.OnTimeBp()
	v.Data = map[string]any{"Net": net, "Bars": bars, "Scatter": scatter, "HasPoints": len(pts) > 0, "M": m, "OnTime": bpPct(onTime), "Measured": measured}
	s.render(w, r, http.StatusOK, "logistics_network", v)
	return nil
}

func bpPct(bp int64) string {
	return strconv.FormatInt(bp/100, 10) + "." + strconv.FormatInt(bp%100/10, 10) + "%"
}

// trackPage is the public tracking page: places and times only.
func (s *Server) trackPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	tn := r.PathValue("tracking")
	if tn == "" {
		tn = r.URL.Query().Get("no")
	}
	v := s.view(r, "logistics_track")
	v.Title = translate(v.Lang, "Track a parcel")
	data := map[string]any{"No": tn}
	status := http.StatusOK
	if strings.TrimSpace(tn) != "" {
		tr, err := s.Logistics.Track(r.Context(), tn)
		if err != nil {
			e := asError(err)
			if e.Code != fishpond.ENotFound && e.Code != fishpond.EInvalid {
				return err
			}
			data["Err"], status = e, statusOf[e.Code]
		} else {
			data["T"] = tr
			// newest first on the page
			evs := append([]logistics.PublicEvent(nil), tr.Events...)
			sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.After(evs[j].At) })
			data["Events"] = evs
		}
	}
	v.Data = data
	s.render(w, r, status, "logistics_track", v)
	return nil
}

// operatedSites lists the sites the user may operate.
func (s *Server) operatedSites(r *http.Request, u access.User) ([]logistics.Site, error) {
	p := u.Principal()
	switch {
	case p.Role == fishpond.RoleAdmin:
		return s.Logistics.Sites(r.Context(), logistics.SiteFilter{})
	case p.Role == fishpond.RoleHousehold && p.HouseholdID != "":
		return s.Logistics.Sites(r.Context(), logistics.SiteFilter{OperatorHousehold: p.HouseholdID})
	case p.Role == fishpond.RoleCountyOfficer:
		var out []logistics.Site
		for _, c := range p.Counties {
			ss, err := s.Logistics.Sites(r.Context(), logistics.SiteFilter{County: c})
			if err != nil {
				return nil, err
			}
			out = append(out, ss...)
		}
		return out, nil
	}
	return nil, nil
}

func (s *Server) myStationsPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	sites, err := s.operatedSites(r, u)
	if err != nil {
		return err
	}
	if len(sites) == 1 && sites[0].Kind == logistics.Station {
		http.Redirect(w, r, "/stations/"+sites[0].ID, http.StatusSeeOther)
		return nil
	}
	v := s.view(r, "logistics_sites")
	v.Title = translate(v.Lang, "My stations")
	v.Data = map[string]any{"Sites": sites}
	s.render(w, r, http.StatusOK, "logistics_sites", v)
	return nil
}

func (s *Server) stationPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderStation(w, r, u, http.StatusOK, nil, "")
}

func (s *Server) renderStation(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error, ok string) error {
	ctx, p := r.Context(), u.Principal()
	id := r.PathValue("id")
	ps, err := s.Logistics.SiteParcels(ctx, p, id)
	if err != nil {
		return err
	}
	st, err := s.Logistics.Site(ctx, id)
	if err != nil {
		return err
	}
	if st.Kind == logistics.Warehouse {
		http.Redirect(w, r, "/warehouses/"+id, http.StatusSeeOther)
		return nil
	}
	pay, err := s.Logistics.SitePay(ctx, p, id)
	if err != nil {
		return err
	}
	var waiting, incoming, toSend []logistics.Parcel
	for _, pc := range ps {
		switch {
		case pc.DestSite == id && pc.Status == logistics.StatusAwaiting:
			waiting = append(waiting, pc)
		case pc.DestSite == id:
			incoming = append(incoming, pc)
		default:
			toSend = append(toSend, pc)
		}
	}
	v := s.view(r, "logistics_station")
	v.Title = st.Name
	v.Data = map[string]any{"S": st, "Waiting": waiting, "Incoming": incoming, "ToSend": toSend, "Pay": pay, "Err": formErr, "OK": ok, "County": s.countyName(r, st.County)}
	s.render(w, r, status, "logistics_station", v)
	return nil
}

func (s *Server) countyName(r *http.Request, code string) string {
	if c, err := s.Registry.County(r.Context(), code); err == nil {
		return c.Name
	}
	return code
}

// formResult re-renders a console with the error in place (so the operator keeps
// the page) or a confirmation.
func formResult(err error) (int, *fishpond.Error, error) {
	if err == nil {
		return http.StatusOK, nil, nil
	}
	e := asError(err)
	switch e.Code {
	case fishpond.EInvalid, fishpond.EConflict, fishpond.ENotFound:
		return statusOf[e.Code], e, nil
	}
	return 0, nil, err
}

// stationReceive receives a parcel: accepted when this is its origin, arrived when
// it is bound here (a parcel bound elsewhere gets the wrong-station error).
func (s *Server) stationReceive(w http.ResponseWriter, r *http.Request, u access.User) error {
	id, p := r.PathValue("id"), u.Principal()
	tn := logistics.NormalizeTrackingNo(r.FormValue("tracking_no"))
	kind := logistics.EventArrived
	if pc, err := s.Logistics.Parcel(r.Context(), p, tn); err == nil && pc.OriginSite == id {
		kind = logistics.EventAccepted
	}
	res, err := s.Logistics.Scan(r.Context(), p, tn, logistics.ScanRequest{Kind: kind, SiteID: id})
	status, fe, err := formResult(err)
	if err != nil {
		return err
	}
	ok := ""
	if fe == nil {
		ok = tn + " · " + lx(lang(r), "st", string(res.Parcel.Status))
	}
	return s.renderStation(w, r, u, status, fe, ok)
}

func (s *Server) stationPickup(w http.ResponseWriter, r *http.Request, u access.User) error {
	tn, code := logistics.ParsePickupInput(r.FormValue("code"))
	if tn == "" {
		tn = r.FormValue("tracking_no")
	}
	res, err := s.Logistics.Pickup(r.Context(), u.Principal(), r.PathValue("id"), tn, code)
	status, fe, err := formResult(err)
	if err != nil {
		return err
	}
	ok := ""
	if fe == nil {
		ok = res.Parcel.TrackingNo + " · " + lx(lang(r), "st", string(logistics.StatusDelivered))
		if res.OrderStatus == "settled" {
			ok += " · " + translate(lang(r), "Order settled.")
		}
	}
	return s.renderStation(w, r, u, status, fe, ok)
}

func (s *Server) stationTemperature(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, perr := strconv.ParseFloat(strings.TrimSpace(r.FormValue("temp")), 64)
	var err error
	if perr != nil {
		err = fishpond.Invalid("invalid reading / 温度读数有误", map[string]string{"temp": "degrees Celsius, e.g. 4.5 / 摄氏度，如 4.5"})
	} else {
		_, err = s.Logistics.RecordTemperature(r.Context(), u.Principal(), r.FormValue("tracking_no"), r.PathValue("id"), time.Time{}, int64(c*10+0.5*sign(c)))
	}
	status, fe, err := formResult(err)
	if err != nil {
		return err
	}
	ok := ""
	if fe == nil {
		ok = translate(lang(r), "Done.")
	}
	if r.FormValue("back") == "warehouse" {
		return s.renderWarehouse(w, r, u, status, fe, ok)
	}
	return s.renderStation(w, r, u, status, fe, ok)
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

func (s *Server) warehousePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderWarehouse(w, r, u, http.StatusOK, nil, "")
}

func (s *Server) renderWarehouse(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error, ok string) error {
	ctx, p := r.Context(), u.Principal()
	id := r.PathValue("id")
	ps, err := s.Logistics.SiteParcels(ctx, p, id)
	if err != nil {
		return err
	}
	st, err := s.Logistics.Site(ctx, id)
	if err != nil {
		return err
	}
	alerts, err := s.Logistics.Alerts(ctx, p, st.County, 30)
	if err != nil {
		return err
	}
	perf, err := s.Logistics.StationPerformance(ctx, st.County)
	if err != nil {
		return err
	}
	now := time.Now()
	v := s.view(r, "logistics_warehouse")
	v.Title = st.Name
	v.Data = map[string]any{"S": st, "Parcels": ps, "Alerts": alerts, "Perf": perf, "Now": now, "Err": formErr, "OK": ok, "County": s.countyName(r, st.County)}
	s.render(w, r, status, "logistics_warehouse", v)
	return nil
}

func (s *Server) warehouseScan(w http.ResponseWriter, r *http.Request, u access.User) error {
	tn := logistics.NormalizeTrackingNo(r.FormValue("tracking_no"))
	res, err := s.Logistics.Scan(r.Context(), u.Principal(), tn, logistics.ScanRequest{Kind: logistics.EventKind(r.FormValue("kind")), SiteID: r.PathValue("id")})
	status, fe, err := formResult(err)
	if err != nil {
		return err
	}
	ok := ""
	if fe == nil {
		ok = tn + " · " + lx(lang(r), "st", string(res.Parcel.Status))
	}
	return s.renderWarehouse(w, r, u, status, fe, ok)
}

// parcelPage shows a parcel in full to those who may see it; its recipient also
// sees the pickup code and its QR.
func (s *Server) parcelPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	ctx, p := r.Context(), u.Principal()
	pc, err := s.Logistics.Parcel(ctx, p, r.PathValue("tracking"))
	if err != nil {
		return err
	}
	evs, err := s.Logistics.Events(ctx, p, pc.TrackingNo)
	if err != nil {
		return err
	}
	legs, err := s.Logistics.Legs(ctx, p, pc.TrackingNo)
	if err != nil {
		return err
	}
	readings, err := s.Logistics.Readings(ctx, p, pc.TrackingNo)
	if err != nil {
		return err
	}
	tr, err := s.Logistics.Track(ctx, pc.TrackingNo)
	if err != nil {
		return err
	}
	code := ""
	if pc.Status == logistics.StatusAwaiting && pc.RecipientUser == u.ID {
		code, _ = s.Logistics.PickupCode(ctx, p, pc.TrackingNo)
	}
	now := time.Now()
	type legRow struct {
		logistics.Leg
		ExpectedH, ActualH string
	}
	var rows []legRow
	for _, l := range legs {
		act := ""
		if !l.Started.IsZero() {
			act = strconv.FormatFloat(l.Actual(now).Hours(), 'f', 1, 64)
		}
		rows = append(rows, legRow{l, strconv.FormatFloat(l.Expected.Hours(), 'f', 0, 64), act})
	}
	places := map[string]string{}
	for _, e := range tr.Events {
		places[e.At.String()+string(e.Kind)] = e.Place
	}
	v := s.view(r, "logistics_parcel")
	v.Title = translate(v.Lang, "Parcel") + " " + pc.TrackingNo
	v.Data = map[string]any{"P": pc, "T": tr, "Events": evs, "Places": places, "Legs": rows, "Readings": readings, "Code": code,
		"CanReissue": p.CanEditRegistry(pc.DestCounty) && pc.Status == logistics.StatusAwaiting}
	s.render(w, r, http.StatusOK, "logistics_parcel", v)
	return nil
}

func (s *Server) parcelQR(w http.ResponseWriter, r *http.Request, u access.User) error {
	tn := logistics.NormalizeTrackingNo(r.PathValue("tracking"))
	code, err := s.Logistics.PickupCode(r.Context(), u.Principal(), tn)
	if err != nil {
		return err
	}
	png, err := qr.PNG(logistics.PickupQRText(tn, code), 240)
	if err != nil {
		return fishpond.Internal(err)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
	return nil
}

func (s *Server) parcelReissue(w http.ResponseWriter, r *http.Request, u access.User) error {
	pc, err := s.Logistics.Reissue(r.Context(), u.Principal(), r.PathValue("tracking"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/parcels/"+pc.TrackingNo, http.StatusSeeOther)
	return nil
}

// shipPage lets a seller ship a paid order through a village station.
func (s *Server) shipPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderShip(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderShip(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	ctx := r.Context()
	o, err := s.Market.Order(ctx, u.Principal(), r.PathValue("order"))
	if err != nil {
		return err
	}
	if ps, err := s.Logistics.OrderParcels(ctx, u.Principal(), o.ID); err == nil && len(ps) > 0 && formErr == nil && r.Method == http.MethodGet {
		http.Redirect(w, r, "/parcels/"+ps[0].TrackingNo, http.StatusSeeOther)
		return nil
	}
	origins, err := s.Logistics.Sites(ctx, logistics.SiteFilter{Kind: logistics.Station})
	if err != nil {
		return err
	}
	var dests []logistics.Site
	for _, st := range origins {
		if st.County == o.ShipCounty {
			dests = append(dests, st)
		}
	}
	v := s.view(r, "logistics_ship")
	v.Title = translate(v.Lang, "Ship from a village station")
	v.Data = map[string]any{"O": o, "Origins": origins, "Dests": dests, "Err": formErr}
	s.render(w, r, status, "logistics_ship", v)
	return nil
}

func (s *Server) shipSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	n, _ := strconv.Atoi(r.FormValue("count"))
	weight, _ := strconv.ParseInt(r.FormValue("weight_g"), 10, 64)
	req := logistics.ShipRequest{OrderID: r.PathValue("order"), OriginSiteID: r.FormValue("origin"), DestSiteID: r.FormValue("dest")}
	if n < 1 || n > logistics.MaxParcels {
		n = 1
	}
	for i := 0; i < n; i++ {
		sp := logistics.ParcelSpec{WeightG: weight}
		if r.FormValue("cold") != "" {
			sp.ColdChain, sp.TempMinC10, sp.TempMaxC10 = true, 20, 80
		}
		req.Parcels = append(req.Parcels, sp)
	}
	ps, err := s.Logistics.ShipOrder(r.Context(), u.Principal(), req)
	status, fe, err := formResult(err)
	if err != nil {
		return err
	}
	if fe != nil {
		return s.renderShip(w, r, u, status, fe)
	}
	http.Redirect(w, r, "/parcels/"+ps[0].TrackingNo, http.StatusSeeOther)
	return nil
}
