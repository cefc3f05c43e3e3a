-- Schema v1: the shop, its catalog, customers, orders, refunds, price history
-- and import runs. Money is integer minor units beside an ISO 4217 code;
-- timestamps are UTC text 'YYYY-MM-DDTHH:MM:SSZ'. Every imported row carries
-- its source and external id, unique together, so re-imports update in place.

CREATE TABLE shop (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    platform    TEXT NOT NULL,            -- 'local', 'demo', 'shopify', ...
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    time_zone   TEXT NOT NULL,            -- IANA name, e.g. 'Europe/London'
    demo        INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
    fixed_today TEXT,                     -- 'YYYY-MM-DD': the demo's "today"
    created_at  TEXT NOT NULL
);

CREATE TABLE import_runs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_size     INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    rows_imported INTEGER NOT NULL,
    rows_skipped  INTEGER NOT NULL,
    rows_flagged  INTEGER NOT NULL,
    report        TEXT NOT NULL            -- JSON: the issues by reason with line numbers
);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    category    TEXT,
    kind        TEXT NOT NULL DEFAULT 'merchandise'
                CHECK (kind IN ('merchandise', 'shipping', 'fee', 'gift_voucher')),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (source, external_id)
);

CREATE TABLE variants (
    id               INTEGER PRIMARY KEY,
    product_id       INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    source           TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    sku              TEXT,
    title            TEXT NOT NULL,
    currency         TEXT NOT NULL CHECK (length(currency) = 3),
    price_minor      INTEGER NOT NULL,
    compare_at_minor INTEGER,
    cost_minor       INTEGER,
    stock            INTEGER,
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX variants_sku ON variants (sku);
CREATE INDEX variants_product ON variants (product_id);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    email       TEXT,
    name        TEXT,
    country     TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (source, external_id)
);

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    number      TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers (id),   -- NULL: a guest
    email       TEXT,
    country     TEXT,
    placed_at   TEXT NOT NULL,
    status      TEXT NOT NULL,                       -- 'placed', 'paid', 'cancelled', 'refunded', ...
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    UNIQUE (source, external_id)
);
CREATE INDEX orders_placed_at ON orders (placed_at);
CREATE INDEX orders_customer ON orders (customer_id);

-- Clustered by order: the reports read an order's lines together.
CREATE TABLE order_lines (
    order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    variant_id       INTEGER NOT NULL REFERENCES variants (id),
    title            TEXT,                           -- as written on the order
    quantity         INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    line_total_minor INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;
-- No index by variant: the reports read the derived sales tables, and a
-- second B-tree on half a million lines would double the import's writes.

-- Cancellations and refunds. `order_id` is the refunded order when the source
-- says which; Online Retail's cancellation invoices do not.
CREATE TABLE refunds (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    number            TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('cancellation', 'refund')),
    order_id          INTEGER REFERENCES orders (id),
    customer_id       INTEGER REFERENCES customers (id),
    created_at        TEXT NOT NULL,
    currency          TEXT NOT NULL CHECK (length(currency) = 3),
    unitemized_minor  INTEGER NOT NULL DEFAULT 0,    -- refunded without line detail, positive
    UNIQUE (source, external_id)
);
CREATE INDEX refunds_created_at ON refunds (created_at);

CREATE TABLE refund_lines (
    refund_id        INTEGER NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    variant_id       INTEGER NOT NULL REFERENCES variants (id),
    quantity         INTEGER NOT NULL,               -- units returned, positive
    unit_price_minor INTEGER NOT NULL,
    amount_minor     INTEGER NOT NULL,               -- value returned, positive
    PRIMARY KEY (refund_id, line_no)
) WITHOUT ROWID;
CREATE INDEX refund_lines_variant ON refund_lines (variant_id);

CREATE TABLE price_history (
    id                     INTEGER PRIMARY KEY,
    variant_id             INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    changed_at             TEXT NOT NULL,
    price_minor            INTEGER NOT NULL,
    compare_at_minor       INTEGER,
    previous_price_minor   INTEGER,                  -- NULL: the first known price
    reason                 TEXT NOT NULL,            -- e.g. 'import:products'
    import_run_id          INTEGER REFERENCES import_runs (id)
);
CREATE INDEX price_history_variant ON price_history (variant_id, changed_at);

-- Derived from the tables above by `report::refresh_sales` in the same
-- transaction as every change to orders, and when the shop's time zone
-- changes: one row per order with sale lines, and one per (shop-local day,
-- variant), and one per (month, variant). The reports read these instead of
-- every order line.
CREATE TABLE sales_by_order (
    order_id    INTEGER PRIMARY KEY,                 -- orders.id (no foreign key: rebuilt, never edited)
    day         TEXT NOT NULL,                       -- placed_at's date in the shop's time zone
    customer_id INTEGER,
    currency    TEXT NOT NULL,
    units       INTEGER NOT NULL,
    gross_minor INTEGER NOT NULL
);
CREATE INDEX sales_by_order_day ON sales_by_order (day);

CREATE TABLE sales_by_variant_day (
    day         TEXT NOT NULL,
    variant_id  INTEGER NOT NULL,                    -- variants.id
    currency    TEXT NOT NULL,
    orders      INTEGER NOT NULL,
    units       INTEGER NOT NULL,
    gross_minor INTEGER NOT NULL,
    PRIMARY KEY (currency, day, variant_id)
) WITHOUT ROWID;

-- The same by calendar month ('YYYY-MM'): a long range reads its whole
-- months here and only its partial months from the daily table.
CREATE TABLE sales_by_variant_month (
    month       TEXT NOT NULL,
    variant_id  INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    orders      INTEGER NOT NULL,
    units       INTEGER NOT NULL,
    gross_minor INTEGER NOT NULL,
    PRIMARY KEY (currency, month, variant_id)
) WITHOUT ROWID;
