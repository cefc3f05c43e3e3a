-- Schema v2: the connection to a hosted storefront, sync checkpoints, the
-- change journal, and what a storefront carries that imports did not
-- (customer tags, update times, discounts, metafields). No secret is ever
-- stored here: credentials live in the OS keyring, or in an environment
-- variable whose name only is kept.

ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';  -- JSON array, sorted
ALTER TABLE customers ADD COLUMN updated_at TEXT;                  -- the storefront's
ALTER TABLE orders ADD COLUMN updated_at TEXT;                     -- the storefront's
ALTER TABLE orders ADD COLUMN cancelled_at TEXT;

CREATE TABLE storefront_connection (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    platform     TEXT NOT NULL,                  -- 'shopify'
    shop_url     TEXT NOT NULL,                  -- 'https://x.myshopify.com', or loopback for tests
    auth         TEXT NOT NULL CHECK (auth IN ('token', 'client_credentials')),
    client_id    TEXT,                           -- client-credentials grant only
    secret_env   TEXT,                           -- the NAME of a variable holding the secret; NULL: keyring
    api_version  TEXT NOT NULL,
    connected_at TEXT NOT NULL
);

-- One row per entity ('products', 'customers', 'orders'): where its pull
-- stands. Written in the same transaction as the records it covers.
CREATE TABLE sync_state (
    entity      TEXT PRIMARY KEY,
    checkpoint  TEXT NOT NULL,                   -- JSON, see storefront::Checkpoint
    updated_at  TEXT NOT NULL
);

CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    full        INTEGER NOT NULL CHECK (full IN (0, 1)),
    status      TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    message     TEXT,
    products    INTEGER NOT NULL DEFAULT 0,
    customers   INTEGER NOT NULL DEFAULT 0,
    orders      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE discounts (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    definition  TEXT NOT NULL,                   -- JSON, see storefront::Discount
    updated_at  TEXT NOT NULL,
    UNIQUE (source, external_id)
);

CREATE TABLE metafields (
    owner       TEXT NOT NULL,                   -- the owner's external id
    namespace   TEXT NOT NULL,
    key         TEXT NOT NULL,
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (owner, namespace, key)
) WITHOUT ROWID;

-- A batch is one decision (a proposal launched, a revert); its entries are
-- the single values it sets. `prior` and `new` are JSON values of the same
-- shape, so reverting an entry is pushing its prior value back.
CREATE TABLE journal_batches (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    storefront  TEXT NOT NULL,                   -- 'shopify', 'local'
    playbook    TEXT NOT NULL,                   -- e.g. 'pricing', 'manual', 'revert'
    reason      TEXT NOT NULL                    -- the proposal or the owner's words
);

CREATE TABLE journal (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL REFERENCES journal_batches (id),
    target       TEXT NOT NULL,                  -- JSON, see storefront::Target
    label        TEXT NOT NULL,                  -- for people: "Price of 85123A"
    prior        TEXT NOT NULL,                  -- JSON value before
    new          TEXT NOT NULL,                  -- JSON value sent
    status       TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed', 'not_applied', 'reverted')),
    error        TEXT,
    revert_of    INTEGER REFERENCES journal (id),
    created_at   TEXT NOT NULL,
    confirmed_at TEXT
);
CREATE INDEX journal_batch ON journal (batch_id);
CREATE INDEX journal_pending ON journal (status) WHERE status = 'pending';
