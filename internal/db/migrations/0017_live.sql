-- Live-stream selling (live/): anchors and their training, rooms with stream keys,
-- scheduled sessions, pinned products and flash sales, orders attributed to a
-- session, per-minute session statistics, comments, banned words and campaigns.
-- Money is BIGINT fen; times are FormatTime text; ids are UUIDv7 text.

-- An anchor (主播) is a user who sells on camera: a registered household's member,
-- a cooperative's staff or a county official. status: applied, certified, rejected.
CREATE TABLE live_anchors (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    display_name TEXT NOT NULL,
    county_code TEXT NOT NULL REFERENCES counties(code),
    household_id TEXT,
    bio TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    applied_at TEXT NOT NULL,
    certified_at TEXT,
    certified_by TEXT
);
CREATE INDEX live_anchors_county ON live_anchors(county_code, status);

-- Training an officer records for an anchor; certification needs a passed one.
CREATE TABLE live_trainings (
    id TEXT PRIMARY KEY,
    anchor_id TEXT NOT NULL REFERENCES live_anchors(id),
    course TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    passed INTEGER NOT NULL,
    trained_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX live_trainings_anchor ON live_trainings(anchor_id);

-- A room belongs to an anchor and sells one shop's products. The stream key is
-- kept sealed (the anchor reads it in the console) and as a keyed hash, which the
-- media server's publish callback is looked up by.
CREATE TABLE live_rooms (
    id TEXT PRIMARY KEY,
    anchor_id TEXT NOT NULL REFERENCES live_anchors(id),
    shop_id TEXT NOT NULL REFERENCES market_shops(id),
    title TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    key_sealed TEXT NOT NULL,
    key_rotated_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (anchor_id, shop_id)
);

-- A broadcast: scheduled -> live -> ended. county_code and poverty are the shop's,
-- fixed when scheduled, for county and campaign reports.
CREATE TABLE live_sessions (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES live_rooms(id),
    anchor_id TEXT NOT NULL REFERENCES live_anchors(id),
    shop_id TEXT NOT NULL REFERENCES market_shops(id),
    county_code TEXT NOT NULL REFERENCES counties(code),
    poverty INTEGER NOT NULL,
    title TEXT NOT NULL,
    planned_start TEXT NOT NULL,
    planned_end TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    replay_url TEXT NOT NULL DEFAULT '',
    pinned_product_id TEXT NOT NULL DEFAULT '',
    pinned_flash_id TEXT NOT NULL DEFAULT '',
    peak_viewers BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX live_sessions_status ON live_sessions(status, planned_start);
CREATE INDEX live_sessions_room ON live_sessions(room_id, status);
CREATE INDEX live_sessions_anchor ON live_sessions(anchor_id);

-- Products featured in a session, in the order the anchor shows them.
CREATE TABLE live_session_products (
    session_id TEXT NOT NULL REFERENCES live_sessions(id),
    product_id TEXT NOT NULL REFERENCES market_products(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (session_id, product_id)
);

-- Flash sales started inside a session (the sale itself is market's).
CREATE TABLE live_session_flash (
    session_id TEXT NOT NULL REFERENCES live_sessions(id),
    flash_id TEXT NOT NULL REFERENCES market_flash_sales(id),
    product_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, flash_id)
);

-- An order placed from a watch page, attributed to the session and its anchor in
-- the same transaction as the order. status follows market's order events.
CREATE TABLE live_orders (
    order_id TEXT PRIMARY KEY REFERENCES market_orders(id),
    session_id TEXT NOT NULL REFERENCES live_sessions(id),
    anchor_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    total BIGINT NOT NULL,
    qty BIGINT NOT NULL,
    status TEXT NOT NULL,
    refunded BIGINT NOT NULL DEFAULT 0,
    placed_at TEXT NOT NULL,
    paid_at TEXT
);
CREATE INDEX live_orders_session ON live_orders(session_id, paid_at);
CREATE INDEX live_orders_anchor ON live_orders(anchor_id);

-- Per-minute statistics of a session as each server instance saw them (minute:
-- Unix minutes). A report sums instances: viewers on different instances are
-- different connections.
CREATE TABLE live_minutes (
    session_id TEXT NOT NULL REFERENCES live_sessions(id),
    minute BIGINT NOT NULL,
    instance TEXT NOT NULL,
    peak_viewers BIGINT NOT NULL,
    comments BIGINT NOT NULL,
    likes BIGINT NOT NULL,
    PRIMARY KEY (session_id, minute, instance)
);

-- Distinct viewers of a session (a user id or an anonymous browser's cookie id),
-- with the minute first seen, for unique viewers and conversion.
CREATE TABLE live_viewers (
    session_id TEXT NOT NULL REFERENCES live_sessions(id),
    viewer TEXT NOT NULL,
    first_minute BIGINT NOT NULL,
    PRIMARY KEY (session_id, viewer)
);

CREATE TABLE live_comments (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES live_sessions(id),
    user_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX live_comments_session ON live_comments(session_id, created_at);

-- Words a comment may not contain; admins edit the list.
CREATE TABLE live_banned_words (
    word TEXT PRIMARY KEY,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL
);

-- A campaign (e.g. a poverty-alleviation live day) groups rooms across counties;
-- their sessions inside the campaign's window count towards it.
CREATE TABLE live_campaigns (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE live_campaign_rooms (
    campaign_id TEXT NOT NULL REFERENCES live_campaigns(id),
    room_id TEXT NOT NULL REFERENCES live_rooms(id),
    joined_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, room_id)
);
CREATE INDEX live_campaign_rooms_room ON live_campaign_rooms(room_id);
