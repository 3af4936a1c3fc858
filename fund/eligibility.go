package fund

import (
	"fmt"
	"slices"
	"time"

	"fishpond/registry"
)

// Rule says who may join a programme, evaluated against the registry: the member's
// sex, age on the day of enrolment, school attendance and labour skills, and the
// household's assessed status. Empty fields allow anyone; the household must always
// be registered in one of the programme's counties.
type Rule struct {
	Sex      string   `json:"sex,omitempty"`     // "F" or "M"
	MinAge   *int     `json:"min_age,omitempty"` // whole years on the enrolment day
	MaxAge   *int     `json:"max_age,omitempty"`
	InSchool *bool    `json:"in_school,omitempty"`
	NoSkills bool     `json:"no_skills,omitempty"` // working members without skills: labour 普通 or 弱, not 技能
	Statuses []string `json:"statuses,omitempty"`  // household statuses allowed (poor, marginal, returned, exited)
}

// Ages builds a MinAge/MaxAge pair for rule literals.
func Ages(min, max int) (*int, *int) { return &min, &max }

var householdStatuses = []string{"poor", "marginal", "returned", "exited"}

func (r Rule) validate() map[string]string {
	f := map[string]string{}
	if r.Sex != "" && r.Sex != "F" && r.Sex != "M" {
		f["sex"] = `"F", "M" or empty`
	}
	if r.MinAge != nil && (*r.MinAge < 0 || *r.MinAge > 120) {
		f["min_age"] = "0–120"
	}
	if r.MaxAge != nil && (*r.MaxAge < 0 || *r.MaxAge > 120) {
		f["max_age"] = "0–120"
	}
	if r.MinAge != nil && r.MaxAge != nil && *r.MaxAge < *r.MinAge {
		f["max_age"] = "must not be below min_age"
	}
	for _, st := range r.Statuses {
		if !slices.Contains(householdStatuses, st) {
			f["statuses"] = "poor, marginal, returned or exited"
		}
	}
	return f
}

// Age is a person's age in whole years on a day.
func Age(birth string, on time.Time) (int, bool) {
	b, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		return 0, false
	}
	age := on.Year() - b.Year()
	if on.Month() < b.Month() || (on.Month() == b.Month() && on.Day() < b.Day()) {
		age--
	}
	return age, true
}

// unskilledLabour are the registry's labour levels of a member who can work but
// has no skill yet — the people vocational training is for.
var unskilledLabour = []string{"普通劳动力", "弱劳动力或半劳动力"}

// Check returns why member m of household h may not join under the rule on day
// on, in "中文 / English" sentences; none means eligible.
func (r Rule) Check(h registry.Household, m registry.Member, counties []string, on time.Time) []string {
	var why []string
	if !slices.Contains(counties, h.CountyCode) {
		why = append(why, "该户不在项目所在县 / the household is not in one of the programme's counties")
	}
	if r.Sex == "F" && m.Sex != "F" {
		why = append(why, "项目只面向女性 / the programme is for women")
	}
	if r.Sex == "M" && m.Sex != "M" {
		why = append(why, "项目只面向男性 / the programme is for men")
	}
	age, ok := Age(m.BirthDate, on)
	if (r.MinAge != nil || r.MaxAge != nil) && !ok {
		why = append(why, "出生日期不详 / the birth date is unknown")
	}
	if ok && r.MinAge != nil && age < *r.MinAge {
		why = append(why, fmt.Sprintf("年龄%d岁，低于%d岁 / aged %d, below %d", age, *r.MinAge, age, *r.MinAge))
	}
	if ok && r.MaxAge != nil && age > *r.MaxAge {
		why = append(why, fmt.Sprintf("年龄%d岁，高于%d岁 / aged %d, above %d", age, *r.MaxAge, age, *r.MaxAge))
	}
	if r.InSchool != nil && m.InSchool != *r.InSchool {
		if *r.InSchool {
			why = append(why, "不在校 / not in school")
		} else {
			why = append(why, "仍在校 / still in school")
		}
	}
	if r.NoSkills && !slices.Contains(unskilledLabour, m.Labour) {
		why = append(why, "须为无技能劳动力（普通或弱劳动力）/ must be a working member without skills (ordinary or weak labour)")
	}
	if len(r.Statuses) > 0 && !slices.Contains(r.Statuses, h.Status) {
		why = append(why, fmt.Sprintf("户状态为%s，不在范围内 / household status %s is not covered", h.Status, h.Status))
	}
	return why
}
