-- SQLite only (ADR 0001, revised): each date's AVAILABLE seats are counted by triggers, so the
-- dates listing reads one column per date instead of walking the date's seat index. SQLite has
-- one writer at a time, so the counter row is no hot spot; MySQL keeps counting at read time.
-- HELD seats whose hold has run out still count as free: the listing adds them at read time,
-- from an index that ends in held_until, so it reads only the lapsed ones.
CREATE INDEX idx_seat_event_state_until ON seat (concert_event_id, state, held_until);
DROP INDEX idx_seat_event_state;
ALTER TABLE concert_event ADD COLUMN available_seats INTEGER NOT NULL DEFAULT 0;
UPDATE concert_event SET available_seats = (SELECT COUNT(*) FROM seat s WHERE s.concert_event_id = concert_event.id AND s.state = 'AVAILABLE');
CREATE TRIGGER seat_available_on_insert AFTER INSERT ON seat WHEN NEW.state = 'AVAILABLE'
BEGIN UPDATE concert_event SET available_seats = available_seats + 1 WHERE id = NEW.concert_event_id; END;
CREATE TRIGGER seat_available_on_delete AFTER DELETE ON seat WHEN OLD.state = 'AVAILABLE'
BEGIN UPDATE concert_event SET available_seats = available_seats - 1 WHERE id = OLD.concert_event_id; END;
CREATE TRIGGER seat_available_on_update AFTER UPDATE OF state, concert_event_id ON seat
WHEN (OLD.state = 'AVAILABLE') <> (NEW.state = 'AVAILABLE') OR OLD.concert_event_id <> NEW.concert_event_id
BEGIN UPDATE concert_event SET available_seats = available_seats - (OLD.state = 'AVAILABLE') WHERE id = OLD.concert_event_id; UPDATE concert_event SET available_seats = available_seats + (NEW.state = 'AVAILABLE') WHERE id = NEW.concert_event_id; END;
