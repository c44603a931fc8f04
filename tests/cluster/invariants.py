"""Invariants of the database that must hold after any sequence of requests, on any number of
instances: no seat sold twice, no sold seat held again, seat rows that agree with the sales,
wallets that agree with their ledgers, and payments that agree with confirmed reservations.

The checks read the tables of migrations/mysql/0001_init.sql directly (states as in
src/domain/names.cpp: seats AVAILABLE/HELD/RESERVED, holds ACTIVE/RELEASED/EXPIRED/RESERVED,
reservations PENDING/CONFIRMED/PAYMENT_FAILED/EXPIRED/CANCELLED, payments SUCCESS/FAILED, ledger
CHARGE/USE/REFUND with uses stored negative). Times are epoch milliseconds.

`check(db_url)` reads one consistent snapshot; `find_violations(cursor, now_ms)` runs the same
queries on a cursor the caller controls (the unit test feeds it rows it has not committed).
"""

from __future__ import annotations

import dataclasses
import time
import urllib.parse
from typing import Any

import pymysql

# A hold is live while its deadline is ahead: an ACTIVE hold, or a hold turned into a PENDING
# reservation (status RESERVED) that has not expired. Its seats belong to it alone.
_LIVE_HOLDS = """
    SELECT o.id AS hold_id, os.seat_id
    FROM occupation o JOIN occupation_seat os ON os.occupation_id = o.id
    WHERE o.expires_at > %(now)s AND (o.status = 'ACTIVE' OR (o.status = 'RESERVED' AND EXISTS (
        SELECT 1 FROM reservation r WHERE r.occupation_id = o.id AND r.status = 'PENDING'
        AND r.expires_at > %(now)s)))
"""

# Seats sold: the seats of CONFIRMED reservations, with the hold each sale came from.
_SOLD = """
    SELECT r.id AS reservation_id, r.occupation_id AS hold_id, rs.seat_id
    FROM reservation r JOIN reservation_seat rs ON rs.reservation_id = r.id
    WHERE r.status = 'CONFIRMED'
"""

# kind -> query returning one row per violation. %(now)s is the snapshot's time.
CHECKS: dict[str, str] = {
    # One seat in two confirmed reservations.
    "seat_sold_twice": f"""
        SELECT seat_id, COUNT(*) AS sales, GROUP_CONCAT(reservation_id ORDER BY reservation_id)
        FROM ({_SOLD}) sold GROUP BY seat_id HAVING COUNT(*) > 1
    """,
    # A sold seat that is HELD on its row, or that another live hold still claims.
    "seat_held_and_reserved": f"""
        SELECT sold.seat_id, sold.reservation_id, s.state, s.hold_id, NULL AS other_hold
        FROM ({_SOLD}) sold JOIN seat s ON s.id = sold.seat_id
        WHERE s.state = 'HELD'
        UNION ALL
        SELECT sold.seat_id, sold.reservation_id, NULL, NULL, live.hold_id
        FROM ({_SOLD}) sold JOIN ({_LIVE_HOLDS}) live ON live.seat_id = sold.seat_id
        WHERE live.hold_id <> sold.hold_id
    """,
    # One seat claimed by two live holds.
    "seat_held_twice": f"""
        SELECT seat_id, GROUP_CONCAT(hold_id ORDER BY hold_id)
        FROM ({_LIVE_HOLDS}) live GROUP BY seat_id HAVING COUNT(*) > 1
    """,
    # The seat row disagrees with the sales and live holds: a sold seat not RESERVED by its own
    # hold, a RESERVED seat that no confirmed reservation sold, or a live hold whose seat row
    # is not HELD by it.
    "seat_state_mismatch": f"""
        SELECT sold.seat_id, s.state, s.hold_id, sold.hold_id AS expected_hold
        FROM ({_SOLD}) sold JOIN seat s ON s.id = sold.seat_id
        WHERE s.state = 'AVAILABLE' OR (s.state = 'RESERVED' AND NOT (s.hold_id <=> sold.hold_id))
        UNION ALL
        SELECT s.id, s.state, s.hold_id, NULL
        FROM seat s WHERE s.state = 'RESERVED'
        AND NOT EXISTS (SELECT 1 FROM ({_SOLD}) sold WHERE sold.seat_id = s.id)
        UNION ALL
        SELECT live.seat_id, s.state, s.hold_id, live.hold_id
        FROM ({_LIVE_HOLDS}) live JOIN seat s ON s.id = live.seat_id
        WHERE NOT (s.state = 'HELD' AND s.hold_id <=> live.hold_id)
        AND NOT EXISTS (SELECT 1 FROM ({_SOLD}) sold WHERE sold.seat_id = live.seat_id)
    """,
    "negative_balance": """
        SELECT user_id, balance FROM wallet WHERE balance < 0
    """,
    # The balance is the sum of the ledger (uses are stored negative).
    "wallet_ledger_mismatch": """
        SELECT w.user_id, w.balance, COALESCE(SUM(t.amount), 0) AS ledger
        FROM wallet w LEFT JOIN wallet_transaction t ON t.user_id = w.user_id
        GROUP BY w.user_id, w.balance HAVING w.balance <> COALESCE(SUM(t.amount), 0)
    """,
    # A SUCCESS payment must be the payment of a CONFIRMED reservation of the same user and amount.
    "payment_without_confirmed_reservation": """
        SELECT p.id, p.reservation_id, r.status, p.amount, r.total_amount
        FROM payment p LEFT JOIN reservation r ON r.id = p.reservation_id
        WHERE p.status = 'SUCCESS' AND (r.id IS NULL OR r.status <> 'CONFIRMED'
            OR r.user_id <> p.user_id OR r.total_amount <> p.amount)
    """,
    "confirmed_reservation_without_payment": """
        SELECT r.id, r.user_id FROM reservation r
        WHERE r.status = 'CONFIRMED' AND (SELECT COUNT(*) FROM payment p
            WHERE p.reservation_id = r.id AND p.status = 'SUCCESS') <> 1
    """,
    # Each SUCCESS payment took its amount once, through its own USE row; no USE row without a
    # payment (money taken for nothing).
    "payment_ledger_mismatch": """
        SELECT p.id, p.wallet_transaction_id, t.type, t.amount, p.amount
        FROM payment p LEFT JOIN wallet_transaction t ON t.id = p.wallet_transaction_id
        WHERE p.status = 'SUCCESS' AND (t.id IS NULL OR t.type <> 'USE'
            OR t.amount <> -p.amount OR t.user_id <> p.user_id)
        UNION ALL
        SELECT NULL, t.id, t.type, t.amount, NULL FROM wallet_transaction t
        WHERE t.type = 'USE' AND NOT EXISTS (
            SELECT 1 FROM payment p WHERE p.wallet_transaction_id = t.id AND p.status = 'SUCCESS')
        UNION ALL
        SELECT MIN(p.id), p.wallet_transaction_id, NULL, COUNT(*), NULL FROM payment p
        GROUP BY p.wallet_transaction_id HAVING COUNT(*) > 1
    """,
}


@dataclasses.dataclass(frozen=True)
class Violation:
    kind: str
    row: tuple

    def __str__(self) -> str:
        return f"{self.kind}: {self.row}"


def connect(db_url: str, database: str | None = None, **kwargs: Any) -> pymysql.connections.Connection:
    """A PyMySQL connection from a mysql://user:password@host:port/database URL."""
    parts = urllib.parse.urlsplit(db_url)
    if parts.scheme != "mysql":
        raise ValueError(f"not a mysql:// URL: {parts.scheme}://...")
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=urllib.parse.unquote(parts.username or ""),
        password=urllib.parse.unquote(parts.password or ""),
        database=database if database is not None else parts.path.lstrip("/"),
        autocommit=True,
        connect_timeout=10,
        read_timeout=60,
        write_timeout=60,
        **kwargs,
    )


def find_violations(cursor: Any, now_ms: int) -> list[Violation]:
    found = []
    for kind, query in CHECKS.items():
        cursor.execute(query, {"now": now_ms})
        found.extend(Violation(kind, tuple(row)) for row in cursor.fetchall())
    return found


def check(db_url: str) -> list[Violation]:
    """Every violation in one consistent snapshot of the database at db_url."""
    conn = connect(db_url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
            # Read after the snapshot began: a sweeper that committed before it freed only
            # seats whose deadline is behind this time as well.
            now_ms = int(time.time() * 1000)
            try:
                return find_violations(cursor, now_ms)
            finally:
                cursor.execute("ROLLBACK")
    finally:
        conn.close()
