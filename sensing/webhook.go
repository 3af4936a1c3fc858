package sensing

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// notifyWebhooks wakes the sender after alerts commit.
func notifyWebhooks(s *Service) {
	select {
	case s.hookWake <- struct{}{}:
	default:
	}
}

// RunWebhooks sends queued alert webhooks until ctx ends: POST of the JSON body
// with X-Fishpond-Event (the event type), X-Fishpond-Delivery (the delivery id,
// for the receiver to deduplicate: delivery is at least once) and
// X-Fishpond-Signature: sha256=HMAC-SHA256(site's webhook secret, body). Failures
// are retried with growing delays, up to 12 attempts.
func (s *Service) RunWebhooks(ctx context.Context, client *http.Client) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		if _, err := s.SendWebhooks(ctx, client); err != nil && ctx.Err() == nil {
			s.log.Error("sensing: webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.hookWake:
		}
	}
}

// SendWebhooks makes one pass over the due deliveries and returns how many succeeded.
func (s *Service) SendWebhooks(ctx context.Context, client *http.Client) (int, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	now := s.now().UnixMilli()
	rows, err := s.db.Read().QueryContext(ctx, `SELECT o.id, o.event, o.body, o.attempts, s.webhook_url, s.webhook_secret FROM sensing_webhook_outbox o
		JOIN sensing_sites s ON s.id = o.site_id WHERE o.delivered_ms = 0 AND o.attempts < 12 AND o.next_ms <= ? ORDER BY o.next_ms LIMIT 100`, now)
	if err != nil {
		return 0, err
	}
	type job struct {
		id, event, body, url, secret string
		attempts                     int64
	}
	var jobs []job
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.id, &j.event, &j.body, &j.attempts, &j.url, &j.secret); err != nil {
			rows.Close()
			return 0, err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	sent := 0
	for _, j := range jobs {
		errText := ""
		if j.url == "" {
			errText = "site has no webhook URL any more"
		} else {
			mac := hmac.New(sha256.New, []byte(j.secret))
			mac.Write([]byte(j.body))
			req, err := http.NewRequestWithContext(ctx, "POST", j.url, bytes.NewReader([]byte(j.body)))
			if err != nil {
				errText = err.Error()
			} else {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Fishpond-Event", j.event)
				req.Header.Set("X-Fishpond-Delivery", j.id)
				req.Header.Set("X-Fishpond-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
				resp, err := client.Do(req)
				if err != nil {
					errText = err.Error()
				} else {
					resp.Body.Close()
					if resp.StatusCode/100 != 2 {
						errText = resp.Status
					}
				}
			}
		}
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			if errText == "" {
				_, err := tx.ExecContext(ctx, "UPDATE sensing_webhook_outbox SET attempts = attempts + 1, delivered_ms = ?, last_error = '' WHERE id = ?", s.now().UnixMilli(), j.id)
				return err
			}
			backoff := int64(time.Second/time.Millisecond) << min(j.attempts, 16)
			_, err := tx.ExecContext(ctx, "UPDATE sensing_webhook_outbox SET attempts = attempts + 1, next_ms = ?, last_error = ? WHERE id = ?", s.now().UnixMilli()+backoff, errText, j.id)
			return err
		})
		if err != nil {
			return sent, err
		}
		if errText == "" {
			sent++
		}
	}
	return sent, nil
}

// WebhookSecret returns the site's signing secret to those who manage it, so the
// receiver can check signatures.
func (s *Service) WebhookSecret(ctx context.Context, p fishpond.Principal, siteID string) (string, error) {
	st, err := s.Site(ctx, p, siteID)
	if err != nil {
		return "", err
	}
	if !canManage(p, st) {
		return "", fishpond.Errorf(fishpond.EForbidden, "only the site's managers see its webhook secret / 仅站点管理者可查看")
	}
	var sec string
	err = s.db.Read().QueryRowContext(ctx, "SELECT webhook_secret FROM sensing_sites WHERE id = ?", siteID).Scan(&sec)
	return sec, err
}
