package live

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Campaign groups rooms across counties for an event such as a poverty-alleviation
// live day; sessions of its rooms that start inside its window count towards it.
type Campaign struct {
	ID          string
	Name        string
	Description string
	StartsAt    time.Time
	EndsAt      time.Time
}

// CampaignInput creates a campaign.
type CampaignInput struct {
	Name        string
	Description string
	StartsAt    time.Time
	EndsAt      time.Time
}

// CreateCampaign is for admins and fund administrators.
func (s *Service) CreateCampaign(ctx context.Context, p fishpond.Principal, in CampaignInput) (Campaign, error) {
	if p.Role != fishpond.RoleAdmin && p.Role != fishpond.RoleFundAdmin {
		return Campaign{}, forbidden("只有管理员可创建活动 only admins create campaigns")
	}
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	f := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		f["name"] = "必填，最多60字 required, at most 60 characters"
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		f["description"] = "最多1000字 at most 1000 characters"
	}
	if in.StartsAt.IsZero() || !in.EndsAt.After(in.StartsAt) || in.EndsAt.Sub(in.StartsAt) > 31*24*time.Hour {
		f["ends_at"] = "须晚于开始，最长31天 after the start, at most 31 days"
	}
	if len(f) > 0 {
		return Campaign{}, fishpond.Invalid("活动信息有误 invalid campaign", f)
	}
	c := Campaign{ID: newID(), Name: in.Name, Description: in.Description, StartsAt: in.StartsAt.UTC().Truncate(time.Microsecond), EndsAt: in.EndsAt.UTC().Truncate(time.Microsecond)}
	now := s.now()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO live_campaigns (id, name, description, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			c.ID, c.Name, c.Description, db.FormatTime(c.StartsAt), db.FormatTime(c.EndsAt), p.UserID, db.FormatTime(now)); err != nil {
			return err
		}
		return events.Append(ctx, tx, now, events.Event{Type: "live.campaign.created", Subject: c.ID,
			Payload: map[string]any{"starts_at": c.StartsAt, "ends_at": c.EndsAt}})
	})
	return c, internal(err)
}

// Campaign reads a campaign (public).
func (s *Service) Campaign(ctx context.Context, id string) (Campaign, error) {
	var c Campaign
	var st, en string
	err := s.db.Read().QueryRowContext(ctx, "SELECT id, name, description, starts_at, ends_at FROM live_campaigns WHERE id = ?", id).Scan(&c.ID, &c.Name, &c.Description, &st, &en)
	if err != nil {
		return Campaign{}, db.NotFound(err, "没有该活动 no such campaign")
	}
	c.StartsAt, c.EndsAt = db.MustTime(st), db.MustTime(en)
	return c, nil
}

// Campaigns lists campaigns, latest first.
func (s *Service) Campaigns(ctx context.Context, limit int) ([]Campaign, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id, name, description, starts_at, ends_at FROM live_campaigns ORDER BY starts_at DESC LIMIT ?", limit)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		var c Campaign
		var st, en string
		if err := rows.Scan(&c.ID, &c.Name, &c.Description, &st, &en); err != nil {
			return nil, internal(err)
		}
		c.StartsAt, c.EndsAt = db.MustTime(st), db.MustTime(en)
		out = append(out, c)
	}
	return out, internal(rows.Err())
}

// JoinCampaign enrols a room: its anchor enrols their own room, admins any room.
func (s *Service) JoinCampaign(ctx context.Context, p fishpond.Principal, campaignID, roomID string) error {
	c, err := s.Campaign(ctx, campaignID)
	if err != nil {
		return err
	}
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return err
	}
	if r.StreamKey == "" { // neither its anchor nor an admin
		return notFound("没有该直播间 no such room")
	}
	if !s.now().Before(c.EndsAt) {
		return conflict("活动已结束 the campaign is over")
	}
	return internal(s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO live_campaign_rooms (campaign_id, room_id, joined_at) VALUES (?, ?, ?) ON CONFLICT (campaign_id, room_id) DO NOTHING",
			c.ID, r.ID, db.FormatTime(s.now()))
		return err
	}))
}

// Standing is one room's line on a campaign leaderboard.
type Standing struct {
	RoomID      string
	RoomTitle   string
	AnchorName  string
	CountyCode  string
	Poverty     bool
	LiveSession string // the session live now, "" if none
	Viewers     int64  // watching now
	Sessions    int
	Orders      int64
	GMV         fishpond.Money
}

// Board is a campaign's leaderboard and totals.
type Board struct {
	Campaign        Campaign
	Rooms           []Standing // by GMV, then orders
	RoomsLive       int
	Viewers         int64
	Orders          int64
	GMV             fishpond.Money
	Counties        int
	PovertyCounties int
}

// Leaderboard ranks a campaign's rooms by what their sessions inside the
// campaign's window sold (paid, less refunds), with viewers watching now.
func (s *Service) Leaderboard(ctx context.Context, campaignID string) (Board, error) {
	c, err := s.Campaign(ctx, campaignID)
	if err != nil {
		return Board{}, err
	}
	b := Board{Campaign: c}
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.title, a.display_name, sh.county_code FROM live_campaign_rooms cr
		JOIN live_rooms r ON r.id = cr.room_id JOIN live_anchors a ON a.id = r.anchor_id JOIN market_shops sh ON sh.id = r.shop_id
		WHERE cr.campaign_id = ?`, c.ID)
	if err != nil {
		return Board{}, internal(err)
	}
	idx := map[string]int{}
	for rows.Next() {
		var st Standing
		if err := rows.Scan(&st.RoomID, &st.RoomTitle, &st.AnchorName, &st.CountyCode); err != nil {
			rows.Close()
			return Board{}, internal(err)
		}
		idx[st.RoomID] = len(b.Rooms)
		b.Rooms = append(b.Rooms, st)
	}
	rows.Close()
	// Sessions that started (or, not yet started, are planned) inside the window.
	rows, err = q.QueryContext(ctx, `SELECT s.id, s.room_id, s.status, s.poverty FROM live_sessions s JOIN live_campaign_rooms cr ON cr.room_id = s.room_id
		WHERE cr.campaign_id = ? AND COALESCE(s.started_at, s.planned_start) >= ? AND COALESCE(s.started_at, s.planned_start) < ?`,
		c.ID, db.FormatTime(c.StartsAt), db.FormatTime(c.EndsAt))
	if err != nil {
		return Board{}, internal(err)
	}
	var sessions []string
	roomOf := map[string]string{}
	for rows.Next() {
		var id, room, status string
		var pov int
		if err := rows.Scan(&id, &room, &status, &pov); err != nil {
			rows.Close()
			return Board{}, internal(err)
		}
		st := &b.Rooms[idx[room]]
		st.Poverty = pov == 1
		if status == StatusScheduled {
			continue
		}
		st.Sessions++
		if status == StatusLive {
			st.LiveSession = id
		}
		sessions = append(sessions, id)
		roomOf[id] = room
	}
	rows.Close()
	for _, id := range sessions {
		var n, gmv int64
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(total - refunded), 0) FROM live_orders WHERE session_id = ? AND paid_at IS NOT NULL", id).Scan(&n, &gmv); err != nil {
			return Board{}, internal(err)
		}
		st := &b.Rooms[idx[roomOf[id]]]
		st.Orders += n
		st.GMV += fishpond.Money(gmv)
	}
	counties, poor := map[string]bool{}, map[string]bool{}
	for i := range b.Rooms {
		st := &b.Rooms[i]
		if st.LiveSession != "" {
			st.Viewers = s.hub.Viewers(st.LiveSession)
			b.RoomsLive++
		}
		b.Viewers += st.Viewers
		b.Orders += st.Orders
		b.GMV += st.GMV
		if st.Sessions > 0 {
			counties[st.CountyCode] = true
			if st.Poverty {
				poor[st.CountyCode] = true
			}
		}
	}
	b.Counties, b.PovertyCounties = len(counties), len(poor)
	sort.SliceStable(b.Rooms, func(i, j int) bool {
		if b.Rooms[i].GMV != b.Rooms[j].GMV {
			return b.Rooms[i].GMV > b.Rooms[j].GMV
		}
		return b.Rooms[i].Orders > b.Rooms[j].Orders
	})
	return b, nil
}
