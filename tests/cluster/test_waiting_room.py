"""The waiting room shared by three instances: one arrival order whichever instance issues the
token, admission in that order, and never more admitted users than maxActive although every
instance runs the admission tick."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from conftest import (
    Api,
    Cluster,
    User,
    data_of,
    expect,
    new_users,
    wait_until,
)

ADMISSION_TIMEOUT_S = 60.0


def status_of(api: Api, user: User) -> dict:
    return data_of(api.status(user))


def watch_admission_order(cluster: Cluster, users: list[User], timeout: float) -> list[int]:
    """Polls until every user is ACTIVE and returns, per user, the sweep in which they were
    first seen ACTIVE. Each sweep reads the line from the back to the front: nobody leaves, so
    if a later user is ACTIVE, every earlier one must be ACTIVE when read after them."""
    apis = cluster.instances
    first_active = [-1] * len(users)
    deadline = time.monotonic() + timeout
    sweep = 0
    while min(first_active) < 0:
        assert time.monotonic() < deadline, f"not all admitted within {timeout:.0f} s: {first_active}"
        later_active = None
        for i in reversed(range(len(users))):
            status = status_of(apis[(i + sweep) % 3], users[i])
            if status["status"] == "ACTIVE":
                if first_active[i] < 0:
                    first_active[i] = sweep
            else:
                assert status["status"] == "WAITING", status
                assert later_active is None, (
                    f"user #{i} (arrived earlier) still WAITING at position {status['position']} "
                    f"while user #{later_active} (arrived later) is ACTIVE"
                )
            if status["status"] == "ACTIVE" and later_active is None:
                later_active = i
        sweep += 1
    return first_active


def test_tokens_issued_alternately_on_three_instances_keep_one_arrival_order(cluster: Cluster) -> None:
    apis = cluster.instances
    cluster.set_policies(admitBatch=0)  # the line forms first
    concert = cluster.api.make_concert(seat_count=10)
    count = 30
    users = new_users(lambda i: apis[i % 3], count)

    # One at a time, instance 1, 2, 3, 1, ...: the issue order is the arrival order.
    tickets = [apis[i % 3].join(user, concert) for i, user in enumerate(users)]
    assert [t["status"] for t in tickets] == ["WAITING"] * count
    assert [t["position"] for t in tickets] == list(range(1, count + 1))

    # Every instance reports the same positions (asked on another instance than the issuer).
    for i, user in enumerate(users):
        status = status_of(apis[(i + 1) % 3], user)
        assert (status["status"], status["position"]) == ("WAITING", i + 1), (i, status)
    assert cluster.queue_stats(concert)["waiting"] == count

    # Admission in small rounds; whichever instance ticks, the order holds.
    cluster.set_policies(admitBatch=4, admitIntervalMs=250)
    first_active = watch_admission_order(cluster, users, ADMISSION_TIMEOUT_S)
    assert first_active == sorted(first_active), first_active
    assert len(set(first_active)) > 1, "everyone was admitted in one sweep: the order went unobserved"
    stats = cluster.queue_stats(concert)
    assert (stats["active"], stats["waiting"], stats["admittedTotal"]) == (count, 0, count)


def test_concurrent_tokens_on_three_instances_get_distinct_places_admitted_in_order(cluster: Cluster) -> None:
    apis = cluster.instances
    cluster.set_policies(admitBatch=0)
    concert = cluster.api.make_concert(seat_count=10)
    count = 60
    users = new_users(lambda i: apis[i % 3], count)

    barrier = threading.Barrier(12)

    def join(i: int) -> dict:
        if i < 12:
            barrier.wait(30)
        return apis[i % 3].join(users[i], concert)

    with ThreadPoolExecutor(12) as pool:
        tickets = list(pool.map(join, range(count)))
    positions = [t["position"] for t in tickets]
    # One global sequence: every place is taken exactly once.
    assert sorted(positions) == list(range(1, count + 1)), positions

    by_place = [users[i] for i in sorted(range(count), key=lambda i: positions[i])]
    for place, user in enumerate(by_place, start=1):
        assert status_of(apis[place % 3], user)["position"] == place

    cluster.set_policies(admitBatch=7, admitIntervalMs=200)
    first_active = watch_admission_order(cluster, by_place, ADMISSION_TIMEOUT_S)
    assert first_active == sorted(first_active), first_active
    assert len(set(first_active)) > 1


def test_admitted_users_never_exceed_max_active_with_three_tickers(cluster: Cluster) -> None:
    apis = cluster.instances
    max_active = 12
    count = 150
    cluster.set_policies(admitBatch=0)
    concert = cluster.api.make_concert(seat_count=10)
    users = new_users(lambda i: apis[i % 3], count)
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda i: apis[(i + 1) % 3].join(users[i], concert), range(count)))
    assert cluster.queue_stats(concert)["waiting"] == count

    # Batches as large as the cap, due on every tick of every instance.
    cluster.set_policies(maxActive=max_active, admitBatch=max_active, admitIntervalMs=10)

    # The operators' view, sampled on every instance in turn while users come and go.
    samples: list[int] = []
    stop = threading.Event()
    sampler_errors: list[BaseException] = []

    def sample() -> None:
        n = 0
        try:
            while not stop.is_set():
                samples.append(apis[n % 3].queue_stats(concert)["active"])
                n += 1
        except BaseException as exc:  # reported by the test below
            sampler_errors.append(exc)
        finally:
            for api in apis:
                api.close_thread_session()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    # The users' view: once admission has filled the free slots, sweep everyone still in line
    # (nobody leaves during a sweep, so the users seen ACTIVE are all admitted at its end): as
    # many ACTIVE as the cap allows, never more. Then half of them leave, and again.
    pending = list(range(count))
    admitted_once: Counter = Counter()
    deadline = time.monotonic() + 120
    sweep = 0
    try:
        with ThreadPoolExecutor(12) as pool:
            while pending:
                assert time.monotonic() < deadline, f"{len(pending)} users never admitted"
                expected = min(max_active, len(pending))
                wait_until(
                    lambda: apis[sweep % 3].queue_stats(concert)["active"] >= expected,
                    ADMISSION_TIMEOUT_S, f"{expected} users admitted",
                )
                statuses = list(pool.map(lambda i: status_of(apis[(i + sweep) % 3], users[i]), pending))
                assert {s["status"] for s in statuses} <= {"ACTIVE", "WAITING"}, statuses
                active = [i for i, s in zip(pending, statuses) if s["status"] == "ACTIVE"]
                assert len(active) == expected, f"{len(active)} users ACTIVE at once (cap {max_active})"
                leaving = active[: max(1, len(active) // 2)]
                admitted_once.update(leaving)
                list(pool.map(lambda i: expect(apis[i % 3].leave(users[i]), (200, 204)), leaving))
                gone = set(leaving)
                pending = [i for i in pending if i not in gone]
                sweep += 1
    finally:
        stop.set()
        sampler.join(30)
    assert not sampler_errors, sampler_errors
    assert samples, "no statistics sampled"
    assert max(samples) <= max_active, f"admin stats showed {max(samples)} active (max {max_active})"
    assert sorted(admitted_once) == list(range(count)) and set(admitted_once.values()) == {1}
    stats = cluster.queue_stats(concert)
    assert (stats["active"], stats["waiting"], stats["admittedTotal"]) == (0, 0, count)
    # Admitted users who left are gone from the line.
    assert apis[0].status(users[0]).status_code == 404
