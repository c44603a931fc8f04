"""The invariant checker finds each kind of violation it names: a scratch database on the
cluster's MariaDB gets the real schema and a consistent history (a sale, a live hold, a pending
reservation, a lapsed hold nobody swept), which must pass; then each case adds rows that break
one invariant, inside a transaction that is rolled back, and the checker must name that kind."""

from __future__ import annotations

import secrets
import time

import pytest

import invariants
from conftest import ROOT, Cluster

NOW = int(time.time() * 1000)
LATER = NOW + 600_000  # a deadline ahead
EARLIER = NOW - 600_000  # a deadline behind
PRICE = 10_000

# A consistent history. User 1 bought seats 1 and 2 (hold 1, reservation 1, payment 1, paid from
# ledger row 2); user 2 holds seat 3 (hold 2); user 2 reserved seat 4 and has not paid (hold 3,
# reservation 2); hold 4 on seat 5 lapsed and was not swept yet, so seat 5 is still HELD by it.
BASELINE = [
    f"INSERT INTO users (id, name, created_at) VALUES (1, 'ana', {NOW}), (2, 'bo', {NOW})",
    f"INSERT INTO wallet (user_id, balance, created_at, updated_at) VALUES "
    f"(1, 30000, {NOW}, {NOW}), (2, 5000, {NOW}, {NOW})",
    f"INSERT INTO wallet_transaction (id, user_id, type, amount, idempotency_key, created_at) VALUES "
    f"(1, 1, 'CHARGE', 50000, 'k1', {NOW}), (2, 1, 'USE', -20000, NULL, {NOW}), "
    f"(3, 2, 'CHARGE', 5000, 'k2', {NOW})",
    f"INSERT INTO concert (id, title, singer, description, created_at) VALUES (1, 't', 's', '', {NOW})",
    f"INSERT INTO concert_event (id, concert_id, venue, start_at, duration_minutes, "
    f"reservation_start_at, reservation_end_at, max_seat_count, created_at) VALUES "
    f"(1, 1, 'hall', {LATER}, 120, {EARLIER}, {LATER}, 6, {NOW})",
    f"INSERT INTO seat (id, concert_event_id, seat_number, price, state, hold_id, held_until) VALUES "
    f"(1, 1, 1, {PRICE}, 'RESERVED', 1, {LATER}), (2, 1, 2, {PRICE}, 'RESERVED', 1, {LATER}), "
    f"(3, 1, 3, {PRICE}, 'HELD', 2, {LATER}), (4, 1, 4, {PRICE}, 'HELD', 3, {LATER}), "
    f"(5, 1, 5, {PRICE}, 'HELD', 4, {EARLIER}), (6, 1, 6, {PRICE}, 'AVAILABLE', NULL, NULL)",
    f"INSERT INTO occupation (id, user_id, concert_event_id, status, expires_at, created_at, "
    f"updated_at) VALUES (1, 1, 1, 'RESERVED', {LATER}, {NOW}, {NOW}), "
    f"(2, 2, 1, 'ACTIVE', {LATER}, {NOW}, {NOW}), (3, 2, 1, 'RESERVED', {LATER}, {NOW}, {NOW}), "
    f"(4, 1, 1, 'ACTIVE', {EARLIER}, {NOW}, {NOW})",
    f"INSERT INTO occupation_seat (occupation_id, seat_id, seat_number, price) VALUES "
    f"(1, 1, 1, {PRICE}), (1, 2, 2, {PRICE}), (2, 3, 3, {PRICE}), (3, 4, 4, {PRICE}), "
    f"(4, 5, 5, {PRICE})",
    f"INSERT INTO reservation (id, user_id, concert_id, concert_event_id, occupation_id, status, "
    f"total_seats, total_amount, expires_at, concert_start_at, created_at, updated_at) VALUES "
    f"(1, 1, 1, 1, 1, 'CONFIRMED', 2, 20000, {LATER}, {LATER}, {NOW}, {NOW}), "
    f"(2, 2, 1, 1, 3, 'PENDING', 1, {PRICE}, {LATER}, {LATER}, {NOW}, {NOW})",
    f"INSERT INTO reservation_seat (reservation_id, seat_id, seat_number, price) VALUES "
    f"(1, 1, 1, {PRICE}), (1, 2, 2, {PRICE}), (2, 4, 4, {PRICE})",
    f"INSERT INTO payment (id, user_id, reservation_id, wallet_transaction_id, amount, status, "
    f"paid_at, created_at) VALUES (1, 1, 1, 2, 20000, 'SUCCESS', {NOW}, {NOW})",
]

# kind -> statements that break exactly that invariant (others may break along with it).
CASES = {
    "seat_sold_twice": [
        # User 2 pays for a second sale of seat 1 (through their pending reservation's hold).
        "INSERT INTO reservation_seat (reservation_id, seat_id, seat_number, price) "
        f"VALUES (2, 1, 1, {PRICE})",
        "UPDATE reservation SET status = 'CONFIRMED', total_seats = 2, total_amount = 20000 WHERE id = 2",
    ],
    "seat_held_and_reserved": [
        # Seat 2 was sold, yet its row says HELD by another hold.
        f"UPDATE seat SET state = 'HELD', hold_id = 2, held_until = {LATER} WHERE id = 2",
    ],
    "seat_held_and_reserved#live_hold": [
        # A live hold claims sold seat 1.
        f"INSERT INTO occupation (id, user_id, concert_event_id, status, expires_at, created_at, "
        f"updated_at) VALUES (9, 2, 1, 'ACTIVE', {LATER}, {NOW}, {NOW})",
        f"INSERT INTO occupation_seat (occupation_id, seat_id, seat_number, price) VALUES (9, 1, 1, {PRICE})",
    ],
    "seat_held_twice": [
        # A second live hold on seat 3.
        f"INSERT INTO occupation (id, user_id, concert_event_id, status, expires_at, created_at, "
        f"updated_at) VALUES (9, 1, 1, 'ACTIVE', {LATER}, {NOW}, {NOW})",
        f"INSERT INTO occupation_seat (occupation_id, seat_id, seat_number, price) VALUES (9, 3, 3, {PRICE})",
    ],
    "seat_state_mismatch": [
        # Seat 6 says RESERVED but nobody bought it.
        "UPDATE seat SET state = 'RESERVED', hold_id = 4 WHERE id = 6",
    ],
    "seat_state_mismatch#sold_but_available": [
        "UPDATE seat SET state = 'AVAILABLE', hold_id = NULL, held_until = NULL WHERE id = 2",
    ],
    "seat_state_mismatch#hold_lost_its_seat": [
        "UPDATE seat SET state = 'AVAILABLE', hold_id = NULL, held_until = NULL WHERE id = 3",
    ],
    "negative_balance": [
        # The schema's CHECK would refuse it; the checker must not rely on that.
        "SET SESSION check_constraint_checks = 0",
        "UPDATE wallet SET balance = -5000 WHERE user_id = 2",
        f"INSERT INTO wallet_transaction (user_id, type, amount, created_at) VALUES (2, 'CHARGE', -10000, {NOW})",
    ],
    "wallet_ledger_mismatch": [
        "UPDATE wallet SET balance = balance + 1 WHERE user_id = 1",
    ],
    "wallet_ledger_mismatch#ledger_row_without_money": [
        f"INSERT INTO wallet_transaction (user_id, type, amount, idempotency_key, created_at) "
        f"VALUES (2, 'CHARGE', 700, 'k3', {NOW})",
    ],
    "payment_without_confirmed_reservation": [
        # A payment for the pending reservation 2, debited properly, but the sale never happened.
        f"INSERT INTO wallet_transaction (id, user_id, type, amount, idempotency_key, created_at) "
        f"VALUES (9, 2, 'CHARGE', {PRICE}, 'k4', {NOW}), (10, 2, 'USE', -{PRICE}, NULL, {NOW})",
        f"INSERT INTO payment (id, user_id, reservation_id, wallet_transaction_id, amount, status, "
        f"paid_at, created_at) VALUES (2, 2, 2, 10, {PRICE}, 'SUCCESS', {NOW}, {NOW})",
    ],
    "confirmed_reservation_without_payment": [
        "DELETE FROM payment WHERE id = 1",
        "DELETE FROM wallet_transaction WHERE id = 2",
        "UPDATE wallet SET balance = 50000 WHERE user_id = 1",
    ],
    "payment_ledger_mismatch": [
        # Money taken with no payment for it (the balance still matches the ledger).
        f"INSERT INTO wallet_transaction (user_id, type, amount, created_at) VALUES (1, 'USE', -5000, {NOW})",
        "UPDATE wallet SET balance = balance - 5000 WHERE user_id = 1",
    ],
}


def schema_statements() -> list[str]:
    """The migrations split as the server's runner splits them: at a semicolon ending a line."""
    statements = []
    for path in sorted((ROOT / "migrations" / "mysql").glob("*.sql")):
        current: list[str] = []
        for line in path.read_text().splitlines():
            if line.lstrip().startswith("--"):
                continue
            current.append(line)
            if line.rstrip().endswith(";"):
                statements.append("\n".join(current).rstrip().rstrip(";"))
                current = []
        if "".join(current).strip():
            statements.append("\n".join(current))
    return statements


@pytest.fixture(scope="module")
def scratch(cluster: Cluster):
    """A fresh database with the schema and the baseline history, dropped afterwards."""
    name = f"boxoffice_invariants_{secrets.token_hex(4)}"
    admin = invariants.connect(cluster.db_url)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    except Exception as exc:  # a DB_URL user without CREATE on boxoffice_* cannot run this test
        admin.close()
        pytest.fail(f"cannot create a scratch database {name}: {exc}")
    conn = invariants.connect(cluster.db_url, database=name)
    try:
        with conn.cursor() as cursor:
            for statement in schema_statements():
                cursor.execute(statement)
            for statement in BASELINE:
                cursor.execute(statement)
        yield conn
    finally:
        conn.close()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def kinds_found(conn) -> set[str]:
    with conn.cursor() as cursor:
        return {v.kind for v in invariants.find_violations(cursor, NOW)}


def test_the_checker_passes_a_consistent_history(scratch) -> None:
    with scratch.cursor() as cursor:
        found = invariants.find_violations(cursor, NOW)
    assert found == []
    # And the history is what the cases break: a sale, live holds, a pending reservation.
    with scratch.cursor() as cursor:
        cursor.execute("SELECT status, COUNT(*) FROM reservation GROUP BY status ORDER BY status")
        assert cursor.fetchall() == (("CONFIRMED", 1), ("PENDING", 1))


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_checker_finds_each_violation(scratch, case: str) -> None:
    kind = case.split("#")[0]
    assert kind in invariants.CHECKS
    scratch.begin()
    try:
        with scratch.cursor() as cursor:
            for statement in CASES[case]:
                cursor.execute(statement)
        assert kind in kinds_found(scratch), f"{case}: not detected"
    finally:
        scratch.rollback()
        with scratch.cursor() as cursor:
            cursor.execute("SET SESSION check_constraint_checks = 1")
    assert kinds_found(scratch) == set(), "the rollback left the scratch database broken"


def test_every_check_has_a_case() -> None:
    assert {case.split("#")[0] for case in CASES} == set(invariants.CHECKS)


def test_the_checker_reads_the_real_schema(cluster: Cluster) -> None:
    """The live database has every table and column the queries name (a renamed column would
    make every check fail loudly here rather than pass vacuously)."""
    assert invariants.check(cluster.db_url) == []
