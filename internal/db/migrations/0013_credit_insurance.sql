-- Microcredit (credit/) and micro health insurance (insurance/), and the ledger
-- change they need.

-- A standing rule may watch only inflows of certain transfer kinds (comma-separated,
-- '' = every inflow): a loan is repaid from sales proceeds, never from an insurance
-- payout or a wage that lands in the same wallet.
ALTER TABLE ledger_rules ADD COLUMN kinds TEXT NOT NULL DEFAULT '';

-- Loan products: amounts in fen, annual rate and penalty rate in basis points.
CREATE TABLE credit_products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    min_amount BIGINT NOT NULL,
    max_amount BIGINT NOT NULL,
    term_months BIGINT NOT NULL,
    instalments BIGINT NOT NULL,
    rate_bp BIGINT NOT NULL,
    interest_method TEXT NOT NULL,
    harvest_month BIGINT NOT NULL,
    repayment TEXT NOT NULL,
    share_bp BIGINT NOT NULL,
    penalty_bp BIGINT NOT NULL,
    disbursement TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

-- An application and its automated decision, with the inputs, the model and the
-- reasons it was decided on (JSON), so every decision can be explained later.
CREATE TABLE credit_applications (
    id TEXT PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE,
    household_id TEXT NOT NULL REFERENCES households(id),
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
    created_at TEXT NOT NULL
);
CREATE INDEX credit_applications_household ON credit_applications(household_id, created_at);
CREATE INDEX credit_applications_queue ON credit_applications(status, county_code, created_at);
-- At most one application waiting for an officer per household.
CREATE UNIQUE INDEX credit_applications_one_referred ON credit_applications(household_id) WHERE status = 'referred';

-- A loan. account_id is its ledger account (a liability whose credit balance is
-- what the borrower owes); rule_id the standing rule that repays it from sales.
-- sched_base is what had been repaid when the current schedule began (0, or the
-- amount at the last restructuring); penalties are those charged since then.
CREATE TABLE credit_loans (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES credit_applications(id),
    product_id TEXT NOT NULL REFERENCES credit_products(id),
    household_id TEXT NOT NULL REFERENCES households(id),
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
    -- As of the last sync (the daily sweep or the loan's own writes): amount of
    -- instalments fallen due, of that still unpaid, and days the oldest is late.
    due_to_date BIGINT NOT NULL DEFAULT 0,
    overdue_amount BIGINT NOT NULL DEFAULT 0,
    days_late BIGINT NOT NULL DEFAULT 0,
    max_days_late BIGINT NOT NULL DEFAULT 0,
    restructures BIGINT NOT NULL DEFAULT 0,
    disbursed_at TEXT NOT NULL,
    settled_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX credit_loans_household ON credit_loans(household_id);
CREATE INDEX credit_loans_status ON credit_loans(status, county_code);
-- At most one open loan per household: a second one would share its sales.
CREATE UNIQUE INDEX credit_loans_one_open ON credit_loans(household_id) WHERE status IN ('active', 'overdue');

-- The schedule; version rises with each restructuring (older rows are history).
-- opened: the instalment's collection window is open and its interest charged.
CREATE TABLE credit_instalments (
    loan_id TEXT NOT NULL REFERENCES credit_loans(id),
    version BIGINT NOT NULL,
    no BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    principal BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    opened INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (loan_id, version, no)
);

CREATE TABLE credit_restructurings (
    id TEXT PRIMARY KEY,
    loan_id TEXT NOT NULL REFERENCES credit_loans(id),
    version BIGINT NOT NULL,
    outstanding BIGINT NOT NULL,
    instalments BIGINT NOT NULL,
    first_due TEXT NOT NULL,
    reason TEXT NOT NULL,
    by_user TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Insurance plans and their benefit schedule (limit per insured person and cover
-- period, by diagnosis category).
CREATE TABLE insurance_plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    fund TEXT NOT NULL,
    premium BIGINT NOT NULL,
    cover_months BIGINT NOT NULL,
    min_age BIGINT NOT NULL,
    max_age BIGINT NOT NULL,
    breadwinners_only INTEGER NOT NULL,
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE insurance_benefits (
    plan_id TEXT NOT NULL REFERENCES insurance_plans(id),
    category TEXT NOT NULL,
    limit_amount BIGINT NOT NULL,
    PRIMARY KEY (plan_id, category)
);

-- One insured person for one cover period, the premium paid for it from the fund.
CREATE TABLE insurance_enrolments (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES insurance_plans(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    member_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    cover_from TEXT NOT NULL,
    cover_to TEXT NOT NULL,
    premium BIGINT NOT NULL,
    transfer_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (plan_id, member_id, cover_from)
);
CREATE INDEX insurance_enrolments_household ON insurance_enrolments(household_id);
CREATE INDEX insurance_enrolments_county ON insurance_enrolments(county_code, cover_to);

-- flags: fraud checks that fired (duplicate, outside_cover, over_limit), comma-separated.
CREATE TABLE insurance_claims (
    id TEXT PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE,
    enrolment_id TEXT NOT NULL REFERENCES insurance_enrolments(id),
    plan_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    category TEXT NOT NULL,
    hospital TEXT NOT NULL,
    amount BIGINT NOT NULL,
    incurred_on TEXT NOT NULL,
    documents TEXT NOT NULL,
    flags TEXT NOT NULL,
    status TEXT NOT NULL,
    approved_amount BIGINT NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    submitted_by TEXT NOT NULL,
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT NOT NULL DEFAULT '',
    transfer_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX insurance_claims_member ON insurance_claims(member_id, category);
CREATE INDEX insurance_claims_queue ON insurance_claims(status, county_code);
