// Package insurance is Fishpond's micro health insurance for registered households:
// plans with a premium per insured person and a benefit schedule by diagnosis
// category, enrolment of eligible members checked against the registry, premiums
// paid from a named charity fund (the one the marketplace's per-item pledges flow
// into, plus donations), claims with fraud checks, and payouts to the household as
// transfer income.
//
// Accounting (owners "fund:<name>", "insurance:<plan id>", "household:<id>"):
//
//	pledge (market)  fund wallet +        fund pledges income −      (market settlement)
//	donation         fund wallet +        fund donations income −
//	premium          fund premiums expense +   fund wallet −
//	                 plan pool +               plan premium income −
//	payout           plan claims expense +     plan pool −
//	                 household wallet +        household transfer income −
//
// so a payout shows as 转移性收入 in the household's income and its assessment, and
// the fund's public page reads its balance straight from the ledger.
package insurance
