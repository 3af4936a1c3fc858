-- Cooperatives borrow (credit/), and cooperatives record their own sales (farms/).
-- SQLite: a loan or application belongs to a household or to a cooperative, so
-- household_id becomes nullable and coop_id is added. SQLite cannot drop a NOT NULL
-- constraint, so both tables are rebuilt; foreign keys are deferred to the commit
-- (PRAGMA defer_foreign_keys works inside the migration's transaction), and the
-- rows are copied back into tables of the same name before it, so the instalments,
-- restructurings and loans that refer to them stay valid.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE credit_applications_copy AS SELECT * FROM credit_applications;
CREATE TEMP TABLE credit_loans_copy AS SELECT * FROM credit_loans;
DROP TABLE credit_loans;
DROP TABLE credit_applications;

CREATE TABLE credit_applications (
    id TEXT PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE,
    household_id TEXT REFERENCES households(id),
    coop_id TEXT REFERENCES farms_coops(coop_id),
    county_code TEXT NOT NULL,
    borrower_kind TEXT NOT NULL,
    product_id TEXT NOT NULL REFERENCES credit_products(id),
    amount BIGINT NOT NULL,
    note TEXT NOT NULL,
    supplier TEXT NOT NULL,
    score BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    status TEXT NOT NULL,
    inputs TEXT NOT NULL,
    reasons TEXT NOT NULL,
    model TEXT NOT NULL,
    applied_by TEXT NOT NULL,
    reviewed_by TEXT NOT NULL DEFAULT '',
    review_note TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT NOT NULL DEFAULT '',
    loan_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    CHECK ((household_id IS NULL) <> (coop_id IS NULL))
);
INSERT INTO credit_applications (id, idem_key, household_id, coop_id, county_code, borrower_kind, product_id, amount, note, supplier, score, outcome,
    status, inputs, reasons, model, applied_by, reviewed_by, review_note, reviewed_at, loan_id, created_at)
    SELECT id, idem_key, household_id, NULL, county_code, borrower_kind, product_id, amount, note, supplier, score, outcome,
    status, inputs, reasons, model, applied_by, reviewed_by, review_note, reviewed_at, loan_id, created_at FROM credit_applications_copy;

CREATE TABLE credit_loans (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES credit_applications(id),
    product_id TEXT NOT NULL REFERENCES credit_products(id),
    household_id TEXT REFERENCES households(id),
    coop_id TEXT REFERENCES farms_coops(coop_id),
    county_code TEXT NOT NULL,
    borrower_kind TEXT NOT NULL,
    principal BIGINT NOT NULL,
    rate_bp BIGINT NOT NULL,
    interest_method TEXT NOT NULL,
    repayment TEXT NOT NULL,
    share_bp BIGINT NOT NULL,
    penalty_bp BIGINT NOT NULL,
    disbursement TEXT NOT NULL,
    supplier TEXT NOT NULL,
    account_id TEXT NOT NULL,
    wallet_id TEXT NOT NULL,
    rule_id TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    charged BIGINT NOT NULL DEFAULT 0,
    sched_base BIGINT NOT NULL DEFAULT 0,
    penalties BIGINT NOT NULL DEFAULT 0,
    penalty_through TEXT NOT NULL,
    due_to_date BIGINT NOT NULL DEFAULT 0,
    overdue_amount BIGINT NOT NULL DEFAULT 0,
    days_late BIGINT NOT NULL DEFAULT 0,
    max_days_late BIGINT NOT NULL DEFAULT 0,
    restructures BIGINT NOT NULL DEFAULT 0,
    disbursed_at TEXT NOT NULL,
    settled_at TEXT NOT NULL DEFAULT '',
    CHECK ((household_id IS NULL) <> (coop_id IS NULL))
);
INSERT INTO credit_loans (id, application_id, product_id, household_id, coop_id, county_code, borrower_kind, principal, rate_bp, interest_method,
    repayment, share_bp, penalty_bp, disbursement, supplier, account_id, wallet_id, rule_id, status, charged, sched_base, penalties,
    penalty_through, due_to_date, overdue_amount, days_late, max_days_late, restructures, disbursed_at, settled_at)
    SELECT id, application_id, product_id, household_id, NULL, county_code, borrower_kind, principal, rate_bp, interest_method,
    repayment, share_bp, penalty_bp, disbursement, supplier, account_id, wallet_id, rule_id, status, charged, sched_base, penalties,
    penalty_through, due_to_date, overdue_amount, days_late, max_days_late, restructures, disbursed_at, settled_at FROM credit_loans_copy;
DROP TABLE credit_applications_copy;
DROP TABLE credit_loans_copy;

CREATE INDEX credit_applications_household ON credit_applications(household_id, created_at);
CREATE INDEX credit_applications_coop ON credit_applications(coop_id, created_at);
CREATE INDEX credit_applications_queue ON credit_applications(status, county_code, created_at);
-- At most one application waiting for an officer per borrower.
CREATE UNIQUE INDEX credit_applications_one_referred ON credit_applications(household_id) WHERE status = 'referred';
CREATE UNIQUE INDEX credit_applications_coop_one_referred ON credit_applications(coop_id) WHERE status = 'referred';
CREATE INDEX credit_loans_household ON credit_loans(household_id);
CREATE INDEX credit_loans_coop ON credit_loans(coop_id);
CREATE INDEX credit_loans_status ON credit_loans(status, county_code);
-- At most one open loan per borrower: a second one would share its sales.
CREATE UNIQUE INDEX credit_loans_one_open ON credit_loans(household_id) WHERE status IN ('active', 'overdue');
CREATE UNIQUE INDEX credit_loans_coop_one_open ON credit_loans(coop_id) WHERE status IN ('active', 'overdue');

-- A cooperative's own sales (farms/): produce it bought under its purchase
-- agreements or grew on transferred land, sold in bulk to a buyer who pays the
-- cooperative (a processor, a wholesaler, a consumption-aid buyer). The money lands
-- in the cooperative's cash (ledger transfer kind farm_sale), where a loan's
-- standing rule takes its share. Weights in grams, money in fen.
CREATE TABLE farms_sales (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    county_code TEXT NOT NULL REFERENCES counties(code),
    idem_key TEXT NOT NULL,
    buyer TEXT NOT NULL,
    crop TEXT NOT NULL,
    weight_g BIGINT NOT NULL CHECK (weight_g > 0),
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    amount BIGINT NOT NULL CHECK (amount > 0),
    transfer_id TEXT NOT NULL,
    sold_at TEXT NOT NULL,
    UNIQUE (coop_id, idem_key)
);
CREATE INDEX farms_sales_coop ON farms_sales(coop_id, sold_at);

-- Scoring reads a household's purchase agreements and deliveries (credit/inputs.go);
-- farms indexed them by cooperative only.
CREATE INDEX farms_agreements_household ON farms_agreements(household_id);
CREATE INDEX farms_deliveries_household ON farms_deliveries(household_id, delivered_at);
