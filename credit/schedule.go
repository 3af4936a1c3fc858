package credit

import (
	"math/big"
	"time"

	"fishpond"
)

// Instalment is one repayment of a schedule: the principal and interest due on
// DueOn (a China-time date).
type Instalment struct {
	No        int
	DueOn     string
	Principal fishpond.Money
	Interest  fishpond.Money
	Opened    bool // window open, interest charged
	// Set by statements: what of this instalment has been paid, and its state.
	Paid  fishpond.Money
	State string // paid, partly, due, overdue, upcoming
}

// Amount is what the instalment asks for in total.
func (i Instalment) Amount() fishpond.Money { return i.Principal + i.Interest }

// monthIndex counts months since year 0, for month arithmetic without time.AddDate's
// day overflow (31 January + 1 month is not 3 March here).
func monthIndex(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

// dateIn is day d of month index mi, clamped to the month's length; d <= 0 means the
// last day.
func dateIn(mi, d int) time.Time {
	y, m := mi/12, time.Month(mi%12+1)
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, fishpond.ChinaTime).Day()
	if d <= 0 || d > last {
		d = last
	}
	return time.Date(y, m, d, 0, 0, 0, 0, fishpond.ChinaTime)
}

// mulDiv is a*b*c/d rounded down, without overflow.
func mulDiv(a, b, c, d int64) fishpond.Money {
	x := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	x.Mul(x, big.NewInt(c))
	return fishpond.Money(x.Quo(x, big.NewInt(d)).Int64())
}

// BuildSchedule computes a product's schedule for principal lent at start. Due
// dates: with a harvest month, the first falls on the last day of the next harvest
// month at least one month after start (the grace period) and the rest every
// interval months on month ends; without, every interval months on start's day of
// the month. Principal is split equally (remainder on the last instalment); interest
// for each period is the annual rate × the period's months / 12 on the whole
// principal (flat) or on the principal still unpaid by schedule (declining),
// rounded down to the fen.
func BuildSchedule(p Product, principal fishpond.Money, start time.Time) []Instalment {
	start = start.In(fishpond.ChinaTime)
	n, interval := p.Instalments, p.IntervalMonths()
	if n < 1 || interval < 1 {
		return nil
	}
	s0 := monthIndex(start)
	day := start.Day()
	first := s0 + interval
	if p.HarvestMonth > 0 {
		day = 0
		first = s0 + 1
		for first%12+1 != p.HarvestMonth {
			first++
		}
	}
	out := make([]Instalment, n)
	per := principal / fishpond.Money(n)
	remaining := principal
	prev := s0
	for k := 0; k < n; k++ {
		mi := first + k*interval
		months := int64(mi - prev)
		prev = mi
		pr := per
		if k == n-1 {
			pr = remaining
		}
		base := principal
		if p.Interest == InterestDeclining {
			base = remaining
		}
		out[k] = Instalment{No: k + 1, DueOn: Day(dateIn(mi, day)), Principal: pr, Interest: mulDiv(int64(base), int64(p.RateBp), months, 120000)}
		remaining -= pr
	}
	return out
}

// evenSchedule splits amount into n instalments without interest, due every
// interval months from first (a restructured schedule).
func evenSchedule(amount fishpond.Money, n, interval int, first time.Time) []Instalment {
	first = first.In(fishpond.ChinaTime)
	out := make([]Instalment, n)
	per := amount / fishpond.Money(n)
	mi := monthIndex(first)
	for k := 0; k < n; k++ {
		pr := per
		if k == n-1 {
			pr = amount - per*fishpond.Money(n-1)
		}
		out[k] = Instalment{No: k + 1, DueOn: Day(dateIn(mi+k*interval, first.Day())), Principal: pr}
	}
	return out
}

func totalOf(is []Instalment) fishpond.Money {
	var t fishpond.Money
	for _, i := range is {
		t += i.Amount()
	}
	return t
}
