package web

import (
	"net/http"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/live"
	"fishpond/market"
)

func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"POST", "/api/v1/live/anchors", s.apiLiveApply},
			{"GET", "/api/v1/live/anchors/me", s.apiLiveMyAnchor},
			{"GET", "/api/v1/live/anchors/{id}", s.apiLiveAnchor},
			{"POST", "/api/v1/live/anchors/{id}/trainings", s.apiLiveTraining},
			{"POST", "/api/v1/live/anchors/{id}/certification", s.apiLiveCertify},
			{"GET", "/api/v1/live/rooms", s.apiLiveRooms},
			{"POST", "/api/v1/live/rooms", s.apiLiveCreateRoom},
			{"POST", "/api/v1/live/rooms/{id}/key", s.apiLiveRotateKey},
			{"GET", "/api/v1/live/sessions", s.apiLiveSessions},
			{"POST", "/api/v1/live/sessions", s.apiLiveSchedule},
			{"GET", "/api/v1/live/sessions/{id}", s.apiLiveSession},
			{"POST", "/api/v1/live/sessions/{id}/end", s.apiLiveEnd},
			{"GET", "/api/v1/live/sessions/{id}/comments", s.apiLiveComments},
			{"POST", "/api/v1/live/sessions/{id}/comments", s.apiLiveComment},
			{"POST", "/api/v1/live/sessions/{id}/likes", s.apiLiveLike},
			{"PUT", "/api/v1/live/sessions/{id}/pin", s.apiLivePin},
			{"POST", "/api/v1/live/sessions/{id}/flash-sales", s.apiLiveFlash},
			{"POST", "/api/v1/live/sessions/{id}/orders", s.apiLiveBuy},
			{"GET", "/api/v1/live/sessions/{id}/report", s.apiLiveReport},
			{"GET", "/api/v1/live/banned-words", s.apiLiveBanned},
			{"PUT", "/api/v1/live/banned-words", s.apiLiveSetBanned},
			{"GET", "/api/v1/live/campaigns", s.apiLiveCampaigns},
			{"POST", "/api/v1/live/campaigns", s.apiLiveCreateCampaign},
			{"GET", "/api/v1/live/campaigns/{id}", s.apiLiveBoard},
			{"POST", "/api/v1/live/campaigns/{id}/rooms", s.apiLiveJoin},
		}
	})
}

type anchorJSON struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	DisplayName string     `json:"display_name"`
	CountyCode  string     `json:"county_code"`
	Bio         string     `json:"bio"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	AppliedAt   time.Time  `json:"applied_at"`
	CertifiedAt *time.Time `json:"certified_at,omitempty"`
}

func toAnchor(a live.Anchor) anchorJSON {
	out := anchorJSON{a.ID, string(a.Kind), a.DisplayName, a.CountyCode, a.Bio, a.Status, a.Reason, a.AppliedAt, nil}
	if !a.CertifiedAt.IsZero() {
		out.CertifiedAt = &a.CertifiedAt
	}
	return out
}

func (s *Server) apiLiveApply(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Kind        string `json:"kind"`
		DisplayName string `json:"display_name"`
		CountyCode  string `json:"county_code"`
		Bio         string `json:"bio"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Live.Apply(r.Context(), u.Principal(), live.AnchorInput{Kind: live.AnchorKind(in.Kind), DisplayName: in.DisplayName, CountyCode: in.CountyCode, Bio: in.Bio})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAnchor(a))
	return nil
}

func (s *Server) apiLiveMyAnchor(w http.ResponseWriter, r *http.Request, u access.User) error {
	a, err := s.Live.MyAnchor(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAnchor(a))
	return nil
}

func (s *Server) apiLiveAnchor(w http.ResponseWriter, r *http.Request, u access.User) error {
	a, err := s.Live.Anchor(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	st, err := s.Live.Stats(r.Context(), a.ID)
	if err != nil {
		return err
	}
	ts, err := s.Live.Trainings(r.Context(), a.ID)
	if err != nil {
		return err
	}
	trainings := []map[string]any{}
	for _, t := range ts {
		trainings = append(trainings, map[string]any{"id": t.ID, "course": t.Course, "minutes": t.Minutes, "passed": t.Passed, "trained_on": t.TrainedOn})
	}
	writeJSON(w, http.StatusOK, map[string]any{"anchor": toAnchor(a), "trainings": trainings, "stats": map[string]any{
		"sessions": st.Sessions, "live_minutes": st.LiveMinutes, "orders": st.Orders, "gmv_fen": int64(st.GMV), "peak_viewers": st.PeakViewers}})
	return nil
}

func (s *Server) apiLiveTraining(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Course    string `json:"course"`
		Minutes   int64  `json:"minutes"`
		Passed    bool   `json:"passed"`
		TrainedOn string `json:"trained_on"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.Live.RecordTraining(r.Context(), u.Principal(), r.PathValue("id"), live.TrainingInput{Course: in.Course, Minutes: in.Minutes, Passed: in.Passed, TrainedOn: in.TrainedOn})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "course": t.Course, "minutes": t.Minutes, "passed": t.Passed, "trained_on": t.TrainedOn})
	return nil
}

func (s *Server) apiLiveCertify(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Approve bool   `json:"approve"`
		Reason  string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Live.Certify(r.Context(), u.Principal(), r.PathValue("id"), in.Approve, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAnchor(a))
	return nil
}

type roomJSON struct {
	ID          string    `json:"id"`
	AnchorID    string    `json:"anchor_id"`
	ShopID      string    `json:"shop_id"`
	Title       string    `json:"title"`
	StreamKey   string    `json:"stream_key,omitempty"`
	RTMPServer  string    `json:"rtmp_server,omitempty"`
	StreamName  string    `json:"stream_name,omitempty"`
	PlaybackURL string    `json:"playback_url"`
	RotatedAt   time.Time `json:"key_rotated_at"`
}

func (s *Server) toRoom(rm live.Room) roomJSON {
	out := roomJSON{ID: rm.ID, AnchorID: rm.AnchorID, ShopID: rm.ShopID, Title: rm.Title, StreamKey: rm.StreamKey, PlaybackURL: s.Live.PlaybackURL(rm.ID), RotatedAt: rm.RotatedAt}
	if rm.StreamKey != "" {
		out.RTMPServer, out.StreamName = s.Live.PublishURL(rm)
	}
	return out
}

func (s *Server) apiLiveRooms(w http.ResponseWriter, r *http.Request, u access.User) error {
	rs, err := s.Live.MyRooms(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	out := []roomJSON{}
	for _, rm := range rs {
		out = append(out, s.toRoom(rm))
	}
	writeJSON(w, http.StatusOK, listPage[roomJSON]{Items: out})
	return nil
}

func (s *Server) apiLiveCreateRoom(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		ShopID string `json:"shop_id"`
		Title  string `json:"title"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rm, err := s.Live.CreateRoom(r.Context(), u.Principal(), in.ShopID, in.Title)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.toRoom(rm))
	return nil
}

func (s *Server) apiLiveRotateKey(w http.ResponseWriter, r *http.Request, u access.User) error {
	rm, err := s.Live.RotateKey(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toRoom(rm))
	return nil
}

type sessionJSON struct {
	ID              string     `json:"id"`
	RoomID          string     `json:"room_id"`
	AnchorID        string     `json:"anchor_id"`
	AnchorName      string     `json:"anchor_name"`
	ShopID          string     `json:"shop_id"`
	CountyCode      string     `json:"county_code"`
	PovertyCounty   bool       `json:"poverty_county"`
	Title           string     `json:"title"`
	Status          string     `json:"status"`
	PlannedStart    time.Time  `json:"planned_start"`
	PlannedEnd      time.Time  `json:"planned_end"`
	StartedAt       *time.Time `json:"started_at,omitempty"`
	EndedAt         *time.Time `json:"ended_at,omitempty"`
	PlaybackURL     string     `json:"playback_url"`
	ReplayURL       string     `json:"replay_url,omitempty"`
	PinnedProductID string     `json:"pinned_product_id,omitempty"`
	PinnedFlashID   string     `json:"pinned_flash_id,omitempty"`
	Viewers         int64      `json:"viewers"`
	PeakViewers     int64      `json:"peak_viewers"`
	ProductIDs      []string   `json:"product_ids,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) toSession(ss live.Session) sessionJSON {
	return sessionJSON{ss.ID, ss.RoomID, ss.AnchorID, ss.AnchorName, ss.ShopID, ss.CountyCode, ss.Poverty, ss.Title, ss.Status, ss.PlannedStart, ss.PlannedEnd,
		timePtr(ss.StartedAt), timePtr(ss.EndedAt), s.Live.PlaybackURL(ss.RoomID), ss.ReplayURL, ss.PinnedProductID, ss.PinnedFlashID,
		s.Live.Hub().Viewers(ss.ID), ss.PeakViewers, ss.Products}
}

func (s *Server) apiLiveSessions(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	switch q.Get("status") {
	case "", live.StatusLive, live.StatusScheduled, live.StatusEnded:
	default:
		return fishpond.Invalid("bad status", map[string]string{"status": "live, scheduled or ended"})
	}
	ss, err := s.Live.Sessions(r.Context(), live.SessionFilter{Status: q.Get("status"), County: q.Get("county"), AnchorID: q.Get("anchor_id"), RoomID: q.Get("room_id"), Limit: limit})
	if err != nil {
		return err
	}
	out := []sessionJSON{}
	for _, x := range ss {
		out = append(out, s.toSession(x))
	}
	writeJSON(w, http.StatusOK, listPage[sessionJSON]{Items: out})
	return nil
}

func (s *Server) apiLiveSchedule(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		RoomID       string    `json:"room_id"`
		Title        string    `json:"title"`
		PlannedStart time.Time `json:"planned_start"`
		PlannedEnd   time.Time `json:"planned_end"`
		ProductIDs   []string  `json:"product_ids"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ss, err := s.Live.Schedule(r.Context(), u.Principal(), live.SessionInput{RoomID: in.RoomID, Title: in.Title, PlannedStart: in.PlannedStart, PlannedEnd: in.PlannedEnd, ProductIDs: in.ProductIDs})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.toSession(ss))
	return nil
}

func (s *Server) apiLiveSession(w http.ResponseWriter, r *http.Request, u access.User) error {
	ss, err := s.Live.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toSession(ss))
	return nil
}

func (s *Server) apiLiveEnd(w http.ResponseWriter, r *http.Request, u access.User) error {
	ss, err := s.Live.End(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toSession(ss))
	return nil
}

type commentJSON struct {
	ID   string    `json:"id"`
	User string    `json:"user"`
	Body string    `json:"body"`
	At   time.Time `json:"at"`
}

func (s *Server) apiLiveComments(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	cs, err := s.Live.Comments(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	out := []commentJSON{}
	for _, c := range cs {
		out = append(out, commentJSON{c.ID, c.DisplayName, c.Body, c.At})
	}
	writeJSON(w, http.StatusOK, listPage[commentJSON]{Items: out})
	return nil
}

// commenter is the principal a comment is posted as: its display name is what
// other viewers see.
func commenter(u access.User) fishpond.Principal {
	p := u.Principal()
	if u.DisplayName != "" {
		p.Name = u.DisplayName
	}
	return p
}

func (s *Server) apiLiveComment(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Live.PostComment(r.Context(), commenter(u), r.PathValue("id"), in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, commentJSON{c.ID, c.DisplayName, c.Body, c.At})
	return nil
}

func (s *Server) apiLiveLike(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		N int64 `json:"n"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Live.Like(r.Context(), r.PathValue("id"), in.N); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiLivePin(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		ProductID string `json:"product_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ss, err := s.Live.Pin(r.Context(), u.Principal(), r.PathValue("id"), in.ProductID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.toSession(ss))
	return nil
}

func (s *Server) apiLiveFlash(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		ProductID     string `json:"product_id"`
		PriceFen      int64  `json:"price_fen"`
		Quantity      int64  `json:"quantity"`
		PerBuyerLimit int64  `json:"per_buyer_limit"`
		Seconds       int64  `json:"seconds"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f, err := s.Live.StartFlash(r.Context(), u.Principal(), r.PathValue("id"), live.FlashInput{ProductID: in.ProductID, Price: fishpond.Money(in.PriceFen),
		Quantity: in.Quantity, PerBuyerLimit: in.PerBuyerLimit, Duration: time.Duration(in.Seconds) * time.Second})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, flashJSON{f.ID, f.ProductID, int64(f.Price), f.Quantity, f.Sold, f.PerBuyerLimit, f.StartsAt, f.EndsAt})
	return nil
}

func (s *Server) apiLiveBuy(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		AddressID string          `json:"address_id"`
		Lines     []orderLineJSON `json:"lines"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	req := market.OrderRequest{IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")), AddressID: in.AddressID}
	if req.IdempotencyKey == "" {
		return fishpond.Invalid("missing Idempotency-Key header", map[string]string{"Idempotency-Key": "required: a unique key per checkout, reused on retry / 必填：每次下单一个唯一键，重试时复用"})
	}
	for _, l := range in.Lines {
		req.Lines = append(req.Lines, market.LineRequest{ProductID: l.ProductID, FlashID: l.FlashID, Qty: l.Qty})
	}
	o, err := s.Live.Buy(r.Context(), u.Principal(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeCreated(w, o.Replayed, toOrder(o))
	return nil
}

type minuteJSON struct {
	At          time.Time `json:"at"`
	PeakViewers int64     `json:"peak_viewers"`
	NewViewers  int64     `json:"new_viewers"`
	Comments    int64     `json:"comments"`
	Likes       int64     `json:"likes"`
	Orders      int64     `json:"orders"`
	GMVFen      int64     `json:"gmv_fen"`
}

func totalsJSON(t live.Totals) map[string]any {
	return map[string]any{"peak_viewers": t.PeakViewers, "unique_viewers": t.UniqueViewers, "comments": t.Comments, "likes": t.Likes,
		"placed_orders": t.PlacedOrders, "orders": t.PaidOrders, "buyers": t.Buyers, "gmv_fen": int64(t.GMV), "conversion_bp": t.ConversionBp}
}

func (s *Server) apiLiveReport(w http.ResponseWriter, r *http.Request, u access.User) error {
	rep, err := s.Live.Report(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	mins := []minuteJSON{}
	for _, m := range rep.Minutes {
		mins = append(mins, minuteJSON{m.At, m.PeakViewers, m.NewViewers, m.Comments, m.Likes, m.Orders, int64(m.GMV)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"session": s.toSession(rep.Session), "totals": totalsJSON(rep.Totals), "minutes": mins})
	return nil
}

func (s *Server) apiLiveBanned(w http.ResponseWriter, r *http.Request, u access.User) error {
	ws, err := s.Live.BannedWords(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	if ws == nil {
		ws = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"words": ws})
	return nil
}

func (s *Server) apiLiveSetBanned(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Words []string `json:"words"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ws, err := s.Live.SetBannedWords(r.Context(), u.Principal(), in.Words)
	if err != nil {
		return err
	}
	if ws == nil {
		ws = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"words": ws})
	return nil
}

type campaignJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
}

func toCampaign(c live.Campaign) campaignJSON {
	return campaignJSON{c.ID, c.Name, c.Description, c.StartsAt, c.EndsAt}
}

func (s *Server) apiLiveCampaigns(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	cs, err := s.Live.Campaigns(r.Context(), limit)
	if err != nil {
		return err
	}
	out := []campaignJSON{}
	for _, c := range cs {
		out = append(out, toCampaign(c))
	}
	writeJSON(w, http.StatusOK, listPage[campaignJSON]{Items: out})
	return nil
}

func (s *Server) apiLiveCreateCampaign(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in campaignJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Live.CreateCampaign(r.Context(), u.Principal(), live.CampaignInput{Name: in.Name, Description: in.Description, StartsAt: in.StartsAt, EndsAt: in.EndsAt})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toCampaign(c))
	return nil
}

func boardJSON(b live.Board) map[string]any {
	rooms := []map[string]any{}
	for i, st := range b.Rooms {
		rooms = append(rooms, map[string]any{"rank": i + 1, "room_id": st.RoomID, "title": st.RoomTitle, "anchor": st.AnchorName, "county_code": st.CountyCode,
			"poverty_county": st.Poverty, "live_session_id": st.LiveSession, "viewers": st.Viewers, "sessions": st.Sessions, "orders": st.Orders, "gmv_fen": int64(st.GMV)})
	}
	return map[string]any{"campaign": toCampaign(b.Campaign), "rooms": rooms, "totals": map[string]any{"rooms": len(b.Rooms), "rooms_live": b.RoomsLive,
		"viewers": b.Viewers, "orders": b.Orders, "gmv_fen": int64(b.GMV), "counties": b.Counties, "poverty_counties": b.PovertyCounties}}
}

func (s *Server) apiLiveBoard(w http.ResponseWriter, r *http.Request, u access.User) error {
	b, err := s.Live.Leaderboard(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, boardJSON(b))
	return nil
}

func (s *Server) apiLiveJoin(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		RoomID string `json:"room_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Live.JoinCampaign(r.Context(), u.Principal(), r.PathValue("id"), in.RoomID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
