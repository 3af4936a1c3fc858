package green

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// MaxFriendShareBp is the most of a drop an owner may let a friend collect.
const MaxFriendShareBp = 3000

// Friend is another user in a friendship (both added each other) or a pending one.
type Friend struct {
	UserID string
	Name   string
	Mutual bool // both added each other: only then may they collect from each other
	// ShareBp is how much of each ripe drop the friend lets you collect (0: none).
	ShareBp int64
	// Ripe lists the friend's drops you could collect a share of now.
	Ripe []Drop
}

func fmtNeed(need, have int64) string {
	return fmt.Sprintf("需要 %d 克，余额 %d 克 needs %d g, balance %d g", need, have, need, have)
}

// AddFriend records that the principal (login name selfName) adds the user
// friendID (login name friendName); the friendship counts once both have added
// each other. Adding twice changes nothing.
func (s *Service) AddFriend(ctx context.Context, p fishpond.Principal, selfName, friendID, friendName string) error {
	if err := needUser(p); err != nil {
		return err
	}
	if friendID == "" || friendID == p.UserID {
		return fishpond.Invalid("不能添加自己 cannot add yourself", map[string]string{"friend": "另一位用户 another user"})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO green_friends (user_id, user_name, friend_id, friend_name, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, friend_id) DO NOTHING",
			p.UserID, selfName, friendID, friendName, db.FormatTime(s.now()))
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
}

// SetFriendShare sets how much (basis points, 0–3000) of each ripe drop a friend
// may collect from the principal; 0 allows none.
func (s *Service) SetFriendShare(ctx context.Context, p fishpond.Principal, bp int64) error {
	if err := needUser(p); err != nil {
		return err
	}
	if bp < 0 || bp > MaxFriendShareBp {
		return fishpond.Invalid("比例无效 invalid share", map[string]string{"share_bp": "0 至 3000（30%） from 0 to 3000 (30%)"})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO green_settings (user_id, friend_share_bp, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET friend_share_bp = excluded.friend_share_bp, updated_at = excluded.updated_at`, p.UserID, bp, db.FormatTime(s.now()))
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
}

// FriendShare returns the share the principal allows friends.
func (s *Service) FriendShare(ctx context.Context, p fishpond.Principal) (int64, error) {
	return shareOf(ctx, s.db.Read(), p.UserID)
}

func shareOf(ctx context.Context, q db.Querier, userID string) (int64, error) {
	var bp int64
	err := q.QueryRowContext(ctx, "SELECT friend_share_bp FROM green_settings WHERE user_id = ?", userID).Scan(&bp)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fishpond.Internal(err)
	}
	return bp, nil
}

// Friends lists the users the principal added or who added it, with what of
// theirs the principal may collect now.
func (s *Service) Friends(ctx context.Context, p fishpond.Principal) ([]Friend, error) {
	if err := needUser(p); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT f.friend_id, f.friend_name, 1 FROM green_friends f WHERE f.user_id = ?
		UNION SELECT g.user_id, g.user_name, 0 FROM green_friends g WHERE g.friend_id = ?
		AND NOT EXISTS (SELECT 1 FROM green_friends h WHERE h.user_id = ? AND h.friend_id = g.user_id) ORDER BY 2`, p.UserID, p.UserID, p.UserID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var out []Friend
	var mine []bool
	for rows.Next() {
		var f Friend
		var added int
		if err := rows.Scan(&f.UserID, &f.Name, &added); err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		out = append(out, f)
		mine = append(mine, added == 1)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	now := s.now()
	for i := range out {
		f := &out[i]
		if !mine[i] {
			continue // they added us; we have not added them back
		}
		if f.Mutual, err = mutual(ctx, s.db.Read(), p.UserID, f.UserID); err != nil || !f.Mutual {
			if err != nil {
				return nil, err
			}
			continue
		}
		if f.ShareBp, err = shareOf(ctx, s.db.Read(), f.UserID); err != nil {
			return nil, err
		}
		if f.ShareBp == 0 {
			continue
		}
		drops, err := s.openDrops(ctx, f.UserID, 50)
		if err != nil {
			return nil, err
		}
		for _, d := range drops {
			if d.Ripe(now) && d.FriendG == 0 && d.Grams*f.ShareBp/10000 > 0 {
				f.Ripe = append(f.Ripe, d)
			}
		}
	}
	return out, nil
}

func mutual(ctx context.Context, q db.Querier, a, b string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM green_friends WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)`, a, b, b, a).Scan(&n)
	if err != nil {
		return false, fishpond.Internal(err)
	}
	return n == 2, nil
}

// CollectFromFriend takes the owner's allowed share of one ripe drop for the
// principal. Each drop gives one friend one share; the owner keeps the rest. Not
// friends, no share allowed, or a drop already shared, expired or collected: the
// drop is not found for the principal.
func (s *Service) CollectFromFriend(ctx context.Context, p fishpond.Principal, ownerID, actionID string) (int64, error) {
	if err := needUser(p); err != nil {
		return 0, err
	}
	var got int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		got = 0
		ok, err := mutual(ctx, tx, p.UserID, ownerID)
		if err != nil {
			return err
		}
		bp, err := shareOf(ctx, tx, ownerID)
		if err != nil {
			return err
		}
		if !ok || bp == 0 || ownerID == p.UserID {
			return fishpond.Errorf(fishpond.ENotFound, "没有可收取的好友能量 no energy of this friend to collect")
		}
		now := s.now()
		at := db.FormatTime(now)
		err = tx.QueryRowContext(ctx, `UPDATE green_drops SET friend_g = grams * ? / 10000, friend_id = ?
			WHERE action_id = ? AND user_id = ? AND state = ? AND friend_g = 0 AND ripe_at <= ? AND expires_at > ? AND grams * ? / 10000 > 0
			RETURNING friend_g`, bp, p.UserID, actionID, ownerID, StateOpen, at, at, bp).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return fishpond.Errorf(fishpond.ENotFound, "这份能量已被收取或已过期 this energy is gone: collected, shared or expired")
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		if err := credit(ctx, tx, p.UserID, got, at, []any{p.UserID, "friend_collect", got, actionID, at}); err != nil {
			return err
		}
		return events.Append(ctx, tx, now, events.Event{Type: "green.energy.collected", Subject: p.UserID,
			Payload: map[string]any{"count": 1, "grams": got, "own": false}})
	})
	return got, err
}
