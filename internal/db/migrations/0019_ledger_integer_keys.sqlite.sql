-- Ledger: integer transfer keys, and postings found without a transfer index.
--
-- A transfer gets an integer seq (the table's rowid) and the range of posting ids
-- that holds its postings [first_posting, last_posting]; a posting names its
-- transfer by that integer (transfer_seq) instead of the 36-character id. So a
-- posting is one append to the table plus one entry in the per-account index: no
-- text transfer-id index, and no foreign-key probes. Postings carry no foreign
-- keys: the one write path (ledger.postItems) checks the accounts in the same
-- transaction, accounts and transfers are never deleted, and `fishpond ledger
-- verify` reports any posting whose account or transfer is missing or that lies
-- outside its transfer's range.
-- SQLite cannot add a primary key to a table, so the three tables are rebuilt;
-- existing postings keep their order (by transfer, then by their old id).

CREATE TABLE ledger_transfers_0019 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idem_key TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    memo TEXT NOT NULL,
    evidence TEXT NOT NULL,
    currency TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    reverses TEXT,
    first_posting BIGINT NOT NULL,
    last_posting BIGINT NOT NULL
);
CREATE TABLE ledger_postings_0019 (
    id INTEGER PRIMARY KEY,
    transfer_seq BIGINT NOT NULL,
    account_seq BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    effective_at TEXT NOT NULL,
    rule_id TEXT
);

-- The order of existing transfers: by their first posting (the order they were
-- recorded in). Every step below is a scan, a sort or an indexed lookup.
CREATE TEMP TABLE ledger_0019_order AS
    SELECT t.id, ROW_NUMBER() OVER (ORDER BY (SELECT MIN(p.id) FROM ledger_postings p WHERE p.transfer_id = t.id), t.id) AS tseq
    FROM ledger_transfers t;
CREATE UNIQUE INDEX ledger_0019_order_id ON ledger_0019_order(id);

INSERT INTO ledger_postings_0019 (id, transfer_seq, account_seq, amount, effective_at, rule_id)
    SELECT ROW_NUMBER() OVER (ORDER BY o.tseq, p.id), o.tseq, p.account_seq, p.amount, p.effective_at, p.rule_id
    FROM ledger_postings p JOIN ledger_0019_order o ON o.id = p.transfer_id;
INSERT INTO ledger_transfers_0019 (seq, id, idem_key, content_hash, kind, memo, evidence, currency, effective_at, recorded_at, reverses, first_posting, last_posting)
    SELECT o.tseq, t.id, t.idem_key, t.content_hash, t.kind, t.memo, t.evidence, t.currency, t.effective_at, t.recorded_at, t.reverses,
        COALESCE(r.lo, 0), COALESCE(r.hi, -1)
    FROM ledger_transfers t
    JOIN ledger_0019_order o ON o.id = t.id
    LEFT JOIN (SELECT transfer_seq, MIN(id) AS lo, MAX(id) AS hi FROM ledger_postings_0019 GROUP BY transfer_seq) r ON r.transfer_seq = o.tseq;
DROP TABLE ledger_0019_order;

CREATE TABLE ledger_reversals_0019 (
    original_id TEXT PRIMARY KEY REFERENCES ledger_transfers_0019(id),
    reversal_id TEXT NOT NULL REFERENCES ledger_transfers_0019(id)
);
INSERT INTO ledger_reversals_0019 (original_id, reversal_id) SELECT original_id, reversal_id FROM ledger_reversals;

DROP TABLE ledger_reversals;
DROP TABLE ledger_postings;
DROP TABLE ledger_transfers;
ALTER TABLE ledger_transfers_0019 RENAME TO ledger_transfers;
ALTER TABLE ledger_postings_0019 RENAME TO ledger_postings;
ALTER TABLE ledger_reversals_0019 RENAME TO ledger_reversals;

-- Covering (amount included): balances at an instant, statements and income sums
-- read the index alone; its entries end with the posting id, which orders ties.
CREATE INDEX ledger_postings_account ON ledger_postings(account_seq, effective_at, amount);
