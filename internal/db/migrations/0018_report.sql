-- Half-year reports (report/): aggregates kept up to date from the event log by the
-- report consumer and recomputable from the raw tables (`fishpond report rebuild`).
-- A fact is a counter: period is a China-time month ('2018-03') for flows such as
-- sales, or a year ('2018') for yearly facts such as assessed households; dim splits
-- a fact further (a product category, a household status) or is ''. No row holds
-- anything about one person: the finest grain is a county and a month.
CREATE TABLE report_facts (
    fact TEXT NOT NULL,
    period TEXT NOT NULL,
    county_code TEXT NOT NULL,
    dim TEXT NOT NULL DEFAULT '',
    value BIGINT NOT NULL,
    PRIMARY KEY (fact, period, county_code, dim)
) {{WITHOUT_ROWID}};

-- The refunded total of each order as the consumer last saw it, so that
-- order.refunded (which carries the running total) adds only the new part.
CREATE TABLE report_order_refunds (
    order_id TEXT PRIMARY KEY,
    refunded BIGINT NOT NULL
);
