package report

// Health insurance (insurance/): one insurance.household.enrolled per enrolment of
// a household's members in a plan.
func init() {
	Measure("insured_households", EventMeasure{Event: "insurance.household.enrolled"})
}
