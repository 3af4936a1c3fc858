-- Poverty-alleviation farms (farms/): a cooperative of the marketplace (market_coops)
-- grows into a farm with shareholding members, land-transfer contracts with a rent
-- schedule, purchase agreements and deliveries, wage labour and payroll, fields with
-- consumer claims, and farm inputs advanced on credit. Money is BIGINT fen; areas are
-- BIGINT hundredths of a mu (area_cmu); weights BIGINT grams; times FormatTime text;
-- dates YYYY-MM-DD text. Every payment is a ledger transfer whose id is kept here.

CREATE TABLE farms_coops (
    coop_id TEXT PRIMARY KEY REFERENCES market_coops(id),
    legal_rep TEXT NOT NULL,
    min_daily_wage BIGINT NOT NULL CHECK (min_daily_wage > 0),
    created_at TEXT NOT NULL
);

-- Shareholding members: registered households (household_id) or others (label only).
CREATE TABLE farms_members (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    household_id TEXT REFERENCES households(id),
    label TEXT NOT NULL,
    shares BIGINT NOT NULL CHECK (shares > 0),
    joined_at TEXT NOT NULL,
    UNIQUE (coop_id, household_id)
);
CREATE INDEX farms_members_coop ON farms_members(coop_id);

CREATE TABLE farms_dividends (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    idem_key TEXT NOT NULL,
    total BIGINT NOT NULL CHECK (total > 0),
    note TEXT NOT NULL,
    paid_at TEXT NOT NULL,
    UNIQUE (coop_id, idem_key)
);

CREATE TABLE farms_dividend_lines (
    dividend_id TEXT NOT NULL REFERENCES farms_dividends(id),
    member_id TEXT NOT NULL REFERENCES farms_members(id),
    household_id TEXT,
    amount BIGINT NOT NULL,
    transfer_id TEXT NOT NULL,
    PRIMARY KEY (dividend_id, member_id)
);

-- Land-transfer contracts (土地流转): a household transfers area_cmu to the
-- cooperative for years at rate fen per mu per year, paid payments_per_year times a
-- year in arrears.
CREATE TABLE farms_contracts (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    household_id TEXT NOT NULL REFERENCES households(id),
    county_code TEXT NOT NULL REFERENCES counties(code),
    idem_key TEXT NOT NULL,
    area_cmu BIGINT NOT NULL CHECK (area_cmu > 0),
    rate BIGINT NOT NULL CHECK (rate > 0),
    years BIGINT NOT NULL CHECK (years > 0),
    payments_per_year BIGINT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    status TEXT NOT NULL,
    terminated_on TEXT NOT NULL DEFAULT '',
    termination_reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (coop_id, idem_key)
);
CREATE INDEX farms_contracts_coop ON farms_contracts(coop_id);
CREATE INDEX farms_contracts_household ON farms_contracts(household_id);

-- The rent schedule: one row per installment, written when the contract is signed.
-- The scheduler pays rows with status 'due' whose due_at has passed, one
-- transaction each (ledger transfer + status change together).
CREATE TABLE farms_rent (
    contract_id TEXT NOT NULL REFERENCES farms_contracts(id),
    seq BIGINT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    due_at TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    status TEXT NOT NULL,
    transfer_id TEXT NOT NULL DEFAULT '',
    paid_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (contract_id, seq)
);
CREATE INDEX farms_rent_due ON farms_rent(status, due_at);

CREATE TABLE farms_documents (
    id TEXT PRIMARY KEY,
    contract_id TEXT NOT NULL REFERENCES farms_contracts(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX farms_documents_contract ON farms_documents(contract_id);

-- Purchase agreements: pricing 'floor' (price = max(floor, market)) or 'premium'
-- (price = market + premium), per kg of grade A; grades B and C pay grade_b_bp and
-- grade_c_bp of it.
CREATE TABLE farms_agreements (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    household_id TEXT NOT NULL REFERENCES households(id),
    county_code TEXT NOT NULL REFERENCES counties(code),
    idem_key TEXT NOT NULL,
    crop TEXT NOT NULL,
    pricing TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price > 0),
    grade_b_bp BIGINT NOT NULL,
    grade_c_bp BIGINT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (coop_id, idem_key)
);
CREATE INDEX farms_agreements_coop ON farms_agreements(coop_id);

CREATE TABLE farms_deliveries (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL REFERENCES farms_agreements(id),
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    household_id TEXT NOT NULL REFERENCES households(id),
    idem_key TEXT NOT NULL,
    weight_g BIGINT NOT NULL CHECK (weight_g > 0),
    grade TEXT NOT NULL,
    market_price BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    transfer_id TEXT NOT NULL,
    delivered_at TEXT NOT NULL,
    UNIQUE (agreement_id, idem_key)
);
CREATE INDEX farms_deliveries_coop ON farms_deliveries(coop_id, delivered_at);

-- Wage labour: tasks paid by the day (rate per day) or by the piece (rate per unit);
-- work rows record days (in tenths) and pieces; a payroll pays unpaid rows.
CREATE TABLE farms_tasks (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    field_id TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    basis TEXT NOT NULL,
    rate BIGINT NOT NULL CHECK (rate > 0),
    unit TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX farms_tasks_coop ON farms_tasks(coop_id);

CREATE TABLE farms_payrolls (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    idem_key TEXT NOT NULL,
    through TEXT NOT NULL,
    total BIGINT NOT NULL,
    households BIGINT NOT NULL,
    paid_at TEXT NOT NULL,
    UNIQUE (coop_id, idem_key)
);

CREATE TABLE farms_work (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES farms_tasks(id),
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    household_id TEXT NOT NULL REFERENCES households(id),
    idem_key TEXT NOT NULL,
    work_date TEXT NOT NULL,
    days_x10 BIGINT NOT NULL CHECK (days_x10 > 0),
    pieces BIGINT NOT NULL CHECK (pieces >= 0),
    amount BIGINT NOT NULL CHECK (amount > 0),
    payroll_id TEXT REFERENCES farms_payrolls(id),
    created_at TEXT NOT NULL,
    UNIQUE (task_id, idem_key)
);
CREATE INDEX farms_work_unpaid ON farms_work(coop_id, payroll_id);

CREATE TABLE farms_payroll_lines (
    payroll_id TEXT NOT NULL REFERENCES farms_payrolls(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    amount BIGINT NOT NULL,
    days_x10 BIGINT NOT NULL,
    transfer_id TEXT NOT NULL,
    PRIMARY KEY (payroll_id, household_id)
);

-- Fields and consumer claims. A field open to claims lists a claim product in the
-- cooperative's shop (one unit = one mu for the season); a claim is a marketplace
-- order of it, shipped at harvest with the claimer's share of the yield.
CREATE TABLE farms_fields (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    county_code TEXT NOT NULL REFERENCES counties(code),
    name TEXT NOT NULL,
    crop TEXT NOT NULL,
    season TEXT NOT NULL,
    area_cmu BIGINT NOT NULL CHECK (area_cmu > 0),
    claimable_mu BIGINT NOT NULL CHECK (claimable_mu >= 0),
    claim_price BIGINT NOT NULL CHECK (claim_price >= 0),
    product_id TEXT REFERENCES market_products(id),
    status TEXT NOT NULL,
    yield_g BIGINT NOT NULL DEFAULT 0,
    harvested_at TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX farms_fields_coop ON farms_fields(coop_id);

CREATE TABLE farms_claims (
    id TEXT PRIMARY KEY,
    field_id TEXT NOT NULL REFERENCES farms_fields(id),
    user_id TEXT NOT NULL,
    mu BIGINT NOT NULL CHECK (mu > 0),
    order_id TEXT NOT NULL UNIQUE REFERENCES market_orders(id),
    certificate TEXT NOT NULL UNIQUE,
    share_g BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    shipped_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX farms_claims_field ON farms_claims(field_id);
CREATE INDEX farms_claims_user ON farms_claims(user_id);

CREATE TABLE farms_updates (
    id TEXT PRIMARY KEY,
    field_id TEXT NOT NULL REFERENCES farms_fields(id),
    note TEXT NOT NULL,
    photo_path TEXT NOT NULL DEFAULT '',
    photo_type TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX farms_updates_field ON farms_updates(field_id, created_at);

-- Inputs (seeds, fertiliser, pesticide) advanced on credit to the farm or to a
-- household; value owed to the supplier until the loan capability settles it.
CREATE TABLE farms_inputs (
    id TEXT PRIMARY KEY,
    coop_id TEXT NOT NULL REFERENCES farms_coops(coop_id),
    household_id TEXT REFERENCES households(id),
    idem_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit TEXT NOT NULL,
    value BIGINT NOT NULL CHECK (value > 0),
    supplier TEXT NOT NULL,
    transfer_id TEXT NOT NULL,
    advanced_at TEXT NOT NULL,
    UNIQUE (coop_id, idem_key)
);
CREATE INDEX farms_inputs_coop ON farms_inputs(coop_id);
