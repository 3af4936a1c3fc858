package credit

import (
	"fmt"

	"fishpond"
)

// pct writes basis points as a percentage for pages ("6.00%").
func pct(b int64) string { return fmt.Sprintf("%d.%02d%%", b/100, b%100) }

// RatePct is the annual interest rate as a percentage, for pages.
func (p Product) RatePct() string { return pct(int64(p.RateBp)) }

// SharePct is the share of each sale taken, as a percentage.
func (p Product) SharePct() string { return pct(int64(p.ShareBp)) }

// PenaltyPct is the annual penalty rate as a percentage.
func (p Product) PenaltyPct() string { return pct(int64(p.PenaltyBp)) }

// RatePct is the loan's annual rate as a percentage.
func (l Loan) RatePct() string { return pct(int64(l.RateBp)) }

// SharePct is the loan's share of each sale as a percentage.
func (l Loan) SharePct() string { return pct(int64(l.ShareBp)) }

// DefaultRatePct and RepaymentRatePct are the county's rates as percentages.
func (c CountyPortfolio) DefaultRatePct() string { return pct(c.DefaultRateBp()) }

// RepaymentRatePct is the share of instalments due that was paid, as a percentage.
func (c CountyPortfolio) RepaymentRatePct() string { return pct(c.RepaymentRateBp()) }

// RefundPct is the refund rate input as a percentage.
func (in Inputs) RefundPct() string { return pct(in.RefundRateBp) }

// Sales12 is the 12-month sales input as money.
func (in Inputs) Sales12() fishpond.Money { return fishpond.Money(in.Sales12Fen) }
