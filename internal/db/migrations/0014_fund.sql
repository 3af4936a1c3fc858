-- The fund and its programmes (fund/): a fund with a committed total and period,
-- allocations (budget) to areas and, under an area, to counties or programmes,
-- disbursements paid as ledger transfers (four-eyes above a threshold) with
-- supporting documents, programmes with eligibility rules against the registry,
-- enrolments, job placements, wage and piece-rate pay, home visits, specialists
-- posted to counties and staff volunteer hours. Money is BIGINT fen.

CREATE TABLE fund_funds (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    committed BIGINT NOT NULL CHECK (committed > 0),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    -- disbursements above this amount need a second approver (four-eyes rule)
    four_eyes_above BIGINT NOT NULL CHECK (four_eyes_above >= 0),
    capital_transfer TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- parent_id is '' for an area's allocation; a county or programme allocation
-- hangs under its area's, and the children's budgets never exceed the parent's.
CREATE TABLE fund_allocations (
    id TEXT PRIMARY KEY,
    fund_id TEXT NOT NULL REFERENCES fund_funds(id),
    parent_id TEXT NOT NULL,
    area TEXT NOT NULL,
    county_code TEXT NOT NULL,
    programme_id TEXT NOT NULL,
    budget BIGINT NOT NULL CHECK (budget > 0),
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (fund_id, area, county_code, programme_id)
);

CREATE TABLE fund_programmes (
    id TEXT PRIMARY KEY,
    fund_id TEXT NOT NULL REFERENCES fund_funds(id),
    area TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- the eligibility rule as JSON (fund.Rule)
    rule TEXT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    -- piece rate in fen per unit, for piece-rate work (AI trainers, home visits)
    piece_rate BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (fund_id, name)
);

CREATE TABLE fund_programme_counties (
    programme_id TEXT NOT NULL REFERENCES fund_programmes(id),
    county_code TEXT NOT NULL REFERENCES counties(code),
    PRIMARY KEY (programme_id, county_code)
);

-- status: pending (waiting for a second approver) | paid | rejected.
-- payee_kind: programme | partner | household.
CREATE TABLE fund_disbursements (
    id TEXT PRIMARY KEY,
    fund_id TEXT NOT NULL REFERENCES fund_funds(id),
    allocation_id TEXT NOT NULL REFERENCES fund_allocations(id),
    area TEXT NOT NULL,
    county_code TEXT NOT NULL,
    programme_id TEXT NOT NULL,
    payee_kind TEXT NOT NULL,
    payee TEXT NOT NULL,
    household_id TEXT NOT NULL,
    enrolment_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    transfer_id TEXT NOT NULL,
    paid_at TEXT NOT NULL,
    -- the China day the money counts for (income periods, report periods): the
    -- requested day when back-filling a past payment, else the day it was paid
    effective_on TEXT NOT NULL
);
CREATE INDEX fund_disbursements_fund ON fund_disbursements(fund_id, status);
CREATE INDEX fund_disbursements_household ON fund_disbursements(household_id);

CREATE TABLE fund_documents (
    id TEXT PRIMARY KEY,
    disbursement_id TEXT NOT NULL REFERENCES fund_disbursements(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {{BLOB}} NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    UNIQUE (disbursement_id, sha256)
);

-- A person supported by a programme: a registry member (household_id, member_id)
-- or, for teachers and principals, a school's staff reference (no registry link).
-- role: participant | student | teacher | principal | worker | visitor.
-- status: enrolled | completed | certified | dropped.
CREATE TABLE fund_enrolments (
    id TEXT PRIMARY KEY,
    programme_id TEXT NOT NULL REFERENCES fund_programmes(id),
    county_code TEXT NOT NULL,
    household_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    staff_ref TEXT NOT NULL,
    role TEXT NOT NULL,
    woman INTEGER NOT NULL,
    course TEXT NOT NULL,
    status TEXT NOT NULL,
    certificate TEXT NOT NULL,
    enrolled_on TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (programme_id, member_id, staff_ref)
);
CREATE INDEX fund_enrolments_household ON fund_enrolments(household_id);

-- A job placement; ends_on '' while it lasts. A member has at most one open
-- placement at a time (checked in the placing transaction).
CREATE TABLE fund_placements (
    id TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES fund_enrolments(id),
    programme_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    household_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    employer TEXT NOT NULL,
    monthly_wage BIGINT NOT NULL CHECK (monthly_wage > 0),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX fund_placements_member ON fund_placements(member_id);

-- Wages of placements (kind wage, per month) and piece-rate pay (kind piece, per
-- period with units × rate): each one ledger transfer into the household's wage
-- income, once per (enrolment, kind, period).
CREATE TABLE fund_pay (
    id TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES fund_enrolments(id),
    placement_id TEXT NOT NULL,
    programme_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    household_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    units BIGINT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    transfer_id TEXT NOT NULL,
    paid_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (enrolment_id, kind, period)
);
CREATE INDEX fund_pay_household ON fund_pay(household_id);

-- Home visits by a women's-programme visitor to a family with a child aged 0–3.
CREATE TABLE fund_visits (
    id TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES fund_enrolments(id),
    programme_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    household_id TEXT NOT NULL,
    child_member_id TEXT NOT NULL,
    visited_on TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (enrolment_id, household_id, visited_on)
);

CREATE TABLE fund_specialists (
    id TEXT PRIMARY KEY,
    staff_ref TEXT NOT NULL,
    display_name TEXT NOT NULL,
    county_code TEXT NOT NULL REFERENCES counties(code),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE fund_specialist_reports (
    id TEXT PRIMARY KEY,
    specialist_id TEXT NOT NULL REFERENCES fund_specialists(id),
    county_code TEXT NOT NULL,
    reported_on TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Staff public-service time in minutes (hours may have fractions), keyed for
-- idempotent retries.
CREATE TABLE fund_volunteer_hours (
    id TEXT PRIMARY KEY,
    staff_ref TEXT NOT NULL,
    county_code TEXT NOT NULL REFERENCES counties(code),
    project TEXT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes > 0),
    served_on TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX fund_volunteer_staff ON fund_volunteer_hours(staff_ref, served_on);
