-- MySQL's kept count of each date's AVAILABLE seats (ADR 0001, revised), the twin of SQLite's
-- concert_event.available_seats. One counter row per date would be a hot row: every hold of the
-- date would queue on it until it commits. So the count is split into shards, and a seat change
-- adds its ±1 to the shard of its connection, CONNECTION_ID() % 16. One transaction runs on one
-- connection, so it writes one counter row per date whatever the number of seats it changes (no
-- second counter lock to take in another order, no new deadlock), and the connections of one
-- server's pool, opened one after another, mostly have shards of their own. A listing sums the
-- date's shard rows (a primary key range) and adds the lapsed holds at read time, from an index
-- that ends in held_until, so it reads only the lapsed ones.
-- A shard row appears with the first change of its connection (INSERT ... ON DUPLICATE KEY
-- UPDATE), so a shard may go negative; only the sum means anything.
-- The trigger bodies keep their semicolons inside lines: the embedded runner splits statements
-- at a semicolon that ends a line. Creating triggers needs the TRIGGER privilege; with binary
-- logging on, MariaDB also needs log_bin_trust_function_creators (or SUPER) for it.
CREATE TABLE seat_available_count (
  concert_event_id BIGINT NOT NULL,
  shard SMALLINT NOT NULL,
  available INT NOT NULL,
  PRIMARY KEY (concert_event_id, shard)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO seat_available_count (concert_event_id, shard, available)
SELECT concert_event_id, 0, COUNT(*) FROM seat WHERE state = 'AVAILABLE'
GROUP BY concert_event_id;
CREATE INDEX idx_seat_event_state_until ON seat (concert_event_id, state, held_until);
DROP INDEX idx_seat_event_state ON seat;
CREATE TRIGGER seat_available_on_insert AFTER INSERT ON seat FOR EACH ROW
BEGIN IF NEW.state = 'AVAILABLE' THEN
  INSERT INTO seat_available_count (concert_event_id, shard, available)
  VALUES (NEW.concert_event_id, CONNECTION_ID() % 16, 1)
  ON DUPLICATE KEY UPDATE available = available + 1; END IF; END;
CREATE TRIGGER seat_available_on_delete AFTER DELETE ON seat FOR EACH ROW
BEGIN IF OLD.state = 'AVAILABLE' THEN
  INSERT INTO seat_available_count (concert_event_id, shard, available)
  VALUES (OLD.concert_event_id, CONNECTION_ID() % 16, -1)
  ON DUPLICATE KEY UPDATE available = available - 1; END IF; END;
CREATE TRIGGER seat_available_on_update AFTER UPDATE ON seat FOR EACH ROW
BEGIN IF OLD.state = 'AVAILABLE'
  AND (NEW.state <> 'AVAILABLE' OR NEW.concert_event_id <> OLD.concert_event_id) THEN
  INSERT INTO seat_available_count (concert_event_id, shard, available)
  VALUES (OLD.concert_event_id, CONNECTION_ID() % 16, -1)
  ON DUPLICATE KEY UPDATE available = available - 1; END IF; IF NEW.state = 'AVAILABLE'
  AND (OLD.state <> 'AVAILABLE' OR NEW.concert_event_id <> OLD.concert_event_id) THEN
  INSERT INTO seat_available_count (concert_event_id, shard, available)
  VALUES (NEW.concert_event_id, CONNECTION_ID() % 16, 1)
  ON DUPLICATE KEY UPDATE available = available + 1; END IF; END;
