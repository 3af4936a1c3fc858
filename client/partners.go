package client

import (
	"context"
	"strconv"
	"time"
)

// Partner is an organisation of the technology alliance.
type Partner struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"`
	Website       string    `json:"website"`
	Purpose       string    `json:"purpose"`
	ContactName   string    `json:"contact_name"`
	ContactPhone  string    `json:"contact_phone"`
	Status        string    `json:"status"`
	DecisionNote  string    `json:"decision_note"`
	RatePerMinute int       `json:"rate_per_minute"`
	Scopes        []string  `json:"scopes"`
	Counties      []string  `json:"counties"`
	CreatedAt     time.Time `json:"created_at"`
}

// Application is an organisation's request to join; it creates the first member's
// login. No token is needed to apply.
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

// Apply submits an application.
func (c *Client) Apply(ctx context.Context, a Application) (Partner, error) {
	var p Partner
	return p, c.Do(ctx, "POST", "/api/v1/partner-applications", a, &p)
}

// MyPartner returns the organisation of the signed-in member or key.
func (c *Client) MyPartner(ctx context.Context) (Partner, error) {
	var p Partner
	return p, c.Do(ctx, "GET", "/api/v1/partner", nil, &p)
}

// Partners lists organisations (admin), optionally of one status.
func (c *Client) Partners(ctx context.Context, status string) ([]Partner, error) {
	var out Page[Partner]
	return out.Items, c.Do(ctx, "GET", "/api/v1/partners?status="+status, nil, &out)
}

// Decide approves, rejects or suspends an organisation (admin).
func (c *Client) Decide(ctx context.Context, id, status, note string) (Partner, error) {
	var p Partner
	return p, c.Do(ctx, "POST", "/api/v1/partners/"+esc(id)+"/decision", map[string]string{"status": status, "note": note}, &p)
}

// Grant sets an organisation's scopes, counties and calls per minute (admin).
func (c *Client) Grant(ctx context.Context, id string, scopes, counties []string, ratePerMinute int) (Partner, error) {
	var p Partner
	return p, c.Do(ctx, "PUT", "/api/v1/partners/"+esc(id)+"/grant",
		map[string]any{"scopes": scopes, "counties": counties, "rate_per_minute": ratePerMinute}, &p)
}

// Key is an API key's record; the secret is only in NewKey.
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
}

// NewKey is a key as issued: Key is the secret, shown this once.
type NewKey struct {
	Key    string `json:"key"`
	Detail Key    `json:"detail"`
}

// KeyRequest asks for a key within the organisation's grant.
type KeyRequest struct {
	Label         string   `json:"label"`
	Scopes        []string `json:"scopes"`
	Counties      []string `json:"counties"`
	ExpiresInDays int      `json:"expires_in_days,omitempty"`
	RatePerMinute int      `json:"rate_per_minute,omitempty"`
}

// CreateKey issues a key to the organisation.
func (c *Client) CreateKey(ctx context.Context, partnerID string, r KeyRequest) (NewKey, error) {
	var k NewKey
	return k, c.Do(ctx, "POST", "/api/v1/partners/"+esc(partnerID)+"/keys", r, &k)
}

// Keys lists the organisation's keys.
func (c *Client) Keys(ctx context.Context, partnerID string) ([]Key, error) {
	var out Page[Key]
	return out.Items, c.Do(ctx, "GET", "/api/v1/partners/"+esc(partnerID)+"/keys", nil, &out)
}

// RotateKey replaces a key; the old one keeps working for graceHours.
func (c *Client) RotateKey(ctx context.Context, keyID string, graceHours int) (NewKey, error) {
	var k NewKey
	return k, c.Do(ctx, "POST", "/api/v1/partner-keys/"+esc(keyID)+"/rotate", map[string]int{"grace_hours": graceHours}, &k)
}

// RevokeKey stops a key at once.
func (c *Client) RevokeKey(ctx context.Context, keyID string) error {
	return c.Do(ctx, "DELETE", "/api/v1/partner-keys/"+esc(keyID), nil, nil)
}

// Subscription is a webhook.
type Subscription struct {
	ID         string    `json:"id"`
	PartnerID  string    `json:"partner_id"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"event_types"`
	Counties   []string  `json:"counties"`
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
	// Secret signs the deliveries; returned only when the webhook is created.
	Secret string `json:"secret,omitempty"`
}

// Subscribe adds a webhook for event types (e.g. "order.settled", "order.*",
// "household.status.changed") in counties of the organisation's grant.
func (c *Client) Subscribe(ctx context.Context, partnerID, url string, eventTypes, counties []string) (Subscription, error) {
	var s Subscription
	return s, c.Do(ctx, "POST", "/api/v1/partners/"+esc(partnerID)+"/webhooks",
		map[string]any{"url": url, "event_types": eventTypes, "counties": counties}, &s)
}

// Delivery is one webhook delivery and where it stands.
type Delivery struct {
	ID          string     `json:"id"`
	EventID     string     `json:"event_id"`
	EventType   string     `json:"event_type"`
	CountyCode  string     `json:"county_code"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	LastStatus  int        `json:"last_status"`
	LastError   string     `json:"last_error"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

// Deliveries lists the organisation's latest deliveries ("" for any status).
func (c *Client) Deliveries(ctx context.Context, partnerID, status string) ([]Delivery, error) {
	var out Page[Delivery]
	return out.Items, c.Do(ctx, "GET", "/api/v1/partners/"+esc(partnerID)+"/deliveries?status="+status, nil, &out)
}

// Redeliver queues a delivery again.
func (c *Client) Redeliver(ctx context.Context, deliveryID string) error {
	return c.Do(ctx, "POST", "/api/v1/webhook-deliveries/"+esc(deliveryID)+"/redeliver", nil, nil)
}

// Usage is the organisation's call counts.
type Usage struct {
	Days []struct {
		Day     string `json:"day"`
		OK      int    `json:"ok"`
		Refused int    `json:"refused"`
		Failed  int    `json:"failed"`
	} `json:"days"`
	Keys []struct {
		KeyID string `json:"key_id"`
		Calls int    `json:"calls"`
	} `json:"keys"`
}

// Usage returns the organisation's calls over the last days.
func (c *Client) Usage(ctx context.Context, partnerID string, days int) (Usage, error) {
	var u Usage
	return u, c.Do(ctx, "GET", "/api/v1/partners/"+esc(partnerID)+"/usage?days="+strconv.Itoa(days), nil, &u)
}

// WebhookEnvelope is the JSON body of a delivery.
type WebhookEnvelope struct {
	EventID    string         `json:"event_id"`
	Seq        int64          `json:"seq"`
	Type       string         `json:"type"`
	Subject    string         `json:"subject"`
	CountyCode string         `json:"county_code"`
	OccurredAt time.Time      `json:"occurred_at"`
	Data       map[string]any `json:"data"`
}
