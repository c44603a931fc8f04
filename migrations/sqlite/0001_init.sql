-- Initial schema. Times are INTEGER epoch milliseconds UTC, money INTEGER won, states short
-- uppercase text. Statements are separated by semicolons at the end of a line and must not
-- contain one elsewhere (the embedded runner splits on them).

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE wallet (
  user_id INTEGER PRIMARY KEY REFERENCES users (id),
  balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE wallet_transaction (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES wallet (user_id),
  type TEXT NOT NULL CHECK (type IN ('CHARGE', 'USE', 'REFUND')),
  amount INTEGER NOT NULL,
  idempotency_key TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (user_id, idempotency_key)
);

CREATE TABLE concert (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  singer TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE concert_event (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  concert_id INTEGER NOT NULL REFERENCES concert (id),
  venue TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  duration_minutes INTEGER NOT NULL,
  reservation_start_at INTEGER NOT NULL,
  reservation_end_at INTEGER NOT NULL,
  max_seat_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX idx_concert_event_window
  ON concert_event (concert_id, reservation_start_at, reservation_end_at);

-- A HELD seat is held by hold_id until held_until; once that has passed it counts as AVAILABLE
-- everywhere, whether or not the sweeper has reset it yet.
CREATE TABLE seat (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  concert_event_id INTEGER NOT NULL REFERENCES concert_event (id),
  seat_number INTEGER NOT NULL,
  price INTEGER NOT NULL CHECK (price >= 0),
  state TEXT NOT NULL DEFAULT 'AVAILABLE' CHECK (state IN ('AVAILABLE', 'HELD', 'RESERVED')),
  hold_id INTEGER,
  held_until INTEGER,
  UNIQUE (concert_event_id, seat_number)
);
CREATE INDEX idx_seat_event_state ON seat (concert_event_id, state);
CREATE INDEX idx_seat_hold ON seat (hold_id);
CREATE INDEX idx_seat_state_held_until ON seat (state, held_until);

CREATE TABLE occupation (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id),
  concert_event_id INTEGER NOT NULL REFERENCES concert_event (id),
  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'RELEASED', 'EXPIRED', 'RESERVED')),
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX idx_occupation_status_expires ON occupation (status, expires_at);
CREATE INDEX idx_occupation_user_event ON occupation (user_id, concert_event_id, status);

CREATE TABLE occupation_seat (
  occupation_id INTEGER NOT NULL REFERENCES occupation (id),
  seat_id INTEGER NOT NULL REFERENCES seat (id),
  seat_number INTEGER NOT NULL,
  price INTEGER NOT NULL,
  PRIMARY KEY (occupation_id, seat_id)
);

CREATE TABLE reservation (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id),
  concert_id INTEGER NOT NULL REFERENCES concert (id),
  concert_event_id INTEGER NOT NULL REFERENCES concert_event (id),
  occupation_id INTEGER NOT NULL REFERENCES occupation (id),
  status TEXT NOT NULL
    CHECK (status IN ('PENDING', 'CONFIRMED', 'PAYMENT_FAILED', 'EXPIRED', 'CANCELLED')),
  total_seats INTEGER NOT NULL,
  total_amount INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  concert_start_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX idx_reservation_user ON reservation (user_id, created_at);
CREATE INDEX idx_reservation_occupation ON reservation (occupation_id);
CREATE INDEX idx_reservation_status_expires ON reservation (status, expires_at);

CREATE TABLE reservation_seat (
  reservation_id INTEGER NOT NULL REFERENCES reservation (id),
  seat_id INTEGER NOT NULL REFERENCES seat (id),
  seat_number INTEGER NOT NULL,
  price INTEGER NOT NULL,
  PRIMARY KEY (reservation_id, seat_id)
);

-- Only SUCCESS payments are written, so a plain UNIQUE on the reservation allows one per
-- reservation.
CREATE TABLE payment (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id),
  reservation_id INTEGER NOT NULL REFERENCES reservation (id),
  wallet_transaction_id INTEGER NOT NULL REFERENCES wallet_transaction (id),
  amount INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('SUCCESS', 'FAILED')),
  method TEXT NOT NULL DEFAULT 'WALLET',
  paid_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (reservation_id)
);
CREATE INDEX idx_payment_user ON payment (user_id, paid_at);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_type TEXT NOT NULL,
  event_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  claimed_until INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  published_at INTEGER,
  dead INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_outbox_due ON outbox (published_at, dead, next_attempt_at);

CREATE TABLE processed_event (
  consumer TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  processed_at INTEGER NOT NULL,
  PRIMARY KEY (consumer, event_id)
);

CREATE TABLE idempotency_key (
  user_id INTEGER NOT NULL,
  scope TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  completed INTEGER NOT NULL DEFAULT 0,
  status INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, scope, idem_key)
);
CREATE INDEX idx_idempotency_created ON idempotency_key (created_at);

-- One row (id = 1) once an operator has saved policies.
CREATE TABLE policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hold_ttl_seconds INTEGER NOT NULL,
  admit_batch INTEGER NOT NULL,
  admit_interval_ms INTEGER NOT NULL,
  max_active INTEGER NOT NULL,
  active_idle_ttl_seconds INTEGER NOT NULL,
  waiting_grace_seconds INTEGER NOT NULL,
  max_seats_per_hold INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
