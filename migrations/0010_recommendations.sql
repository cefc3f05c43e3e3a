-- Schema v10: recommendations from the shop's own baskets.

-- Each build of the model: what it learnt from. Only the newest is read;
-- a build replaces the lists and weights of the one before.
CREATE TABLE recommend_builds (
    id          INTEGER PRIMARY KEY,
    built_at    TEXT NOT NULL,               -- UTC
    orders      INTEGER NOT NULL,            -- baskets with merchandise learnt from
    items       INTEGER NOT NULL,            -- products in the model's matrix
    lambda      REAL NOT NULL,
    -- The multiple of the base λ the last evaluation chose (NULL: none yet,
    -- the base itself).
    multiple    REAL,
    millis      INTEGER NOT NULL             -- how long the build took
);

-- Each product the model knows: the baskets holding it, and its strongest
-- item-to-item weights (little-endian pairs of an i64 product id and an
-- f32 weight, strongest first): what completes a basket and picks for a
-- customer.
CREATE TABLE recommend_items (
    product_id INTEGER PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    orders     INTEGER NOT NULL,
    weights    BLOB NOT NULL
);

-- Each product's lists: a JSON array, best first, of the items with the
-- reason shown beside each, `{"other", "score", "basis", "reason"}`:
-- `other` a product id (one deleted since is skipped on reading), `basis`
-- where the item comes from ('model': bought together; 'similar': title,
-- category, customers; 'sells': what sells, the fallback for a product with
-- too few orders).
-- (A rowid table: its rows of a kilobyte or more are what WITHOUT ROWID
-- handles worst.)
CREATE TABLE recommend_lists (
    id         INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    list       TEXT NOT NULL CHECK (list IN ('related', 'similar', 'upsell')),
    items      TEXT NOT NULL,
    UNIQUE (product_id, list)
);

-- The owner's pins (shown first, in position order) and exclusions (never
-- shown) per product and list; they outlive every build.
CREATE TABLE recommend_overrides (
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    list       TEXT NOT NULL CHECK (list IN ('related', 'similar', 'upsell')),
    other_id   INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    action     TEXT NOT NULL CHECK (action IN ('pin', 'exclude')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (product_id, list, other_id),
    CHECK (product_id != other_id)
) WITHOUT ROWID;

-- Each evaluation on the shop's own hold-out, newest last (the page shows
-- the newest; a build uses its λ multiple).
CREATE TABLE recommend_evaluations (
    id           INTEGER PRIMARY KEY,
    evaluated_at TEXT NOT NULL,              -- UTC
    last_orders  INTEGER,                    -- learnt from the last so many only
    multiple     REAL NOT NULL,
    figures      TEXT NOT NULL               -- JSON: the evaluation as shown
);
