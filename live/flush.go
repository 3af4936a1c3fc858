package live

import (
	"context"

	"fishpond/internal/db"
)

// Flush writes the comments accepted and the viewer statistics gathered since the
// last call, in one transaction. Run calls it every second; a session's end calls
// it first so its totals are complete. Comments are written after they were sent
// to viewers: a crash can lose up to a second of chat history, never an order.
func (s *Service) Flush(ctx context.Context) error {
	s.pendMu.Lock()
	cs := s.comments
	s.comments = nil
	s.pendMu.Unlock()
	now := s.now()
	stats := s.hub.drainStats(now)
	if len(cs) == 0 && len(stats) == 0 {
		return nil
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if len(cs) > 0 {
			st, err := tx.Stmt(ctx, `INSERT INTO live_comments (id, session_id, user_id, display_name, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO NOTHING`)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if _, err := st.ExecContext(ctx, c.ID, c.SessionID, c.UserID, c.DisplayName, c.Body, db.FormatTime(c.At)); err != nil {
					return err
				}
			}
		}
		if len(stats) == 0 {
			return nil
		}
		known := map[string]bool{}
		for _, rs := range stats {
			// A room id that is no session (a viewer opened a stale link) is skipped.
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM live_sessions WHERE id = ?", rs.room).Scan(&n); err != nil {
				return err
			}
			known[rs.room] = n == 1
		}
		mst, err := tx.Stmt(ctx, `INSERT INTO live_minutes (session_id, minute, instance, peak_viewers, comments, likes) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (session_id, minute, instance) DO UPDATE SET peak_viewers = excluded.peak_viewers, comments = excluded.comments, likes = excluded.likes`)
		if err != nil {
			return err
		}
		vst, err := tx.Stmt(ctx, "INSERT INTO live_viewers (session_id, viewer, first_minute) VALUES (?, ?, ?) ON CONFLICT (session_id, viewer) DO NOTHING")
		if err != nil {
			return err
		}
		for _, rs := range stats {
			if !known[rs.room] {
				continue
			}
			var peak int64
			for m, st := range rs.minutes {
				peak = max(peak, st.peak)
				if _, err := mst.ExecContext(ctx, rs.room, m, s.cfg.Instance, st.peak, st.comments, st.likes); err != nil {
					return err
				}
			}
			for _, v := range rs.fresh {
				if _, err := vst.ExecContext(ctx, rs.room, v.key, v.minute); err != nil {
					return err
				}
			}
			if peak > 0 {
				// The session's peak over all instances: the largest per-minute sum.
				if _, err := tx.ExecContext(ctx, `UPDATE live_sessions SET peak_viewers = (SELECT COALESCE(MAX(v), 0) FROM
					(SELECT SUM(peak_viewers) AS v FROM live_minutes WHERE session_id = ? GROUP BY minute) t) WHERE id = ?`, rs.room, rs.room); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		// Put the comments back so the next flush retries them; statistics of
		// past minutes are lost, which only lowers a report's viewer figures.
		s.pendMu.Lock()
		s.comments = append(cs, s.comments...)
		s.pendMu.Unlock()
		return internal(err)
	}
	return nil
}
