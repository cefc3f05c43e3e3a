-- Schema v8: loyalty. A programme as the owner wrote it (`definition`: JSON
-- of loyalty::programme::Programme) and where it stands; at most one is
-- live. The ledger itself is never stored: it is replayed from the orders,
-- refunds, actions and redemptions, so it cannot drift from them.
CREATE TABLE loyalty_programmes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'live', 'ended')),
    created_at  TEXT NOT NULL,
    launched_at TEXT,
    ended_at    TEXT
);
CREATE UNIQUE INDEX loyalty_one_live ON loyalty_programmes (status) WHERE status = 'live';

-- Things customers did that earn points (imported or awarded by hand);
-- `reference` makes an import idempotent.
CREATE TABLE loyalty_actions (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    reference   TEXT NOT NULL,
    UNIQUE (customer_id, kind, reference)
);

-- Rewards redeemed: the points spent and the code given.
CREATE TABLE loyalty_redemptions (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    at          TEXT NOT NULL,
    points      INTEGER NOT NULL CHECK (points > 0),
    reward      TEXT NOT NULL,
    reference   TEXT NOT NULL UNIQUE,
    code        TEXT
);
