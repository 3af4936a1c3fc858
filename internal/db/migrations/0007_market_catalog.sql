-- Marketplace catalogue: the poverty-county channel (兴农扶贫), county brands with
-- measurable standards and inspections (一县一品), cultivated land for income per mu,
-- public traceability codes, and the search documents. The search index itself and
-- the triggers that keep it and the trace codes in sync are engine-specific (0008).
-- Measured values (thresholds, readings, mu) are BIGINT thousandths: exact
-- comparisons, never floats in the database.

-- Channel editors besides admins: users who review applications.
CREATE TABLE market_channel_editors (
    user_id TEXT PRIMARY KEY,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL
);

-- A seller's application to list a product in the channel; status pending,
-- approved or rejected (with the editor's reason).
CREATE TABLE market_channel_applications (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES market_products(id),
    applicant TEXT NOT NULL,
    note TEXT NOT NULL,
    status TEXT NOT NULL,
    reviewer TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    applied_at TEXT NOT NULL,
    reviewed_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX market_channel_applications_queue ON market_channel_applications(status, applied_at);
CREATE INDEX market_channel_applications_product ON market_channel_applications(product_id);
CREATE UNIQUE INDEX market_channel_applications_pending ON market_channel_applications(product_id) WHERE status = 'pending';

-- Products carrying the channel label, one row per approved product.
CREATE TABLE market_channel_products (
    product_id TEXT PRIMARY KEY REFERENCES market_products(id),
    application_id TEXT NOT NULL REFERENCES market_channel_applications(id),
    listed_at TEXT NOT NULL
);

-- A county brand and its planting and quality standard.
CREATE TABLE market_brands (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES counties(code),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (county_code, name)
);

-- One measurable criterion: value op threshold, op one of >=, <=, =.
CREATE TABLE market_brand_criteria (
    brand_id TEXT NOT NULL REFERENCES market_brands(id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    op TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    PRIMARY KEY (brand_id, seq)
);

-- Every inspection, passing or not: a failing one is evidence too.
CREATE TABLE market_brand_inspections (
    id TEXT PRIMARY KEY,
    brand_id TEXT NOT NULL REFERENCES market_brands(id),
    product_id TEXT NOT NULL REFERENCES market_products(id),
    inspector TEXT NOT NULL,
    inspected_on TEXT NOT NULL,
    passed INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX market_brand_inspections_product ON market_brand_inspections(product_id, inspected_on);
CREATE INDEX market_brand_inspections_brand ON market_brand_inspections(brand_id, inspected_on);

CREATE TABLE market_brand_measurements (
    inspection_id TEXT NOT NULL REFERENCES market_brand_inspections(id),
    criterion_seq INTEGER NOT NULL,
    value BIGINT NOT NULL,
    met INTEGER NOT NULL,
    PRIMARY KEY (inspection_id, criterion_seq)
);

-- Products that joined a brand, from the first passing inspection.
CREATE TABLE market_brand_members (
    brand_id TEXT NOT NULL REFERENCES market_brands(id),
    product_id TEXT NOT NULL REFERENCES market_products(id),
    inspection_id TEXT NOT NULL REFERENCES market_brand_inspections(id),
    joined_on TEXT NOT NULL,
    PRIMARY KEY (brand_id, product_id)
);
CREATE INDEX market_brand_members_product ON market_brand_members(product_id);

-- A household's cultivated land in thousandths of a mu, for income per mu.
CREATE TABLE market_household_land (
    household_id TEXT PRIMARY KEY REFERENCES households(id),
    mu_milli BIGINT NOT NULL CHECK (mu_milli > 0),
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- The public traceability code of a product batch (one product = one harvest
-- batch); seller batch codes are not unique, these are.
CREATE TABLE market_trace_codes (
    code TEXT PRIMARY KEY,
    product_id TEXT NOT NULL UNIQUE REFERENCES market_products(id),
    created_at TEXT NOT NULL
);
