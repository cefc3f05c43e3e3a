-- Schema v6: what an app left open needs. Products keep the vendor and tags
-- a storefront gives; the shop keeps how often a background sync runs
-- (minutes, 0 = never); what happened while nobody was looking (a sale
-- started or ended, a stock cap reached, a background sync failed) is kept
-- as notifications for the app's notification centre and `watch`'s log.
ALTER TABLE products ADD COLUMN vendor TEXT;
ALTER TABLE products ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';  -- JSON array, sorted

ALTER TABLE shop ADD COLUMN sync_every_minutes INTEGER NOT NULL DEFAULT 15
    CHECK (sync_every_minutes BETWEEN 0 AND 1440);
UPDATE shop SET sync_every_minutes = 0 WHERE demo = 1;

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind       TEXT NOT NULL,       -- see notify::NoticeKind
    subject    TEXT NOT NULL,       -- 'sale', 'tiers', 'sync'
    subject_id INTEGER,             -- the sale's or tier set's id
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    read       INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1))
);
CREATE INDEX notifications_created ON notifications (created_at);
