package registry

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Indicators are the "two no-worries, three guarantees" (两不愁三保障) of a household:
// a household exits poverty only when all are met, whatever its income.
type Indicators struct {
	FoodClothingSecure  bool   // 吃穿不愁
	CompulsoryEducation bool   // 义务教育有保障
	MedicalInsurance    bool   // 基本医疗有保障
	HousingSafety       string // 住房安全等级 A–D; A and B are safe
	SafeWater           bool   // 饮水安全有保障
}

// HousingSafe reports whether the housing grade counts as safe (A or B).
func (i Indicators) HousingSafe() bool { return i.HousingSafety == "A" || i.HousingSafety == "B" }

// AllMet reports whether every indicator is met.
func (i Indicators) AllMet() bool {
	return i.FoodClothingSecure && i.CompulsoryEducation && i.MedicalInsurance && i.HousingSafe() && i.SafeWater
}

// Household is a registered poor household (建档立卡贫困户) with its members, the unit
// that income, assessment and every benefit refer to.
type Household struct {
	ID             string
	CountyCode     string
	VillageID      string
	VillageName    string
	Town           string
	Number         string // 户编号, unique within the county
	HeadName       string
	RegisteredYear int // year the household was identified (识别年份)
	PovertyCause   Cause
	Indicators     Indicators
	Status         string // written by assessment; "poor" on registration
	StatusYear     int
	Size           int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Members        []Member // filled by Household, not by lists
}

// Member is a person of a household. IDNumber and Phone hold masked values unless
// returned by RevealMember, so a Member can be rendered anywhere safely.
type Member struct {
	ID, HouseholdID string
	Name            string
	Relationship    string // one of Relationships
	Sex             string // "M" or "F"
	BirthDate       string // YYYY-MM-DD
	IDNumber        string // masked
	Phone           string // masked, "" when none
	Labour          string // one of LabourLevels, or ""
	Health          string // one of HealthStates, or ""
	Schooling       string // one of SchoolingLevels, or ""
	InSchool        bool
	Disability      string // free text such as 肢体二级, "" when none
}

// HouseholdInput is what an officer or an import supplies to create or update a
// household. The village is given by VillageID or found (and created) by Town+Village.
type HouseholdInput struct {
	CountyCode     string
	VillageID      string
	Town           string
	Village        string
	Number         string
	HeadName       string // optional; when given it must be the name of the 户主 member
	RegisteredYear int
	PovertyCause   Cause
	Indicators     Indicators
	Members        []MemberInput
}

// MemberInput is one member as entered: IDNumber and Phone in plain text. On update, a
// member given with its ID may carry its masked IDNumber/Phone (or an empty IDNumber)
// to keep the stored values, so edit forms never need the plain numbers.
type MemberInput struct {
	ID           string
	Name         string
	Relationship string
	Sex          string
	BirthDate    string
	IDNumber     string
	Phone        string
	Labour       string
	Health       string
	Schooling    string
	InSchool     bool
	Disability   string
}

// RelationshipHead is the relationship of the head of household; every household has
// exactly one.
const RelationshipHead = "户主"

// Relationships are the relationships to the head as the official form lists them.
var Relationships = []string{RelationshipHead, "配偶", "子", "女", "父母", "孙子女", "兄弟姐妹", "其他"}

var relationshipAliases = map[string]string{
	"head": "户主", "spouse": "配偶", "son": "子", "daughter": "女", "parent": "父母", "grandchild": "孙子女",
	"sibling": "兄弟姐妹", "other": "其他", "妻": "配偶", "妻子": "配偶", "丈夫": "配偶", "夫": "配偶",
	"儿子": "子", "之子": "子", "女儿": "女", "之女": "女", "父亲": "父母", "母亲": "父母", "父": "父母", "母": "父母",
	"孙子": "孙子女", "孙女": "孙子女", "兄": "兄弟姐妹", "弟": "兄弟姐妹", "姐": "兄弟姐妹", "妹": "兄弟姐妹",
}

// LabourLevels are the labour-capacity categories of the registry form (劳动技能).
var LabourLevels = []string{"普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力"}

// HealthStates are the health categories of the registry form.
var HealthStates = []string{"健康", "长期慢性病", "患有大病", "残疾"}

// SchoolingLevels are the education categories of the registry form (文化程度).
var SchoolingLevels = []string{"学龄前儿童", "文盲或半文盲", "小学", "初中", "高中", "中专", "大专及以上"}

// HousingGrades are the housing-safety grades; C and D are dangerous houses (危房).
var HousingGrades = []string{"A", "B", "C", "D"}

func normalizeRelationship(s string) string {
	s = strings.TrimSpace(s)
	if v, ok := relationshipAliases[strings.ToLower(s)]; ok {
		return v
	}
	return s
}

func normalizeSex(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "M", "男", "MALE":
		return "M"
	case "F", "女", "FEMALE":
		return "F"
	}
	return strings.TrimSpace(s)
}

// normalize trims and canonicalises the input in place, so validation and storage
// see one form of each value.
func (in *HouseholdInput) normalize() {
	in.CountyCode = strings.TrimSpace(in.CountyCode)
	in.VillageID = strings.TrimSpace(in.VillageID)
	in.Town = strings.TrimSpace(in.Town)
	in.Village = strings.TrimSpace(in.Village)
	in.Number = strings.TrimSpace(in.Number)
	in.HeadName = strings.TrimSpace(in.HeadName)
	in.Indicators.HousingSafety = strings.ToUpper(strings.TrimSpace(in.Indicators.HousingSafety))
	if c, ok := ParseCause(string(in.PovertyCause)); ok {
		in.PovertyCause = c
	}
	for i := range in.Members {
		m := &in.Members[i]
		m.ID = strings.TrimSpace(m.ID)
		m.Name = strings.TrimSpace(m.Name)
		m.Relationship = normalizeRelationship(m.Relationship)
		m.Sex = normalizeSex(m.Sex)
		m.BirthDate = strings.TrimSpace(m.BirthDate)
		if d, ok := parseDate(m.BirthDate); ok {
			m.BirthDate = d
		}
		m.IDNumber = NormalizeIDNumber(m.IDNumber)
		m.Phone = NormalizePhone(m.Phone)
		m.Labour = strings.TrimSpace(m.Labour)
		m.Health = strings.TrimSpace(m.Health)
		m.Schooling = strings.TrimSpace(m.Schooling)
		m.Disability = strings.TrimSpace(m.Disability)
	}
}

// parseDate accepts YYYY-MM-DD, YYYY/M/D, YYYY.M.D and YYYYMMDD.
func parseDate(s string) (string, bool) {
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006.1.2", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

func memberField(i int, f string) string { return "members[" + strconv.Itoa(i) + "]." + f }

// validate checks a normalised input against the registry's rules and returns
// messages by field ("number", "members[2].id_number" …); empty means valid. today is
// the date in China, for "not in the future" checks.
func (in *HouseholdInput) validate(today time.Time) map[string]string {
	errs := map[string]string{}
	if !codeRe(in.CountyCode, 6) {
		errs["county_code"] = "县代码应为6位数字 / county code must be 6 digits"
	}
	switch {
	case in.Number == "":
		errs["number"] = "户编号不能为空 / household number is required"
	case len(in.Number) > 40 || strings.ContainsFunc(in.Number, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_')
	}):
		errs["number"] = "户编号只能包含字母、数字和连字符，最长40位 / household number may hold only letters, digits and '-', at most 40"
	}
	if in.VillageID == "" {
		if in.Village == "" {
			errs["village"] = "村不能为空 / village is required"
		} else if utf8.RuneCountInString(in.Village) > 40 {
			errs["village"] = "村名过长 / village name is too long"
		}
		if utf8.RuneCountInString(in.Town) > 40 {
			errs["town"] = "乡镇名过长 / town name is too long"
		}
	}
	if in.RegisteredYear < 2013 || in.RegisteredYear > today.Year() {
		errs["registered_year"] = fmt.Sprintf("识别年份应在2013至%d之间 / registration year must be between 2013 and %d", today.Year(), today.Year())
	}
	if !in.PovertyCause.Valid() {
		errs["poverty_cause"] = "主要致贫原因不是规定类别 / poverty cause is not one of the official categories"
	}
	if !slices.Contains(HousingGrades, in.Indicators.HousingSafety) {
		errs["housing_safety"] = "住房安全等级应为A、B、C或D / housing safety grade must be A, B, C or D"
	}
	if len(in.Members) == 0 {
		errs["members"] = "至少需要一名成员 / a household needs at least one member"
	} else if len(in.Members) > 30 {
		errs["members"] = "成员不能超过30人 / at most 30 members"
	}
	heads, headName := 0, ""
	seenID := map[string]int{}
	for i, m := range in.Members {
		validateMember(m, today, func(f, msg string) {
			if _, dup := errs[memberField(i, f)]; !dup {
				errs[memberField(i, f)] = msg
			}
		})
		if m.Relationship == RelationshipHead {
			heads++
			headName = m.Name
		}
		if m.IDNumber != "" {
			if j, dup := seenID[m.IDNumber]; dup {
				errs[memberField(i, "id_number")] = fmt.Sprintf("身份证号与第%d名成员重复 / identity number repeats member %d", j+1, j+1)
			}
			seenID[m.IDNumber] = i
		}
	}
	if heads == 1 && in.HeadName != "" && headName != in.HeadName {
		errs["head_name"] = "户主姓名与户主成员姓名不一致 / head name differs from the name of the member who is head"
	}
	if len(in.Members) > 0 && heads != 1 {
		errs["members"] = fmt.Sprintf("每户须有且仅有一名户主，现有%d名 / a household needs exactly one head (户主), found %d", heads, heads)
	}
	return errs
}

func validateMember(m MemberInput, today time.Time, bad func(field, msg string)) {
	if m.Name == "" {
		bad("name", "姓名不能为空 / name is required")
	} else if utf8.RuneCountInString(m.Name) > 30 {
		bad("name", "姓名过长 / name is too long")
	}
	if !slices.Contains(Relationships, m.Relationship) {
		bad("relationship", "与户主关系应为 "+strings.Join(Relationships, "/")+" / relationship to the head is not a known one")
	}
	if m.Sex != "M" && m.Sex != "F" {
		bad("sex", "性别应为男或女 / sex must be 男 or 女 (M or F)")
	}
	birth, err := time.Parse("2006-01-02", m.BirthDate)
	if err != nil {
		bad("birth_date", "出生日期格式应为YYYY-MM-DD / birth date must be a date like 1980-05-17")
	} else if birth.After(today) || birth.Year() < 1900 {
		bad("birth_date", "出生日期不合理 / birth date is not plausible")
	}
	if m.IDNumber == "" {
		bad("id_number", "身份证号不能为空 / identity number is required")
	} else if info, msg := ParseIDNumber(m.IDNumber); msg != "" {
		bad("id_number", msg)
	} else {
		if err == nil && info.BirthDate != m.BirthDate {
			bad("birth_date", "出生日期与身份证号不一致 / birth date differs from the one in the identity number")
		}
		if (m.Sex == "M" || m.Sex == "F") && info.Sex != m.Sex {
			bad("sex", "性别与身份证号第17位不一致 / sex differs from the 17th digit of the identity number")
		}
	}
	if m.Phone != "" && !ValidPhone(m.Phone) {
		bad("phone", "联系电话应为11位手机号 / phone must be an 11-digit mainland mobile number")
	}
	if m.Labour != "" && !slices.Contains(LabourLevels, m.Labour) {
		bad("labour", "劳动能力应为 "+strings.Join(LabourLevels, "/")+" / labour capacity is not a known category")
	}
	if m.Health != "" && !slices.Contains(HealthStates, m.Health) {
		bad("health", "健康状况应为 "+strings.Join(HealthStates, "/")+" / health is not a known category")
	}
	if m.Schooling != "" && !slices.Contains(SchoolingLevels, m.Schooling) {
		bad("schooling", "文化程度应为 "+strings.Join(SchoolingLevels, "/")+" / schooling is not a known level")
	}
	if utf8.RuneCountInString(m.Disability) > 30 {
		bad("disability", "残疾说明过长 / disability text is too long")
	}
}

func codeRe(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
