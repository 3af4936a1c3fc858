package web

import (
	"net/http"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/logistics"
)

func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/logistics/sites", s.apiLogisticsSites},
			{"POST", "/api/v1/logistics/sites", s.apiOpenSite},
			{"GET", "/api/v1/logistics/sites/{id}/parcels", s.apiSiteParcels},
			{"POST", "/api/v1/logistics/shipments", s.apiShipParcels},
			{"POST", "/api/v1/logistics/dropoffs", s.apiDropOff},
			{"GET", "/api/v1/logistics/parcels/{tracking}", s.apiParcel},
			{"POST", "/api/v1/logistics/parcels/{tracking}/scans", s.apiScan},
			{"POST", "/api/v1/logistics/parcels/{tracking}/pickup", s.apiPickup},
			{"GET", "/api/v1/logistics/parcels/{tracking}/pickup-code", s.apiPickupCode},
			{"POST", "/api/v1/logistics/parcels/{tracking}/pickup-code", s.apiReissueCode},
			{"POST", "/api/v1/logistics/parcels/{tracking}/temperatures", s.apiTemperature},
			{"GET", "/api/v1/logistics/track/{tracking}", s.apiTrack},
			{"GET", "/api/v1/logistics/alerts", s.apiLogisticsAlerts},
			{"GET", "/api/v1/logistics/network", s.apiLogisticsNetwork},
			{"GET", "/api/v1/logistics/metrics", s.apiLogisticsMetrics},
		}
	})
}

type siteJSON struct {
	ID                string  `json:"id"`
	Kind              string  `json:"kind"`
	County            string  `json:"county_code"`
	Name              string  `json:"name"`
	Town              string  `json:"town,omitempty"`
	Lat               float64 `json:"lat"`
	Lng               float64 `json:"lng"`
	AltitudeM         int64   `json:"altitude_m"`
	OperatorHousehold string  `json:"operator_household,omitempty"`
	PayPerParcelFen   int64   `json:"pay_per_parcel_fen"`
	Opens             string  `json:"opens"`
	Closes            string  `json:"closes"`
	Capacity          int64   `json:"capacity"`
	PovertyCounty     bool    `json:"poverty_county"`
}

// toSite shows coordinates as degrees for maps; they are stored as micro-degrees.
func toSite(st logistics.Site, p fishpond.Principal) siteJSON {
	out := siteJSON{st.ID, string(st.Kind), st.County, st.Name, st.Town, float64(st.LatE6) / 1e6, float64(st.LngE6) / 1e6, st.AltitudeM, "",
		int64(st.PayPerParcel), st.Opens, st.Closes, st.Capacity, st.Poverty}
	if p.CanSeeHousehold(st.County, st.OperatorHousehold) {
		out.OperatorHousehold = st.OperatorHousehold
	}
	return out
}

type parcelJSON struct {
	ID             string     `json:"id"`
	TrackingNo     string     `json:"tracking_no"`
	OrderID        string     `json:"order_id,omitempty"`
	Status         string     `json:"status"`
	OriginSite     string     `json:"origin_site_id"`
	OriginCounty   string     `json:"origin_county"`
	DestSite       string     `json:"dest_site_id,omitempty"`
	DestCounty     string     `json:"dest_county"`
	PovertyCounty  bool       `json:"poverty_county"`
	WeightG        int64      `json:"weight_g"`
	ColdChain      bool       `json:"cold_chain"`
	TempMinC10     int64      `json:"temp_min_c10,omitempty"`
	TempMaxC10     int64      `json:"temp_max_c10,omitempty"`
	Carrier        string     `json:"carrier"`
	CarrierRef     string     `json:"carrier_ref,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DueAt          time.Time  `json:"due_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	ArrivedAt      *time.Time `json:"arrived_at,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	OnTime         *bool      `json:"on_time,omitempty"`
	PickupAttempts int        `json:"pickup_attempts"`
	PickupLocked   bool       `json:"pickup_locked"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toParcel(p logistics.Parcel) parcelJSON {
	out := parcelJSON{p.ID, p.TrackingNo, p.OrderID, string(p.Status), p.OriginSite, p.OriginCounty, p.DestSite, p.DestCounty, p.Poverty, p.WeightG, p.ColdChain,
		p.TempMinC10, p.TempMaxC10, p.Carrier, p.CarrierRef, p.CreatedAt, p.DueAt, optTime(p.SentAt), optTime(p.ArrivedAt), optTime(p.DeliveredAt), nil,
		p.PickupAttempts, p.PickupLocked}
	if on, ok := p.OnTime(); ok {
		out.OnTime = &on
	}
	return out
}

func toParcels(ps []logistics.Parcel) []parcelJSON {
	out := make([]parcelJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, toParcel(p))
	}
	return out
}

func (s *Server) apiLogisticsSites(w http.ResponseWriter, r *http.Request, u access.User) error {
	sites, err := s.Logistics.Sites(r.Context(), logistics.SiteFilter{County: r.URL.Query().Get("county"), Kind: logistics.SiteKind(r.URL.Query().Get("kind"))})
	if err != nil {
		return err
	}
	out := make([]siteJSON, 0, len(sites))
	for _, st := range sites {
		out = append(out, toSite(st, u.Principal()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiOpenSite(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Kind              string  `json:"kind"`
		County            string  `json:"county_code"`
		Name              string  `json:"name"`
		Town              string  `json:"town"`
		Lat               float64 `json:"lat"`
		Lng               float64 `json:"lng"`
		AltitudeM         int64   `json:"altitude_m"`
		OperatorHousehold string  `json:"operator_household"`
		PayPerParcelFen   int64   `json:"pay_per_parcel_fen"`
		Opens             string  `json:"opens"`
		Closes            string  `json:"closes"`
		Capacity          int64   `json:"capacity"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	st, err := s.Logistics.OpenSite(r.Context(), u.Principal(), logistics.SiteInput{Kind: logistics.SiteKind(in.Kind), County: in.County, Name: in.Name, Town: in.Town,
		LatE6: degE6(in.Lat), LngE6: degE6(in.Lng), AltitudeM: in.AltitudeM, OperatorHousehold: in.OperatorHousehold, PayPerParcel: fishpond.Money(in.PayPerParcelFen),
		Opens: in.Opens, Closes: in.Closes, Capacity: in.Capacity})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toSite(st, u.Principal()))
	return nil
}

// degE6 rounds degrees to micro-degrees (about 0.1 m), the stored precision.
func degE6(d float64) int64 {
	if d < 0 {
		return int64(d*1e6 - 0.5)
	}
	return int64(d*1e6 + 0.5)
}

func (s *Server) apiSiteParcels(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Logistics.SiteParcels(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": toParcels(ps)})
	return nil
}

type parcelSpecJSON struct {
	WeightG    int64 `json:"weight_g"`
	ColdChain  bool  `json:"cold_chain"`
	TempMinC10 int64 `json:"temp_min_c10"`
	TempMaxC10 int64 `json:"temp_max_c10"`
}

func (p parcelSpecJSON) spec() logistics.ParcelSpec {
	return logistics.ParcelSpec{WeightG: p.WeightG, ColdChain: p.ColdChain, TempMinC10: p.TempMinC10, TempMaxC10: p.TempMaxC10}
}

func (s *Server) apiShipParcels(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		OrderID      string           `json:"order_id"`
		OriginSiteID string           `json:"origin_site_id"`
		DestSiteID   string           `json:"dest_site_id"`
		Parcels      []parcelSpecJSON `json:"parcels"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	req := logistics.ShipRequest{OrderID: in.OrderID, OriginSiteID: in.OriginSiteID, DestSiteID: in.DestSiteID}
	for _, p := range in.Parcels {
		req.Parcels = append(req.Parcels, p.spec())
	}
	ps, err := s.Logistics.ShipOrder(r.Context(), u.Principal(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"items": toParcels(ps)})
	return nil
}

func (s *Server) apiDropOff(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		OriginSiteID    string         `json:"origin_site_id"`
		SenderHousehold string         `json:"sender_household"`
		DestSiteID      string         `json:"dest_site_id"`
		DestCounty      string         `json:"dest_county"`
		Parcel          parcelSpecJSON `json:"parcel"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Logistics.DropOff(r.Context(), u.Principal(), logistics.DropOffRequest{OriginSiteID: in.OriginSiteID, SenderHousehold: in.SenderHousehold,
		DestSiteID: in.DestSiteID, DestCounty: in.DestCounty, Parcel: in.Parcel.spec()})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toParcel(p))
	return nil
}

type trackEventJSON struct {
	Kind       string    `json:"kind"`
	SiteID     string    `json:"site_id,omitempty"`
	Place      string    `json:"place,omitempty"`
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
}

type legJSON struct {
	No           int        `json:"no"`
	Kind         string     `json:"kind"`
	From         string     `json:"from_site_id"`
	To           string     `json:"to_site_id,omitempty"`
	ExpectedSecs int64      `json:"expected_secs"`
	ActualSecs   int64      `json:"actual_secs"`
	Started      *time.Time `json:"started_at,omitempty"`
	Finished     *time.Time `json:"finished_at,omitempty"`
	Late         bool       `json:"late"`
}

func (s *Server) apiParcel(w http.ResponseWriter, r *http.Request, u access.User) error {
	p := u.Principal()
	pc, err := s.Logistics.Parcel(r.Context(), p, r.PathValue("tracking"))
	if err != nil {
		return err
	}
	evs, err := s.Logistics.Events(r.Context(), p, pc.TrackingNo)
	if err != nil {
		return err
	}
	legs, err := s.Logistics.Legs(r.Context(), p, pc.TrackingNo)
	if err != nil {
		return err
	}
	readings, err := s.Logistics.Readings(r.Context(), p, pc.TrackingNo)
	if err != nil {
		return err
	}
	outE := []trackEventJSON{}
	for _, e := range evs {
		outE = append(outE, trackEventJSON{string(e.Kind), e.SiteID, e.Place, e.At, e.RecordedAt})
	}
	outL := []legJSON{}
	now := time.Now()
	for _, l := range legs {
		outL = append(outL, legJSON{l.No, l.Kind, l.From, l.To, int64(l.Expected / time.Second), int64(l.Actual(now) / time.Second), optTime(l.Started), optTime(l.Finished), l.Late})
	}
	outR := []map[string]any{}
	for _, rd := range readings {
		outR = append(outR, map[string]any{"at": rd.At, "temp_c10": rd.TempC10, "site_id": rd.SiteID, "out_of_range": rd.OutOfRange})
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": toParcel(pc), "events": outE, "legs": outL, "temperatures": outR})
	return nil
}

func (s *Server) apiScan(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Kind   string    `json:"kind"`
		SiteID string    `json:"site_id"`
		At     time.Time `json:"at"`
		Place  string    `json:"place"`
		Ref    string    `json:"ref"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.Logistics.Scan(r.Context(), u.Principal(), r.PathValue("tracking"), logistics.ScanRequest{Kind: logistics.EventKind(in.Kind), SiteID: in.SiteID, At: in.At, Place: in.Place, Ref: in.Ref})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"parcel": toParcel(res.Parcel), "duplicate": res.Duplicate})
	return nil
}

func (s *Server) apiPickup(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		SiteID string `json:"site_id"`
		Code   string `json:"code"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.Logistics.Pickup(r.Context(), u.Principal(), in.SiteID, r.PathValue("tracking"), in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": toParcel(res.Parcel), "order_status": string(res.OrderStatus)})
	return nil
}

func (s *Server) apiPickupCode(w http.ResponseWriter, r *http.Request, u access.User) error {
	code, err := s.Logistics.PickupCode(r.Context(), u.Principal(), r.PathValue("tracking"))
	if err != nil {
		return err
	}
	tn := logistics.NormalizeTrackingNo(r.PathValue("tracking"))
	writeJSON(w, http.StatusOK, map[string]string{"tracking_no": tn, "code": code, "qr_text": logistics.PickupQRText(tn, code)})
	return nil
}

func (s *Server) apiReissueCode(w http.ResponseWriter, r *http.Request, u access.User) error {
	pc, err := s.Logistics.Reissue(r.Context(), u.Principal(), r.PathValue("tracking"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toParcel(pc))
	return nil
}

func (s *Server) apiTemperature(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		SiteID  string    `json:"site_id"`
		At      time.Time `json:"at"`
		TempC10 int64     `json:"temp_c10"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rd, err := s.Logistics.RecordTemperature(r.Context(), u.Principal(), r.PathValue("tracking"), in.SiteID, in.At, in.TempC10)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"at": rd.At, "temp_c10": rd.TempC10, "out_of_range": rd.OutOfRange})
	return nil
}

func (s *Server) apiTrack(w http.ResponseWriter, r *http.Request, u access.User) error {
	tr, err := s.Logistics.Track(r.Context(), r.PathValue("tracking"))
	if err != nil {
		return err
	}
	evs := []map[string]any{}
	for _, e := range tr.Events {
		evs = append(evs, map[string]any{"kind": e.Kind, "place": e.Place, "at": e.At})
	}
	writeJSON(w, http.StatusOK, map[string]any{"tracking_no": tr.TrackingNo, "status": tr.Status, "from": tr.From, "to": tr.To, "to_station": tr.ToStation,
		"cold_chain": tr.ColdChain, "carrier": tr.Carrier, "due_at": tr.DueAt, "events": evs})
	return nil
}

func (s *Server) apiLogisticsAlerts(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	as, err := s.Logistics.Alerts(r.Context(), u.Principal(), r.URL.Query().Get("county"), limit)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, a := range as {
		out = append(out, map[string]any{"id": a.ID, "tracking_no": a.TrackingNo, "kind": a.Kind, "ref": a.Ref, "detail": a.Detail, "county_code": a.County, "site_id": a.SiteID, "at": a.At})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiLogisticsNetwork(w http.ResponseWriter, r *http.Request, u access.User) error {
	net, err := s.Logistics.Network(r.Context())
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, c := range net {
		out = append(out, map[string]any{"county_code": c.County, "county": c.Name, "poverty_county": c.Poverty, "warehouses": c.Warehouses, "stations": c.Stations,
			"max_altitude_m": c.MaxAltitude, "parcels_sent": c.ParcelsSent, "arrived": c.Arrived, "on_time": c.OnTime})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiLogisticsMetrics(w http.ResponseWriter, r *http.Request, u access.User) error {
	period, err := fishpond.ParsePeriod(r.URL.Query().Get("period"))
	if err != nil {
		return fishpond.Invalid("invalid period / 统计期有误", map[string]string{"period": "like 2020H1 / 形如 2020H1"})
	}
	m, err := s.Logistics.PeriodMetrics(r.Context(), period)
	if err != nil {
		return err
	}
	out := map[string]any{"period": m.Period, "parcels_sent": m.ParcelsSent, "parcels_sent_poverty": m.ParcelsSentPoverty, "delivered": m.Delivered,
		"arrived": m.Arrived, "on_time": m.OnTime, "warehouses": m.Warehouses, "warehouses_poverty": m.WarehousesPoverty, "stations": m.Stations,
		"stations_poverty": m.StationsPoverty, "poverty_counties_served": m.PovertyCountiesServed}
	if bp, ok := m.OnTimeBp(); ok {
		out["on_time_bp"] = bp
	}
	if h := m.HighestStation; h != nil {
		out["highest_station"] = map[string]any{"id": h.ID, "name": h.Name, "county_code": h.County, "altitude_m": h.AltitudeM}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
