package assess

import (
	"fishpond"
	"fishpond/ledger"
	"fishpond/registry"
)

// Facts are the inputs of one household's assessment for a year.
type Facts struct {
	Members     int
	OutOfSchool int // members of compulsory-school age (6–15 that year) not in school
	Indicators  registry.Indicators
	Income      ledger.Income // the year's income, platform and declared
}

// Prior is what earlier assessed years say about a household.
type Prior struct {
	Status       string // status of the latest earlier assessed year, "" if none
	LastExitYear int    // latest earlier year it was exited or marginal, 0 if never
}

// Outcome is a computed status with the figures and the reasons in words.
type Outcome struct {
	Status    string
	PerCapita fishpond.Money
	Reasons   []string
}

// Evaluate applies the status rules of the package comment to one household. It is
// pure so that the worked examples can be checked without a database and Run can
// apply it to a million households in memory.
func Evaluate(f Facts, prior Prior, line fishpond.Money, marginalBp fishpond.Bp) Outcome {
	var o Outcome
	incomeOK := false
	if f.Members <= 0 {
		o.Reasons = append(o.Reasons, words("户内无成员，无法计算人均纯收入", "the household has no members; per-capita income cannot be computed"))
	} else {
		o.PerCapita = f.Income.PerCapita(f.Members)
		if o.PerCapita >= line {
			incomeOK = true
			o.Reasons = append(o.Reasons, words("人均纯收入 %s 元 ≥ 贫困线 %s 元", "per-capita income %s ≥ line %s", yuan(o.PerCapita), yuan(line)))
		} else {
			o.Reasons = append(o.Reasons, words("人均纯收入 %s 元 < 贫困线 %s 元", "per-capita income %s < line %s", yuan(o.PerCapita), yuan(line)))
		}
	}
	ind := f.Indicators
	indOK := true
	fail := func(r string) { indOK = false; o.Reasons = append(o.Reasons, r) }
	if !ind.FoodClothingSecure {
		fail(words("吃穿不愁未达标", "food and clothing are not secure"))
	}
	if !ind.CompulsoryEducation {
		fail(words("义务教育未保障", "compulsory education is not guaranteed"))
	}
	switch {
	case f.OutOfSchool == 1:
		fail(words("有义务教育阶段子女失学", "a school-age child is not in school"))
	case f.OutOfSchool > 1:
		fail(words("有%d名义务教育阶段子女失学", "%d school-age children are not in school", f.OutOfSchool))
	}
	if !ind.MedicalInsurance {
		fail(words("未参加基本医疗保险", "not covered by basic medical insurance"))
	}
	if !ind.HousingSafe() {
		grade := ind.HousingSafety
		if grade == "" {
			grade = "?"
		}
		fail(words("住房安全等级为%s，不是安全住房", "housing grade %s is not safe", grade))
	}
	if !ind.SafeWater {
		fail(words("饮水安全未保障", "safe drinking water is not ensured"))
	}
	if indOK {
		o.Reasons = append(o.Reasons, words("两不愁三保障全部达标", "every indicator of the two no-worries and three guarantees is met"))
	}
	if incomeOK && indOK {
		watch := marginalBp.Of(line)
		if o.PerCapita < watch {
			o.Status = StatusMarginal
			o.Reasons = append(o.Reasons, words("人均纯收入 %s 元 < 监测线 %s 元（贫困线的%s），脱贫不稳定",
				"per-capita income %s < monitoring line %s (%s of the line): exited but at risk", yuan(o.PerCapita), yuan(watch), pct(int64(marginalBp))))
		} else {
			o.Status = StatusExited
		}
		return o
	}
	if prior.LastExitYear > 0 {
		o.Status = StatusReturned
		o.Reasons = append(o.Reasons, words("曾于%d年脱贫，现未达到脱贫标准，返贫", "exited in %d and now fails the exit criteria: returned to poverty", prior.LastExitYear))
	} else {
		o.Status = StatusPoor
	}
	return o
}
