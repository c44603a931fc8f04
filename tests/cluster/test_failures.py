"""Failures of parts of the cluster: an instance killed in the middle of a purchase load, the
database stopped and started again under running instances, Redis restarted with its data lost.
"""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pytest
import requests

from conftest import (
    ROOT,
    Api,
    Cluster,
    User,
    admitted_users,
    body_of,
    data_of,
    expect_error,
    key,
    new_users,
    wait_until,
)

STEP_DEADLINE_S = 60.0
# More concurrent requests than an instance has database connections (BOXOFFICE_DB_POOL_SIZE,
# 16 on MySQL by default).
POOL_BURST = 24


class Flaky(Exception):
    """A step never got past connection errors and 5xx answers within its deadline."""


def answered(call: Callable[[Api], requests.Response], first: Api, then: Api, log: list,
             deadline_s: float = STEP_DEADLINE_S) -> tuple[requests.Response, bool]:
    """call(first), then call(then) until the answer is neither a connection error nor a 5xx;
    returns it and whether an earlier attempt may have reached a server (its effect unknown)."""
    uncertain = False
    deadline = time.monotonic() + deadline_s
    api = first
    while True:
        try:
            resp = call(api)
            if resp.status_code < 500:
                return resp, uncertain
            log.append(resp.status_code)
        except requests.RequestException as exc:
            log.append(type(exc).__name__)
        uncertain = True
        api = then
        if time.monotonic() >= deadline:
            raise Flaky(f"no answer below 500 within {deadline_s:.0f} s: {log[-5:]}")
        time.sleep(0.05)  # a retry after a failure, bounded by the deadline


def error_code(resp: requests.Response) -> str | None:
    try:
        return body_of(resp)["error"]["code"]
    except (AssertionError, KeyError, TypeError):
        return None


class Purchase:
    """One buyer's hold -> reserve -> charge -> pay, like a careful client: each request goes
    first to `api` (haproxy, or for some buyers straight to one instance, as a client holding a
    keep-alive connection to it would), and a request that fails there with a connection error
    or a 5xx is sent again through haproxy, payments and charges with the same Idempotency-Key.
    A key's record commits with its charge or payment (ADR 0003), so a dead instance leaves no
    key in flight: the retry with the same key replays the outcome or runs afresh, and one key
    is enough."""

    def __init__(self, api: Api, haproxy: Api, user: User, event_id: int, seat: int, price: int,
                 spare: list, spare_lock: threading.Lock) -> None:
        self.api = api
        self.haproxy = haproxy
        self.user = user
        self.event_id = event_id
        self.seat = seat
        self.price = price
        self.spare = spare
        self.spare_lock = spare_lock
        self.failures: list = []
        self.charge_keys: list[str] = []
        self.acked_charges = 0
        self.payment: dict | None = None

    def send(self, call: Callable[[Api], requests.Response]) -> tuple[requests.Response, bool]:
        return answered(call, self.api, self.haproxy, self.failures)

    def run(self) -> dict:
        hold = self.hold()
        reservation = self.reserve(hold)
        self.charge()
        self.payment = self.pay(reservation)
        return self.payment

    def hold(self) -> dict:
        seat = self.seat
        uncertain_before = False
        for _ in range(5):
            resp, uncertain = self.send(lambda api: api.hold(self.user, self.event_id, [seat]))
            if resp.status_code == 201:
                return data_of(resp, 201)
            # Our own earlier attempt may hold the seat: take another (the lost hold lapses).
            assert (uncertain or uncertain_before) and error_code(resp) == "seat_unavailable", (
                f"hold of a seat nobody else wants refused: {resp.status_code} {resp.text[:300]}"
            )
            uncertain_before = True
            with self.spare_lock:
                seat = self.spare.pop()
        raise AssertionError("no seat held after 5 tries")

    def reserve(self, hold: dict) -> dict:
        resp, uncertain = self.send(lambda api: api.reserve(self.user, self.event_id, hold["id"]))
        if resp.status_code == 201:
            return data_of(resp, 201)
        assert uncertain and error_code(resp) == "occupation_already_released", resp.text[:300]
        # The lost answer's reservation exists: find it.
        mine = [r for r in self.haproxy.reservations(self.user) if r["occupationId"] == hold["id"]]
        assert len(mine) == 1 and mine[0]["status"] == "PENDING", mine
        return mine[0]

    def charge(self) -> None:
        idem = key()
        self.charge_keys.append(idem)
        resp, _ = self.send(lambda api: api.charge(self.user, self.price, key=idem))
        assert resp.status_code == 200, f"{resp.status_code} {resp.text[:300]}"
        self.acked_charges += 1

    def pay(self, reservation: dict) -> dict:
        idem = key()
        resp, _ = self.send(lambda api: api.pay(self.user, reservation["id"], key=idem))
        # A retry of an attempt whose answer was lost replays its 201, even once the payment's
        # consumer freed the queue slot.
        assert resp.status_code == 201, f"{resp.status_code} {resp.text[:300]}"
        return data_of(resp, 201)


def instance_pid(cluster: Cluster, n: int) -> int:
    return int(Path(cluster.settings[f"INSTANCE_{n}_PID_FILE"]).read_text().strip())


def test_an_instance_killed_during_a_purchase_load_loses_and_doubles_nothing(cluster: Cluster) -> None:
    victim = 2
    buyers_count = 90
    price = 10_000
    concert = cluster.api.make_concert(seat_count=2 * buyers_count, price=price)
    buyers = admitted_users(cluster, concert, buyers_count)
    seats = cluster.api.seat_ids(buyers[0], concert.event)
    spare = list(seats[buyers_count:])
    spare_lock = threading.Lock()
    # A third of the buyers talk to the victim directly: some of their requests are cut off by
    # the kill or refused after it, and are retried through haproxy on the other instances.
    victim_api = cluster.instances[victim - 1]
    purchases = [
        Purchase(victim_api if i % 3 == 0 else cluster.api, cluster.api, b, concert.event, seats[i], price,
                 spare, spare_lock)
        for i, b in enumerate(buyers)
    ]
    survivors_before = {n: instance_pid(cluster, n) for n in (1, 3)}

    done = Counter()
    done_lock = threading.Lock()
    quarter = threading.Event()

    def run(p: Purchase) -> dict:
        try:
            return p.run()
        finally:
            with done_lock:
                done["n"] += 1
                if done["n"] >= buyers_count // 4:
                    quarter.set()
            for api in (cluster.api, victim_api):
                api.close_thread_session()

    load_started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:
        futures = [pool.submit(run, p) for p in purchases]
        assert quarter.wait(120), "the load did not get going"
        cluster.kill_instance(victim)
        done_at_kill = done["n"]
        killed_at = time.monotonic()
        results = [f.result(timeout=300) for f in futures]
    load_took = time.monotonic() - killed_at
    assert done_at_kill < buyers_count, "the load was over before the kill"
    failures = Counter(f for p in purchases for f in p.failures)
    assert failures, "no request failed: the kill hit nothing"
    assert not cluster.instance_alive(victim)
    assert all(r is not None for r in results)

    # Every purchase went through exactly once, whatever the killed instance left half done.
    payments = cluster.query(
        "SELECT p.user_id, p.reservation_id, p.amount, p.status, r.status FROM payment p "
        "JOIN reservation r ON r.id = p.reservation_id WHERE r.concert_event_id = %s",
        (concert.event,),
    )
    by_user = Counter(user_id for user_id, *_ in payments)
    assert by_user == {b.id: 1 for b in buyers}, by_user
    assert {(amount, status, rstatus) for _, _, amount, status, rstatus in payments} == {(price, "SUCCESS", "CONFIRMED")}
    confirmed = cluster.query(
        "SELECT user_id, COUNT(*) FROM reservation WHERE concert_event_id = %s AND status = 'CONFIRMED' "
        "GROUP BY user_id", (concert.event,),
    )
    assert dict(confirmed) == {b.id: 1 for b in buyers}
    buyer_ids = tuple(b.id for b in buyers)
    ledgers: dict[int, list] = {b.id: [] for b in buyers}
    for user_id, *row in cluster.query(
        "SELECT user_id, type, amount, CAST(idempotency_key AS CHAR) FROM wallet_transaction "
        "WHERE user_id IN %s", (buyer_ids,),
    ):
        ledgers[user_id].append(tuple(row))
    balances = dict(cluster.query("SELECT user_id, balance FROM wallet WHERE user_id IN %s", (buyer_ids,)))
    for p in purchases:
        assert {p.payment["reservationId"]} == {rid for uid, rid, *_ in payments if uid == p.user.id}
        # Money: each charge key credited at most once, one debit, the ledger explains it.
        rows = ledgers[p.user.id]
        charges = [r for r in rows if r[0] == "CHARGE"]
        uses = [r for r in rows if r[0] == "USE"]
        assert len(uses) == 1 and uses[0][1] == -price, rows
        assert p.acked_charges == 1 and len(charges) == len(p.charge_keys) == 1, (rows, p.charge_keys)
        assert len({k for _, _, k in charges}) == len(charges) and {k for _, _, k in charges} <= set(p.charge_keys)
        balance = balances[p.user.id]
        assert balance == sum(amount for _, amount, _ in rows) == len(charges) * price - price

    print(f"kill after {done_at_kill} of {buyers_count} purchases; client-side failures {dict(failures)}; "
          f"kill {killed_at - load_started:.1f} s into the load, which finished {load_took:.1f} s after it")

    # The other instances never went down; the victim comes back and serves.
    assert {n: instance_pid(cluster, n) for n in (1, 3)} == survivors_before
    cluster.start_instance(victim)
    back = cluster.instances[victim - 1]
    user = back.new_user(balance=1_000)
    assert back.balance(user) == 1_000
    assert cluster.instances[0].balance(user) == 1_000


# ---------------------------------------------------------------------------------------------
# The database and Redis under running instances


def run_script(*args: str, timeout: float = 120) -> None:
    done = subprocess.run([str(ROOT / "scripts" / args[0]), *args[1:]], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"scripts/{' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"


def ready(api: Api) -> bool:
    try:
        return api.get("/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_redis_restarted_without_its_data_sells_nothing_twice_and_the_line_works_again(cluster: Cluster) -> None:
    redis_dir = cluster.dir / "redis"
    if not (redis_dir / "port").is_file():
        pytest.skip(f"no scripts/redis directory at {redis_dir}: cannot restart it")
    port = urllib.parse.urlsplit(cluster.settings["REDIS_URL"]).port
    apis = cluster.instances
    pids = {n: instance_pid(cluster, n) for n in (1, 2, 3)}
    concert = cluster.api.make_concert(seat_count=4, price=10_000)
    buyer, holder = admitted_users(cluster, concert, 2, balance=50_000)
    seats = cluster.api.seat_ids(buyer, concert.event)
    _, sold = apis[0].book(buyer, concert.event, seats[:1])
    data_of(apis[1].pay(buyer, sold["id"], key=key()), 201)
    held = data_of(apis[2].hold(holder, concert.event, seats[1:2]), 201)

    run_script("redis", "stop", str(redis_dir))
    run_script("redis", "start", str(redis_dir), str(port))

    # The line is empty now: old tokens name places that no longer exist (a clear 4xx).
    for api in apis:
        wait_until(lambda: ready(api), 30, f"{api.base} ready again")
    resp = apis[0].status(holder)
    assert 400 <= resp.status_code < 500, resp.text

    # The waiting room works again: new arrivals through every instance are admitted.
    racers = new_users(lambda i: apis[i % 3], 6)
    tickets = [apis[i % 3].join(u, concert) for i, u in enumerate(racers)]
    assert {t["status"] for t in tickets} <= {"WAITING", "ACTIVE"}, tickets
    wait_until(lambda: all(data_of(apis[i % 3].status(u))["status"] == "ACTIVE" for i, u in enumerate(racers)),
               30, "the new arrivals admitted")

    # No double sale: the sold seat and the held seat stay taken; one winner for a free one.
    def try_hold(i: int, seat: int) -> requests.Response:
        return apis[i % 3].hold(racers[i], concert.event, [seat])

    with ThreadPoolExecutor(6) as pool:
        on_sold = list(pool.map(lambda i: try_hold(i, seats[0]), range(6)))
        on_held = list(pool.map(lambda i: try_hold(i, seats[1]), range(6)))
        on_free = list(pool.map(lambda i: try_hold(i, seats[2]), range(6)))
    for resp in on_sold + on_held:
        expect_error(resp, 409, "seat_unavailable")
    assert Counter(r.status_code for r in on_free) == {201: 1, 409: 5}

    # The holder queues again and still owns the hold made before the restart.
    apis[1].join(holder, concert)
    wait_until(lambda: data_of(apis[2].status(holder))["status"] == "ACTIVE", 30, "the holder admitted again")
    reservation = data_of(apis[0].reserve(holder, concert.event, held["id"]), 201)
    data_of(apis[1].pay(holder, reservation["id"], key=key()), 201)
    assert cluster.scalar(
        "SELECT COUNT(*) FROM reservation WHERE concert_event_id = %s AND status = 'CONFIRMED'", (concert.event,)
    ) == 2
    assert {n: instance_pid(cluster, n) for n in (1, 2, 3)} == pids


def test_a_stopped_database_is_503_unavailable_and_service_resumes_when_it_is_back(cluster: Cluster) -> None:
    mariadb_dir = cluster.dir / "mariadb"
    if not (mariadb_dir / "my.cnf").is_file():
        pytest.skip(f"no scripts/mariadb directory at {mariadb_dir}: cannot restart it with its data")
    port = urllib.parse.urlsplit(cluster.db_url).port
    apis = cluster.instances
    pids = {n: instance_pid(cluster, n) for n in (1, 2, 3)}
    concert = cluster.api.make_concert(seat_count=3, price=10_000)
    user = admitted_users(cluster, concert, 1, balance=50_000)[0]
    seats = cluster.api.seat_ids(user, concert.event)
    charge_keys = [key() for _ in apis]

    run_script("mariadb", "stop", str(mariadb_dir))
    try:
        for n, api in enumerate(apis):
            expect_error(api.get(f"/api/v1/users/{user.id}/wallet", user=user), 503, "unavailable")
            expect_error(api.charge(user, 1_000, key=charge_keys[n]), 503, "unavailable")
            expect_error(api.post("/api/v1/users", json={"name": "during-outage"}), 503, "unavailable")
            expect_error(api.hold(user, concert.event, [seats[n]]), 503, "unavailable")
            assert api.get("/readyz").status_code == 503
    finally:
        run_script("mariadb", "start", str(mariadb_dir), str(port))

    for api in apis:
        wait_until(lambda: ready(api), 30, f"{api.base} ready again")
    # The same instances, no restart: each serves again, on every pooled connection (a burst
    # wider than the pool reaches the connections the outage left dead, not just the one the
    # readiness check renewed), and a key answered 503 runs now.
    assert {n: instance_pid(cluster, n) for n in (1, 2, 3)} == pids
    for api in apis:
        with ThreadPoolExecutor(POOL_BURST) as pool:
            answers = list(pool.map(
                lambda _: api.get(f"/api/v1/users/{user.id}/wallet", user=user).status_code,
                range(3 * POOL_BURST),
            ))
        assert Counter(answers) == {200: 3 * POOL_BURST}, (api.base, Counter(answers))
    for n, api in enumerate(apis):
        assert data_of(api.charge(user, 1_000, key=charge_keys[n]))["balance"] == 50_000 + 1_000 * (n + 1)
        assert api.balance(user) == 50_000 + 1_000 * (n + 1)
    _, reservation = apis[0].book(user, concert.event, seats[:1])
    data_of(apis[1].pay(user, reservation["id"], key=key()), 201)
    assert apis[2].balance(user) == 50_000 + 3_000 - 10_000
    data_of(apis[2].post("/api/v1/users", json={"name": "after-outage"}), 201)
