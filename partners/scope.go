package partners

import (
	"slices"
	"strings"
)

// Scope names one kind of access a partner may be granted.
type Scope struct {
	ID    string
	Zh    string
	Descr string
}

// The scopes of the alliance. Capabilities that accept partner writes check the
// scope on the principal (fishpond.Principal.HasScope); the web layer maps each
// endpoint open to keys to the scope it needs.
const (
	ScopeReadAggregates = "read:aggregates"
	ScopeReadOpen       = "read:open"
	ScopeWriteSensors   = "write:sensors"
	ScopeReportGreen    = "report:green"
	ScopeWebhooks       = "webhooks"
)

// Scopes lists every scope, in the order pages show them.
var Scopes = []Scope{
	{ScopeReadAggregates, "读取所辖县的汇总数据", "read aggregated data (county statistics, assessments) of the granted counties"},
	{ScopeReadOpen, "读取开放数据", "read open data only"},
	{ScopeWriteSensors, "写入传感器读数", "write sensor readings for devices of the granted counties"},
	{ScopeReportGreen, "上报低碳行为", "report low-carbon actions for green energy"},
	{ScopeWebhooks, "订阅事件推送", "subscribe webhooks to events of the granted counties"},
}

// KnownScope reports whether id names a scope.
func KnownScope(id string) bool {
	return slices.ContainsFunc(Scopes, func(s Scope) bool { return s.ID == id })
}

// WebhookEvents are the event types a partner may subscribe to: events that carry
// a county and no personal data. "order.*" style patterns match a prefix.
var WebhookEvents = []string{
	"order.placed", "order.paid", "order.shipped", "order.delivered", "order.settled", "order.refunded", "order.cancelled", "order.expired",
	"household.status.changed",
	"live.session.started", "live.session.ended",
	"logistics.parcel.sent", "logistics.parcel.delivered", "logistics.alert.raised",
	"farms.contract.signed", "farms.payroll.paid",
	"credit.loan.disbursed", "credit.loan.overdue", "insurance.claim.paid",
	"green.tree.planted", "green.job.paid",
	"sensing.alert.raised", "sensing.alert.cleared",
	"fund.disbursement.paid",
}

// matchType reports whether the event type t matches the pattern (exact, or a
// prefix ending in ".*").
func matchType(pattern, t string) bool {
	if p, ok := strings.CutSuffix(pattern, ".*"); ok {
		return strings.HasPrefix(t, p+".")
	}
	return pattern == t
}

// validPattern reports whether a subscription pattern can match a known type.
func validPattern(p string) bool {
	for _, t := range WebhookEvents {
		if matchType(p, t) {
			return true
		}
	}
	return false
}

func joinSet(xs []string) string { return strings.Join(set(xs), " ") }

func splitSet(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Fields(s)
}

// set returns the sorted distinct non-empty values of xs.
func set(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
