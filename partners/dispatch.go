package partners

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"fishpond"
	"fishpond/client"
	"fishpond/internal/db"
)

// Backoff is the wait before each retry of a failed delivery; after the last
// one the delivery is marked failed (a member can redeliver it by hand).
var Backoff = []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Dispatcher sends due deliveries: signed POSTs, a 2xx answer within the timeout
// counts as delivered, anything else is retried on the Backoff schedule. Several
// dispatchers (one per server instance) may run: each claims a delivery by moving
// its next attempt time forward before sending, so a delivery is sent by one.
type Dispatcher struct {
	s      *Service
	Client *http.Client
	// Workers is how many deliveries are sent at once (default 8).
	Workers int
	// Interval is how often the queue is polled when idle (default 1s).
	Interval time.Duration
	// OnError reports a failure to read or claim the queue (the server logs it).
	OnError func(error)
	once    sync.Once
	wakeC   chan struct{}
}

// NewDispatcher builds the dispatcher and attaches it to the service so enqueues
// wake it.
func NewDispatcher(s *Service) *Dispatcher {
	d := &Dispatcher{s: s, Workers: 8, Interval: time.Second, Client: &http.Client{
		Timeout: 10 * time.Second,
		// A redirect could point the signed body anywhere: not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	s.Dispatcher = d
	return d
}

func (d *Dispatcher) wake() {
	d.once.Do(func() { d.wakeC = make(chan struct{}, 1) })
	select {
	case d.wakeC <- struct{}{}:
	default:
	}
}

// Run sends deliveries until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	d.once.Do(func() { d.wakeC = make(chan struct{}, 1) })
	t := time.NewTimer(d.Interval)
	defer t.Stop()
	for {
		n, err := d.SendDue(ctx)
		if err != nil && ctx.Err() == nil && d.OnError != nil {
			d.OnError(err)
		}
		if n > 0 {
			continue
		}
		t.Reset(d.Interval)
		select {
		case <-ctx.Done():
			return
		case <-d.wakeC:
		case <-t.C:
		}
	}
}

type due struct {
	id, subID, partnerID, eventType, body, nextAt string
	attempts                                      int
}

// SendDue sends the deliveries due now, at most a batch, and returns how many it
// attempted.
func (d *Dispatcher) SendDue(ctx context.Context) (int, error) {
	now := d.s.clock.Now()
	rows, err := d.s.db.Read().QueryContext(ctx, `SELECT id, subscription_id, partner_id, event_type, body, next_at, attempts FROM webhook_deliveries
		WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT 50`, db.FormatTime(now))
	if err != nil {
		return 0, err
	}
	var batch []due
	for rows.Next() {
		var x due
		if err := rows.Scan(&x.id, &x.subID, &x.partnerID, &x.eventType, &x.body, &x.nextAt, &x.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		batch = append(batch, x)
	}
	rows.Close()
	// Claim: push next_at past the send timeout; a dispatcher that loses the race
	// (next_at already changed) skips the delivery.
	lease := db.FormatTime(now.Add(d.Client.Timeout + 30*time.Second))
	var claimed []due
	err = d.s.db.InTx(ctx, func(tx *db.Tx) error {
		claimed = claimed[:0]
		for _, x := range batch {
			res, err := tx.ExecContext(ctx, "UPDATE webhook_deliveries SET next_at = ? WHERE id = ? AND status = 'pending' AND next_at = ?", lease, x.id, x.nextAt)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				claimed = append(claimed, x)
			}
		}
		return nil
	})
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	workers := max(1, d.Workers)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for _, x := range claimed {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d.send(ctx, x)
		}()
	}
	wg.Wait()
	return len(claimed), nil
}

// send makes one attempt and records its outcome.
func (d *Dispatcher) send(ctx context.Context, x due) {
	var url, sealed, partnerStatus string
	var active int
	err := d.s.db.Read().QueryRowContext(ctx, `SELECT s.url, s.secret_enc, s.active, p.status FROM webhook_subscriptions s
		JOIN partners p ON p.id = s.partner_id WHERE s.id = ?`, x.subID).Scan(&url, &sealed, &active, &partnerStatus)
	start := d.s.clock.Now()
	status, errText := 0, ""
	switch {
	case err != nil:
		errText = "subscription unreadable: " + err.Error()
	case active == 0:
		errText = "subscription paused"
	case partnerStatus != string(StatusApproved):
		errText = "organisation " + partnerStatus
	default:
		secret, err := d.s.keys.Open(sealed)
		if err != nil {
			errText = "secret unreadable"
			break
		}
		status, errText = d.post(ctx, url, secret, x)
	}
	ok := status >= 200 && status < 300
	dur := d.s.clock.Now().Sub(start)
	attempts := x.attempts + 1
	now := d.s.clock.Now()
	state, next := DeliveryPending, now
	switch {
	case ok:
		state = DeliveryDelivered
	case attempts > len(Backoff):
		state = DeliveryFailed
	default:
		next = now.Add(Backoff[attempts-1])
	}
	d.s.db.InTx(context.WithoutCancel(ctx), func(tx *db.Tx) error {
		var delivered any
		if ok {
			delivered = db.FormatTime(now)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?`,
			state, attempts, db.FormatTime(next), status, errText, delivered, x.id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)",
			x.id, db.FormatTime(start), status, errText, dur.Milliseconds())
		return err
	})
}

func (d *Dispatcher) post(ctx context.Context, url, secret string, x due) (int, string) {
	body := []byte(x.body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Fishpond-Webhooks/1")
	req.Header.Set(client.HeaderEvent, x.eventType)
	req.Header.Set(client.HeaderDelivery, x.id)
	req.Header.Set(client.HeaderSignature, client.SignWebhook(secret, d.s.clock.Now(), body))
	resp, err := d.Client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(snippet))
}

// DeliveryRow is one delivery as the portal lists it.
type DeliveryRow struct {
	ID             string     `json:"id"`
	SubscriptionID string     `json:"subscription_id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type"`
	CountyCode     string     `json:"county_code"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAt         time.Time  `json:"next_at"`
	LastStatus     int        `json:"last_status"`
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
}

// Deliveries lists an organisation's latest deliveries, optionally of one state.
func (s *Service) Deliveries(ctx context.Context, pr fishpond.Principal, partnerID, status string, limit int) ([]DeliveryRow, error) {
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := `SELECT id, subscription_id, event_id, event_type, county_code, status, attempts, next_at, last_status, last_error, created_at, delivered_at
		FROM webhook_deliveries WHERE partner_id = ?`
	args := []any{partnerID}
	if status != "" {
		q += " AND status = ?"
		args = append(args, status)
	}
	args = append(args, limit)
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY created_at DESC, id DESC LIMIT ?", args...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	out := []DeliveryRow{}
	for rows.Next() {
		var r DeliveryRow
		var next, created string
		var delivered *string
		if err := rows.Scan(&r.ID, &r.SubscriptionID, &r.EventID, &r.EventType, &r.CountyCode, &r.Status, &r.Attempts, &next, &r.LastStatus, &r.LastError, &created, &delivered); err != nil {
			return nil, fishpond.Internal(err)
		}
		r.NextAt, r.CreatedAt = db.MustTime(next), db.MustTime(created)
		if delivered != nil {
			t := db.MustTime(*delivered)
			r.DeliveredAt = &t
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err())
}

// Redeliver queues a delivery again now, whatever its state; the receiver sees
// the same Fishpond-Delivery ID and can de-duplicate.
func (s *Service) Redeliver(ctx context.Context, pr fishpond.Principal, deliveryID string) error {
	var partnerID string
	if err := s.db.Read().QueryRowContext(ctx, "SELECT partner_id FROM webhook_deliveries WHERE id = ?", deliveryID).Scan(&partnerID); err != nil {
		return fishpond.Errorf(fishpond.ENotFound, "no such delivery / 推送记录不存在")
	}
	if err := s.canManage(ctx, pr, partnerID); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE webhook_deliveries SET status = 'pending', next_at = ? WHERE id = ?", db.FormatTime(s.clock.Now()), deliveryID)
		return err
	})
	if err == nil && s.Dispatcher != nil {
		s.Dispatcher.wake()
	}
	return wrap(err)
}
