package report

// Microcredit (credit/): money lent and first-time borrowers in poverty counties.
func init() {
	Measure("loan_amount_fen", EventMeasure{Event: "credit.loan.disbursed", Field: "fen", PovertyOnly: true})
	// new_borrower is 1 on a borrower's first loan: a household's, or a
	// cooperative's (one borrower however many members it has).
	Measure("loan_borrowers", EventMeasure{Event: "credit.loan.disbursed", Field: "new_borrower", PovertyOnly: true})
}
