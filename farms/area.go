package farms

import (
	"fmt"
	"strconv"
	"strings"
)

// Area is land in hundredths of a mu (亩): contracts name areas such as 3.5 mu, and
// floats never hold a quantity that money is computed from.
type Area int64

// Mu builds an Area from whole mu.
func Mu(n int64) Area { return Area(n * 100) }

// String renders the area in mu with two decimals, e.g. "3.50".
func (a Area) String() string { return fmt.Sprintf("%d.%02d", int64(a)/100, int64(a)%100) }

// ParseArea reads "3", "3.5" or "3.50" mu and rejects more than two decimals.
func ParseArea(s string) (Area, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, fmt.Errorf("%q is not an area in mu with at most two decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 10_000_000 {
		return 0, fmt.Errorf("%q is not an area in mu", s)
	}
	var f int64
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || f < 0 {
			return 0, fmt.Errorf("%q is not an area in mu", s)
		}
	}
	return Area(w*100 + f), nil
}

// Weight is in grams; deliveries are weighed to the gram and shown in kg.
type Weight int64

// Kg builds a Weight from whole kilograms.
func Kg(n int64) Weight { return Weight(n * 1000) }

// String renders the weight in kg with three decimals trimmed, e.g. "12.5".
func (w Weight) String() string {
	s := fmt.Sprintf("%d.%03d", int64(w)/1000, int64(w)%1000)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// ParseWeight reads kilograms with at most three decimals ("12", "12.5").
func ParseWeight(s string) (Weight, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (len(frac) == 0 || len(frac) > 3)) {
		return 0, fmt.Errorf("%q is not a weight in kg with at most three decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1_000_000_000 {
		return 0, fmt.Errorf("%q is not a weight in kg", s)
	}
	var f int64
	if hasFrac {
		frac += strings.Repeat("0", 3-len(frac))
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || f < 0 {
			return 0, fmt.Errorf("%q is not a weight in kg", s)
		}
	}
	return Weight(w*1000 + f), nil
}
