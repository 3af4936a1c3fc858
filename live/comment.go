package live

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Comment is one viewer's message in a session.
type Comment struct {
	ID          string
	SessionID   string
	UserID      string
	DisplayName string
	Body        string
	At          time.Time
}

// limiter remembers each user's last comment per session: at most one per
// Config.CommentEvery. It lives in the process, so with several instances a
// user could comment once per instance per interval; the interval is a guard
// against floods, not a quota.
type limiter struct {
	mu    sync.Mutex
	last  map[string]time.Time
	swept time.Time
}

func newLimiter() *limiter { return &limiter{last: map[string]time.Time{}} }

func (l *limiter) allow(key string, now time.Time, every time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, t := range l.last {
			if now.Sub(t) > time.Minute {
				delete(l.last, k)
			}
		}
		l.swept = now
	}
	if t, ok := l.last[key]; ok && now.Sub(t) < every {
		return every - now.Sub(t), false
	}
	l.last[key] = now
	return 0, true
}

// bannedCache holds the banned-word list, reloaded at most every 10 seconds so
// another instance's edit reaches this one soon without a query per comment.
type bannedCache struct {
	mu     sync.Mutex
	words  []string
	loaded time.Time
}

func (s *Service) bannedWords(ctx context.Context) ([]string, error) {
	s.banned.mu.Lock()
	defer s.banned.mu.Unlock()
	if !s.banned.loaded.IsZero() && time.Since(s.banned.loaded) < 10*time.Second {
		return s.banned.words, nil
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT word FROM live_banned_words ORDER BY word")
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var ws []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, internal(err)
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err)
	}
	s.banned.words, s.banned.loaded = ws, time.Now()
	return ws, nil
}

// BannedWords lists the banned words (admins edit them).
func (s *Service) BannedWords(ctx context.Context, p fishpond.Principal) ([]string, error) {
	if p.Role != fishpond.RoleAdmin {
		return nil, forbidden("只有管理员可查看违禁词 only admins see the banned words")
	}
	s.banned.mu.Lock()
	s.banned.loaded = time.Time{}
	s.banned.mu.Unlock()
	return s.bannedWords(ctx)
}

// SetBannedWords replaces the banned-word list. Words are matched case-blind
// anywhere in a comment.
func (s *Service) SetBannedWords(ctx context.Context, p fishpond.Principal, words []string) ([]string, error) {
	if p.Role != fishpond.RoleAdmin {
		return nil, forbidden("只有管理员可编辑违禁词 only admins edit the banned words")
	}
	seen := map[string]bool{}
	var clean []string
	for i, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" {
			continue
		}
		if utf8.RuneCountInString(w) > 30 {
			return nil, fishpond.Invalid("违禁词有误 invalid banned word", map[string]string{"words": "第" + itoa(i+1) + "个超过30字 word " + itoa(i+1) + " is over 30 characters"})
		}
		if !seen[w] {
			seen[w] = true
			clean = append(clean, w)
		}
	}
	if len(clean) > 5000 {
		return nil, fishpond.Invalid("违禁词有误 invalid banned words", map[string]string{"words": "最多5000个 at most 5000 words"})
	}
	now := db.FormatTime(s.now())
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM live_banned_words"); err != nil {
			return err
		}
		for _, w := range clean {
			if _, err := tx.ExecContext(ctx, "INSERT INTO live_banned_words (word, added_by, added_at) VALUES (?, ?, ?)", w, p.UserID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	s.banned.mu.Lock()
	s.banned.loaded = time.Time{}
	s.banned.mu.Unlock()
	return s.bannedWords(ctx)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// PostComment accepts a comment into a live session and sends it to every
// viewer at once; it is written to the database within a second (Flush). A
// comment must be 1–CommentMaxRunes characters without control characters or a
// banned word, and a user may comment once per CommentEvery in a session.
func (s *Service) PostComment(ctx context.Context, p fishpond.Principal, sessionID, body string) (Comment, error) {
	if p.UserID == "" {
		return Comment{}, fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	body = strings.TrimSpace(body)
	n := utf8.RuneCountInString(body)
	if n == 0 || n > s.cfg.CommentMaxRunes || !utf8.ValidString(body) || strings.ContainsFunc(body, unicode.IsControl) {
		return Comment{}, fishpond.Invalid("评论有误 invalid comment", map[string]string{"body": "须为1到" + itoa(s.cfg.CommentMaxRunes) + "字，不含控制字符 1–" +
			itoa(s.cfg.CommentMaxRunes) + " characters, no control characters"})
	}
	ws, err := s.bannedWords(ctx)
	if err != nil {
		return Comment{}, err
	}
	lower := strings.ToLower(body)
	for _, w := range ws {
		if strings.Contains(lower, w) {
			return Comment{}, fishpond.Invalid("评论含违禁词 the comment contains a banned word", map[string]string{"body": "含违禁词 contains a banned word"})
		}
	}
	status, err := s.sessionStatus(ctx, sessionID)
	if err != nil {
		return Comment{}, err
	}
	if status != StatusLive {
		return Comment{}, conflict("直播未在进行 the session is not live")
	}
	now := s.now()
	if wait, ok := s.limiter.allow(p.UserID+"\x00"+sessionID, now, s.cfg.CommentEvery); !ok {
		return Comment{}, fishpond.Errorf(fishpond.ERateLimited, "评论太快，请%d毫秒后再试 commenting too fast, try again in %d ms", wait.Milliseconds(), wait.Milliseconds())
	}
	c := Comment{ID: newID(), SessionID: sessionID, UserID: p.UserID, DisplayName: p.Name, Body: body, At: now}
	s.pendMu.Lock()
	s.comments = append(s.comments, c)
	s.pendMu.Unlock()
	s.hub.countComment(sessionID)
	s.hub.Publish(sessionID, Message{Type: "comment", ID: c.ID, User: c.DisplayName, Text: c.Body, At: now.UnixMilli()})
	return c, nil
}

// sessionStatus reads a session's status through a short cache: a busy room's
// comments and likes would otherwise each cost a query.
func (s *Service) sessionStatus(ctx context.Context, id string) (string, error) {
	if st, ok := s.statusCache.get(id); ok {
		return st, nil
	}
	var st string
	if err := s.db.Read().QueryRowContext(ctx, "SELECT status FROM live_sessions WHERE id = ?", id).Scan(&st); err != nil {
		return "", db.NotFound(err, "没有该直播 no such session")
	}
	s.statusCache.put(id, st)
	return st, nil
}

type statusCache struct {
	mu sync.Mutex
	m  map[string]cachedStatus
}

type cachedStatus struct {
	status string
	at     time.Time
}

func (c *statusCache) get(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[id]
	if !ok || time.Since(v.at) > 2*time.Second {
		return "", false
	}
	return v.status, true
}

func (c *statusCache) put(id, st string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m = map[string]cachedStatus{}
	}
	c.m[id] = cachedStatus{st, time.Now()}
}

// Like adds a viewer's likes (a burst of taps counts up to 50).
func (s *Service) Like(ctx context.Context, sessionID string, n int64) error {
	if n <= 0 || n > 50 {
		return fishpond.Invalid("点赞数有误 invalid likes", map[string]string{"n": "须在1到50之间 must be 1–50"})
	}
	status, err := s.sessionStatus(ctx, sessionID)
	if err != nil {
		return err
	}
	if status != StatusLive {
		return conflict("直播未在进行 the session is not live")
	}
	s.hub.Like(sessionID, n)
	return nil
}

// Comments lists a session's latest written comments, oldest first.
func (s *Service) Comments(ctx context.Context, sessionID string, limit int) ([]Comment, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, session_id, user_id, display_name, body, created_at FROM live_comments
		WHERE session_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, sessionID, limit)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Comment
	for rows.Next() {
		var c Comment
		var at string
		if err := rows.Scan(&c.ID, &c.SessionID, &c.UserID, &c.DisplayName, &c.Body, &at); err != nil {
			return nil, internal(err)
		}
		c.At = db.MustTime(at)
		out = append(out, c)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, internal(rows.Err())
}
