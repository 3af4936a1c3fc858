package partners

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"fishpond"
	"fishpond/access"
	"fishpond/internal/db"
	"fishpond/internal/secret"
)

// Status is where an organisation's application stands.
type Status string

// The statuses of a partner.
const (
	StatusPending   Status = "pending"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusSuspended Status = "suspended"
)

// Kinds of organisation in the alliance.
var Kinds = []string{"ngo", "government", "company", "research"}

// DefaultRatePerMinute is a new partner's and key's call budget per minute.
const DefaultRatePerMinute = 600

// Partner is an organisation of the alliance. The contact person's name and phone
// are personal data: sealed at rest, and masked unless the reader is an admin or
// one of the partner's own members.
type Partner struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Kind          string     `json:"kind"`
	Website       string     `json:"website"`
	Purpose       string     `json:"purpose"`
	ContactName   string     `json:"contact_name"`
	ContactPhone  string     `json:"contact_phone"`
	Status        Status     `json:"status"`
	DecisionNote  string     `json:"decision_note"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	RatePerMinute int        `json:"rate_per_minute"`
	Scopes        []string   `json:"scopes"`
	Counties      []string   `json:"counties"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Service is the alliance's store and rules.
type Service struct {
	db     *db.DB
	keys   *secret.Keys
	clock  fishpond.Clock
	access *access.Service
	// Limiter throttles calls made with keys; see Limiter.
	Limiter *Limiter
	// AllowHTTPWebhooks accepts plain http:// webhook URLs (for local development
	// and tests); production requires https.
	AllowHTTPWebhooks bool
	// Dispatcher, when set, is woken as deliveries are enqueued.
	Dispatcher *Dispatcher

	touched sync.Map // key ID → time of the last recorded use
}

// New builds the service.
func New(d *db.DB, keys *secret.Keys, acc *access.Service, clock fishpond.Clock) *Service {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	return &Service{db: d, keys: keys, clock: clock, access: acc, Limiter: NewLimiter(clock)}
}

// DB returns the database the service writes to.
func (s *Service) DB() *db.DB { return s.db }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Application is what an organisation submits to join, with its first member's
// login.
type Application struct {
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Website      string `json:"website"`
	Purpose      string `json:"purpose"`
	ContactName  string `json:"contact_name"`
	ContactPhone string `json:"contact_phone"`
	UserName     string `json:"user_name"`
	Password     string `json:"password"`
}

func (a *Application) validate() error {
	a.Name, a.Website, a.Purpose = strings.TrimSpace(a.Name), strings.TrimSpace(a.Website), strings.TrimSpace(a.Purpose)
	a.ContactName, a.ContactPhone = strings.TrimSpace(a.ContactName), strings.TrimSpace(a.ContactPhone)
	f := map[string]string{}
	if n := utf8.RuneCountInString(a.Name); n < 2 || n > 100 {
		f["name"] = "2 to 100 characters / 2 至 100 个字"
	}
	if !slices.Contains(Kinds, a.Kind) {
		f["kind"] = "one of " + strings.Join(Kinds, ", ")
	}
	if u, err := url.Parse(a.Website); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		f["website"] = "an http(s) address / 网址"
	}
	if n := utf8.RuneCountInString(a.Purpose); n < 10 || n > 2000 {
		f["purpose"] = "describe the purpose in 10 to 2000 characters / 用 10 至 2000 字说明用途"
	}
	if n := utf8.RuneCountInString(a.ContactName); n < 1 || n > 50 {
		f["contact_name"] = "required, at most 50 characters / 必填"
	}
	if !validPhone(a.ContactPhone) {
		f["contact_phone"] = "a mobile (11 digits starting with 1) or landline number / 手机或座机号码"
	}
	if len(f) > 0 {
		return fishpond.Invalid("the application is incomplete / 申请信息不完整", f)
	}
	return nil
}

func validPhone(p string) bool {
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '-' || r == ' ' || r == '+':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// Apply records an organisation's application and creates its first member's
// account (role partner), in one transaction: either both exist or neither.
// Anyone may apply; nothing is granted until an admin approves.
func (s *Service) Apply(ctx context.Context, a Application) (Partner, error) {
	if err := a.validate(); err != nil {
		return Partner{}, err
	}
	nameEnc, err := s.keys.Seal(a.ContactName)
	if err != nil {
		return Partner{}, fishpond.Internal(err)
	}
	phoneEnc, err := s.keys.Seal(a.ContactPhone)
	if err != nil {
		return Partner{}, fishpond.Internal(err)
	}
	now := s.clock.Now()
	p := Partner{ID: newID(), Name: a.Name, Kind: a.Kind, Website: a.Website, Purpose: a.Purpose, ContactName: a.ContactName,
		ContactPhone: a.ContactPhone, Status: StatusPending, RatePerMinute: DefaultRatePerMinute, Scopes: []string{}, Counties: []string{}, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM partners WHERE name = ?", a.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fishpond.Errorf(fishpond.EConflict, "an organisation named %q has already applied / 该机构已提交过申请", a.Name)
		}
		u, err := s.access.CreateUserTx(ctx, tx, access.NewUser{Name: a.UserName, DisplayName: a.Name, Role: fishpond.RolePartner, Password: a.Password})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO partners (id, name, kind, website, purpose, contact_name_enc, contact_phone_enc, status, rate_per_minute, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, p.Name, p.Kind, p.Website, p.Purpose, nameEnc, phoneEnc, string(p.Status), p.RatePerMinute, db.FormatTime(now)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO partner_members (partner_id, user_id, added_at) VALUES (?, ?, ?)", p.ID, u.ID, db.FormatTime(now))
		return err
	})
	if err != nil {
		return Partner{}, wrap(err)
	}
	return p, nil
}

// AddMember gives another user account to the organisation: an admin or one of
// its members may do it.
func (s *Service) AddMember(ctx context.Context, pr fishpond.Principal, partnerID string, in access.NewUser) (access.User, error) {
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return access.User{}, err
	}
	in.Role = fishpond.RolePartner
	in.Counties, in.HouseholdID = nil, ""
	var u access.User
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if u, err = s.access.CreateUserTx(ctx, tx, in); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO partner_members (partner_id, user_id, added_at) VALUES (?, ?, ?)", partnerID, u.ID, db.FormatTime(s.clock.Now()))
		return err
	})
	return u, wrap(err)
}

// Member is one account acting for an organisation.
type Member struct {
	UserID      string    `json:"user_id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	AddedAt     time.Time `json:"added_at"`
}

// Members lists the organisation's accounts.
func (s *Service) Members(ctx context.Context, pr fishpond.Principal, partnerID string) ([]Member, error) {
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT u.id, u.name, u.display_name, m.added_at FROM partner_members m
		JOIN users u ON u.id = m.user_id WHERE m.partner_id = ? ORDER BY m.added_at, u.name`, partnerID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var m Member
		var at string
		if err := rows.Scan(&m.UserID, &m.Name, &m.DisplayName, &at); err != nil {
			return nil, fishpond.Internal(err)
		}
		m.AddedAt = db.MustTime(at)
		out = append(out, m)
	}
	return out, wrap(rows.Err())
}

// PartnerOf returns the organisation the user acts for, or ENotFound.
func (s *Service) PartnerOf(ctx context.Context, pr fishpond.Principal) (Partner, error) {
	if pr.KeyScoped() {
		return s.get(ctx, s.db.Read(), pr.PartnerID, true)
	}
	var id string
	err := s.db.Read().QueryRowContext(ctx, "SELECT partner_id FROM partner_members WHERE user_id = ?", pr.UserID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Partner{}, fishpond.Errorf(fishpond.ENotFound, "this account does not belong to a partner organisation / 该账号不属于合作机构")
	}
	if err != nil {
		return Partner{}, fishpond.Internal(err)
	}
	return s.get(ctx, s.db.Read(), id, true)
}

// Get returns an organisation to an admin or one of its members.
func (s *Service) Get(ctx context.Context, pr fishpond.Principal, id string) (Partner, error) {
	if err := s.canManage(ctx, pr, id); err != nil {
		return Partner{}, err
	}
	return s.get(ctx, s.db.Read(), id, true)
}

// List returns every organisation, newest first, to an admin; contacts masked.
func (s *Service) List(ctx context.Context, pr fishpond.Principal, status Status) ([]Partner, error) {
	if pr.Role != fishpond.RoleAdmin || pr.KeyScoped() {
		return nil, fishpond.Errorf(fishpond.EForbidden, "only an admin can list partner organisations / 只有管理员可以查看合作机构列表")
	}
	q := "SELECT id FROM partners"
	args := []any{}
	if status != "" {
		q += " WHERE status = ?"
		args = append(args, string(status))
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY created_at DESC, id", args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]Partner, 0, len(ids))
	for _, id := range ids {
		p, err := s.get(ctx, s.db.Read(), id, false)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// canManage lets an admin, or a member's session (not a key), manage the partner.
func (s *Service) canManage(ctx context.Context, pr fishpond.Principal, partnerID string) error {
	if pr.KeyScoped() {
		return fishpond.Errorf(fishpond.EForbidden, "API keys cannot manage the organisation; sign in to the partner portal / API 密钥不能管理机构，请登录合作伙伴门户")
	}
	if pr.Role == fishpond.RoleAdmin {
		var n int
		if err := s.db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM partners WHERE id = ?", partnerID).Scan(&n); err != nil {
			return fishpond.Internal(err)
		}
		if n == 0 {
			return fishpond.Errorf(fishpond.ENotFound, "no such partner organisation / 合作机构不存在")
		}
		return nil
	}
	var n int
	if err := s.db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM partner_members WHERE partner_id = ? AND user_id = ?", partnerID, pr.UserID).Scan(&n); err != nil {
		return fishpond.Internal(err)
	}
	if n == 0 {
		return fishpond.Errorf(fishpond.EForbidden, "you are not a member of this organisation / 你不是该机构的成员")
	}
	return nil
}

func (s *Service) get(ctx context.Context, q db.Querier, id string, reveal bool) (Partner, error) {
	var p Partner
	var nameEnc, phoneEnc, status, created string
	var decided sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, name, kind, website, purpose, contact_name_enc, contact_phone_enc, status, decision_note, decided_at, rate_per_minute, created_at
		FROM partners WHERE id = ?`, id).Scan(&p.ID, &p.Name, &p.Kind, &p.Website, &p.Purpose, &nameEnc, &phoneEnc, &status, &p.DecisionNote, &decided, &p.RatePerMinute, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Partner{}, fishpond.Errorf(fishpond.ENotFound, "no such partner organisation / 合作机构不存在")
	}
	if err != nil {
		return Partner{}, fishpond.Internal(err)
	}
	p.Status, p.CreatedAt = Status(status), db.MustTime(created)
	if decided.Valid {
		t := db.MustTime(decided.String)
		p.DecidedAt = &t
	}
	if p.ContactName, err = s.keys.Open(nameEnc); err != nil {
		return Partner{}, fishpond.Internal(err)
	}
	if p.ContactPhone, err = s.keys.Open(phoneEnc); err != nil {
		return Partner{}, fishpond.Internal(err)
	}
	if !reveal {
		p.ContactName, p.ContactPhone = maskName(p.ContactName), maskPhone(p.ContactPhone)
	}
	if p.Scopes, err = column(ctx, q, "SELECT scope FROM partner_scopes WHERE partner_id = ? ORDER BY scope", id); err != nil {
		return Partner{}, err
	}
	if p.Counties, err = column(ctx, q, "SELECT county_code FROM partner_counties WHERE partner_id = ? ORDER BY county_code", id); err != nil {
		return Partner{}, err
	}
	return p, nil
}

func column(ctx context.Context, q db.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, v)
	}
	return out, wrap(rows.Err())
}

func maskName(n string) string {
	r := []rune(n)
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", max(1, len(r)-1))
}

func maskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	if len(r) <= 7 {
		return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// wrap passes fishpond errors through and hides the rest as internal.
func wrap(err error) error {
	var fe *fishpond.Error
	if err == nil || errors.As(err, &fe) {
		return err
	}
	return fishpond.Internal(err)
}
