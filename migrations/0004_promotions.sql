-- Schema v4: promotions. One margin floor for every discount the app
-- creates, flash sales, and volume and spend tiers. Money is integer minor
-- units; times are UTC text.

-- The minimum margin on cost, in basis points: price ≥ cost × (1 + m).
-- category '' is the shop-wide floor; other rows override it per category.
CREATE TABLE margin_floors (
    category    TEXT PRIMARY KEY,
    min_margin_bp INTEGER NOT NULL CHECK (min_margin_bp > -10000),
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

-- A flash sale as planned (`definition`: JSON of promotions::SaleFile) and
-- where it stands. `launch_batch` and `end_batch` are journal batches.
CREATE TABLE sales (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    definition      TEXT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('discount', 'price')),
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'live', 'ended', 'reverted')),
    override_reason TEXT,
    launch_batch    INTEGER REFERENCES journal_batches (id),
    end_batch       INTEGER REFERENCES journal_batches (id),
    created_at      TEXT NOT NULL,
    launched_at     TEXT,
    ended_at        TEXT
);
CREATE INDEX sales_window ON sales (status, ends_at);

-- Volume and spend tiers (`definition`: JSON of promotions::tiers::TierFile),
-- pushed as one storefront discount per tier in `launch_batch`.
CREATE TABLE tier_sets (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    definition      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('volume', 'spend')),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'live', 'ended')),
    override_reason TEXT,
    launch_batch    INTEGER REFERENCES journal_batches (id),
    created_at      TEXT NOT NULL,
    launched_at     TEXT,
    ended_at        TEXT
);
