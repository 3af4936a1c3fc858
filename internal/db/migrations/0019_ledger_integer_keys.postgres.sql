-- Ledger: integer transfer keys, and postings found by their key alone.
--
-- A transfer gets an integer seq (from the sequence ledger_transfer_seq). A
-- posting's id is seq * 4096 + leg, so the postings of a transfer are one range of
-- the postings' primary key: postings need neither a transfer column nor a
-- transfer index. Postings carry no foreign keys: the one write path
-- (ledger.postItems) checks the accounts in the same transaction, accounts and
-- transfers are never deleted, and `fishpond ledger verify` reports any posting
-- whose account or transfer is missing. Existing postings keep their order (by
-- transfer, then by their old id). The SQLite twin of this file rebuilds the
-- tables instead.

ALTER TABLE ledger_transfers ADD COLUMN seq BIGINT;
UPDATE ledger_transfers t SET seq = n.rn
    FROM (SELECT t2.id, ROW_NUMBER() OVER (ORDER BY (SELECT MIN(p.id) FROM ledger_postings p WHERE p.transfer_id = t2.id), t2.id) AS rn
          FROM ledger_transfers t2) n
    WHERE n.id = t.id;
ALTER TABLE ledger_transfers ALTER COLUMN seq SET NOT NULL;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_seq_key UNIQUE (seq);
CREATE SEQUENCE ledger_transfer_seq OWNED BY ledger_transfers.seq;
SELECT setval('ledger_transfer_seq', COALESCE((SELECT MAX(seq) FROM ledger_transfers), 0) + 1, false);
ALTER TABLE ledger_transfers ALTER COLUMN seq SET DEFAULT nextval('ledger_transfer_seq');

CREATE TABLE ledger_postings_0019 (
    -- seq of the transfer * 4096 + the leg's position in the transfer.
    id BIGINT PRIMARY KEY,
    account_seq BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    effective_at TEXT NOT NULL,
    rule_id TEXT
);
INSERT INTO ledger_postings_0019 (id, account_seq, amount, effective_at, rule_id)
    SELECT t.seq * 4096 + ROW_NUMBER() OVER (PARTITION BY p.transfer_id ORDER BY p.id) - 1, p.account_seq, p.amount, p.effective_at, p.rule_id
    FROM ledger_postings p JOIN ledger_transfers t ON t.id = p.transfer_id;
DROP TABLE ledger_postings;
ALTER TABLE ledger_postings_0019 RENAME TO ledger_postings;
ALTER INDEX ledger_postings_0019_pkey RENAME TO ledger_postings_pkey;

-- Covering (amount included): balances at an instant, statements and income sums
-- read the index alone.
CREATE INDEX ledger_postings_account ON ledger_postings(account_seq, effective_at, amount);
