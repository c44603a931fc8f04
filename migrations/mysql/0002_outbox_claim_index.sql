-- The relay claims with `published_at IS NULL AND dead = 0 ... ORDER BY id LIMIT n FOR UPDATE
-- SKIP LOCKED`. With (published_at, dead, id) InnoDB walks the unpublished rows in id order and
-- stops after n, instead of sorting every due row; the purge of published rows
-- (`published_at < cutoff`) reads a range of the same index. It replaces
-- (published_at, dead, next_attempt_at), whose last column the ORDER BY could not use.
CREATE INDEX idx_outbox_claim ON outbox (published_at, dead, id);
DROP INDEX idx_outbox_due ON outbox;
