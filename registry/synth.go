package registry

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
)

var (
	surnames     = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "田", "董", "潘", "袁", "蔡", "蒋", "余", "杜"}
	maleGiven    = []string{"建国", "建军", "国强", "志强", "明", "伟", "军", "勇", "刚", "强", "平", "海", "文", "华", "永福", "德明", "春生", "金山", "宝林", "俊杰", "浩然", "子轩", "宇", "磊", "鹏", "涛", "斌", "超", "家豪", "天佑"}
	femaleGiven  = []string{"秀英", "桂英", "秀兰", "玉兰", "桂兰", "凤英", "兰英", "淑珍", "丽", "静", "敏", "燕", "艳", "娟", "霞", "芳", "梅", "红", "小红", "春花", "玉梅", "金凤", "子涵", "欣怡", "雨萱", "佳怡", "梓涵", "诗琪", "婷", "雪"}
	phonePrefix  = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158", "159", "177", "180", "182", "183", "187", "188", "189", "199"}
	disabilities = []string{"肢体二级", "肢体三级", "视力二级", "听力三级", "智力三级", "精神二级"}
)

type weighted[T any] struct {
	v T
	w int
}

func pick[T any](r *rand.Rand, ws []weighted[T]) T {
	total := 0
	for _, x := range ws {
		total += x.w
	}
	n := r.IntN(total)
	for _, x := range ws {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return ws[len(ws)-1].v
}

var (
	sizeWeights  = []weighted[int]{{2, 22}, {3, 26}, {4, 26}, {5, 16}, {6, 10}}
	causeWeights = []weighted[Cause]{{CauseIllness, 40}, {CauseLackOfCapital, 13}, {CauseLackOfSkills, 12}, {CauseLackOfLabour, 10},
		{CauseDisability, 8}, {CauseSchooling, 6}, {CauseDisaster, 3}, {CauseLackOfLand, 2}, {CauseLackOfWater, 2},
		{CauseTransport, 2}, {CauseSelfMotivation, 1}, {CauseOther, 1}}
	yearWeights    = []weighted[int]{{2014, 60}, {2015, 10}, {2016, 12}, {2017, 8}, {2018, 6}, {2019, 4}}
	housingWeights = []weighted[string]{{"A", 30}, {"B", 55}, {"C", 11}, {"D", 4}}
	healthWeights  = []weighted[string]{{"健康", 75}, {"长期慢性病", 15}, {"患有大病", 6}, {"残疾", 4}}
	adultSchooling = []weighted[string]{{"文盲或半文盲", 15}, {"小学", 40}, {"初中", 35}, {"高中", 6}, {"中专", 2}, {"大专及以上", 2}}
	adultLabour    = []weighted[string]{{"普通劳动力", 70}, {"弱劳动力或半劳动力", 15}, {"技能劳动力", 10}, {"丧失劳动力", 5}}
)

// synthRefYear is the year ages refer to: the registry as it stood at the end of 2019,
// so every birth date lies in the past.
const synthRefYear = 2019

// Synthesize makes n plausible registered households of a county for demos and load
// tests: realistic household sizes, kinship and ages, identity numbers with the
// county's address code, correct birth date, sex digit and checksum, phones for
// adults, causes and indicators in realistic proportions. The same seed gives the
// same households. villages holds village IDs, or names written "town/village" (or
// just "village") to be created on import.
func Synthesize(seed int64, county County, villages []string, n int) []HouseholdInput {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)*0x9E3779B97F4A7C15+1))
	if len(villages) == 0 {
		villages = []string{"新村"}
	}
	usedIDs := map[string]bool{}
	perVillage := make([]int, len(villages))
	out := make([]HouseholdInput, 0, n)
	for i := 0; i < n; i++ {
		vi := r.IntN(len(villages))
		perVillage[vi]++
		in := HouseholdInput{
			CountyCode:     county.Code,
			Number:         fmt.Sprintf("%s%03d%04d", county.Code, vi+1, perVillage[vi]),
			RegisteredYear: pick(r, yearWeights),
			PovertyCause:   pick(r, causeWeights),
			Indicators: Indicators{
				FoodClothingSecure:  r.IntN(100) < 98,
				CompulsoryEducation: r.IntN(100) < 97,
				MedicalInsurance:    r.IntN(100) < 99,
				HousingSafety:       pick(r, housingWeights),
				SafeWater:           r.IntN(100) < 93,
			},
		}
		if _, err := uuid.Parse(villages[vi]); err == nil {
			in.VillageID = villages[vi]
		} else if town, name, ok := strings.Cut(villages[vi], "/"); ok {
			in.Town, in.Village = town, name
		} else {
			in.Village = villages[vi]
		}
		in.Members = synthMembers(r, county.Code, pick(r, sizeWeights), in.PovertyCause, usedIDs)
		in.HeadName = in.Members[0].Name
		out = append(out, in)
	}
	return out
}

type synthPerson struct {
	rel  string
	male bool
	age  int
}

func synthMembers(r *rand.Rand, code string, size int, cause Cause, used map[string]bool) []MemberInput {
	headAge := 30 + r.IntN(45)
	headMale := r.IntN(100) < 85
	people := []synthPerson{{RelationshipHead, headMale, headAge}}
	if size >= 2 && r.IntN(100) < 88 {
		people = append(people, synthPerson{"配偶", !headMale, clampAge(headAge + r.IntN(9) - 4)})
	}
	if headAge >= 58 && size-len(people) >= 2 {
		people = append(people, synthPerson{childRel(r.IntN(2) == 0), true, clampAge(headAge - 24 - r.IntN(8))})
		people[len(people)-1].male = people[len(people)-1].rel == "子"
	}
	if headAge <= 50 && size-len(people) >= 2 && r.IntN(100) < 40 {
		people = append(people, synthPerson{"父母", r.IntN(2) == 0, min(headAge+22+r.IntN(10), 95)})
	}
	for len(people) < size {
		if headAge >= 58 {
			people = append(people, synthPerson{"孙子女", r.IntN(2) == 0, r.IntN(16)})
			continue
		}
		male := r.IntN(2) == 0
		people = append(people, synthPerson{childRel(male), male, max(0, headAge-22-r.IntN(16))})
	}
	familyName := surnames[r.IntN(len(surnames))]
	spouseName := surnames[r.IntN(len(surnames))]
	out := make([]MemberInput, 0, len(people))
	for i, p := range people {
		surname := familyName
		if (p.rel == "配偶") || (p.rel == "父母" && !p.male) {
			surname = spouseName
		}
		given := femaleGiven
		if p.male {
			given = maleGiven
		}
		birth := time.Date(synthRefYear-p.age, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		m := MemberInput{Name: surname + given[r.IntN(len(given))], Relationship: p.rel, Sex: "F",
			BirthDate: birth.Format("2006-01-02"), Health: pick(r, healthWeights)}
		if p.male {
			m.Sex = "M"
		}
		m.IDNumber = synthIDNumber(r, code, birth, p.male, used)
		switch {
		case p.age < 6:
			m.Schooling, m.Labour = "学龄前儿童", "无劳动力"
		case p.age < 16:
			m.Schooling, m.Labour, m.InSchool = map[bool]string{true: "小学", false: "初中"}[p.age < 12], "无劳动力", true
		case p.age < 18:
			m.Schooling, m.Labour, m.InSchool = "高中", "无劳动力", true
		case p.age >= 70:
			m.Schooling, m.Labour = pick(r, adultSchooling[:3]), pick(r, []weighted[string]{{"弱劳动力或半劳动力", 40}, {"丧失劳动力", 60}})
		default:
			m.Schooling, m.Labour = pick(r, adultSchooling), pick(r, adultLabour)
		}
		if p.age >= 18 && r.IntN(100) < 85 {
			m.Phone = phonePrefix[r.IntN(len(phonePrefix))] + fmt.Sprintf("%08d", r.IntN(100_000_000))
		}
		// The household's cause shows in its members.
		if i == 0 && cause == CauseIllness && m.Health == "健康" {
			m.Health = pick(r, []weighted[string]{{"长期慢性病", 60}, {"患有大病", 40}})
		}
		if i == 0 && cause == CauseDisability {
			m.Health = "残疾"
		}
		if m.Health == "残疾" {
			m.Disability = disabilities[r.IntN(len(disabilities))]
			if p.age >= 18 {
				m.Labour = "弱劳动力或半劳动力"
			}
		}
		out = append(out, m)
	}
	return out
}

func childRel(male bool) string {
	if male {
		return "子"
	}
	return "女"
}

func clampAge(a int) int { return max(18, min(a, 95)) }

// synthIDNumber builds a valid identity number unique within used.
func synthIDNumber(r *rand.Rand, code string, birth time.Time, male bool, used map[string]bool) string {
	for {
		seq := r.IntN(100)
		sex := r.IntN(5) * 2
		if male {
			sex++
		}
		first := fmt.Sprintf("%s%s%02d%d", code, birth.Format("20060102"), seq, sex)
		id := first + string(IDCheckChar(first))
		if !used[id] {
			used[id] = true
			return id
		}
	}
}
