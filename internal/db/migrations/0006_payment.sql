-- Payments: our record of what each order asked a wallet for and what came back.
-- Money in fen. One payment per order; an order paid twice by mistake keeps the
-- first trade here and the second shows up as a 'duplicate_trade' notification.
CREATE TABLE payments (
    order_id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    subject TEXT NOT NULL,
    -- created | paid | refunded_partially | refunded_fully
    status TEXT NOT NULL,
    trade_no TEXT,
    refunded BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    paid_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX payments_trade ON payments(provider, trade_no);

-- Every notification whose signature verified, keyed by the wallet's notify_id.
-- Unsigned or forged ones are only logged: storing them would let a forger claim
-- a notify_id before the wallet uses it. content_hash covers the signed fields
-- except notify_time. verdict: applied | accepted (recorded, caller's apply not yet
-- confirmed) | no_action | duplicate_trade | amount_mismatch.
CREATE TABLE payment_notifications (
    provider TEXT NOT NULL,
    notify_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    trade_no TEXT NOT NULL,
    trade_status TEXT NOT NULL,
    amount BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    verdict TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (provider, notify_id)
);
CREATE INDEX payment_notifications_order ON payment_notifications(order_id);

-- Refunds, idempotent by our out_request_no per order. A refund is 'pending' from
-- the moment we ask the wallet until it confirms; pending amounts count against
-- what is left to refund, so concurrent requests never refund more than was paid.
CREATE TABLE payment_refunds (
    order_id TEXT NOT NULL REFERENCES payments(order_id),
    request_no TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    -- pending | succeeded
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (order_id, request_no)
);
