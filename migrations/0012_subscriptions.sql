-- Schema v12: the subscription book.

-- A plan subscribers are on, by name as the imports give it. Interval and
-- price are each subscription's own (a plan's rows may differ); the plan
-- holds what a box is made of and what the plan's tier brings.
CREATE TABLE subscription_plans (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    items_per_box INTEGER NOT NULL DEFAULT 0 CHECK (items_per_box >= 0),
    created_at    TEXT NOT NULL                 -- UTC
);

-- One subscription as the book keeps it. Dates are the shop's local
-- calendar days (YYYY-MM-DD), as the exports give them.
CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,              -- 'csv', 'recharge', 'shopify'
    external_id     TEXT NOT NULL,              -- the subscription's id there
    customer_ref    TEXT NOT NULL,              -- the customer as the file names them
    customer_id     INTEGER REFERENCES customers (id),
    email           TEXT,
    plan_id         INTEGER NOT NULL REFERENCES subscription_plans (id),
    status          TEXT NOT NULL CHECK (status IN ('active', 'paused', 'past_due', 'cancelled')),
    started_on      TEXT NOT NULL,
    cancelled_on    TEXT,
    cancel_reason   TEXT,
    paused_until    TEXT,
    interval        TEXT NOT NULL CHECK (interval IN ('week', 'month', 'year')),
    interval_count  INTEGER NOT NULL CHECK (interval_count >= 1),
    price_minor     INTEGER NOT NULL CHECK (price_minor >= 0),
    currency        TEXT NOT NULL,
    next_renewal_on TEXT,
    updated_at      TEXT NOT NULL,              -- UTC
    UNIQUE (source, external_id)
);
CREATE INDEX subscriptions_plan ON subscriptions (plan_id);

-- Renewals the owner skipped (the shop-local day of the renewal).
CREATE TABLE subscription_skips (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    renewal_on      TEXT NOT NULL,
    skipped_at      TEXT NOT NULL,              -- UTC
    PRIMARY KEY (subscription_id, renewal_on)
);

-- The dunning plan (one row): retry a failed renewal after these days
-- (JSON array of whole days, rising), then skip, pause or cancel.
CREATE TABLE subscription_dunning (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    retry_days   TEXT NOT NULL,
    final_action TEXT NOT NULL CHECK (final_action IN ('skip', 'pause', 'cancel')),
    updated_at   TEXT NOT NULL              -- UTC
);

-- The owner's marks on the list of customers to contact.
CREATE TABLE subscription_contacts (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    contacted_at    TEXT NOT NULL,          -- UTC
    note            TEXT,
    PRIMARY KEY (subscription_id, contacted_at)
);
