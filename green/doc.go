// Package green is the programme's ecological channel: consumers earn "green
// energy" (grams of CO2 avoided) from low-carbon actions, collect it within a time
// window, and redeem it for real trees or shares of a protected area in poverty
// counties; registered households of those counties are paid, as wage income
// through the ledger, for planting and guarding them once a project officer has
// verified their geo-tagged evidence.
//
// # Energy
//
// An Action (a consolidated parcel, an electronic receipt, a pickup at a village
// station, walking steps, a public-transport ride) is converted by the published
// Conversions table, limited by the kind's daily cap per user, and recorded once
// per action id: the id is the idempotency key, so a retried or re-reported action
// never counts twice. Each action becomes a drop that ripens (Config.RipeAfter) and
// must be collected before it expires (Config.Window); a friend may collect a share
// if the owner allows it. Collected energy sits in an energy ledger
// (green_energy_accounts and green_energy_entries) whose balance is the sum of its
// entries and can never go negative: spending is a conditional UPDATE in the same
// transaction as the certificate it buys.
//
// Ingest is the hottest write path: Ingester hands concurrent requests to one
// committer that records them in one transaction with a few set-wise statements
// (group commit, as ledger.Post does).
//
// # Events
//
// green.energy.collected {count, grams}; green.tree.planted {project_id, count};
// green.tree.survived {project_id, count, checked}; green.area.adopted {project_id,
// m2}; green.job.paid {project_id, kind, fen}; green.tree.redeemed {project_id,
// count}. County code on the event; no personal data.
package green
