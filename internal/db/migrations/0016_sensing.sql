-- Smart farming (sensing/): sites, devices with per-device credentials, readings
-- with hour and day rollups kept on write, rules and alerts, webhook outbox, and
-- the season and barn-week histories the forecasts learn from.
--
-- Readings are time series: instants here are BIGINT unix milliseconds (at_ms,
-- start_ms), not the fixed-width text the rest of the schema uses, because a
-- reading row is written fifty thousand times a second and bucket arithmetic is
-- integer arithmetic. Everything else keeps FormatTime text.

-- A site is a field, barn or hive (apiary) owned by a cooperative (market_coops)
-- or a registered household. farm_field_id is empty until the farms capability
-- links a site to one of its fields.
CREATE TABLE sensing_sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('field', 'barn', 'hive')),
    county_code TEXT NOT NULL REFERENCES counties(code),
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('coop', 'household')),
    owner_id TEXT NOT NULL,
    crop TEXT NOT NULL DEFAULT '',
    area_mu DOUBLE PRECISION NOT NULL DEFAULT 0,
    head_count BIGINT NOT NULL DEFAULT 0,
    farm_field_id TEXT NOT NULL DEFAULT '',
    webhook_url TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (owner_kind, owner_id, name)
);
CREATE INDEX sensing_sites_county ON sensing_sites(county_code);

-- A device is a sensor (soil, weather, barn, hive) or a gateway that relays its
-- sensors' readings. Only the SHA-256 of its secret is kept.
CREATE TABLE sensing_devices (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sensing_sites(id),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    gateway_id TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    secret_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    accepted BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    last_reject TEXT NOT NULL DEFAULT '',
    last_seen_ms BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (site_id, name)
);
CREATE INDEX sensing_devices_gateway ON sensing_devices(gateway_id);

-- One series per device and metric, so a reading row is two integers and a value.
CREATE TABLE sensing_series (
    id {{ID}},
    device_id TEXT NOT NULL REFERENCES sensing_devices(id),
    metric TEXT NOT NULL,
    UNIQUE (device_id, metric)
);

-- The key is the deduplication rule: one value per series and instant.
CREATE TABLE sensing_readings (
    series_id BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series_id, at_ms)
) {{WITHOUT_ROWID}};

-- bucket 'h' (hour) or 'd' (day, China time); start_ms is the bucket's start.
CREATE TABLE sensing_rollups (
    series_id BIGINT NOT NULL,
    bucket TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    n BIGINT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series_id, bucket, start_ms)
) {{WITHOUT_ROWID}};

-- Retention in days per kind ('raw', 'hour', 'day'); 0 keeps for ever.
CREATE TABLE sensing_retention (
    kind TEXT PRIMARY KEY,
    days BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO sensing_retention (kind, days, updated_at) VALUES ('raw', 90, '2026-01-01T00:00:00.000000Z');
INSERT INTO sensing_retention (kind, days, updated_at) VALUES ('hour', 730, '2026-01-01T00:00:00.000000Z');
INSERT INTO sensing_retention (kind, days, updated_at) VALUES ('day', 0, '2026-01-01T00:00:00.000000Z');

-- A rule applies to every device of a type. kind: 'above' and 'below' compare the
-- value with threshold and clear past clear_at (hysteresis); 'drop' and 'rise'
-- compare the change over window_min minutes.
CREATE TABLE sensing_rules (
    id TEXT PRIMARY KEY,
    device_type TEXT NOT NULL,
    metric TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('above', 'below', 'drop', 'rise')),
    threshold DOUBLE PRECISION NOT NULL,
    clear_at DOUBLE PRECISION NOT NULL,
    window_min BIGINT NOT NULL DEFAULT 0,
    message TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
INSERT INTO sensing_rules (id, device_type, metric, kind, threshold, clear_at, window_min, message, created_at) VALUES
 ('rule-soil-dry', 'soil', 'soil_moisture', 'below', 20, 25, 0, '土壤墒情偏低，需要灌溉 / Soil moisture too low: irrigate', '2026-01-01T00:00:00.000000Z'),
 ('rule-barn-hot', 'barn', 'barn_temp', 'above', 30, 28, 0, '圈舍温度过高，注意通风降温 / Barn too hot: ventilate and cool', '2026-01-01T00:00:00.000000Z'),
 ('rule-barn-nh3', 'barn', 'ammonia', 'above', 25, 20, 0, '圈舍氨气浓度过高 / Ammonia too high in the barn', '2026-01-01T00:00:00.000000Z'),
 ('rule-hive-drop', 'hive', 'hive_weight', 'drop', 2, 0.5, 60, '蜂箱重量骤降（分蜂或被盗） / Hive weight dropped (swarm or theft)', '2026-01-01T00:00:00.000000Z');

-- At most one open alert per rule and device (cleared_ms = 0 while open).
CREATE TABLE sensing_alerts (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL REFERENCES sensing_rules(id),
    device_id TEXT NOT NULL REFERENCES sensing_devices(id),
    site_id TEXT NOT NULL REFERENCES sensing_sites(id),
    county_code TEXT NOT NULL,
    metric TEXT NOT NULL,
    raised_ms BIGINT NOT NULL,
    raised_value DOUBLE PRECISION NOT NULL,
    cleared_ms BIGINT NOT NULL DEFAULT 0,
    cleared_value DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX sensing_alerts_site ON sensing_alerts(site_id, raised_ms);
CREATE INDEX sensing_alerts_open ON sensing_alerts(cleared_ms, rule_id, device_id);

-- Webhook deliveries written in the alert's transaction, sent afterwards with
-- retries (at least once; the receiver deduplicates by id).
CREATE TABLE sensing_webhook_outbox (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_ms BIGINT NOT NULL,
    delivered_ms BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sensing_webhook_due ON sensing_webhook_outbox(delivered_ms, next_ms);

-- A field's seasons: growing-season features (from day rollups or recorded) and
-- the harvest, the history the yield forecast learns from.
CREATE TABLE sensing_seasons (
    site_id TEXT NOT NULL REFERENCES sensing_sites(id),
    year BIGINT NOT NULL,
    mean_temp DOUBLE PRECISION NOT NULL,
    mean_moisture DOUBLE PRECISION NOT NULL,
    dry_share DOUBLE PRECISION NOT NULL,
    yield_kg_per_mu DOUBLE PRECISION NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (site_id, year)
);

-- A barn's weeks: conditions and deaths, what the mortality forecast learns from.
CREATE TABLE sensing_barn_weeks (
    site_id TEXT NOT NULL REFERENCES sensing_sites(id),
    week_start TEXT NOT NULL,
    head BIGINT NOT NULL,
    deaths BIGINT NOT NULL,
    heat_hours DOUBLE PRECISION NOT NULL,
    mean_ammonia DOUBLE PRECISION NOT NULL,
    mean_humidity DOUBLE PRECISION NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (site_id, week_start)
);
