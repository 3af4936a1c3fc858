// Package fishpond holds the vocabulary every part of Fishpond shares: money in fen,
// reporting periods, the one error type with its codes, and the clock. It imports
// nothing from the project so that every floor can depend on it.
package fishpond

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Money is an amount in fen (1/100 yuan). Floats never hold money: rounding errors
// in a ledger that proves household income would be a defect, not a nuisance.
type Money int64

// Yuan builds Money from whole yuan.
func Yuan(y int64) Money { return Money(y * 100) }

// String renders the amount as yuan with two decimals, e.g. "5912.50".
func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// ParseMoney reads "12", "12.5" or "12.50" yuan into fen and rejects anything with
// more than two decimals, so no input is silently rounded.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, fmt.Errorf("%q is not an amount in yuan with at most two decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e15 {
		return 0, fmt.Errorf("%q is not an amount in yuan", s)
	}
	var f int64
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		f, err = strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("%q is not an amount in yuan", s)
		}
	}
	m := Money(w*100 + f)
	if neg {
		m = -m
	}
	return m, nil
}

// Period is a half-year reporting period such as "2020H1", the unit of the
// programme's public reports.
type Period string

// ParsePeriod validates a period string.
func ParsePeriod(s string) (Period, error) {
	if len(s) != 6 || (s[4:] != "H1" && s[4:] != "H2") {
		return "", fmt.Errorf("%q is not a half-year period like 2020H1", s)
	}
	if y, err := strconv.Atoi(s[:4]); err != nil || y < 2000 || y > 2100 {
		return "", fmt.Errorf("%q has no plausible year", s)
	}
	return Period(s), nil
}

// Bounds returns the half-open time range [start, end) of the period in China time.
func (p Period) Bounds() (time.Time, time.Time) {
	y, _ := strconv.Atoi(string(p[:4]))
	m := time.January
	if p[4:] == "H2" {
		m = time.July
	}
	start := time.Date(y, m, 1, 0, 0, 0, 0, ChinaTime)
	return start, start.AddDate(0, 6, 0)
}

// ChinaTime is UTC+8, the zone every date in the registry and the reports means.
var ChinaTime = time.FixedZone("CST", 8*3600)

// Clock gives the current time; tests inject a fixed one so that every transaction
// uses one known "now".
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// FixedClock always returns T; tests use it to control time.
type FixedClock struct{ T time.Time }

// Now returns the fixed time.
func (c FixedClock) Now() time.Time { return c.T }

// ErrorCode classifies errors so that web maps them to HTTP statuses in one table.
type ErrorCode string

// The error codes of DESIGN.md.
const (
	EInvalid      ErrorCode = "invalid"
	ENotFound     ErrorCode = "not_found"
	EConflict     ErrorCode = "conflict"
	EForbidden    ErrorCode = "forbidden"
	EUnauthorized ErrorCode = "unauthorized"
	ERateLimited  ErrorCode = "rate_limited"
	ETooLarge     ErrorCode = "too_large"
	EInternal     ErrorCode = "internal"
)

// Error is the one error type of Fishpond. Message is safe to show a user; Fields
// names invalid inputs; Err keeps an internal cause for the log only.
type Error struct {
	Code    ErrorCode
	Message string
	Fields  map[string]string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted, user-safe message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds a validation error from field messages.
func Invalid(msg string, fields map[string]string) *Error {
	return &Error{Code: EInvalid, Message: msg, Fields: fields}
}

// Internal wraps an unexpected error; its text goes to the log, never to a user.
func Internal(err error) *Error {
	return &Error{Code: EInternal, Message: "internal error", Err: err}
}

// Code extracts the ErrorCode of err, EInternal for foreign errors.
func Code(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// Bp is a rate in basis points (1/10000): percentages never use floats either.
type Bp int64

// Of applies the rate to an amount, rounding down to the fen, so that a rule never
// moves more than it promised.
func (b Bp) Of(m Money) Money { return Money(int64(m) * int64(b) / 10000) }
