package report

// Green (green/): trees planted and wages paid for verified planting and guarding
// work. green_jobs stays unmeasured: green.job.paid is appended per verified work
// report, not per job held.
func init() {
	Measure("trees_planted", EventMeasure{Event: "green.tree.planted", Field: "count"})
	Measure("green_job_pay_fen", EventMeasure{Event: "green.job.paid", Field: "fen"})
	// green.job.assigned: a planting or guarding job given to a registered household.
	Measure("green_jobs", EventMeasure{Event: "green.job.assigned"})
}
