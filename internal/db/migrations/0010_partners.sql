-- Partner organisations of the technology alliance, their scoped API keys, the
-- calls made with them, and webhook subscriptions with their deliveries.
CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    website TEXT NOT NULL,
    purpose TEXT NOT NULL,
    contact_name_enc TEXT NOT NULL,
    contact_phone_enc TEXT NOT NULL,
    status TEXT NOT NULL,
    decision_note TEXT NOT NULL DEFAULT '',
    decided_by TEXT,
    decided_at TEXT,
    rate_per_minute INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

-- What an approved partner may be given: scopes, and the counties they apply to.
CREATE TABLE partner_scopes (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    scope TEXT NOT NULL,
    PRIMARY KEY (partner_id, scope)
);
CREATE TABLE partner_counties (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    county_code TEXT NOT NULL,
    PRIMARY KEY (partner_id, county_code)
);

-- Users (role partner) who act for the organisation in the portal.
CREATE TABLE partner_members (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    user_id TEXT NOT NULL UNIQUE REFERENCES users(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (partner_id, user_id)
);

-- API keys: stored as a hash; scopes and counties are space-separated subsets of
-- the partner's grant at creation time, and are re-checked against the grant on
-- every call, so narrowing a grant narrows every key at once.
CREATE TABLE partner_keys (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    label TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    counties TEXT NOT NULL,
    rate_per_minute INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    replaced_by TEXT,
    last_used_at TEXT
);
CREATE INDEX partner_keys_partner ON partner_keys(partner_id);

CREATE TABLE partner_calls (
    id {{ID}},
    partner_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    duration_us BIGINT NOT NULL
);
CREATE INDEX partner_calls_partner_at ON partner_calls(partner_id, at);

CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    counties TEXT NOT NULL,
    secret_enc TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX webhook_subscriptions_partner ON webhook_subscriptions(partner_id);

-- One row per (subscription, event): enqueued by the webhook consumer in the same
-- transaction as its checkpoint, so every matching event is enqueued exactly once.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id),
    partner_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    county_code TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at TEXT NOT NULL,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);
CREATE INDEX webhook_deliveries_partner ON webhook_deliveries(partner_id, created_at);

CREATE TABLE webhook_attempts (
    id {{ID}},
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
    at TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    error TEXT NOT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id);
