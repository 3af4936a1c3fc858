-- The append-only domain event log (events/). seq orders the log: on SQLite the one
-- writer makes seq order commit order; on PostgreSQL appenders take a transaction
-- advisory lock before taking a seq, so the same holds there (see events/doc.go).
-- payload is JSON and never holds personal data (names, ID numbers, phones,
-- addresses): it is read by report aggregates and sent to partners.
CREATE TABLE events (
    seq {{ID}},
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    county_code TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX events_type_seq ON events(type, seq);

-- Where each named consumer has got to: every event with seq <= this is handled.
CREATE TABLE event_checkpoints (
    consumer TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
