package assess

import (
	"reflect"
	"strings"
	"testing"
)

// Every reason code survives the stored encoding, and legacy sentences pass through.
func TestReasonsRoundTrip(t *testing.T) {
	rs := []Reason{{Code: reasonNoMembers}, {Code: reasonIncomeAtLeast, N: [3]int64{591250, 400000}},
		{Code: reasonIncomeBelow, N: [3]int64{-10000, 400000}}, {Code: reasonFood}, {Code: reasonEducation},
		{Code: reasonOutOfSchool, N: [3]int64{2}}, {Code: reasonMedical}, {Code: reasonHousing, S: "C"}, {Code: reasonWater},
		{Code: reasonIndicatorsMet}, {Code: reasonAtRisk, N: [3]int64{591250, 600000, 15000}}, {Code: reasonReturned, N: [3]int64{2019}}}
	s := string(appendReasons(nil, rs))
	if got := parseReasons(s); !reflect.DeepEqual(got, rs) {
		t.Fatalf("%s decodes to %v", s, got)
	}
	ws := decodeReasons(s)
	if len(ws) != len(rs) || ws[1] != "人均纯收入 5,912.50 元 ≥ 贫困线 4,000.00 元 / per-capita income 5,912.50 ≥ line 4,000.00" ||
		!strings.Contains(ws[10], "(150% of the line)") || !strings.Contains(ws[5], "2 school-age children") {
		t.Fatalf("words %q", ws)
	}
	if ws := decodeReasons(`["旧 / old"]`); len(ws) != 1 || ws[0] != "旧 / old" {
		t.Fatalf("legacy %q", ws)
	}
}
