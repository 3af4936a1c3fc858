-- Rural logistics: county warehouses and village stations, parcels with route legs,
-- tracking events kept in event-time order, pickup codes, cold-chain readings and
-- service-level alerts. Times are FormatTime text; money is BIGINT fen; coordinates
-- are micro-degrees and temperatures tenths of a degree, so nothing is a float.

-- A site is a county warehouse (县级仓) or a village or town station (村级服务站).
-- A station may be run by a registered household, paid per parcel as wage income.
CREATE TABLE logistics_sites (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('warehouse', 'station')),
    county_code TEXT NOT NULL REFERENCES counties(code),
    name TEXT NOT NULL,
    town TEXT NOT NULL DEFAULT '',
    lat_e6 BIGINT NOT NULL,
    lng_e6 BIGINT NOT NULL,
    altitude_m BIGINT NOT NULL,
    operator_household TEXT NOT NULL DEFAULT '',
    pay_per_parcel BIGINT NOT NULL DEFAULT 0,
    opens TEXT NOT NULL,
    closes TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    poverty INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (county_code, kind, name)
);
CREATE INDEX logistics_sites_operator ON logistics_sites(operator_household);

-- A parcel: from an origin station through its county's warehouse and a carrier to a
-- destination station (pickup with a code) or the door. status and the times below
-- are derived from the events in event-time order and rewritten after every scan.
CREATE TABLE logistics_parcels (
    id TEXT PRIMARY KEY,
    tracking_no TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL DEFAULT '',
    recipient_user TEXT NOT NULL DEFAULT '',
    sender_household TEXT NOT NULL DEFAULT '',
    origin_site TEXT NOT NULL REFERENCES logistics_sites(id),
    origin_county TEXT NOT NULL,
    dest_site TEXT NOT NULL DEFAULT '',
    dest_county TEXT NOT NULL,
    poverty INTEGER NOT NULL,
    weight_g BIGINT NOT NULL,
    cold_chain INTEGER NOT NULL,
    temp_min_c10 BIGINT NOT NULL DEFAULT 0,
    temp_max_c10 BIGINT NOT NULL DEFAULT 0,
    carrier TEXT NOT NULL,
    carrier_ref TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    sent_at TEXT NOT NULL DEFAULT '',
    arrived_at TEXT NOT NULL DEFAULT '',
    delivered_at TEXT NOT NULL DEFAULT '',
    last_event_at TEXT NOT NULL DEFAULT '',
    pickup_hash TEXT NOT NULL DEFAULT '',
    pickup_sealed TEXT NOT NULL DEFAULT '',
    pickup_attempts BIGINT NOT NULL DEFAULT 0,
    pickup_locked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX logistics_parcels_order ON logistics_parcels(order_id);
CREATE INDEX logistics_parcels_origin ON logistics_parcels(origin_site, status);
CREATE INDEX logistics_parcels_dest ON logistics_parcels(dest_site, status);
CREATE INDEX logistics_parcels_sent ON logistics_parcels(sent_at);

-- The planned route: one row per leg with the time it is expected to take.
CREATE TABLE logistics_legs (
    parcel_id TEXT NOT NULL REFERENCES logistics_parcels(id),
    leg_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    from_site TEXT NOT NULL,
    to_site TEXT NOT NULL,
    expected_secs BIGINT NOT NULL,
    PRIMARY KEY (parcel_id, leg_no)
);

-- Tracking events. scan_key makes a repeated scan (or a carrier's repeated report)
-- idempotent; at is when it happened, recorded_at when it reached us: they differ
-- when scans arrive out of order, and the parcel's state follows at.
CREATE TABLE logistics_events (
    id TEXT PRIMARY KEY,
    parcel_id TEXT NOT NULL REFERENCES logistics_parcels(id),
    scan_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    site_id TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    UNIQUE (parcel_id, scan_key)
);
CREATE INDEX logistics_events_parcel ON logistics_events(parcel_id, at);

-- Cold-chain temperature readings, one per parcel and time.
CREATE TABLE logistics_temperatures (
    parcel_id TEXT NOT NULL REFERENCES logistics_parcels(id),
    at TEXT NOT NULL,
    temp_c10 BIGINT NOT NULL,
    site_id TEXT NOT NULL DEFAULT '',
    out_of_range INTEGER NOT NULL,
    PRIMARY KEY (parcel_id, at)
);

-- Alerts: a late leg or a temperature out of range, once per parcel, kind and ref.
CREATE TABLE logistics_alerts (
    id TEXT PRIMARY KEY,
    parcel_id TEXT NOT NULL REFERENCES logistics_parcels(id),
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    detail TEXT NOT NULL,
    county_code TEXT NOT NULL,
    site_id TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    UNIQUE (parcel_id, kind, ref)
);
CREATE INDEX logistics_alerts_at ON logistics_alerts(at);

-- Per-parcel pay to station operators, one row per parcel, site and kind of work;
-- the ledger transfer carries the same key, so a re-scan never pays twice.
CREATE TABLE logistics_pay (
    parcel_id TEXT NOT NULL REFERENCES logistics_parcels(id),
    site_id TEXT NOT NULL,
    work TEXT NOT NULL,
    household_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    transfer_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (parcel_id, site_id, work)
);
