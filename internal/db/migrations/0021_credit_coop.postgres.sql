-- Cooperatives borrow (credit/), and cooperatives record their own sales (farms/).
-- PostgreSQL: a loan or application belongs to a household or to a cooperative, so
-- household_id becomes nullable and coop_id is added (the SQLite file rebuilds the
-- tables to the same shape).
ALTER TABLE credit_applications ALTER COLUMN household_id DROP NOT NULL;
ALTER TABLE credit_applications ADD COLUMN coop_id TEXT REFERENCES farms_coops(coop_id);
ALTER TABLE credit_applications ADD CONSTRAINT credit_applications_one_borrower CHECK ((household_id IS NULL) <> (coop_id IS NULL));
ALTER TABLE credit_loans ALTER COLUMN household_id DROP NOT NULL;
ALTER TABLE credit_loans ADD COLUMN coop_id TEXT REFERENCES farms_coops(coop_id);
ALTER TABLE credit_loans ADD CONSTRAINT credit_loans_one_borrower CHECK ((household_id IS NULL) <> (coop_id IS NULL));

CREATE INDEX credit_applications_coop ON credit_applications(coop_id, created_at);
-- At most one application waiting for an officer, and one open loan, per cooperative.
CREATE UNIQUE INDEX credit_applications_coop_one_referred ON credit_applications(coop_id) WHERE status = 'referred';
CREATE INDEX credit_loans_coop ON credit_loans(coop_id);
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
