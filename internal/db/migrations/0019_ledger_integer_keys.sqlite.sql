-- Ledger: integer transfer keys, and postings found by their key alone.
--
-- A transfer gets an integer seq (the table's rowid on SQLite). A posting's id is
-- seq * 4096 + leg, so the postings of a transfer are one range of the postings'
-- primary key: postings need neither a transfer column nor a transfer index, and
-- each posting is one append to the table plus one entry in the per-account index.
-- Postings carry no foreign keys: the one write path (ledger.postItems) checks the
-- accounts in the same transaction, accounts and transfers are never deleted, and
-- `fishpond ledger verify` reports any posting whose account or transfer is missing.
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
    reverses TEXT
);
INSERT INTO ledger_transfers_0019 (seq, id, idem_key, content_hash, kind, memo, evidence, currency, effective_at, recorded_at, reverses)
    SELECT ROW_NUMBER() OVER (ORDER BY first_posting, id), id, idem_key, content_hash, kind, memo, evidence, currency, effective_at, recorded_at, reverses
    FROM (SELECT t.*, (SELECT MIN(p.id) FROM ledger_postings p WHERE p.transfer_id = t.id) AS first_posting FROM ledger_transfers t);

CREATE TABLE ledger_postings_0019 (
    -- seq of the transfer * 4096 + the leg's position in the transfer.
    id INTEGER PRIMARY KEY,
    account_seq BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    effective_at TEXT NOT NULL,
    rule_id TEXT
);
INSERT INTO ledger_postings_0019 (id, account_seq, amount, effective_at, rule_id)
    SELECT t.seq * 4096 + ROW_NUMBER() OVER (PARTITION BY p.transfer_id ORDER BY p.id) - 1, p.account_seq, p.amount, p.effective_at, p.rule_id
    FROM ledger_postings p JOIN ledger_transfers_0019 t ON t.id = p.transfer_id;

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
