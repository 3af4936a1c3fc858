-- Assessment: poverty lines, household status per year with coded reasons,
-- assessment runs, county rural population, audit samples, findings and surveys.
-- (On SQLite household_status is a WITHOUT ROWID table: one B-tree instead of two.)

-- Poverty lines set by an administrator. Years without a row fall back to the
-- shipped defaults (registry/data/poverty_line.csv); other years must be set.
CREATE TABLE poverty_lines (
    year INTEGER PRIMARY KEY,
    amount_fen BIGINT NOT NULL,
    note TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);

-- One row per Run, also when it changed nothing (the proof that it ran).
CREATE TABLE assessment_runs (
    id TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    county_code TEXT NOT NULL, -- '' = every county the runner may see
    line_fen BIGINT NOT NULL,
    marginal_bp BIGINT NOT NULL,
    households INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    poor INTEGER NOT NULL,
    marginal INTEGER NOT NULL,
    exited INTEGER NOT NULL,
    returned INTEGER NOT NULL,
    run_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE INDEX assessment_runs_year ON assessment_runs(year, started_at);

-- The computed status of a household for a year, with its reasons as codes and
-- figures ("ge:591250,400000;ok", rendered to "中文 / English" sentences when read,
-- see assess/reasons.go). digest fingerprints the row so a re-run compares one
-- integer instead of the row. county_code and members are copied so county reports
-- need no join and keep the household size the status was computed with. The time
-- a row was written is its run's started_at. Keyed by year first: a run appends
-- one year's rows and reads earlier years by range, and a household's history is
-- a point read per assessed year.
CREATE TABLE household_status (
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
    PRIMARY KEY (year, household_id)
) {{WITHOUT_ROWID}};
-- County reports and audit draws: covers county, year, status and members.
CREATE INDEX household_status_county ON household_status(county_code, year, status, members);

-- Assessment counts each household's members and its school-age children out of
-- school for a million households at once (registry.AssessmentFacts): this index
-- covers that grouped scan, so it never probes the wide members rows.
CREATE INDEX members_assessment ON members(household_id, birth_date, in_school);

-- Registered rural population of a county, the denominator of poverty incidence.
CREATE TABLE county_population (
    county_code TEXT NOT NULL REFERENCES counties(code),
    year INTEGER NOT NULL,
    rural_population BIGINT NOT NULL,
    note TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (county_code, year)
);

-- An audit sample: kind 'households' (scope = county code) or 'counties'
-- (scope = province code). The seed makes the draw reproducible.
CREATE TABLE audit_samples (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    scope_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    rate_bp BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    population INTEGER NOT NULL,
    size INTEGER NOT NULL,
    drawn_by TEXT NOT NULL,
    drawn_at TEXT NOT NULL
);
CREATE INDEX audit_samples_scope ON audit_samples(kind, scope_code, year, drawn_at);

-- The sampled units and the auditor's finding for each ('' until recorded).
CREATE TABLE audit_units (
    sample_id TEXT NOT NULL REFERENCES audit_samples(id),
    unit_id TEXT NOT NULL,
    label TEXT NOT NULL,
    finding TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sample_id, unit_id)
);

-- Public approval survey answers of a sample, one per respondent.
CREATE TABLE audit_survey (
    sample_id TEXT NOT NULL REFERENCES audit_samples(id),
    respondent TEXT NOT NULL,
    approve INTEGER NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (sample_id, respondent)
);
