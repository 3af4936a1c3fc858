package report

// Microcredit (credit/): money lent in poverty counties. loan_borrowers stays
// unmeasured: credit.loan.disbursed says nothing about whether the borrower is new,
// and a count of loans is not a count of first-time borrowers.
func init() {
	Measure("loan_amount_fen", EventMeasure{Event: "credit.loan.disbursed", Field: "fen", PovertyOnly: true})
}
