package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/secret"
)

// Room is an anchor's studio for one shop's products. StreamKey is filled only
// for the anchor (and admins): whoever holds it can broadcast as the room.
type Room struct {
	ID        string
	AnchorID  string
	ShopID    string
	Title     string
	StreamKey string
	RotatedAt time.Time
}

// keyHashKind names stream keys in secret.Keys.Hash, so a key's hash never
// collides with another kind of hashed value.
const keyHashKind = "live-stream-key"

func newStreamKey() string {
	var b [20]byte
	rand.Read(b[:])
	return "fp" + hex.EncodeToString(b[:])
}

// NewRoomKey draws a stream key for a room written in bulk (a generated history)
// and returns its lookup hash and sealed form, as CreateRoom stores them; the
// anchor reads or rotates it in the console like any other.
func NewRoomKey(keys *secret.Keys) (hash, sealed string, err error) {
	key := newStreamKey()
	sealed, err = keys.Seal(key)
	return keys.Hash(keyHashKind, key), sealed, err
}

// CreateRoom opens a room for the caller's anchor record, selling a shop the
// caller may sell for.
func (s *Service) CreateRoom(ctx context.Context, p fishpond.Principal, shopID, title string) (Room, error) {
	a, err := s.MyAnchor(ctx, p)
	if err != nil {
		return Room{}, err
	}
	title = strings.TrimSpace(title)
	f := map[string]string{}
	if title == "" || utf8.RuneCountInString(title) > 60 {
		f["title"] = "必填，最多60字 required, at most 60 characters"
	}
	if ok, err := s.canSell(ctx, p, shopID); err != nil {
		return Room{}, err
	} else if !ok {
		f["shop_id"] = "没有该店铺或无权销售 no such shop, or you may not sell for it"
	}
	if len(f) > 0 {
		return Room{}, fishpond.Invalid("直播间信息有误 invalid room", f)
	}
	key := newStreamKey()
	sealed, err := s.keys.Seal(key)
	if err != nil {
		return Room{}, internal(err)
	}
	r := Room{ID: newID(), AnchorID: a.ID, ShopID: shopID, Title: title, StreamKey: key, RotatedAt: s.now()}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO live_rooms (id, anchor_id, shop_id, title, key_hash, key_sealed, key_rotated_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.AnchorID, r.ShopID, r.Title, s.keys.Hash(keyHashKind, key), sealed,
			db.FormatTime(r.RotatedAt), db.FormatTime(r.RotatedAt))
		if db.IsUniqueViolation(err) {
			return conflict("该店铺已有您的直播间 you already have a room for this shop")
		}
		return err
	})
	if err != nil {
		return Room{}, internal(err)
	}
	return r, nil
}

// canSell reports whether p may sell for the shop (market decides).
func (s *Service) canSell(ctx context.Context, p fishpond.Principal, shopID string) (bool, error) {
	shops, err := s.market.SellerShops(ctx, p)
	if err != nil {
		return false, err
	}
	for _, sh := range shops {
		if sh.ID == shopID {
			return true, nil
		}
	}
	return false, nil
}

const roomColumns = "r.id, r.anchor_id, r.shop_id, r.title, r.key_sealed, r.key_rotated_at, a.user_id FROM live_rooms r JOIN live_anchors a ON a.id = r.anchor_id"

// Room reads a room; the stream key only for its anchor or an admin.
func (s *Service) Room(ctx context.Context, p fishpond.Principal, id string) (Room, error) {
	var r Room
	var sealed, rotated, owner string
	err := s.db.Read().QueryRowContext(ctx, "SELECT "+roomColumns+" WHERE r.id = ?", id).Scan(&r.ID, &r.AnchorID, &r.ShopID, &r.Title, &sealed, &rotated, &owner)
	if err != nil {
		return Room{}, db.NotFound(err, "没有该直播间 no such room")
	}
	r.RotatedAt = db.MustTime(rotated)
	if p.UserID == owner || p.Role == fishpond.RoleAdmin {
		if r.StreamKey, err = s.keys.Open(sealed); err != nil {
			return Room{}, internal(err)
		}
	}
	return r, nil
}

// MyRooms lists the caller's rooms with their stream keys.
func (s *Service) MyRooms(ctx context.Context, p fishpond.Principal) ([]Room, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+roomColumns+" WHERE a.user_id = ? ORDER BY r.created_at", p.UserID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Room
	for rows.Next() {
		var r Room
		var sealed, rotated, owner string
		if err := rows.Scan(&r.ID, &r.AnchorID, &r.ShopID, &r.Title, &sealed, &rotated, &owner); err != nil {
			return nil, internal(err)
		}
		r.RotatedAt = db.MustTime(rotated)
		if r.StreamKey, err = s.keys.Open(sealed); err != nil {
			return nil, internal(err)
		}
		out = append(out, r)
	}
	return out, internal(rows.Err())
}

// RotateKey replaces a room's stream key, e.g. after it leaked; the old key stops
// working at once. A stream already running keeps running until it stops.
func (s *Service) RotateKey(ctx context.Context, p fishpond.Principal, roomID string) (Room, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return Room{}, err
	}
	if r.StreamKey == "" {
		return Room{}, notFound("没有该直播间 no such room")
	}
	key := newStreamKey()
	sealed, err := s.keys.Seal(key)
	if err != nil {
		return Room{}, internal(err)
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE live_rooms SET key_hash = ?, key_sealed = ?, key_rotated_at = ? WHERE id = ?",
			s.keys.Hash(keyHashKind, key), sealed, db.FormatTime(now), r.ID)
		return err
	})
	if err != nil {
		return Room{}, internal(err)
	}
	r.StreamKey, r.RotatedAt = key, now
	return r, nil
}
