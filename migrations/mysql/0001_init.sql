-- Initial schema, the MySQL 8 / MariaDB >= 10.6 twin of migrations/sqlite/0001_init.sql: keep
-- the two in step. Times are BIGINT epoch milliseconds UTC, money BIGINT won, states short
-- uppercase text. Statements are separated by semicolons at the end of a line and must not
-- contain one elsewhere (the embedded runner splits on them). MySQL ignores column-level
-- REFERENCES, so foreign keys are table constraints here. MySQL 8 refuses a literal DEFAULT on
-- TEXT columns, so the one TEXT column with a default in SQLite (idempotency_key.body) has none;
-- its only INSERT supplies the value.

CREATE TABLE users (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE wallet (
  user_id BIGINT NOT NULL PRIMARY KEY,
  balance BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT fk_wallet_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Keys (idempotency, consumer, event) are VARBINARY so they compare byte for byte, as on SQLite:
-- under the tables' collation "Key", "key" and "key " would be one key, and even the _bin
-- collations ignore trailing spaces (PAD SPACE) on both MySQL 8 and MariaDB.
CREATE TABLE wallet_transaction (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  type VARCHAR(16) NOT NULL CHECK (type IN ('CHARGE', 'USE', 'REFUND')),
  amount BIGINT NOT NULL,
  idempotency_key VARBINARY(255),
  created_at BIGINT NOT NULL,
  UNIQUE KEY uq_wallet_transaction_key (user_id, idempotency_key),
  CONSTRAINT fk_wallet_transaction_wallet FOREIGN KEY (user_id) REFERENCES wallet (user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE concert (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  title VARCHAR(255) NOT NULL,
  singer VARCHAR(255) NOT NULL,
  description TEXT NOT NULL,
  created_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE concert_event (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  concert_id BIGINT NOT NULL,
  venue VARCHAR(255) NOT NULL,
  start_at BIGINT NOT NULL,
  duration_minutes INT NOT NULL,
  reservation_start_at BIGINT NOT NULL,
  reservation_end_at BIGINT NOT NULL,
  max_seat_count INT NOT NULL,
  created_at BIGINT NOT NULL,
  KEY idx_concert_event_window (concert_id, reservation_start_at, reservation_end_at),
  CONSTRAINT fk_concert_event_concert FOREIGN KEY (concert_id) REFERENCES concert (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- A HELD seat is held by hold_id until held_until; once that has passed it counts as AVAILABLE
-- everywhere, whether or not the sweeper has reset it yet.
CREATE TABLE seat (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  concert_event_id BIGINT NOT NULL,
  seat_number INT NOT NULL,
  price BIGINT NOT NULL CHECK (price >= 0),
  state VARCHAR(16) NOT NULL DEFAULT 'AVAILABLE'
    CHECK (state IN ('AVAILABLE', 'HELD', 'RESERVED')),
  hold_id BIGINT,
  held_until BIGINT,
  UNIQUE KEY uq_seat_event_number (concert_event_id, seat_number),
  KEY idx_seat_event_state (concert_event_id, state),
  KEY idx_seat_hold (hold_id),
  KEY idx_seat_state_held_until (state, held_until),
  CONSTRAINT fk_seat_concert_event FOREIGN KEY (concert_event_id) REFERENCES concert_event (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE occupation (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  concert_event_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL CHECK (status IN ('ACTIVE', 'RELEASED', 'EXPIRED', 'RESERVED')),
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  KEY idx_occupation_status_expires (status, expires_at),
  KEY idx_occupation_user_event (user_id, concert_event_id, status),
  CONSTRAINT fk_occupation_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_occupation_concert_event FOREIGN KEY (concert_event_id)
    REFERENCES concert_event (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE occupation_seat (
  occupation_id BIGINT NOT NULL,
  seat_id BIGINT NOT NULL,
  seat_number INT NOT NULL,
  price BIGINT NOT NULL,
  PRIMARY KEY (occupation_id, seat_id),
  CONSTRAINT fk_occupation_seat_occupation FOREIGN KEY (occupation_id) REFERENCES occupation (id),
  CONSTRAINT fk_occupation_seat_seat FOREIGN KEY (seat_id) REFERENCES seat (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE reservation (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  concert_id BIGINT NOT NULL,
  concert_event_id BIGINT NOT NULL,
  occupation_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('PENDING', 'CONFIRMED', 'PAYMENT_FAILED', 'EXPIRED', 'CANCELLED')),
  total_seats INT NOT NULL,
  total_amount BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  concert_start_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  KEY idx_reservation_user (user_id, created_at),
  KEY idx_reservation_occupation (occupation_id),
  KEY idx_reservation_status_expires (status, expires_at),
  CONSTRAINT fk_reservation_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_reservation_concert FOREIGN KEY (concert_id) REFERENCES concert (id),
  CONSTRAINT fk_reservation_concert_event FOREIGN KEY (concert_event_id)
    REFERENCES concert_event (id),
  CONSTRAINT fk_reservation_occupation FOREIGN KEY (occupation_id) REFERENCES occupation (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE reservation_seat (
  reservation_id BIGINT NOT NULL,
  seat_id BIGINT NOT NULL,
  seat_number INT NOT NULL,
  price BIGINT NOT NULL,
  PRIMARY KEY (reservation_id, seat_id),
  CONSTRAINT fk_reservation_seat_reservation FOREIGN KEY (reservation_id)
    REFERENCES reservation (id),
  CONSTRAINT fk_reservation_seat_seat FOREIGN KEY (seat_id) REFERENCES seat (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Only SUCCESS payments are written, so a plain UNIQUE on the reservation allows one per
-- reservation.
CREATE TABLE payment (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  reservation_id BIGINT NOT NULL,
  wallet_transaction_id BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL CHECK (status IN ('SUCCESS', 'FAILED')),
  method VARCHAR(16) NOT NULL DEFAULT 'WALLET',
  paid_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY uq_payment_reservation (reservation_id),
  KEY idx_payment_user (user_id, paid_at),
  CONSTRAINT fk_payment_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_payment_reservation FOREIGN KEY (reservation_id) REFERENCES reservation (id),
  CONSTRAINT fk_payment_wallet_transaction FOREIGN KEY (wallet_transaction_id)
    REFERENCES wallet_transaction (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_type VARCHAR(64) NOT NULL,
  event_key VARBINARY(255) NOT NULL,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  claimed_until BIGINT NOT NULL DEFAULT 0,
  attempts INT NOT NULL DEFAULT 0,
  published_at BIGINT,
  dead INT NOT NULL DEFAULT 0,
  KEY idx_outbox_due (published_at, dead, next_attempt_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE processed_event (
  consumer VARBINARY(128) NOT NULL,
  event_id BIGINT NOT NULL,
  processed_at BIGINT NOT NULL,
  PRIMARY KEY (consumer, event_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE idempotency_key (
  user_id BIGINT NOT NULL,
  scope VARBINARY(64) NOT NULL,
  idem_key VARBINARY(255) NOT NULL,
  request_hash VARBINARY(128) NOT NULL,
  completed INT NOT NULL DEFAULT 0,
  status INT NOT NULL DEFAULT 0,
  body MEDIUMTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, scope, idem_key),
  KEY idx_idempotency_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One row (id = 1) once an operator has saved policies.
CREATE TABLE policy (
  id INT NOT NULL PRIMARY KEY CHECK (id = 1),
  hold_ttl_seconds INT NOT NULL,
  admit_batch INT NOT NULL,
  admit_interval_ms INT NOT NULL,
  max_active INT NOT NULL,
  active_idle_ttl_seconds INT NOT NULL,
  waiting_grace_seconds INT NOT NULL,
  max_seats_per_hold INT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
