package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"

	"fishpond"
	"fishpond/internal/db"

	"golang.org/x/crypto/bcrypt"
)

// newSecret returns a random, URL-safe secret with a recognisable prefix (so a
// leaked token is easy to spot in a scan) and its SHA-256, the only form stored.
func newSecret(prefix string) (plain, hash string) {
	var b [32]byte
	rand.Read(b[:])
	plain = prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return plain, hashSecret(plain)
}

func hashSecret(plain string) string {
	h := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(h[:])
}

// dummyHash keeps the time of a login for an unknown user close to that of a wrong
// password, so response times do not reveal which names exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("fishpond-dummy-password"), bcrypt.DefaultCost)

// Login checks a password and opens a session. remote identifies the client
// (its IP) for rate limiting. It returns the session token for the cookie.
func (s *Service) Login(ctx context.Context, name, password, remote string) (User, string, error) {
	now := s.clock.Now()
	if wait := s.limiter.blocked(name, remote, now); wait > 0 {
		return User{}, "", fishpond.Errorf(fishpond.ERateLimited, "too many failed logins; try again in %d minutes / 登录失败次数过多，请 %d 分钟后再试", minutes(wait), minutes(wait))
	}
	u, hash, err := s.userByName(ctx, name)
	if err != nil && fishpond.Code(err) != fishpond.ENotFound {
		return User{}, "", err
	}
	if err != nil {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
	}
	if err != nil || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || u.Disabled {
		s.limiter.fail(name, remote, now)
		return User{}, "", fishpond.Errorf(fishpond.EUnauthorized, "wrong user name or password / 用户名或密码错误")
	}
	s.limiter.success(name, remote)
	plain, h := newSecret("fps_")
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// Expired sessions are swept on login rather than by a separate job.
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < ?", db.FormatTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
			h, u.ID, db.FormatTime(now), db.FormatTime(now.Add(s.SessionTTL)))
		return err
	})
	if err != nil {
		return User{}, "", fishpond.Internal(err)
	}
	return u, plain, nil
}

// Session resolves a session cookie to its user.
func (s *Service) Session(ctx context.Context, token string) (User, error) {
	unauth := fishpond.Errorf(fishpond.EUnauthorized, "please log in / 请登录")
	if !strings.HasPrefix(token, "fps_") {
		return User{}, unauth
	}
	var userID, expires string
	err := s.db.Read().QueryRowContext(ctx, "SELECT user_id, expires_at FROM sessions WHERE token_hash = ?", hashSecret(token)).Scan(&userID, &expires)
	if err != nil || db.MustTime(expires).Before(s.clock.Now()) {
		return User{}, unauth
	}
	u, err := s.userByID(ctx, s.db.Read(), userID)
	if err != nil || u.Disabled {
		return User{}, unauth
	}
	return u, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = ?", hashSecret(token))
		return err
	}))
}

// SetPassword replaces a user's password and ends their sessions. Admins may set
// anyone's; users their own.
func (s *Service) SetPassword(ctx context.Context, p fishpond.Principal, userID, password string) error {
	if p.Role != fishpond.RoleAdmin && p.UserID != userID {
		return fishpond.Errorf(fishpond.EForbidden, "you can only change your own password / 只能修改自己的密码")
	}
	if len([]rune(password)) < MinPasswordLength {
		return fishpond.Invalid("password too short / 密码太短", map[string]string{"password": "at least 8 characters / 密码至少 8 位"})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fishpond.Internal(err)
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", string(hash), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fishpond.Errorf(fishpond.ENotFound, "no such user / 没有这个用户")
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		return err
	}))
}
