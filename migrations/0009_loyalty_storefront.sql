-- Schema v9: loyalty on the storefront.
-- A customer's birthday, month and day (`MM-DD`), from a CSV or the
-- storefront's customer metafield; a birthday action awards on it.
ALTER TABLE customers ADD COLUMN birthday TEXT
    CHECK (birthday IS NULL OR birthday GLOB '[01][0-9]-[0-3][0-9]');

-- A programme launched although a reward can take an item below the
-- margin floor: the owner's reason, so every code it gives says why.
ALTER TABLE loyalty_programmes ADD COLUMN floor_override TEXT;

-- The journal batch that created a redemption's code. A code whose push
-- failed, never reached the store or was reverted spends no points.
ALTER TABLE loyalty_redemptions ADD COLUMN batch_id INTEGER REFERENCES journal_batches (id);
