package report

// The fund's programmes: fund.enrolment.made carries flags for a woman, a student
// and a teacher or principal; each flag counts 1. A person enrolled in two
// programmes counts twice (the figures count enrolments, as the fund reports them).
func init() {
	Measure("women_covered", EventMeasure{Event: "fund.enrolment.made", Field: "woman"})
	Measure("students_supported", EventMeasure{Event: "fund.enrolment.made", Field: "student"})
	Measure("teachers_supported", EventMeasure{Event: "fund.enrolment.made", Field: "teacher"})
	// fund.volunteer.logged carries whole minutes (its hours are fractional).
	Measure("volunteer_hours", EventMeasure{Event: "fund.volunteer.logged", Field: "minutes", Divisor: 60})
	// fund.specialist.posted: a county with a specialist posted in the period.
	Measure("counties_visited", EventMeasure{Event: "fund.specialist.posted", Kind: CountiesWith})
	// fund.staff.engaged: a member of staff's first volunteer entry or posting.
	Measure("staff_engaged", EventMeasure{Event: "fund.staff.engaged", Kind: Cumulative})
}
