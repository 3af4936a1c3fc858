package live

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Session states.
const (
	StatusScheduled = "scheduled"
	StatusLive      = "live"
	StatusEnded     = "ended"
)

// Session is one broadcast of a room.
type Session struct {
	ID              string
	RoomID          string
	AnchorID        string
	AnchorName      string
	ShopID          string
	CountyCode      string
	Poverty         bool // the shop's county is a national poverty county
	Title           string
	PlannedStart    time.Time
	PlannedEnd      time.Time
	Status          string
	StartedAt       time.Time
	EndedAt         time.Time
	ReplayURL       string
	PinnedProductID string
	PinnedFlashID   string
	PeakViewers     int64
	Products        []string // featured product ids in order (filled by Session)
}

// SessionInput schedules a session.
type SessionInput struct {
	RoomID       string
	Title        string
	PlannedStart time.Time
	PlannedEnd   time.Time
	ProductIDs   []string // featured products, all of the room's shop
}

// MaxFeatured bounds a session's featured products.
const MaxFeatured = 50

// Schedule plans a session of one of the caller's rooms. The anchor must be
// certified.
func (s *Service) Schedule(ctx context.Context, p fishpond.Principal, in SessionInput) (Session, error) {
	r, err := s.Room(ctx, p, in.RoomID)
	if err != nil || r.StreamKey == "" {
		return Session{}, notFound("没有该直播间 no such room")
	}
	a, err := s.Anchor(ctx, r.AnchorID)
	if err != nil {
		return Session{}, err
	}
	if a.Status != AnchorCertified {
		return Session{}, conflict("主播尚未认证，不能开播 the anchor is not certified yet")
	}
	in.Title = strings.TrimSpace(in.Title)
	f := map[string]string{}
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 60 {
		f["title"] = "必填，最多60字 required, at most 60 characters"
	}
	if in.PlannedStart.IsZero() {
		f["planned_start"] = "必填 required"
	}
	if !in.PlannedEnd.After(in.PlannedStart) || in.PlannedEnd.Sub(in.PlannedStart) > 24*time.Hour {
		f["planned_end"] = "须晚于开始且不超过24小时 after the start, at most 24 hours"
	}
	if len(in.ProductIDs) > MaxFeatured {
		f["product_ids"] = "最多50件商品 at most 50 products"
	}
	seen := map[string]bool{}
	for _, id := range in.ProductIDs {
		pr, err := s.market.Product(ctx, id)
		if err != nil || pr.ShopID != r.ShopID || seen[id] {
			f["product_ids"] = "商品须属于本直播间的店铺且不重复 products must be the room's shop's, each once: " + id
			break
		}
		seen[id] = true
	}
	if len(f) > 0 {
		return Session{}, fishpond.Invalid("直播场次有误 invalid session", f)
	}
	return s.createSession(ctx, r, a, in.Title, in.PlannedStart, in.PlannedEnd, in.ProductIDs, StatusScheduled)
}

func (s *Service) createSession(ctx context.Context, r Room, a Anchor, title string, start, end time.Time, products []string, status string) (Session, error) {
	sh, err := s.market.Shop(ctx, r.ShopID)
	if err != nil {
		return Session{}, err
	}
	c, err := s.registry.County(ctx, sh.CountyCode)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	ss := Session{ID: newID(), RoomID: r.ID, AnchorID: a.ID, AnchorName: a.DisplayName, ShopID: r.ShopID, CountyCode: sh.CountyCode, Poverty: c.Poverty,
		Title: title, PlannedStart: start.UTC().Truncate(time.Microsecond), PlannedEnd: end.UTC().Truncate(time.Microsecond), Status: status, Products: products}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var started any
		if status == StatusLive {
			ss.StartedAt = now
			started = db.FormatTime(now)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO live_sessions (id, room_id, anchor_id, shop_id, county_code, poverty, title, planned_start, planned_end,
			status, started_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ss.ID, ss.RoomID, ss.AnchorID, ss.ShopID, ss.CountyCode,
			boolInt(ss.Poverty), ss.Title, db.FormatTime(ss.PlannedStart), db.FormatTime(ss.PlannedEnd), ss.Status, started, db.FormatTime(now)); err != nil {
			return err
		}
		for i, id := range products {
			if _, err := tx.ExecContext(ctx, "INSERT INTO live_session_products (session_id, product_id, position) VALUES (?, ?, ?)", ss.ID, id, i); err != nil {
				return err
			}
		}
		if status == StatusLive {
			return appendStarted(ctx, tx, now, ss)
		}
		return nil
	})
	if err != nil {
		return Session{}, internal(err)
	}
	return ss, nil
}

func appendStarted(ctx context.Context, tx *db.Tx, now time.Time, ss Session) error {
	return events.Append(ctx, tx, now, events.Event{Type: "live.session.started", Subject: ss.ID, CountyCode: ss.CountyCode,
		Payload: map[string]any{"anchor_id": ss.AnchorID, "room_id": ss.RoomID, "shop_id": ss.ShopID, "poverty_county": ss.Poverty}})
}

const sessionColumns = `s.id, s.room_id, s.anchor_id, a.display_name, s.shop_id, s.county_code, s.poverty, s.title, s.planned_start, s.planned_end,
	s.status, s.started_at, s.ended_at, s.replay_url, s.pinned_product_id, s.pinned_flash_id, s.peak_viewers
	FROM live_sessions s JOIN live_anchors a ON a.id = s.anchor_id`

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var ss Session
	var pov int
	var ps, pe string
	var st, en *string
	err := row.Scan(&ss.ID, &ss.RoomID, &ss.AnchorID, &ss.AnchorName, &ss.ShopID, &ss.CountyCode, &pov, &ss.Title, &ps, &pe, &ss.Status, &st, &en,
		&ss.ReplayURL, &ss.PinnedProductID, &ss.PinnedFlashID, &ss.PeakViewers)
	if err != nil {
		return ss, err
	}
	ss.Poverty, ss.PlannedStart, ss.PlannedEnd, ss.StartedAt, ss.EndedAt = pov == 1, db.MustTime(ps), db.MustTime(pe), nullTime(st), nullTime(en)
	return ss, nil
}

func loadSession(ctx context.Context, q db.Querier, id string) (Session, error) {
	ss, err := scanSession(q.QueryRowContext(ctx, "SELECT "+sessionColumns+" WHERE s.id = ?", id))
	if err != nil {
		return Session{}, db.NotFound(err, "没有该直播 no such session")
	}
	return ss, nil
}

// Session reads a session with its featured products; sessions are public.
func (s *Service) Session(ctx context.Context, id string) (Session, error) {
	q := s.db.Read()
	ss, err := loadSession(ctx, q, id)
	if err != nil {
		return Session{}, err
	}
	rows, err := q.QueryContext(ctx, "SELECT product_id FROM live_session_products WHERE session_id = ? ORDER BY position", id)
	if err != nil {
		return Session{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid string
		if err := rows.Scan(&pid); err != nil {
			return Session{}, internal(err)
		}
		ss.Products = append(ss.Products, pid)
	}
	return ss, internal(rows.Err())
}

// SessionFilter selects sessions for discovery.
type SessionFilter struct {
	Status   string // live, scheduled or ended; "" for all
	County   string
	AnchorID string
	RoomID   string
	Limit    int
}

// Sessions lists sessions: live ones by start, upcoming by planned start, ended
// ones newest first.
func (s *Service) Sessions(ctx context.Context, f SessionFilter) ([]Session, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Status != "" {
		add("s.status = ?", f.Status)
	}
	if f.County != "" {
		add("s.county_code = ?", f.County)
	}
	if f.AnchorID != "" {
		add("s.anchor_id = ?", f.AnchorID)
	}
	if f.RoomID != "" {
		add("s.room_id = ?", f.RoomID)
	}
	q := "SELECT " + sessionColumns
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	switch f.Status {
	case StatusScheduled:
		q += " ORDER BY s.planned_start, s.id"
	case StatusLive:
		q += " ORDER BY s.started_at DESC, s.id"
	default:
		q += " ORDER BY s.planned_start DESC, s.id"
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, ss)
	}
	return out, internal(rows.Err())
}

// ownSession loads a session the caller may run: its anchor's user, or an admin.
func (s *Service) ownSession(ctx context.Context, p fishpond.Principal, id string) (Session, error) {
	ss, err := s.Session(ctx, id)
	if err != nil {
		return Session{}, err
	}
	if p.Role == fishpond.RoleAdmin {
		return ss, nil
	}
	var owner string
	if err := s.db.Read().QueryRowContext(ctx, "SELECT user_id FROM live_anchors WHERE id = ?", ss.AnchorID).Scan(&owner); err != nil || owner != p.UserID {
		return Session{}, notFound("没有该直播 no such session")
	}
	return ss, nil
}

// errNoStream is what the media server is told when a key opens nothing, or
// opens another room than the stream names.
var errNoStream = fishpond.Errorf(fishpond.EForbidden, "推流密钥无效，请按“直播间ID?key=密钥”推流 invalid stream key: publish as <room id>?key=<key>")

// Publish is the media server's publish callback. The stream is published as
// <room id>?key=<stream key> (what the anchor console shows): the key
// authenticates, the room id is the public stream name the media server cuts
// HLS under, so the secret key never appears in a playback URL or file name.
// It turns the room's live session (a reconnect), else its next scheduled one,
// else a new unscheduled one, live.
func (s *Service) Publish(ctx context.Context, name, key string) (Session, error) {
	if key == "" || len(key) > 200 || name == "" {
		return Session{}, errNoStream
	}
	var roomID string
	err := s.db.Read().QueryRowContext(ctx, "SELECT id FROM live_rooms WHERE key_hash = ?", s.keys.Hash(keyHashKind, key)).Scan(&roomID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && roomID != name) {
		return Session{}, errNoStream
	} else if err != nil {
		return Session{}, internal(err)
	}
	r, err := s.Room(ctx, fishpond.System, roomID)
	if err != nil {
		return Session{}, err
	}
	a, err := s.Anchor(ctx, r.AnchorID)
	if err != nil {
		return Session{}, err
	}
	if a.Status != AnchorCertified {
		return Session{}, fishpond.Errorf(fishpond.EForbidden, "主播尚未认证 the anchor is not certified")
	}
	now := s.now()
	var out Session
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		row := tx.QueryRowContext(ctx, "SELECT "+sessionColumns+` WHERE s.room_id = ? AND (s.status = ? OR (s.status = ? AND s.planned_end > ?))
			ORDER BY CASE WHEN s.status = ? THEN 0 ELSE 1 END, s.planned_start LIMIT 1`, r.ID, StatusLive, StatusScheduled, db.FormatTime(now), StatusLive)
		ss, err := scanSession(row)
		if errors.Is(err, sql.ErrNoRows) {
			out.ID = ""
			return nil
		}
		if err != nil {
			return err
		}
		out = ss
		if ss.Status == StatusLive {
			return nil
		}
		res, err := tx.ExecContext(ctx, "UPDATE live_sessions SET status = ?, started_at = ? WHERE id = ? AND status = ?", StatusLive, db.FormatTime(now), ss.ID, StatusScheduled)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return db.Retry(errors.New("session changed concurrently"))
		}
		out.Status, out.StartedAt = StatusLive, now
		return appendStarted(ctx, tx, now, out)
	})
	if err != nil {
		return Session{}, internal(err)
	}
	if out.ID == "" {
		title := r.Title
		out, err = s.createSession(ctx, r, a, title, now, now.Add(4*time.Hour), nil, StatusLive)
		if err != nil {
			return Session{}, err
		}
	}
	s.statusCache.put(out.ID, StatusLive)
	s.hub.Publish(out.ID, Message{Type: "status", Status: StatusLive})
	return out, nil
}

// PublishDone is the media server's callback when a stream stops. name is the
// stream name (the room id); a session id or the stream key are accepted too.
func (s *Service) PublishDone(ctx context.Context, name string) (Session, error) {
	q := s.db.Read()
	if _, err := loadSession(ctx, q, name); err == nil {
		return s.end(ctx, name)
	}
	roomID := name
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM live_rooms WHERE id = ?", name).Scan(&n); err != nil {
		return Session{}, internal(err)
	}
	if n == 0 {
		if err := q.QueryRowContext(ctx, "SELECT id FROM live_rooms WHERE key_hash = ?", s.keys.Hash(keyHashKind, name)).Scan(&roomID); err != nil {
			return Session{}, errNoStream
		}
	}
	var id string
	if err := q.QueryRowContext(ctx, "SELECT id FROM live_sessions WHERE room_id = ? AND status = ?", roomID, StatusLive).Scan(&id); err != nil {
		return Session{}, notFound("该直播间没有正在进行的直播 the room is not live")
	}
	return s.end(ctx, id)
}

// End ends a live session (or cancels a scheduled one) from the anchor's console.
// The media server's stream, if still running, no longer counts.
func (s *Service) End(ctx context.Context, p fishpond.Principal, id string) (Session, error) {
	if _, err := s.ownSession(ctx, p, id); err != nil {
		return Session{}, err
	}
	return s.end(ctx, id)
}

func (s *Service) end(ctx context.Context, id string) (Session, error) {
	if err := s.Flush(ctx); err != nil { // the ended event's counts include the last second
		return Session{}, err
	}
	now := s.now()
	var out Session
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := loadSession(ctx, tx, id)
		if err != nil {
			return err
		}
		if ss.Status == StatusEnded {
			out = ss
			return nil // a repeated done callback
		}
		if _, err := tx.ExecContext(ctx, "UPDATE live_sessions SET status = ?, ended_at = ? WHERE id = ?", StatusEnded, db.FormatTime(now), id); err != nil {
			return err
		}
		wasLive := ss.Status == StatusLive
		ss.Status, ss.EndedAt = StatusEnded, now
		out = ss
		if !wasLive {
			return nil // a scheduled session cancelled: nothing was broadcast
		}
		t, err := totals(ctx, tx, id)
		if err != nil {
			return err
		}
		return events.Append(ctx, tx, now, events.Event{Type: "live.session.ended", Subject: id, CountyCode: ss.CountyCode,
			Payload: map[string]any{"anchor_id": ss.AnchorID, "room_id": ss.RoomID, "poverty_county": ss.Poverty,
				"minutes": int64(now.Sub(ss.StartedAt).Minutes()), "peak_viewers": t.PeakViewers, "unique_viewers": t.UniqueViewers,
				"comments": t.Comments, "orders": t.PaidOrders, "gmv_fen": int64(t.GMV)}})
	})
	if err != nil {
		return Session{}, internal(err)
	}
	s.statusCache.put(id, StatusEnded)
	s.hub.Publish(id, Message{Type: "status", Status: StatusEnded})
	return out, nil
}

// RecordDone is the media server's callback when a recording is complete: the
// session's replay is ReplayBase plus the recording's file name.
func (s *Service) RecordDone(ctx context.Context, name, path string) error {
	if s.cfg.ReplayBase == "" {
		return nil
	}
	file := path[strings.LastIndexAny(path, `/\`)+1:]
	if file == "" || strings.ContainsAny(file, "?#") {
		return fishpond.Invalid("录像路径有误 invalid recording path", map[string]string{"path": "须为文件路径 must be a file path"})
	}
	// name is the stream's: the room id (its latest broadcast is the one
	// recorded) or a session id.
	id := name
	if _, err := loadSession(ctx, s.db.Read(), name); err != nil {
		err := s.db.Read().QueryRowContext(ctx, "SELECT id FROM live_sessions WHERE room_id = ? AND started_at IS NOT NULL ORDER BY started_at DESC LIMIT 1", name).Scan(&id)
		if err != nil {
			return db.NotFound(err, "没有该直播 no such session")
		}
	}
	return internal(s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE live_sessions SET replay_url = ? WHERE id = ?", strings.TrimRight(s.cfg.ReplayBase, "/")+"/"+file, id)
		return err
	}))
}

// PlaybackURL is where viewers play a room's HLS stream: media servers cut HLS
// under the stream name, which is the room id.
func (s *Service) PlaybackURL(roomID string) string {
	return strings.TrimRight(s.cfg.HLSBase, "/") + "/" + roomID + ".m3u8"
}

// PublishURL is what an anchor's streaming app needs: the server URL and the
// "stream key" field (room id plus the key as an argument, which every media
// server understands).
func (s *Service) PublishURL(r Room) (server, streamName string) {
	return s.cfg.RTMPURL, r.ID + "?key=" + r.StreamKey
}
