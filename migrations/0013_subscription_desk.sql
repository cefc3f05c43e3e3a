-- Schema v13: what Merchant Desk does with the book itself: the owner's
-- subscription set-up (who bills, what each plan's boxes are made of),
-- the renewals it runs in "desk bills" mode and the boxes it plans.

-- The set-up (one row): `billing` is 'platform' (a subscription app bills;
-- the default) or 'desk' (Merchant Desk runs the renewals); `setup` is the
-- rest of the owner's subscriptions file, as JSON.
CREATE TABLE subscription_setup (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    billing    TEXT NOT NULL CHECK (billing IN ('platform', 'desk')),
    setup      TEXT NOT NULL,
    updated_at TEXT NOT NULL                    -- UTC
);

-- Every renewal attempt Merchant Desk made: one row per subscription,
-- cycle (the shop-local renewal day) and attempt (1, then each dunning
-- retry). Its idempotency key is the subscription, the cycle and the
-- attempt, so an attempt sent again after a stop is the same attempt.
CREATE TABLE subscription_renewals (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    cycle_on        TEXT NOT NULL,
    attempt         INTEGER NOT NULL CHECK (attempt >= 1),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'billed', 'failed')),
    order_ref       TEXT,                       -- the renewal order, once billed
    error           TEXT,                       -- why the payment failed
    attempted_at    TEXT NOT NULL,              -- UTC
    settled_at      TEXT,                       -- UTC
    PRIMARY KEY (subscription_id, cycle_on, attempt)
);

-- The boxes planned for a cycle: how many items the plan asked for, and
-- the items chosen (each reserved until its renewal day has passed).
CREATE TABLE subscription_boxes (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    cycle_on        TEXT NOT NULL,
    wanted          INTEGER NOT NULL CHECK (wanted >= 0),
    short           TEXT CHECK (short IN ('stock', 'history')), -- why fewer items than wanted
    planned_at      TEXT NOT NULL,              -- UTC
    PRIMARY KEY (subscription_id, cycle_on)
);
CREATE TABLE subscription_box_items (
    subscription_id INTEGER NOT NULL,
    cycle_on        TEXT NOT NULL,
    variant_id      INTEGER NOT NULL REFERENCES variants (id),
    PRIMARY KEY (subscription_id, cycle_on, variant_id),
    FOREIGN KEY (subscription_id, cycle_on)
        REFERENCES subscription_boxes (subscription_id, cycle_on) ON DELETE CASCADE
);
CREATE INDEX subscription_box_items_variant ON subscription_box_items (variant_id, cycle_on);
