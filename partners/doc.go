// Package partners is the technology alliance: outside organisations (NGOs,
// government agencies, companies) that work with Fishpond's data within a scope
// they were granted.
//
// An organisation applies (Apply), creating its first member account; an admin
// approves it and grants scopes and counties (Decide, Grant). Its members create
// API keys that carry a subset of the grant (CreateKey), rotate and revoke them.
// A call made with a key is authenticated by Authenticate, which re-checks the key
// against the partner's current grant, so narrowing a grant narrows every key at
// once. Calls are rate-limited per key and per partner (Limiter) and logged
// (CallLog). Partners subscribe webhooks to event types of their counties
// (Subscribe); the event log's consumer enqueues deliveries exactly once and the
// Dispatcher sends them signed, retrying with backoff.
package partners
