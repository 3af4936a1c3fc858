-- Green energy and green jobs (green/). Energy is counted in grams of CO2 avoided.

-- One row per low-carbon action, keyed by its action id: the key is what makes a
-- retried or re-reported action count once. The row is also the "drop" of energy
-- the owner sees: collectable from ripe_at until expires_at. grams is what the
-- conversion table gave after the daily cap (0 when the cap was reached);
-- collected_g went to the owner, friend_g to one friend.
CREATE TABLE green_drops (
    action_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    grams BIGINT NOT NULL CHECK (grams >= 0),
    source TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    day TEXT NOT NULL,
    ripe_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    state TEXT NOT NULL,
    collected_g BIGINT NOT NULL DEFAULT 0,
    friend_g BIGINT NOT NULL DEFAULT 0,
    friend_id TEXT NOT NULL DEFAULT '',
    collected_at TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    CHECK (collected_g + friend_g <= grams)
);
CREATE INDEX green_drops_user ON green_drops(user_id, state, expires_at);
CREATE INDEX green_drops_open ON green_drops(state, expires_at);

-- Energy granted per user, China day and action kind, against the daily cap.
-- dkey is user_id|day|kind, so a batch reads and writes its counters by one column.
CREATE TABLE green_daily (
    dkey TEXT PRIMARY KEY,
    grams BIGINT NOT NULL
) {{WITHOUT_ROWID}};

-- The energy ledger: collected energy a user holds, never negative, and every
-- movement of it. balance is always the sum of the user's entries (Verify).
CREATE TABLE green_energy_accounts (
    user_id TEXT PRIMARY KEY,
    balance BIGINT NOT NULL CHECK (balance >= 0),
    collected BIGINT NOT NULL DEFAULT 0,
    spent BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE green_energy_entries (
    seq {{ID}},
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    grams BIGINT NOT NULL,
    ref TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX green_energy_entries_user ON green_energy_entries(user_id, seq);

-- Friends: a row (user, friend) means user added friend; a friendship is both rows.
-- share_bp on green_settings is how much of a ripe drop a friend may collect.
-- Login names are kept for display, so the pages need not read access's tables.
CREATE TABLE green_friends (
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    friend_id TEXT NOT NULL,
    friend_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, friend_id)
);
CREATE TABLE green_settings (
    user_id TEXT PRIMARY KEY,
    friend_share_bp BIGINT NOT NULL CHECK (friend_share_bp >= 0 AND friend_share_bp <= 3000),
    updated_at TEXT NOT NULL
);

-- Parcels seen in order.shipped events (shop and tracking number), so that a
-- second order joining a parcel counts all its items as parcels avoided.
CREATE TABLE green_parcels (
    parcel_key TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL,
    first_order TEXT NOT NULL
);

-- Tree-planting and protected-area projects in poverty counties. For trees,
-- capacity is the number of trees the project will plant and price_g the energy
-- per tree; for areas, capacity is square metres available and price_g per m2.
CREATE TABLE green_projects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    species TEXT NOT NULL,
    partner TEXT NOT NULL,
    place TEXT NOT NULL,
    lat_e6 BIGINT NOT NULL,
    lon_e6 BIGINT NOT NULL,
    price_g BIGINT NOT NULL CHECK (price_g > 0),
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    redeemed BIGINT NOT NULL DEFAULT 0,
    planted BIGINT NOT NULL DEFAULT 0,
    checked BIGINT NOT NULL DEFAULT 0,
    survived BIGINT NOT NULL DEFAULT 0,
    survival_target_bp BIGINT NOT NULL,
    season_from INTEGER NOT NULL,
    season_to INTEGER NOT NULL,
    planting_wage_fen BIGINT NOT NULL,
    guarding_wage_fen BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (redeemed <= capacity),
    CHECK (planted <= redeemed)
);
CREATE INDEX green_projects_county ON green_projects(county_code);

-- Certificates of redeemed energy: trees or square metres of a project.
CREATE TABLE green_certificates (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    idem_key TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    project_id TEXT NOT NULL REFERENCES green_projects(id),
    quantity BIGINT NOT NULL,
    grams BIGINT NOT NULL,
    issued_at TEXT NOT NULL
);
CREATE INDEX green_certificates_user ON green_certificates(user_id, issued_at);

-- Each redeemed tree, from pledge to planting (with the verified work and its
-- geo-tagged evidence) to survival checks.
CREATE TABLE green_trees (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES green_projects(id),
    certificate_id TEXT NOT NULL REFERENCES green_certificates(id),
    state TEXT NOT NULL,
    work_id TEXT NOT NULL DEFAULT '',
    lat_e6 BIGINT NOT NULL DEFAULT 0,
    lon_e6 BIGINT NOT NULL DEFAULT 0,
    planted_at TEXT NOT NULL DEFAULT '',
    checked_at TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX green_trees_project ON green_trees(project_id, state, created_at);
CREATE INDEX green_trees_certificate ON green_trees(certificate_id);

-- Green jobs: a registered household of the project's county assigned to plant
-- or guard.
CREATE TABLE green_jobs (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES green_projects(id),
    household_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, household_id, kind)
);
CREATE INDEX green_jobs_household ON green_jobs(household_id);

-- Work reported against a job (trees planted, or days guarded) with a geo-tagged,
-- time-stamped photo; paid only once a project officer verifies it. geo_source says
-- where position and time came from: "exif" (the photo's own GPS and time tags) or
-- "device" (the phone's location and clock sent with the report).
CREATE TABLE green_work (
    id TEXT PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL REFERENCES green_jobs(id),
    project_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    work_date TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    photo_sha256 TEXT NOT NULL,
    photo_type TEXT NOT NULL,
    lat_e6 BIGINT NOT NULL,
    lon_e6 BIGINT NOT NULL,
    taken_at TEXT NOT NULL,
    geo_source TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    wage_fen BIGINT NOT NULL DEFAULT 0,
    transfer_id TEXT NOT NULL DEFAULT '',
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    verified_by TEXT NOT NULL DEFAULT '',
    verified_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX green_work_project ON green_work(project_id, status, submitted_at);

-- Survival audits: a random sample of planted trees, drawn reproducibly from the
-- seed, each checked once with a photo.
CREATE TABLE green_audits (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES green_projects(id),
    seed TEXT NOT NULL,
    sample_size BIGINT NOT NULL,
    drawn_by TEXT NOT NULL,
    drawn_at TEXT NOT NULL
);
CREATE TABLE green_audit_trees (
    audit_id TEXT NOT NULL REFERENCES green_audits(id),
    tree_id TEXT NOT NULL REFERENCES green_trees(id),
    result TEXT NOT NULL DEFAULT '',
    photo_sha256 TEXT NOT NULL DEFAULT '',
    checked_by TEXT NOT NULL DEFAULT '',
    checked_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (audit_id, tree_id)
);
