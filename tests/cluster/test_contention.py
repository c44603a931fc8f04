"""Contention across instances: thousands of users on one seat, and one wallet debited and
credited through all three instances at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from conftest import (
    Api,
    Cluster,
    Concert,
    User,
    admitted_users,
    body_of,
    data_of,
    expect_error,
    held_seat_ids,
    key,
    signed_amount,
    wait_until,
)

HOLD_RACERS = 3000
HOLD_WORKERS = 48


def test_three_thousand_users_on_one_seat_across_instances_one_winner(cluster: Cluster) -> None:
    apis = cluster.instances
    concert = cluster.api.make_concert(seat_count=5, price=10_000)
    racers = admitted_users(cluster, concert, HOLD_RACERS)
    seat_ids = cluster.api.seat_ids(racers[0], concert.event)
    seat = seat_ids[0]

    def attempt(i: int) -> tuple[int, Any]:
        try:
            resp = apis[i % 3].hold(racers[i], concert.event, [seat])
        except requests.RequestException as exc:
            return -1, repr(exc)
        try:
            return resp.status_code, resp.json()
        except ValueError:
            return resp.status_code, resp.text[:200]

    with ThreadPoolExecutor(HOLD_WORKERS) as pool:
        results = list(pool.map(attempt, range(HOLD_RACERS)))

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: HOLD_RACERS - 1}, statuses
    codes = Counter(body["error"]["code"] for status, body in results if status == 409)
    assert codes == {"seat_unavailable": HOLD_RACERS - 1}, codes
    (winner_index, (_, won)), = [(i, r) for i, r in enumerate(results) if r[0] == 201]
    hold = won["data"]
    assert held_seat_ids(hold) == [seat]

    # The database agrees: one live hold on the seat, the winner's, and the seat row names it.
    now = int(time.time() * 1000)
    live = cluster.query(
        "SELECT o.id, o.user_id FROM occupation o JOIN occupation_seat os ON os.occupation_id = o.id "
        "WHERE os.seat_id = %s AND o.status IN ('ACTIVE', 'RESERVED') AND o.expires_at > %s",
        (seat, now),
    )
    assert live == [(hold["id"], racers[winner_index].id)], live
    assert cluster.query("SELECT state, hold_id FROM seat WHERE id = %s", (seat,)) == [("HELD", hold["id"])]
    # Losers left nothing behind: no other hold of this date was ever committed.
    assert cluster.scalar(
        "SELECT COUNT(*) FROM occupation WHERE concert_event_id = %s", (concert.event,)
    ) == 1
    states = cluster.api.seat_states(racers[1], concert.event)
    assert [states[s] for s in seat_ids] == ["HELD", "AVAILABLE", "AVAILABLE", "AVAILABLE", "AVAILABLE"]


# ---------------------------------------------------------------------------------------------
# One wallet, three instances


class QueuePass:
    """A user's queue token shared by threads. Paying frees the payer's waiting-room slot, so a
    user who pays several reservations must queue again between payments: the first thread to
    find the token refused joins again (once per refused token) and waits to be admitted."""

    NOT_ADMITTED = {401: "invalid_token", 403: "token_not_processable", 404: "queue_token_not_found"}

    def __init__(self, api: Api, user: User, concert: Concert) -> None:
        self.api = api
        self.user = user
        self.concert = concert
        self.lock = threading.Lock()
        self.token = user.qt
        self.renewals = 0

    def refused(self, resp: requests.Response) -> bool:
        if resp.status_code not in self.NOT_ADMITTED:
            return False
        try:
            return body_of(resp)["error"]["code"] == self.NOT_ADMITTED[resp.status_code]
        except (AssertionError, KeyError, TypeError):
            return False

    def renew(self, refused_token: str) -> str:
        with self.lock:
            if self.token == refused_token:
                ticket = data_of(
                    self.api.post("/api/v1/queue/token", user=self.user, json={"concertId": self.concert.id}),
                    (200, 201),
                )
                self.token = ticket["token"]
                self.renewals += 1
                wait_until(self.admitted_or_gone, 30, f"user {self.user.id} admitted again")
            return self.token

    def admitted_or_gone(self) -> bool:
        """ACTIVE, or already out of the line again: another thread paid with the new token
        as soon as it was admitted, which freed the slot (the caller's next try renews)."""
        resp = self.api.status(self.token)
        if resp.status_code == 404:
            expect_error(resp, 404, "queue_token_not_found")
            return True
        return data_of(resp)["status"] == "ACTIVE"


def pay_with_pass(api: Api, qpass: QueuePass, reservation_id: int, idem: str, attempts: int = 20) -> requests.Response:
    """POST /payments with this Idempotency-Key, joining the line again while not admitted."""
    for _ in range(attempts):
        token = qpass.token
        resp = api.post(
            "/api/v1/payments", queue=token, user=qpass.user, key=idem, json={"reservationId": reservation_id}
        )
        if not qpass.refused(resp):
            return resp
        qpass.renew(token)
    raise AssertionError(f"payment {idem} refused {attempts} times for want of an admitted token")


def comparable(resp: requests.Response) -> tuple[int, Any]:
    return resp.status_code, body_of(resp)


def test_payments_and_charges_on_one_wallet_across_instances(cluster: Cluster) -> None:
    apis = cluster.instances
    price = 10_000
    reservations_count = 12
    charge_amount = 5_000
    charges_count = 8
    initial = 30_000
    cluster.set_policies(maxSeatsPerHold=reservations_count)
    concert = cluster.api.make_concert(seat_count=reservations_count, price=price)
    user = admitted_users(cluster, concert, 1)[0]
    data_of(apis[0].charge(user, initial, key=key()))
    seats = cluster.api.seat_ids(user, concert.event)
    reservations = []
    for i, seat in enumerate(seats):
        _, reservation = apis[i % 3].book(user, concert.event, [seat])
        reservations.append(reservation["id"])
    qpass = QueuePass(apis[0], user, concert)

    # Each operation is sent twice at once, with one key, to two different instances.
    operations = [("pay", rid, key()) for rid in reservations]
    operations += [("charge", charge_amount, key()) for _ in range(charges_count)]

    def run(op: tuple, instance: int) -> requests.Response:
        kind, arg, idem = op
        api = apis[instance % 3]
        if kind == "pay":
            return pay_with_pass(api, qpass, arg, idem)
        return api.charge(user, arg, key=idem)

    calls = [(op, n + twin) for n, op in enumerate(operations) for twin in (0, 1)]
    balances: list[int] = []
    stop = threading.Event()

    def watch_balance() -> None:
        while not stop.is_set():
            balances.append(cluster.api.balance(user))
        cluster.api.close_thread_session()

    watcher = threading.Thread(target=watch_balance, daemon=True)
    watcher.start()
    barrier = threading.Barrier(len(calls))

    def fire(call: tuple) -> requests.Response:
        barrier.wait(60)
        return run(*call)

    try:
        with ThreadPoolExecutor(len(calls)) as pool:
            responses = list(pool.map(fire, calls))
    finally:
        stop.set()
        watcher.join(30)

    # Both copies of each operation got the same answer: one ran, the other replayed it.
    answers = {}
    for (op, _), resp in zip(calls, responses):
        answers.setdefault(op[2], []).append(comparable(resp))
    for idem, pair in answers.items():
        assert len(pair) == 2 and pair[0] == pair[1], (idem, pair)

    pay_answers = [answers[op[2]][0] for op in operations if op[0] == "pay"]
    paid = [body["data"] for status, body in pay_answers if status == 201]
    refused = [body for status, body in pay_answers if status != 201]
    assert all(status in (201, 409) for status, _ in pay_answers), pay_answers
    assert all(body["error"]["code"] == "insufficient_balance" for body in refused), refused
    assert len(paid) >= initial // price, "the initial balance alone pays for three"
    # All the money there ever was pays for seven: at least five payments must have been refused.
    assert len(paid) <= (initial + charges_count * charge_amount) // price, len(paid)
    assert len({p["reservationId"] for p in paid}) == len(paid)
    charge_answers = [answers[op[2]][0] for op in operations if op[0] == "charge"]
    assert [status for status, _ in charge_answers] == [200] * charges_count

    # Retried once more on a third instance: the same answers, nothing moves.
    for n, op in enumerate(operations):
        assert comparable(run(op, n + 2)) == answers[op[2]][0], op

    expected = initial + charges_count * charge_amount - len(paid) * price
    assert balances and min(balances) >= 0, "the balance went negative"
    for api in apis:
        assert api.balance(user) == expected
    ledger = cluster.api.ledger(user)
    assert sum(signed_amount(r) for r in ledger) == expected
    assert Counter(r["type"] for r in ledger) == {"CHARGE": 1 + charges_count, "USE": len(paid)}
    payments = cluster.api.payments(user)
    assert sorted(p["id"] for p in payments) == sorted(p["id"] for p in paid)
    statuses = {r["id"]: r["status"] for r in cluster.api.reservations(user)}
    confirmed = {p["reservationId"] for p in paid}
    assert {rid for rid, s in statuses.items() if s == "CONFIRMED"} == confirmed
    assert {rid for rid, s in statuses.items() if s != "CONFIRMED"} == set(reservations) - confirmed
    assert cluster.scalar("SELECT balance FROM wallet WHERE user_id = %s", (user.id,)) == expected
