// Package credit is Fishpond's data-based microcredit: loan products, applications
// decided in seconds by an explainable score from platform data, disbursement to the
// household's wallet (or in kind to an input supplier), schedules, and repayment by a
// ledger standing rule that takes the agreed share of every sales inflow until the
// open instalments are covered — the marketplace pays out without knowing loans
// exist. Overdue tracking, penalty interest, restructuring and statements complete it.
//
// Accounting. Each loan has one ledger account (owner "loan:<id>", a liability whose
// credit balance is what the borrower owes now):
//
//	disbursement   wallet (or production cost, in kind)  +P   loan −P
//	interest       household production cost +I               loan −I   (when an instalment's window opens)
//	penalty        household production cost +X               loan −X   (overdue days × rate)
//	repayment      wallet −x                                  loan +x   (standing rule on sales, or manual)
//
// Interest and penalties are production costs of the household, so they reduce its net
// operating income as the national statistics count it. A settled loan's account is
// exactly zero, which `fishpond ledger verify` and the tests check.
//
// Windows. Instalment 1's window opens at disbursement; instalment k's opens on the due
// date of instalment k−1. The rule's cap is what the open windows (plus penalties)
// ask for less what was repaid by hand, so sales repay the current instalment and
// then the household keeps its proceeds until the next window opens. Sync (run by the
// daily sweep and by every loan write) opens windows, charges interest and penalties,
// collects due instalments of "schedule" loans from the wallet, marks overdue and
// settled loans and moves the rule's cap.
package credit
