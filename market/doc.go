// Package market is Fishpond's first Internet channel: shops of registered
// households, cooperatives and county service centres; products whose origin and
// producers are proved by the registry; carts, orders that never oversell, flash
// sales, and settlement of every sale into the ledger as operating income of the
// households that produced it. It knows nothing of payment providers or HTTP:
// web wires a provider's verified notification to MarkPaid and a refund to Refund.
package market
