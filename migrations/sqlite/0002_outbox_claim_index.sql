-- The twin of migrations/mysql/0002_outbox_claim_index.sql: the relay's claim reads unpublished
-- rows in id order, and the purge of published rows reads a range of published_at.
CREATE INDEX idx_outbox_claim ON outbox (published_at, dead, id);
DROP INDEX idx_outbox_due;
