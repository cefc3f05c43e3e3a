-- Schema v3: dynamic pricing. Imported signals (competitor prices, demand
-- events), the owner's saved rule sets, and price proposals with their
-- items and reasons. Money is integer minor units; times are UTC text.

-- `import competitor-prices`: one row per (variant, competitor, time seen).
CREATE TABLE competitor_prices (
    variant_id    INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    competitor    TEXT NOT NULL,
    observed_at   TEXT NOT NULL,
    price_minor   INTEGER NOT NULL CHECK (price_minor >= 0),
    import_run_id INTEGER REFERENCES import_runs (id),
    PRIMARY KEY (variant_id, competitor, observed_at)
) WITHOUT ROWID;

-- `import demand-events`: views and add-to-carts per (variant, shop-local day).
CREATE TABLE demand_events (
    variant_id    INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    day           TEXT NOT NULL,                 -- YYYY-MM-DD in the shop's time zone
    views         INTEGER NOT NULL CHECK (views >= 0),
    add_to_carts  INTEGER NOT NULL CHECK (add_to_carts >= 0),
    import_run_id INTEGER REFERENCES import_runs (id),
    PRIMARY KEY (variant_id, day)
) WITHOUT ROWID;

-- Rule sets the owner saved (JSON of pricing::rules::RuleSet).
CREATE TABLE price_rule_sets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    definition  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A set of proposed prices, from a rule set or the optimiser.
CREATE TABLE price_proposals (
    id           INTEGER PRIMARY KEY,
    created_at   TEXT NOT NULL,
    name         TEXT NOT NULL,
    mode         TEXT NOT NULL CHECK (mode IN ('rules', 'profit', 'revenue')),
    rules        TEXT NOT NULL,                  -- JSON: the rule set as it was, and the items it held
    status       TEXT NOT NULL CHECK (status IN ('open', 'applied', 'discarded')),
    batch_id     INTEGER REFERENCES journal_batches (id),
    applied_at   TEXT
);

CREATE TABLE price_proposal_items (
    proposal_id    INTEGER NOT NULL REFERENCES price_proposals (id) ON DELETE CASCADE,
    variant_id     INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    current_minor  INTEGER NOT NULL,
    proposed_minor INTEGER NOT NULL CHECK (proposed_minor > 0),
    floor_minor    INTEGER,
    ceiling_minor  INTEGER,
    status         TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected', 'applied', 'failed')),
    reasons        TEXT NOT NULL,                -- JSON array of pricing::rules::Reason
    journal_id     INTEGER REFERENCES journal (id),
    error          TEXT,
    PRIMARY KEY (proposal_id, variant_id)
) WITHOUT ROWID;
