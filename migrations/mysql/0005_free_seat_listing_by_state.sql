-- The free-seat listing read migration 0004's index in seat order: every seat of the date, sold
-- ones included, to keep the few that are free. In a ticket opening most of a date is sold
-- within minutes, and the listing was MariaDB's most expensive statement of the rush. Ordered by
-- state first, the date's AVAILABLE seats and its lapsed holds are two ranges of one index, and
-- the listing reads those alone; the repository puts them in seat order (measured on an 800-seat
-- date with 20% free: 220-227 against 353-437 us of server CPU per listing). The index replaces
-- both of the date's (state, held_until) index and 0004's, so a seat state change updates one
-- index fewer; the dates listing counts lapsed holds from its leading columns as before.
ALTER TABLE seat DROP INDEX idx_seat_event_state_until, DROP INDEX idx_seat_event_number_state, ADD INDEX idx_seat_event_state_until (concert_event_id, state, held_until, seat_number, price);
