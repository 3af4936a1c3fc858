-- Marketplace: cooperatives (minimal), shops, products with producers and photos,
-- delivery addresses, carts, flash sales, orders, per-buyer quotas, settlement and
-- refunds. Money is BIGINT fen; times are FormatTime text; ids are UUIDv7 text.

-- A cooperative (合作社) links registered households with shares; its manager is a
-- user with the coop_manager role.
CREATE TABLE market_coops (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    county_code TEXT NOT NULL REFERENCES counties(code),
    manager_user_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE market_coop_members (
    coop_id TEXT NOT NULL REFERENCES market_coops(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    share_bp BIGINT NOT NULL CHECK (share_bp > 0 AND share_bp <= 10000),
    PRIMARY KEY (coop_id, household_id)
);

-- owner_kind: household (owner_id = household id), coop (coop id) or centre
-- (county e-commerce service centre; owner_id = county code). poverty and
-- poverty_reason are computed from the registry when the shop is opened.
CREATE TABLE market_shops (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    county_code TEXT NOT NULL REFERENCES counties(code),
    poverty INTEGER NOT NULL,
    poverty_reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (owner_kind, owner_id, name)
);

CREATE TABLE market_products (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES market_shops(id),
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    unit TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price > 0),
    stock BIGINT NOT NULL CHECK (stock >= 0),
    sold BIGINT NOT NULL DEFAULT 0,
    origin_county TEXT NOT NULL REFERENCES counties(code),
    origin_village_id TEXT REFERENCES villages(id),
    batch_code TEXT NOT NULL,
    harvest_date TEXT NOT NULL,
    coop_id TEXT REFERENCES market_coops(id),
    per_buyer_limit BIGINT NOT NULL DEFAULT 0,
    pledge BIGINT NOT NULL DEFAULT 0,
    pledge_fund TEXT NOT NULL DEFAULT '',
    poverty INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX market_products_shop ON market_products(shop_id);
CREATE INDEX market_products_batch ON market_products(batch_code);

-- Producing households of a product with shares summing to 10000 bp; for a
-- cooperative product, a snapshot of the members' shares when it was listed.
CREATE TABLE market_product_producers (
    product_id TEXT NOT NULL REFERENCES market_products(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    share_bp BIGINT NOT NULL CHECK (share_bp > 0 AND share_bp <= 10000),
    PRIMARY KEY (product_id, household_id)
);

CREATE TABLE market_photos (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES market_products(id),
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX market_photos_product ON market_photos(product_id);

CREATE TABLE market_addresses (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phone_enc TEXT NOT NULL,
    phone_mask TEXT NOT NULL,
    province_code TEXT NOT NULL REFERENCES provinces(code),
    county_code TEXT NOT NULL REFERENCES counties(code),
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX market_addresses_buyer ON market_addresses(buyer_id);

CREATE TABLE market_cart_items (
    buyer_id TEXT NOT NULL,
    product_id TEXT NOT NULL REFERENCES market_products(id),
    flash_id TEXT NOT NULL DEFAULT '',
    qty BIGINT NOT NULL CHECK (qty > 0),
    added_at TEXT NOT NULL,
    PRIMARY KEY (buyer_id, product_id, flash_id)
);

-- A flash sale is an allotment of a product's stock at a price within a window;
-- sold has its own no-oversell guard.
CREATE TABLE market_flash_sales (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES market_products(id),
    price BIGINT NOT NULL CHECK (price > 0),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    sold BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= quantity),
    per_buyer_limit BIGINT NOT NULL DEFAULT 0,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX market_flash_product ON market_flash_sales(product_id);

-- What a buyer holds of a limited product ("product:<id>") or flash sale
-- ("flash:<id>"), raised with a conditional update so limits hold under concurrency.
CREATE TABLE market_buyer_quota (
    buyer_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    qty BIGINT NOT NULL CHECK (qty >= 0),
    PRIMARY KEY (buyer_id, scope)
);

CREATE TABLE market_orders (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL,
    shop_id TEXT NOT NULL REFERENCES market_shops(id),
    idem_key TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    refunded BIGINT NOT NULL DEFAULT 0,
    address_id TEXT NOT NULL,
    ship_name TEXT NOT NULL,
    ship_phone_enc TEXT NOT NULL,
    ship_phone_mask TEXT NOT NULL,
    ship_county TEXT NOT NULL,
    ship_detail TEXT NOT NULL,
    placed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    paid_at TEXT NOT NULL DEFAULT '',
    shipped_at TEXT NOT NULL DEFAULT '',
    delivered_at TEXT NOT NULL DEFAULT '',
    settled_at TEXT NOT NULL DEFAULT '',
    closed_at TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '',
    provider_trade_no TEXT NOT NULL DEFAULT '',
    tracking_no TEXT NOT NULL DEFAULT '',
    payment_transfer TEXT NOT NULL DEFAULT '',
    settle_transfer TEXT NOT NULL DEFAULT '',
    settled_amount BIGINT NOT NULL DEFAULT 0,
    UNIQUE (buyer_id, idem_key)
);
CREATE INDEX market_orders_buyer ON market_orders(buyer_id, placed_at);
CREATE INDEX market_orders_shop ON market_orders(shop_id, placed_at);
CREATE INDEX market_orders_expiry ON market_orders(status, expires_at);

CREATE TABLE market_order_lines (
    order_id TEXT NOT NULL REFERENCES market_orders(id),
    line_no INTEGER NOT NULL,
    product_id TEXT NOT NULL REFERENCES market_products(id),
    flash_id TEXT NOT NULL DEFAULT '',
    qty BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    pledge BIGINT NOT NULL,
    pledge_fund TEXT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

-- The parts a settlement paid out (fee, pledges, producers), so that a refund
-- after settlement takes back from the same accounts in the same proportions.
CREATE TABLE market_settlement_parts (
    order_id TEXT NOT NULL REFERENCES market_orders(id),
    part_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    income_account TEXT NOT NULL,
    wallet_account TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (order_id, part_no)
);

CREATE TABLE market_refunds (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES market_orders(id),
    idem_key TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    after_settlement INTEGER NOT NULL,
    transfer_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (order_id, idem_key)
);
