package partners

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Subscription sends the events of some types in some counties to a partner's
// URL. The secret that signs them is shown once, at creation.
type Subscription struct {
	ID         string    `json:"id"`
	PartnerID  string    `json:"partner_id"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"event_types"`
	Counties   []string  `json:"counties"`
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
}

// SubscriptionInput is what a member asks for.
type SubscriptionInput struct {
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	Counties   []string `json:"counties"`
}

// Subscribe adds a webhook for an approved organisation holding the webhooks
// scope, for event types partners may receive and counties of its grant.
func (s *Service) Subscribe(ctx context.Context, pr fishpond.Principal, partnerID string, in SubscriptionInput) (string, Subscription, error) {
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return "", Subscription{}, err
	}
	p, err := s.get(ctx, s.db.Read(), partnerID, true)
	if err != nil {
		return "", Subscription{}, err
	}
	if p.Status != StatusApproved || len(intersect([]string{ScopeWebhooks}, p.Scopes)) == 0 {
		return "", Subscription{}, fishpond.Errorf(fishpond.EForbidden, "webhooks are not granted to your organisation / 机构未获得事件推送权限")
	}
	in.URL = strings.TrimSpace(in.URL)
	in.EventTypes, in.Counties = set(in.EventTypes), set(in.Counties)
	f := map[string]string{}
	if u, err := url.Parse(in.URL); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && s.AllowHTTPWebhooks)) || u.User != nil || len(in.URL) > 500 {
		f["url"] = "an https:// address without credentials / 以 https:// 开头、不含账号密码的地址"
	}
	if len(in.EventTypes) == 0 {
		f["event_types"] = "at least one event type / 至少选择一种事件"
	}
	for _, t := range in.EventTypes {
		if !validPattern(t) {
			f["event_types"] = "unknown event type " + t + "; one of " + strings.Join(WebhookEvents, ", ")
		}
	}
	if len(in.Counties) == 0 {
		f["counties"] = "at least one county / 至少选择一个县"
	}
	if len(f) > 0 {
		return "", Subscription{}, fishpond.Invalid("invalid webhook / 推送设置无效", f)
	}
	if over := minus(in.Counties, p.Counties); len(over) > 0 {
		return "", Subscription{}, fishpond.Errorf(fishpond.EForbidden, "counties not granted to your organisation: %s / 超出机构授权的县", strings.Join(over, ", "))
	}
	var b [24]byte
	rand.Read(b[:])
	secret := "whsec_" + hex.EncodeToString(b[:])
	sealed, err := s.keys.Seal(secret)
	if err != nil {
		return "", Subscription{}, fishpond.Internal(err)
	}
	sub := Subscription{ID: newID(), PartnerID: partnerID, URL: in.URL, EventTypes: in.EventTypes, Counties: in.Counties, Active: true, CreatedAt: s.clock.Now()}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (id, partner_id, url, event_types, counties, secret_enc, active, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`, sub.ID, partnerID, sub.URL, joinSet(sub.EventTypes), joinSet(sub.Counties), sealed, pr.UserID, db.FormatTime(sub.CreatedAt))
		return err
	})
	if err != nil {
		return "", Subscription{}, wrap(err)
	}
	return secret, sub, nil
}

func minus(xs, ys []string) []string {
	in := map[string]bool{}
	for _, y := range ys {
		in[y] = true
	}
	var out []string
	for _, x := range xs {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// SetActive pauses or resumes a subscription.
func (s *Service) SetActive(ctx context.Context, pr fishpond.Principal, subID string, active bool) error {
	sub, err := s.subscription(ctx, subID)
	if err != nil {
		return err
	}
	if err := s.canManage(ctx, pr, sub.PartnerID); err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE webhook_subscriptions SET active = ? WHERE id = ?", boolInt(active), subID)
		return err
	}))
}

// Subscriptions lists an organisation's webhooks.
func (s *Service) Subscriptions(ctx context.Context, pr fishpond.Principal, partnerID string) ([]Subscription, error) {
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+subColumns+" FROM webhook_subscriptions WHERE partner_id = ? ORDER BY created_at DESC, id", partnerID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	out := []Subscription{}
	for rows.Next() {
		sub, err := scanSub(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, sub)
	}
	return out, wrap(rows.Err())
}

const subColumns = "id, partner_id, url, event_types, counties, active, created_at"

func scanSub(row interface{ Scan(...any) error }) (Subscription, error) {
	var sub Subscription
	var types, counties, created string
	var active int
	if err := row.Scan(&sub.ID, &sub.PartnerID, &sub.URL, &types, &counties, &active, &created); err != nil {
		return Subscription{}, err
	}
	sub.EventTypes, sub.Counties, sub.Active, sub.CreatedAt = splitSet(types), splitSet(counties), active == 1, db.MustTime(created)
	return sub, nil
}

func (s *Service) subscription(ctx context.Context, id string) (Subscription, error) {
	sub, err := scanSub(s.db.Read().QueryRowContext(ctx, "SELECT "+subColumns+" FROM webhook_subscriptions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Subscription{}, fishpond.Errorf(fishpond.ENotFound, "no such webhook / 推送设置不存在")
	}
	if err != nil {
		return Subscription{}, fishpond.Internal(err)
	}
	return sub, nil
}

// Envelope is the JSON body of every delivery.
type Envelope struct {
	EventID    string          `json:"event_id"`
	Seq        int64           `json:"seq"`
	Type       string          `json:"type"`
	Subject    string          `json:"subject"`
	CountyCode string          `json:"county_code"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

// ConsumerName is the event-log consumer that enqueues webhook deliveries.
const ConsumerName = "partners.webhooks"

// Consumer returns the event-log consumer that turns events into deliveries. It
// runs in the consumer's transaction, so each matching event is enqueued exactly
// once; sending happens later, in the Dispatcher.
func (s *Service) Consumer(log *events.Log) *events.Consumer {
	return &events.Consumer{Log: log, Name: ConsumerName, Types: WebhookEvents, Batch: 200, Handle: s.enqueue}
}

// StartAtHead places a consumer that has never run at the end of the log:
// webhooks are for what happens after they exist, and a platform with years of
// history should not replay it all on first start. A consumer that has run keeps
// its checkpoint. ("WHERE true" keeps SQLite from reading ON CONFLICT as a join
// clause of the SELECT.)
func (s *Service) StartAtHead(ctx context.Context) error {
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO event_checkpoints (consumer, seq, updated_at)
			SELECT ?, COALESCE(MAX(seq), 0), ? FROM events WHERE true ON CONFLICT (consumer) DO NOTHING`, ConsumerName, db.FormatTime(s.clock.Now()))
		return err
	}))
}

// enqueue adds a delivery for every active subscription of an approved partner,
// still granted webhooks and the event's county, whose types match.
func (s *Service) enqueue(ctx context.Context, tx *db.Tx, e events.Stored) error {
	if e.CountyCode == "" {
		return nil // partners are scoped by county; an event without one goes to none
	}
	st, err := tx.Stmt(ctx, `SELECT s.id, s.partner_id, s.event_types, s.counties, s.created_at FROM webhook_subscriptions s
		JOIN partners p ON p.id = s.partner_id AND p.status = 'approved'
		JOIN partner_scopes ps ON ps.partner_id = s.partner_id AND ps.scope = 'webhooks'
		JOIN partner_counties pc ON pc.partner_id = s.partner_id AND pc.county_code = ?
		WHERE s.active = 1`)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, e.CountyCode)
	if err != nil {
		return err
	}
	type match struct{ sub, partner string }
	var ms []match
	for rows.Next() {
		var id, partner, types, counties, created string
		if err := rows.Scan(&id, &partner, &types, &counties, &created); err != nil {
			rows.Close()
			return err
		}
		// Only what happened in the subscription's counties since it was made.
		if len(intersect([]string{e.CountyCode}, splitSet(counties))) == 0 || e.At.Before(db.MustTime(created)) {
			continue
		}
		for _, t := range splitSet(types) {
			if matchType(t, e.Type) {
				ms = append(ms, match{id, partner})
				break
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ms) == 0 {
		return err
	}
	body, err := json.Marshal(Envelope{EventID: e.ID, Seq: e.Seq, Type: e.Type, Subject: e.Subject, CountyCode: e.CountyCode, OccurredAt: e.At.UTC(), Data: e.Payload})
	if err != nil {
		return err
	}
	now := db.FormatTime(s.clock.Now())
	ins, err := tx.Stmt(ctx, `INSERT INTO webhook_deliveries (id, subscription_id, partner_id, event_id, event_type, county_code, body, status, attempts, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (subscription_id, event_id) DO NOTHING`)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if _, err := ins.ExecContext(ctx, newID(), m.sub, m.partner, e.ID, e.Type, e.CountyCode, string(body), now, now); err != nil {
			return err
		}
	}
	if s.Dispatcher != nil {
		s.Dispatcher.wake()
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
