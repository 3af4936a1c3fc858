package assess

import (
	"encoding/json"
	"strconv"
	"strings"

	"fishpond"
)

// Reason is one reason for a status as household_status stores it: a short code
// with its figures (fen, counts, years, basis points) or a housing grade. Words
// renders it in Chinese and English when it is read, so a million stored statuses
// carry ≈ 40 bytes of reasons each instead of ≈ 250 bytes of sentences, and the
// sentences can be reworded without rewriting history.
type Reason struct {
	Code string
	N    [3]int64 // figures, by code; unused ones are 0
	S    string   // housing grade, for reasonHousing
}

// Reason codes. Stored in the database: never rename one.
const (
	reasonNoMembers     = "nomem"  // no members: per-capita income cannot be computed
	reasonIncomeAtLeast = "ge"     // per-capita N0 ≥ line N1 (fen)
	reasonIncomeBelow   = "lt"     // per-capita N0 < line N1 (fen)
	reasonFood          = "food"   // food and clothing not secure
	reasonEducation     = "edu"    // compulsory education not guaranteed
	reasonOutOfSchool   = "school" // N0 school-age children out of school
	reasonMedical       = "med"    // no basic medical insurance
	reasonHousing       = "house"  // housing grade S is not safe
	reasonWater         = "water"  // safe drinking water not ensured
	reasonIndicatorsMet = "ok"     // every indicator met
	reasonAtRisk        = "risk"   // per-capita N0 < monitoring line N1 (N2 basis points of the line)
	reasonReturned      = "ret"    // exited in year N0, now fails: returned
)

// figures is how many of N each code stores.
var figures = map[string]int{reasonIncomeAtLeast: 2, reasonIncomeBelow: 2, reasonOutOfSchool: 1, reasonAtRisk: 3, reasonReturned: 1}

// Words renders the reason as a "中文 / English" sentence.
func (r Reason) Words() string {
	n := r.N
	switch r.Code {
	case reasonNoMembers:
		return words("户内无成员，无法计算人均纯收入", "the household has no members; per-capita income cannot be computed")
	case reasonIncomeAtLeast:
		return words("人均纯收入 %s 元 ≥ 贫困线 %s 元", "per-capita income %s ≥ line %s", yuan(fishpond.Money(n[0])), yuan(fishpond.Money(n[1])))
	case reasonIncomeBelow:
		return words("人均纯收入 %s 元 < 贫困线 %s 元", "per-capita income %s < line %s", yuan(fishpond.Money(n[0])), yuan(fishpond.Money(n[1])))
	case reasonFood:
		return words("吃穿不愁未达标", "food and clothing are not secure")
	case reasonEducation:
		return words("义务教育未保障", "compulsory education is not guaranteed")
	case reasonOutOfSchool:
		if n[0] == 1 {
			return words("有义务教育阶段子女失学", "a school-age child is not in school")
		}
		return words("有%d名义务教育阶段子女失学", "%d school-age children are not in school", n[0])
	case reasonMedical:
		return words("未参加基本医疗保险", "not covered by basic medical insurance")
	case reasonHousing:
		return words("住房安全等级为%s，不是安全住房", "housing grade %s is not safe", r.S)
	case reasonWater:
		return words("饮水安全未保障", "safe drinking water is not ensured")
	case reasonIndicatorsMet:
		return words("两不愁三保障全部达标", "every indicator of the two no-worries and three guarantees is met")
	case reasonAtRisk:
		return words("人均纯收入 %s 元 < 监测线 %s 元（贫困线的%s），脱贫不稳定",
			"per-capita income %s < monitoring line %s (%s of the line): exited but at risk", yuan(fishpond.Money(n[0])), yuan(fishpond.Money(n[1])), pct(n[2]))
	case reasonReturned:
		return words("曾于%d年脱贫，现未达到脱贫标准，返贫", "exited in %d and now fails the exit criteria: returned to poverty", n[0])
	}
	return r.Code // unknown code: show it rather than hide it
}

// appendReasons encodes reasons as stored: "code" or "code:figure,figure",
// separated by ";" — e.g. "ge:591250,400000;ok;risk:591250,600000,15000".
func appendReasons(b []byte, rs []Reason) []byte {
	for i, r := range rs {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, r.Code...)
		if r.Code == reasonHousing {
			b = append(b, ':')
			b = append(b, r.S...)
			continue
		}
		for k := range figures[r.Code] {
			if k == 0 {
				b = append(b, ':')
			} else {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, r.N[k], 10)
		}
	}
	return b
}

// parseReasons decodes appendReasons' encoding. A JSON array of sentences (the
// form before codes) is returned as it is.
func parseReasons(s string) []Reason {
	if strings.HasPrefix(s, "[") {
		var ws []string
		if json.Unmarshal([]byte(s), &ws) == nil {
			out := make([]Reason, len(ws))
			for i, w := range ws {
				out[i] = Reason{Code: w}
			}
			return out
		}
	}
	if s == "" {
		return nil
	}
	var out []Reason
	for _, item := range strings.Split(s, ";") {
		code, args, _ := strings.Cut(item, ":")
		r := Reason{Code: code}
		if code == reasonHousing {
			r.S = args
		} else if args != "" {
			for k, a := range strings.SplitN(args, ",", 3) {
				r.N[k], _ = strconv.ParseInt(a, 10, 64)
			}
		}
		out = append(out, r)
	}
	return out
}

// decodeReasons renders stored reasons as "中文 / English" sentences.
func decodeReasons(s string) []string {
	rs := parseReasons(s)
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Words()
	}
	return out
}
