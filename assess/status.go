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

// Outcome is a computed status with the figures and the reasons that justify it.
// Reasons are codes with their figures, as household_status stores them; Words
// renders them as the "中文 / English" sentences people read.
type Outcome struct {
	Status    string
	PerCapita fishpond.Money
	Reasons   []Reason
}

// Words renders the reasons as "中文 / English" sentences.
func (o Outcome) Words() []string {
	out := make([]string, len(o.Reasons))
	for i, r := range o.Reasons {
		out[i] = r.Words()
	}
	return out
}

// Evaluate applies the status rules of the package comment to one household. It is
// pure so that the worked examples can be checked without a database and Run can
// apply it to a million households in memory.
func Evaluate(f Facts, prior Prior, line fishpond.Money, marginalBp fishpond.Bp) Outcome {
	o := Outcome{Reasons: make([]Reason, 0, 3)}
	add := func(r Reason) { o.Reasons = append(o.Reasons, r) }
	incomeOK := false
	if f.Members <= 0 {
		add(Reason{Code: reasonNoMembers})
	} else {
		o.PerCapita = f.Income.PerCapita(f.Members)
		if o.PerCapita >= line {
			incomeOK = true
			add(Reason{Code: reasonIncomeAtLeast, N: [3]int64{int64(o.PerCapita), int64(line)}})
		} else {
			add(Reason{Code: reasonIncomeBelow, N: [3]int64{int64(o.PerCapita), int64(line)}})
		}
	}
	ind := f.Indicators
	indOK := true
	fail := func(r Reason) { indOK = false; add(r) }
	if !ind.FoodClothingSecure {
		fail(Reason{Code: reasonFood})
	}
	if !ind.CompulsoryEducation {
		fail(Reason{Code: reasonEducation})
	}
	if f.OutOfSchool > 0 {
		fail(Reason{Code: reasonOutOfSchool, N: [3]int64{int64(f.OutOfSchool)}})
	}
	if !ind.MedicalInsurance {
		fail(Reason{Code: reasonMedical})
	}
	if !ind.HousingSafe() {
		grade := ind.HousingSafety
		if grade == "" {
			grade = "?"
		}
		fail(Reason{Code: reasonHousing, S: grade})
	}
	if !ind.SafeWater {
		fail(Reason{Code: reasonWater})
	}
	if indOK {
		add(Reason{Code: reasonIndicatorsMet})
	}
	if incomeOK && indOK {
		watch := marginalBp.Of(line)
		if o.PerCapita < watch {
			o.Status = StatusMarginal
			add(Reason{Code: reasonAtRisk, N: [3]int64{int64(o.PerCapita), int64(watch), int64(marginalBp)}})
		} else {
			o.Status = StatusExited
		}
		return o
	}
	if prior.LastExitYear > 0 {
		o.Status = StatusReturned
		add(Reason{Code: reasonReturned, N: [3]int64{int64(prior.LastExitYear)}})
	} else {
		o.Status = StatusPoor
	}
	return o
}
