-- Ledger: accounts, immutable transfers and postings, standing rules.
-- Sign convention: a posting's amount is in fen, debit positive, credit negative;
-- every transfer's postings sum to zero, so all balances together sum to zero.

-- seq is an internal integer key (the API speaks only id); the running balance
-- lives in its own narrow table keyed by seq, so that a batch of transfers rewrites
-- a few small pages instead of one wide account row per account it touches.
CREATE TABLE ledger_accounts (
    seq {{ID}},
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    currency TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (owner, category)
);

-- Running sum of each account's postings, updated in the posting transaction;
-- Verify recomputes it from the postings. One row per account, created with it.
CREATE TABLE ledger_balances (
    account_seq INTEGER PRIMARY KEY REFERENCES ledger_accounts(seq),
    balance BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE ledger_transfers (
    id TEXT PRIMARY KEY,
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

CREATE TABLE ledger_postings (
    id {{ID}},
    transfer_id TEXT NOT NULL REFERENCES ledger_transfers(id),
    -- The account's internal key: an integer keeps the per-account index small.
    account_seq BIGINT NOT NULL REFERENCES ledger_accounts(seq),
    amount BIGINT NOT NULL,
    -- The transfer's effective time, copied so balances at an instant need no join.
    effective_at TEXT NOT NULL,
    -- Set on the two legs a standing rule added to the transfer.
    rule_id TEXT
);
-- Covering (amount included): balances at an instant, statements and income
-- sums read the index alone.
CREATE INDEX ledger_postings_account ON ledger_postings(account_seq, effective_at, amount);
CREATE INDEX ledger_postings_transfer ON ledger_postings(transfer_id);

-- A transfer can be reversed once: the primary key enforces it.
CREATE TABLE ledger_reversals (
    original_id TEXT PRIMARY KEY REFERENCES ledger_transfers(id),
    reversal_id TEXT NOT NULL REFERENCES ledger_transfers(id)
);

-- Standing rules: move bp/10000 of every inflow to source into dest until cap.
CREATE TABLE ledger_rules (
    seq {{ID}},
    id TEXT NOT NULL UNIQUE,
    source_id TEXT NOT NULL REFERENCES ledger_accounts(id),
    dest_id TEXT NOT NULL REFERENCES ledger_accounts(id),
    bp BIGINT NOT NULL,
    cap BIGINT NOT NULL,
    moved BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ledger_rules_source ON ledger_rules(source_id, status);
