// Package access owns users, their roles and scopes, password login, browser
// sessions and API tokens. It turns a session cookie or a bearer token into a
// fishpond.Principal; every capability then filters what it reads by that principal.
package access

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// User is a person or organisation that logs in.
type User struct {
	ID          string
	Name        string // login name
	DisplayName string
	Role        fishpond.Role
	Counties    []string
	HouseholdID string
	Disabled    bool
	CreatedAt   time.Time
	// PartnerID and Scopes are set for a caller authenticated by a partner API key
	// (see partners.Service.Authenticate): a synthetic user, never stored.
	PartnerID string
	Scopes    []string
}

// Principal is the user as the rest of Fishpond sees it.
func (u User) Principal() fishpond.Principal {
	return fishpond.Principal{UserID: u.ID, Name: u.Name, Role: u.Role, Counties: u.Counties, HouseholdID: u.HouseholdID, PartnerID: u.PartnerID, Scopes: u.Scopes}
}

// NewUser is what an admin (or `fishpond user add`) supplies.
type NewUser struct {
	Name        string
	DisplayName string
	Role        fishpond.Role
	Counties    []string
	HouseholdID string
	Password    string
}

// Service is the access capability.
type Service struct {
	db      *db.DB
	clock   fishpond.Clock
	limiter *loginLimiter
	// SessionTTL is how long a browser session lasts without logging in again.
	SessionTTL time.Duration
	// touched remembers when each token's last use was written (token id -> time).
	touched sync.Map
	// TokenCacheTTL is how long a resolved bearer token is trusted without reading
	// the database again (0 turns the cache off). Revoking a token or disabling a
	// user clears the cache of this process at once; other processes serving the
	// same database notice within the TTL.
	TokenCacheTTL time.Duration
	tokens        tokenCache
}

// New builds the service.
func New(d *db.DB, clock fishpond.Clock) *Service {
	return &Service{db: d, clock: clock, limiter: newLoginLimiter(), SessionTTL: 12 * time.Hour, TokenCacheTTL: 10 * time.Second}
}

var loginName = regexp.MustCompile(`^[a-zA-Z0-9_.@-]{3,64}$`)

// MinPasswordLength keeps trivially guessable passwords out.
const MinPasswordLength = 8

func (in *NewUser) validate() error {
	f := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	if !loginName.MatchString(in.Name) {
		f["name"] = "3–64 letters, digits or . _ @ - / 3–64 个字母、数字或 . _ @ -"
	}
	if in.DisplayName = strings.TrimSpace(in.DisplayName); in.DisplayName == "" {
		in.DisplayName = in.Name
	}
	if utf8.RuneCountInString(in.DisplayName) > 64 {
		f["display_name"] = "at most 64 characters / 最多 64 个字符"
	}
	if !in.Role.Valid() {
		f["role"] = "unknown role / 未知角色"
	}
	if utf8.RuneCountInString(in.Password) < MinPasswordLength {
		f["password"] = "at least 8 characters / 密码至少 8 位"
	}
	if in.Role == fishpond.RoleCountyOfficer && len(in.Counties) == 0 {
		f["counties"] = "a county officer needs at least one county / 县级干部至少要指定一个县"
	}
	if in.Role == fishpond.RoleHousehold && in.HouseholdID == "" {
		f["household_id"] = "a household user needs its household / 农户账号必须关联农户"
	}
	if in.Role != fishpond.RoleHousehold && in.HouseholdID != "" {
		f["household_id"] = "only household users belong to a household / 只有农户账号关联农户"
	}
	if !in.Role.CountyScoped() && len(in.Counties) > 0 {
		f["counties"] = "this role is not scoped to counties / 该角色不按县限定"
	}
	if len(f) > 0 {
		return fishpond.Invalid("the user is not valid / 用户信息有误", f)
	}
	return nil
}

// CreateUser adds a user. Only admins may do it (the CLI acts as fishpond.System).
func (s *Service) CreateUser(ctx context.Context, p fishpond.Principal, in NewUser) (User, error) {
	if p.Role != fishpond.RoleAdmin {
		return User{}, fishpond.Errorf(fishpond.EForbidden, "only an admin can add users / 只有管理员可以添加用户")
	}
	if err := in.validate(); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcrypt.DefaultCost)
	if err != nil {
		return User{}, fishpond.Internal(err)
	}
	var u User
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		u, err = s.insertUser(ctx, tx, in, hash)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// CreateUserTx adds a user inside the caller's transaction, for a capability that
// creates an account together with its own rows (a partner organisation's first
// member). The caller decides who may do it; the input is validated here.
func (s *Service) CreateUserTx(ctx context.Context, tx *db.Tx, in NewUser) (User, error) {
	if err := in.validate(); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcrypt.DefaultCost)
	if err != nil {
		return User{}, fishpond.Internal(err)
	}
	return s.insertUser(ctx, tx, in, hash)
}

func (s *Service) insertUser(ctx context.Context, tx *db.Tx, in NewUser, hash []byte) (User, error) {
	u := User{ID: uuid.Must(uuid.NewV7()).String(), Name: in.Name, DisplayName: in.DisplayName, Role: in.Role,
		Counties: slices.Compact(slices.Sorted(slices.Values(in.Counties))), HouseholdID: in.HouseholdID, CreatedAt: s.clock.Now()}
	err := func() error {
		for _, c := range u.Counties {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM counties WHERE code = ?", c).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fishpond.Invalid("unknown county / 县代码不存在", map[string]string{"counties": c + ": no such county / 没有这个县"})
			}
		}
		if u.HouseholdID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM households WHERE id = ?", u.HouseholdID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fishpond.Invalid("unknown household / 农户不存在", map[string]string{"household_id": "no such household / 没有这个农户"})
			}
		}
		var hh any
		if u.HouseholdID != "" {
			hh = u.HouseholdID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, display_name, role, password_hash, household_id, disabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?)`, u.ID, u.Name, u.DisplayName, string(u.Role), string(hash), hh, db.FormatTime(u.CreatedAt))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "a user named %q already exists / 用户名已存在", u.Name)
		}
		if err != nil {
			return err
		}
		for _, c := range u.Counties {
			if _, err := tx.ExecContext(ctx, "INSERT INTO user_counties (user_id, county_code) VALUES (?, ?)", u.ID, c); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		return User{}, wrap(err)
	}
	return u, nil
}

// wrap passes fishpond errors through and hides the rest as internal.
func wrap(err error) error {
	var fe *fishpond.Error
	if err == nil || errors.As(err, &fe) {
		return err
	}
	return fishpond.Internal(err)
}

const userColumns = "id, name, display_name, role, password_hash, household_id, disabled, created_at"

func scanUser(row interface{ Scan(...any) error }) (User, string, error) {
	var u User
	var role, hash, created string
	var hh sql.NullString
	var disabled int
	if err := row.Scan(&u.ID, &u.Name, &u.DisplayName, &role, &hash, &hh, &disabled, &created); err != nil {
		return User{}, "", err
	}
	u.Role, u.HouseholdID, u.Disabled, u.CreatedAt = fishpond.Role(role), hh.String, disabled != 0, db.MustTime(created)
	return u, hash, nil
}

func loadCounties(ctx context.Context, q db.Querier, u *User) error {
	rows, err := q.QueryContext(ctx, "SELECT county_code FROM user_counties WHERE user_id = ? ORDER BY county_code", u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	u.Counties = nil
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		u.Counties = append(u.Counties, c)
	}
	return rows.Err()
}

// UserByName finds a user by login name.
func (s *Service) UserByName(ctx context.Context, name string) (User, error) {
	u, _, err := s.userByName(ctx, name)
	return u, err
}

func (s *Service) userByName(ctx context.Context, name string) (User, string, error) {
	q := s.db.Read()
	u, hash, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE name = ?", name))
	if err != nil {
		return User{}, "", db.NotFound(err, "no user named %q / 没有这个用户", name)
	}
	if err := loadCounties(ctx, q, &u); err != nil {
		return User{}, "", fishpond.Internal(err)
	}
	return u, hash, nil
}

func (s *Service) userByID(ctx context.Context, q db.Querier, id string) (User, error) {
	u, _, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	if err != nil {
		return User{}, db.NotFound(err, "no such user / 没有这个用户")
	}
	if err := loadCounties(ctx, q, &u); err != nil {
		return User{}, fishpond.Internal(err)
	}
	return u, nil
}

// Users lists every user; admins only.
func (s *Service) Users(ctx context.Context, p fishpond.Principal) ([]User, error) {
	if p.Role != fishpond.RoleAdmin {
		return nil, fishpond.Errorf(fishpond.EForbidden, "only an admin can list users / 只有管理员可以查看用户")
	}
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY role, name")
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var out []User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		out = append(out, u)
	}
	rows.Close()
	for i := range out {
		if err := loadCounties(ctx, q, &out[i]); err != nil {
			return nil, fishpond.Internal(err)
		}
	}
	return out, nil
}

// SetDisabled blocks or unblocks a user; a disabled user's sessions and tokens stop working.
func (s *Service) SetDisabled(ctx context.Context, p fishpond.Principal, userID string, disabled bool) error {
	if p.Role != fishpond.RoleAdmin {
		return fishpond.Errorf(fishpond.EForbidden, "only an admin can change users / 只有管理员可以修改用户")
	}
	if userID == p.UserID && disabled {
		return fishpond.Errorf(fishpond.EInvalid, "you cannot disable yourself / 不能停用自己")
	}
	v := 0
	if disabled {
		v = 1
	}
	// Forgetting cached tokens is always safe, so it happens whatever the outcome.
	defer s.tokens.forget(func(c cachedToken) bool { return c.user.ID == userID })
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET disabled = ? WHERE id = ?", v, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fishpond.Errorf(fishpond.ENotFound, "no such user / 没有这个用户")
		}
		if disabled {
			_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		}
		return err
	}))
}
