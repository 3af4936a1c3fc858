// Package farms runs poverty-alleviation farms (扶贫农场): a cooperative of the
// marketplace grows into a farm that rents registered households' land under
// land-transfer contracts, buys their produce under purchase agreements, pays them
// wages for farm work, lets urban consumers claim part of a field and pre-order its
// harvest, and advances seeds and fertiliser on credit.
//
// Every yuan that reaches a household is one ledger transfer into the household's
// official income category — rent into net property income, wages into wage income,
// produce purchases into net operating income, dividends into property income — with
// an idempotency key derived from what it pays (the installment, the delivery, the
// payroll line), so a retry or a restart never pays twice. The cooperative's side of
// each transfer lands in its own accounts (owner "coop:<id>").
//
// The rent scheduler (RunDueRent, Scheduler) pays every installment whose due time
// has passed, one transaction per installment, so that after downtime it catches up
// and a crash in the middle of a run leaves each installment either paid once or
// still due.
package farms
