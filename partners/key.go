package partners

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/access"
	"fishpond/internal/db"
)

// KeyPrefix starts every partner API key, so a leaked key is recognisable (and
// secret scanners can find it) and the web layer can tell it from a user token.
const KeyPrefix = "fpk_"

// MaxKeyTTL is the longest a key may live; keys must be rotated at least yearly.
const MaxKeyTTL = 366 * 24 * time.Hour

// Key is an API key as its owners see it; the secret itself is shown once, when
// the key is created or rotated.
type Key struct {
	ID            string     `json:"id"`
	PartnerID     string     `json:"partner_id"`
	Label         string     `json:"label"`
	Prefix        string     `json:"prefix"`
	Scopes        []string   `json:"scopes"`
	Counties      []string   `json:"counties"`
	RatePerMinute int        `json:"rate_per_minute"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     time.Time  `json:"expires_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	ReplacedBy    string     `json:"replaced_by,omitempty"`
	LastUsedAt    *time.Time `json:"last_used_at,omitempty"`
}

// Active reports whether the key can still be used at t.
func (k Key) Active(t time.Time) bool { return k.RevokedAt == nil && t.Before(k.ExpiresAt) }

// KeyInput is what a member asks for: a subset of the organisation's grant.
type KeyInput struct {
	Label         string        `json:"label"`
	Scopes        []string      `json:"scopes"`
	Counties      []string      `json:"counties"`
	TTL           time.Duration `json:"-"`
	RatePerMinute int           `json:"rate_per_minute"`
}

func newKeySecret() (plain, hash string) {
	var b [32]byte
	rand.Read(b[:])
	plain = KeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return plain, hashKey(plain)
}

func hashKey(plain string) string {
	h := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(h[:])
}

// CreateKey issues a key to an approved organisation. Asking for a scope or county
// outside the organisation's grant is refused as an escalation, naming what was
// not granted. It returns the secret, shown once.
func (s *Service) CreateKey(ctx context.Context, pr fishpond.Principal, partnerID string, in KeyInput) (string, Key, error) {
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return "", Key{}, err
	}
	p, err := s.get(ctx, s.db.Read(), partnerID, true)
	if err != nil {
		return "", Key{}, err
	}
	k, err := s.checkKeyInput(p, &in)
	if err != nil {
		return "", Key{}, err
	}
	plain, hash := newKeySecret()
	err = s.db.InTx(ctx, func(tx *db.Tx) error { return s.insertKey(ctx, tx, pr, &k, plain, hash) })
	if err != nil {
		return "", Key{}, wrap(err)
	}
	return plain, k, nil
}

func (s *Service) checkKeyInput(p Partner, in *KeyInput) (Key, error) {
	if p.Status != StatusApproved {
		return Key{}, fishpond.Errorf(fishpond.EForbidden, "the organisation is %s; keys are issued to approved partners only / 机构尚未获批，不能签发密钥", p.Status)
	}
	in.Label = strings.TrimSpace(in.Label)
	in.Scopes, in.Counties = set(in.Scopes), set(in.Counties)
	f := map[string]string{}
	if n := utf8.RuneCountInString(in.Label); n < 1 || n > 60 {
		f["label"] = "1 to 60 characters / 1 至 60 个字"
	}
	if len(in.Scopes) == 0 {
		f["scopes"] = "at least one scope / 至少选择一个权限"
	}
	for _, sc := range in.Scopes {
		if !KnownScope(sc) {
			f["scopes"] = "unknown scope " + sc + " / 未知权限"
		}
	}
	if in.TTL == 0 {
		in.TTL = 90 * 24 * time.Hour
	}
	if in.TTL < time.Hour || in.TTL > MaxKeyTTL {
		f["expires_in_days"] = "1 to 366 days / 1 至 366 天"
	}
	if in.RatePerMinute == 0 {
		in.RatePerMinute = p.RatePerMinute
	}
	if in.RatePerMinute < 1 {
		f["rate_per_minute"] = "at least 1 / 至少为 1"
	}
	if len(f) > 0 {
		return Key{}, fishpond.Invalid("invalid key request / 密钥申请无效", f)
	}
	// Escalation: everything asked for must be inside the grant.
	var over []string
	for _, sc := range in.Scopes {
		if len(intersect([]string{sc}, p.Scopes)) == 0 {
			over = append(over, "scope "+sc)
		}
	}
	for _, c := range in.Counties {
		if len(intersect([]string{c}, p.Counties)) == 0 {
			over = append(over, "county "+c)
		}
	}
	if in.RatePerMinute > p.RatePerMinute {
		over = append(over, "a rate above the organisation's")
	}
	if len(over) > 0 {
		return Key{}, fishpond.Errorf(fishpond.EForbidden, "not granted to your organisation: %s / 超出机构授权范围", strings.Join(over, ", "))
	}
	now := s.clock.Now()
	return Key{ID: newID(), PartnerID: p.ID, Label: in.Label, Scopes: in.Scopes, Counties: in.Counties, RatePerMinute: in.RatePerMinute,
		CreatedAt: now, ExpiresAt: now.Add(in.TTL)}, nil
}

func (s *Service) insertKey(ctx context.Context, tx *db.Tx, pr fishpond.Principal, k *Key, plain, hash string) error {
	k.Prefix = plain[:len(KeyPrefix)+6]
	_, err := tx.ExecContext(ctx, `INSERT INTO partner_keys (id, partner_id, label, prefix, key_hash, scopes, counties, rate_per_minute, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, k.ID, k.PartnerID, k.Label, k.Prefix, hash, joinSet(k.Scopes), joinSet(k.Counties), k.RatePerMinute,
		pr.UserID, db.FormatTime(k.CreatedAt), db.FormatTime(k.ExpiresAt))
	return err
}

// RotateKey issues a replacement with the same label, scopes and counties, and
// lets the old key work for grace more (at most until its own expiry), so a
// partner can deploy the new key without downtime.
func (s *Service) RotateKey(ctx context.Context, pr fishpond.Principal, keyID string, grace time.Duration) (string, Key, error) {
	old, err := s.key(ctx, s.db.Read(), keyID)
	if err != nil {
		return "", Key{}, err
	}
	if err := s.canManage(ctx, pr, old.PartnerID); err != nil {
		return "", Key{}, err
	}
	now := s.clock.Now()
	if !old.Active(now) {
		return "", Key{}, fishpond.Errorf(fishpond.EConflict, "the key is revoked or expired; create a new one / 密钥已撤销或过期，请新建")
	}
	if grace < 0 || grace > 7*24*time.Hour {
		return "", Key{}, fishpond.Invalid("invalid grace period / 宽限期无效", map[string]string{"grace_hours": "0 to 168 hours"})
	}
	p, err := s.get(ctx, s.db.Read(), old.PartnerID, true)
	if err != nil {
		return "", Key{}, err
	}
	in := KeyInput{Label: old.Label, Scopes: old.Scopes, Counties: old.Counties, TTL: old.ExpiresAt.Sub(old.CreatedAt), RatePerMinute: old.RatePerMinute}
	k, err := s.checkKeyInput(p, &in)
	if err != nil {
		return "", Key{}, err
	}
	plain, hash := newKeySecret()
	until := now.Add(grace)
	if old.ExpiresAt.Before(until) {
		until = old.ExpiresAt
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE partner_keys SET expires_at = ?, replaced_by = ? WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL",
			db.FormatTime(until), k.ID, old.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fishpond.Errorf(fishpond.EConflict, "the key was already rotated or revoked / 密钥已被轮换或撤销")
		}
		return s.insertKey(ctx, tx, pr, &k, plain, hash)
	})
	if err != nil {
		return "", Key{}, wrap(err)
	}
	return plain, k, nil
}

// RevokeKey stops a key at once.
func (s *Service) RevokeKey(ctx context.Context, pr fishpond.Principal, keyID string) error {
	k, err := s.key(ctx, s.db.Read(), keyID)
	if err != nil {
		return err
	}
	if err := s.canManage(ctx, pr, k.PartnerID); err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE partner_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", db.FormatTime(s.clock.Now()), keyID)
		return err
	}))
}

// Keys lists an organisation's keys, newest first.
func (s *Service) Keys(ctx context.Context, pr fishpond.Principal, partnerID string) ([]Key, error) {
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+keyColumns+" FROM partner_keys WHERE partner_id = ? ORDER BY created_at DESC, id", partnerID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, k)
	}
	return out, wrap(rows.Err())
}

const keyColumns = "id, partner_id, label, prefix, scopes, counties, rate_per_minute, created_at, expires_at, revoked_at, replaced_by, last_used_at"

func scanKey(row interface{ Scan(...any) error }) (Key, error) {
	var k Key
	var scopes, counties, created, expires string
	var revoked, replaced, used sql.NullString
	if err := row.Scan(&k.ID, &k.PartnerID, &k.Label, &k.Prefix, &scopes, &counties, &k.RatePerMinute, &created, &expires, &revoked, &replaced, &used); err != nil {
		return Key{}, err
	}
	k.Scopes, k.Counties = splitSet(scopes), splitSet(counties)
	k.CreatedAt, k.ExpiresAt, k.ReplacedBy = db.MustTime(created), db.MustTime(expires), replaced.String
	if revoked.Valid {
		t := db.MustTime(revoked.String)
		k.RevokedAt = &t
	}
	if used.Valid {
		t := db.MustTime(used.String)
		k.LastUsedAt = &t
	}
	return k, nil
}

func (s *Service) key(ctx context.Context, q db.Querier, id string) (Key, error) {
	k, err := scanKey(q.QueryRowContext(ctx, "SELECT "+keyColumns+" FROM partner_keys WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, fishpond.Errorf(fishpond.ENotFound, "no such API key / 密钥不存在")
	}
	if err != nil {
		return Key{}, fishpond.Internal(err)
	}
	return k, nil
}

// Caller is who a key authenticates as: a synthetic user of role partner whose
// counties and scopes are the key's, narrowed by the grant in force.
type Caller struct {
	User          access.User
	Key           Key
	PartnerName   string
	PartnerRate   int
	EffectiveRate int
}

// Authenticate resolves a key. Unknown, revoked and expired keys and keys of
// organisations no longer approved are refused with a message saying which, so a
// partner's engineer can tell a typo from an expiry.
func (s *Service) Authenticate(ctx context.Context, plain string) (Caller, error) {
	if !strings.HasPrefix(plain, KeyPrefix) {
		return Caller{}, fishpond.Errorf(fishpond.EUnauthorized, "not a partner API key / 不是合作伙伴 API 密钥")
	}
	var hashID string
	err := s.db.Read().QueryRowContext(ctx, "SELECT id FROM partner_keys WHERE key_hash = ?", hashKey(plain)).Scan(&hashID)
	if errors.Is(err, sql.ErrNoRows) {
		return Caller{}, fishpond.Errorf(fishpond.EUnauthorized, "unknown API key / API 密钥无效")
	}
	if err != nil {
		return Caller{}, fishpond.Internal(err)
	}
	k, err := s.key(ctx, s.db.Read(), hashID)
	if err != nil {
		return Caller{}, err
	}
	now := s.clock.Now()
	switch {
	case k.RevokedAt != nil:
		return Caller{}, fishpond.Errorf(fishpond.EUnauthorized, "this API key was revoked on %s / API 密钥已撤销", k.RevokedAt.Format(time.DateOnly))
	case !now.Before(k.ExpiresAt):
		return Caller{}, fishpond.Errorf(fishpond.EUnauthorized, "this API key expired on %s; rotate or create a new one / API 密钥已过期", k.ExpiresAt.Format(time.RFC3339))
	}
	p, err := s.get(ctx, s.db.Read(), k.PartnerID, false)
	if err != nil {
		return Caller{}, err
	}
	if p.Status != StatusApproved {
		return Caller{}, fishpond.Errorf(fishpond.EUnauthorized, "the organisation's access is %s / 机构访问已暂停", p.Status)
	}
	s.touch(k.ID, now)
	u := access.User{ID: "key:" + k.ID, Name: p.Name + " · " + k.Label, DisplayName: p.Name, Role: fishpond.RolePartner,
		Counties: intersect(k.Counties, p.Counties), Scopes: intersect(k.Scopes, p.Scopes), PartnerID: p.ID, CreatedAt: k.CreatedAt}
	return Caller{User: u, Key: k, PartnerName: p.Name, PartnerRate: p.RatePerMinute, EffectiveRate: min(k.RatePerMinute, p.RatePerMinute)}, nil
}

// touch records last use at most once a minute per key, off the request path: a
// write transaction per call would queue every partner call behind SQLite's writer.
func (s *Service) touch(id string, now time.Time) {
	if last, ok := s.touched.Load(id); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	s.touched.Store(id, now)
	go s.db.InTx(context.Background(), func(tx *db.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE partner_keys SET last_used_at = ? WHERE id = ?", db.FormatTime(now), id)
		return err
	})
}
