-- Schema v5: the sync pulls the storefront's discounts. Each pulled row
-- remembers the sync run that last saw it, so a whole pull removes what
-- the platform no longer has; runs count discounts like other records.
ALTER TABLE discounts ADD COLUMN pulled_in INTEGER;
ALTER TABLE sync_runs ADD COLUMN discounts INTEGER NOT NULL DEFAULT 0;
