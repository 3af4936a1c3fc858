-- household_status keyed (year, county_code, household_id) instead of
-- (year, household_id) plus the covering index household_status_county.
--
-- Why: a first assessment of a million households inserted every row into two
-- B-trees, and the index's entries landed all over it (100 counties × 3 statuses),
-- so each 400-row statement dirtied and copied to the statement journal hundreds of
-- index pages. With the county in the key, a run that writes its rows in
-- (county, household) order appends to one place per county: one B-tree, few pages
-- per statement. Everything that read the index reads a key range instead: county
-- reports and audit draws ask for (year, county); a household's own status is a
-- point read because a household never changes county (the registry cannot move
-- one), so (year, county_code, household_id) is as unique as (year, household_id).
CREATE TABLE household_status_new (
    household_id TEXT NOT NULL REFERENCES households(id),
    year INTEGER NOT NULL,
    county_code TEXT NOT NULL,
    status TEXT NOT NULL,
    previous_status TEXT NOT NULL,
    members INTEGER NOT NULL,
    per_capita_fen BIGINT NOT NULL,
    line_fen BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    digest BIGINT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (year, county_code, household_id)
) {{WITHOUT_ROWID}};

INSERT INTO household_status_new (household_id, year, county_code, status, previous_status, members, per_capita_fen,
    line_fen, reasons, digest, run_id)
SELECT household_id, year, county_code, status, previous_status, members, per_capita_fen,
    line_fen, reasons, digest, run_id
FROM household_status;

DROP TABLE household_status;
ALTER TABLE household_status_new RENAME TO household_status;
