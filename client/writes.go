package client

import (
	"context"
	"time"
)

// What a partner's key may write, each with its scope: low-carbon actions for green
// energy (report:green) and sensor readings for devices of its counties
// (write:sensors).

// GreenAction is one low-carbon action of a user the partner knows by login name.
// ActionID is the partner's own id: sending it again is a replay, not a second action.
type GreenAction struct {
	ActionID   string    `json:"action_id"`
	User       string    `json:"user"`
	Kind       string    `json:"kind"` // e.g. walk_steps, public_transport (GET /api/v1/green/conversions)
	Quantity   int64     `json:"quantity"`
	OccurredAt time.Time `json:"occurred_at"`
}

// GreenResult is what became of one action: the energy granted (grams of CO2
// avoided), or why it was refused.
type GreenResult struct {
	ActionID  string    `json:"action_id"`
	Grams     int64     `json:"grams"`
	Capped    bool      `json:"capped"`
	Replayed  bool      `json:"replayed"`
	ExpiresAt time.Time `json:"expires_at"`
	Error     *Error    `json:"error,omitempty"`
}

// ReportGreenActions reports up to 1,000 actions; each gets its own result, in order.
func (c *Client) ReportGreenActions(ctx context.Context, actions []GreenAction) ([]GreenResult, error) {
	var out struct {
		Results []GreenResult `json:"results"`
	}
	err := c.Do(ctx, "POST", "/api/v1/green/actions", map[string]any{"actions": actions}, &out)
	return out.Results, err
}

// Readings is the simple payload form: one device, one time, metric → value.
type Readings struct {
	Device   string             `json:"device"`
	Time     time.Time          `json:"time"`
	Readings map[string]float64 `json:"readings"`
}

// IngestResult counts what was stored; each refused reading says why.
type IngestResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Late       int `json:"late"`
	Rejected   []struct {
		Index  int    `json:"index"`
		Device string `json:"device"`
		Metric string `json:"metric"`
		Reason string `json:"reason"`
	} `json:"rejected,omitempty"`
}

// SendReadings sends readings of a device of the key's counties; it returns after
// they are committed.
func (c *Client) SendReadings(ctx context.Context, r Readings) (IngestResult, error) {
	var out IngestResult
	err := c.Do(ctx, "POST", "/api/v1/sensing/readings", r, &out)
	return out, err
}
