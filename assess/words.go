package assess

import (
	"fmt"
	"strconv"

	"fishpond"
)

// yuan renders money with thousands separators, "5,912.50", as reasons and
// reports print it for people.
func yuan(m fishpond.Money) string {
	s := m.String()
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	whole, frac := s[:len(s)-3], s[len(s)-3:]
	var b []byte
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, whole[i])
	}
	return sign + string(b) + frac
}

// pct renders basis points as a percentage with up to two decimals: 15000 → "150%",
// 250 → "2.5%".
func pct(bp int64) string {
	s := strconv.FormatFloat(float64(bp)/100, 'f', 2, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s + "%"
}

// Rate is a share as a fraction of whole numbers, so comparisons against
// thresholds are exact; Bp and String round only for display.
type Rate struct {
	Num, Den int64
}

// Known reports whether the rate has a denominator: an unknown rate is "not
// measured", never zero.
func (r Rate) Known() bool { return r.Den > 0 }

// Bp is the rate in basis points, rounded half up, for display and charts.
func (r Rate) Bp() int64 {
	if r.Den <= 0 {
		return 0
	}
	return (r.Num*10000*2 + r.Den) / (2 * r.Den)
}

// String renders "1.23%" or "未测 / not measured".
func (r Rate) String() string {
	if !r.Known() {
		return "未测 / not measured"
	}
	return pct(r.Bp())
}

// AtMost reports whether the rate is ≤ threshold (basis points), exactly.
func (r Rate) AtMost(bp int64) bool { return r.Known() && r.Num*10000 <= bp*r.Den }

// Below reports whether the rate is < threshold (basis points), exactly.
func (r Rate) Below(bp int64) bool { return r.Known() && r.Num*10000 < bp*r.Den }

// Above reports whether the rate is > threshold (basis points), exactly.
func (r Rate) Above(bp int64) bool { return r.Known() && r.Num*10000 > bp*r.Den }

func words(zh, en string, args ...any) string {
	return fmt.Sprintf(zh, args...) + " / " + fmt.Sprintf(en, args...)
}
