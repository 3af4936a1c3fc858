package report

import (
	"testing"
	"time"
)

func TestParseRange(t *testing.T) {
	for in, want := range map[string][5]string{
		// from, to, String, Previous, YearBefore
		"2018H1":           {"2018-01", "2018-06", "2018H1", "2017H2", "2017H1"},
		"2018H2":           {"2018-07", "2018-12", "2018H2", "2018H1", "2017H2"},
		"2019":             {"2019-01", "2019-12", "2019", "2018", "2018"},
		"2018-03..2018-08": {"2018-03", "2018-08", "2018-03..2018-08", "2017-09..2018-02", "2017-03..2017-08"},
	} {
		r, err := ParseRange(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got := [5]string{r.From, r.To, r.String(), r.Previous().String(), r.YearBefore().String()}
		if got != want {
			t.Errorf("%s = %v, want %v", in, got, want)
		}
	}
	for _, bad := range []string{"", "2018H3", "18H1", "2018-13..2019-01", "2019-01..2018-01", "2000-01..2020-01", "abcd", "2018-1..2018-2"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// 16:30 UTC on 31 January is 1 February in China.
	if m := Month(time.Date(2018, 1, 31, 16, 30, 0, 0, time.UTC)); m != "2018-02" {
		t.Errorf("Month = %s", m)
	}
	if ratioBp(1, 3) != 3333 || ratioBp(-1, 3) != -3333 || ratioBp(2, 3) != 6667 {
		t.Error("ratioBp rounding")
	}
}
