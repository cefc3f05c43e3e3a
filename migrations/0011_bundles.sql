-- Schema v11: bundles, sold as a "buy X get Y" discount on the storefront.

CREATE TABLE bundles (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    definition      TEXT NOT NULL,              -- the bundle file, as JSON
    status          TEXT NOT NULL CHECK (status IN ('draft', 'live', 'ended')),
    override_reason TEXT,                       -- why it went below the margin floor
    launch_batch    INTEGER REFERENCES journal_batches (id),
    created_at      TEXT NOT NULL,              -- UTC
    launched_at     TEXT,
    ended_at        TEXT
);
