package registry

import "strings"

// Cause is the main cause of a household's poverty, one of the official categories
// of the registry; reports and programmes (health insurance for 因病, training for
// 缺技术) target households by it.
type Cause string

// The official categories of 主要致贫原因.
const (
	CauseIllness        Cause = "illness"
	CauseDisability     Cause = "disability"
	CauseSchooling      Cause = "schooling"
	CauseDisaster       Cause = "disaster"
	CauseLackOfLand     Cause = "lack_of_land"
	CauseLackOfWater    Cause = "lack_of_water"
	CauseLackOfSkills   Cause = "lack_of_skills"
	CauseLackOfLabour   Cause = "lack_of_labour"
	CauseLackOfCapital  Cause = "lack_of_capital"
	CauseTransport      Cause = "transport"
	CauseSelfMotivation Cause = "self_motivation"
	CauseOther          Cause = "other"
)

// Causes lists every cause in the order of the official form.
var Causes = []Cause{CauseIllness, CauseDisability, CauseSchooling, CauseDisaster, CauseLackOfLand, CauseLackOfWater,
	CauseLackOfSkills, CauseLackOfLabour, CauseLackOfCapital, CauseTransport, CauseSelfMotivation, CauseOther}

var causeLabels = map[Cause][2]string{
	CauseIllness:        {"因病", "Illness"},
	CauseDisability:     {"因残", "Disability"},
	CauseSchooling:      {"因学", "Schooling costs"},
	CauseDisaster:       {"因灾", "Disaster"},
	CauseLackOfLand:     {"缺土地", "Lack of land"},
	CauseLackOfWater:    {"缺水", "Lack of water"},
	CauseLackOfSkills:   {"缺技术", "Lack of skills"},
	CauseLackOfLabour:   {"缺劳力", "Lack of labour"},
	CauseLackOfCapital:  {"缺资金", "Lack of capital"},
	CauseTransport:      {"交通条件落后", "Poor transport"},
	CauseSelfMotivation: {"自身发展动力不足", "Lack of self-motivation"},
	CauseOther:          {"其他", "Other"},
}

// Valid reports whether c is one of the official causes.
func (c Cause) Valid() bool { _, ok := causeLabels[c]; return ok }

// Chinese is the label of the official form (因病 …), what officers type and read.
func (c Cause) Chinese() string { return causeLabels[c][0] }

// English is the label English pages show.
func (c Cause) English() string { return causeLabels[c][1] }

// ParseCause accepts a cause code ("illness") or its Chinese label ("因病"), as found
// in spreadsheets exported from the national system or typed by officers.
func ParseCause(s string) (Cause, bool) {
	s = strings.TrimSpace(s)
	if c := Cause(strings.ToLower(s)); c.Valid() {
		return c, true
	}
	for c, l := range causeLabels {
		if s == l[0] || strings.EqualFold(s, l[1]) {
			return c, true
		}
	}
	return "", false
}
