// Package events is Fishpond's append-only domain event log. Capabilities append
// events (order.paid, household.status.changed, …) with Append or AppendMany in the
// same transaction as the change they describe, so an event exists if and only if
// the change committed. Consumers (report aggregates, partner webhooks) read the log
// in seq order from a checkpoint of their own.
//
// # Delivery
//
// Consumer.ProcessBatch runs the handler for a batch of events and advances the
// consumer's checkpoint in one transaction, the handler's writes included. For a
// consumer whose effect is rows in the same database (an aggregate table) that is
// exactly-once: the writes and the checkpoint commit together or not at all. For an
// effect outside the database (an HTTP webhook) it is at-least-once: the call may
// succeed and the transaction then fail, and the event is handled again; such
// handlers must be idempotent, e.g. by sending the event's ID for the receiver to
// deduplicate.
//
// # Ordering on PostgreSQL
//
// A sequence hands out numbers when a row is inserted, not when its transaction
// commits, so without care seq 11 can be visible before seq 10 is, and a consumer
// that checkpoints 11 would never see 10. Append therefore takes a transaction-scoped
// advisory lock (pg_advisory_xact_lock) before inserting: appending transactions
// take their seqs one after another and release the lock only once their commit is
// visible, so commit order is seq order and a reader never sees a later seq before
// an earlier one. The cost is that transactions which append events serialise from
// their first Append to their commit: append as the last write of a transaction, so
// the lock is held for little more than the commit itself. Transactions that do not
// append are unaffected. SQLite has one writer, so seq order is commit order there
// already.
//
// # Notification
//
// A commit cannot tell the log about itself, so consumers poll (Consumer.Interval)
// and a writer may call Log.Notify after its commit to wake them at once.
package events
