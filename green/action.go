package green

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
)

// Action is one low-carbon action of a user. ID is the idempotency key and must be
// globally unique and stable: "market:order:<id>:e_receipt" for platform actions,
// "partner:<partner user>:<the partner's own id>" for reported ones (the API
// prefixes it), so the same action reported twice counts once.
type Action struct {
	ID       string
	UserID   string
	Kind     string
	Quantity int64
	At       time.Time // when it happened
	Source   string    // "market", "partner:<user id>", …

	// atDefaulted is set when the report gave no time and now was taken: a retry
	// of such a report carries another now, so the time is not compared.
	atDefaulted bool
}

// Result is what recording an action gave.
type Result struct {
	ActionID string
	Grams    int64 // energy granted after the daily cap
	Capped   bool  // the daily cap cut the energy (Grams may be 0)
	RipeAt   time.Time
	Expires  time.Time
	// Replayed is true when the action id was recorded before with the same
	// content; nothing new was granted.
	Replayed bool
	Err      error
}

const (
	maxQuantity = 1_000_000
	maxIDLen    = 200
)

// validate checks what needs no database, given the time of recording;
// maxBackdate 0 accepts any age (the platform's own late events).
func (a *Action) validate(now time.Time, maxBackdate time.Duration, partner bool) error {
	f := map[string]string{}
	a.ID, a.UserID = strings.TrimSpace(a.ID), strings.TrimSpace(a.UserID)
	if a.ID == "" || len(a.ID) > maxIDLen || !utf8.ValidString(a.ID) {
		f["action_id"] = fmt.Sprintf("必填，最多%d字节 required, at most %d bytes", maxIDLen, maxIDLen)
	}
	if a.UserID == "" || len(a.UserID) > 64 {
		f["user_id"] = "必填 required"
	}
	c, ok := ConversionOf(a.Kind)
	switch {
	case !ok:
		f["kind"] = "未知的低碳行为 unknown action kind; see GET /api/v1/green/conversions"
	case partner && !c.Partner:
		f["kind"] = "该行为由平台记录，合作方不能上报 recorded by the platform itself; partners cannot report it"
	}
	if a.Quantity <= 0 || a.Quantity > maxQuantity {
		f["quantity"] = fmt.Sprintf("须为 1 至 %d 的整数 a whole number from 1 to %d", maxQuantity, maxQuantity)
	}
	if a.At.IsZero() {
		a.At, a.atDefaulted = now, true
	}
	a.At = a.At.UTC().Truncate(time.Microsecond)
	switch {
	case a.At.After(now.Add(5 * time.Minute)):
		f["occurred_at"] = "不能晚于现在 cannot be in the future"
	case maxBackdate > 0 && a.At.Before(now.Add(-maxBackdate)):
		f["occurred_at"] = fmt.Sprintf("太早，能量已过期 older than %s: its energy would have expired", maxBackdate)
	}
	if a.Source == "" {
		a.Source = "platform"
	}
	if len(f) > 0 {
		return fishpond.Invalid("低碳行为无效 invalid action", f)
	}
	return nil
}

// same reports whether a stored action is the one being reported again.
func (a *Action) same(userID, kind string, qty int64, at time.Time) bool {
	return a.UserID == userID && a.Kind == kind && a.Quantity == qty && (a.atDefaulted || a.At.Equal(at))
}

// day is the China date an action's energy counts against the cap on.
func day(t time.Time) string { return t.In(fishpond.ChinaTime).Format("2006-01-02") }

func conflictAction(id string) error {
	return fishpond.Errorf(fishpond.EConflict, "行为编号 %q 已用于另一行为 action id already recorded for a different action", id)
}
