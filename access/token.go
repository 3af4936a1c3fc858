package access

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"

	"github.com/google/uuid"
)

// Token is an API token as listed; the secret itself is shown once at creation
// and only its hash is stored.
type Token struct {
	ID         string
	UserID     string
	Label      string
	Prefix     string // first characters, so a user can tell tokens apart
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// CreateToken issues a bearer token for a user. Admins may issue for anyone, others
// for themselves. ttl 0 means no expiry.
func (s *Service) CreateToken(ctx context.Context, p fishpond.Principal, userName, label string, ttl time.Duration) (string, Token, error) {
	u, err := s.UserByName(ctx, userName)
	if err != nil {
		return "", Token{}, err
	}
	if p.Role != fishpond.RoleAdmin && p.UserID != u.ID {
		return "", Token{}, fishpond.Errorf(fishpond.EForbidden, "you can only create tokens for yourself / 只能为自己创建令牌")
	}
	if u.Disabled {
		return "", Token{}, fishpond.Errorf(fishpond.EInvalid, "user %q is disabled / 该用户已停用", userName)
	}
	if label = strings.TrimSpace(label); label == "" {
		label = "api"
	}
	if len([]rune(label)) > 64 {
		return "", Token{}, fishpond.Invalid("label too long / 名称过长", map[string]string{"label": "at most 64 characters / 最多 64 个字符"})
	}
	now := s.clock.Now()
	plain, h := newSecret("fpt_")
	t := Token{ID: uuid.Must(uuid.NewV7()).String(), UserID: u.ID, Label: label, Prefix: plain[:10], CreatedAt: now}
	var exp any
	if ttl > 0 {
		e := now.Add(ttl)
		t.ExpiresAt, exp = &e, db.FormatTime(e)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, label, token_hash, prefix, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ID, t.UserID, t.Label, h, t.Prefix, db.FormatTime(now), exp)
		return err
	})
	if err != nil {
		return "", Token{}, fishpond.Internal(err)
	}
	return plain, t, nil
}

// TokenUser resolves a bearer token to its user; revoked, expired or unknown
// tokens and disabled users are unauthorized.
func (s *Service) TokenUser(ctx context.Context, plain string) (User, error) {
	unauth := fishpond.Errorf(fishpond.EUnauthorized, "invalid or revoked API token / API 令牌无效或已撤销")
	if !strings.HasPrefix(plain, "fpt_") {
		return User{}, unauth
	}
	hash := hashSecret(plain)
	now := s.clock.Now()
	if c, ok := s.tokens.get(hash, now, s.TokenCacheTTL); ok {
		s.touch(c.id, now)
		return c.user, nil
	}
	var id, userID string
	var exp, revoked sql.NullString
	err := s.db.Read().QueryRowContext(ctx, "SELECT id, user_id, expires_at, revoked_at FROM api_tokens WHERE token_hash = ?", hash).
		Scan(&id, &userID, &exp, &revoked)
	if err != nil || revoked.Valid || (exp.Valid && db.MustTime(exp.String).Before(now)) {
		return User{}, unauth
	}
	u, err := s.userByID(ctx, s.db.Read(), userID)
	if err != nil || u.Disabled {
		return User{}, unauth
	}
	c := cachedToken{id: id, user: u, at: now}
	if exp.Valid {
		c.expires = db.MustTime(exp.String)
	}
	s.tokens.put(hash, c)
	s.touch(id, now)
	return u, nil
}

// touch records last use at most once a minute per token. The minute is checked in
// memory first: a write transaction per API request would queue every bearer call
// behind SQLite's single writer.
func (s *Service) touch(id string, now time.Time) {
	if last, ok := s.touched.Load(id); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	s.touched.Store(id, now)
	s.db.InTx(context.Background(), func(tx *db.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
			db.FormatTime(now), id, db.FormatTime(now.Add(-time.Minute)))
		return err
	})
}

// Tokens lists a user's tokens (admins: any user's; others: their own).
func (s *Service) Tokens(ctx context.Context, p fishpond.Principal, userID string) ([]Token, error) {
	if p.Role != fishpond.RoleAdmin && p.UserID != userID {
		return nil, fishpond.Errorf(fishpond.EForbidden, "you can only see your own tokens / 只能查看自己的令牌")
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, user_id, label, prefix, created_at, expires_at, last_used_at, revoked_at
		FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created string
		var exp, used, rev sql.NullString
		if err := rows.Scan(&t.ID, &t.UserID, &t.Label, &t.Prefix, &created, &exp, &used, &rev); err != nil {
			return nil, fishpond.Internal(err)
		}
		t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = db.MustTime(created), optTime(exp), optTime(used), optTime(rev)
		out = append(out, t)
	}
	return out, rows.Err()
}

func optTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := db.MustTime(s.String)
	return &t
}

// RevokeToken stops a token from working; revoking twice is harmless.
func (s *Service) RevokeToken(ctx context.Context, p fishpond.Principal, tokenID string) error {
	// Forgotten after the commit, so a concurrent lookup cannot cache the token again
	// from the state before the revocation.
	defer s.tokens.forget(func(c cachedToken) bool { return c.id == tokenID })
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		var owner string
		if err := tx.QueryRowContext(ctx, "SELECT user_id FROM api_tokens WHERE id = ?", tokenID).Scan(&owner); err != nil {
			return db.NotFound(err, "no such token / 没有这个令牌")
		}
		if p.Role != fishpond.RoleAdmin && p.UserID != owner {
			return fishpond.Errorf(fishpond.ENotFound, "no such token / 没有这个令牌")
		}
		_, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", db.FormatTime(s.clock.Now()), tokenID)
		return err
	}))
}
