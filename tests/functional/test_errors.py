"""Every wire error code, provoked at least once, with its status and the error envelope."""

import datetime as dt
import sqlite3
import threading
import uuid

import pytest
import requests

from conftest import (
    Api,
    data_of,
    expect,
    expect_error,
    iso,
    jwt_decode,
    jwt_encode,
    jwt_resign,
    list_of,
    parallel,
)

MAX_CHARGE = 100_000_000
MAX_BALANCE = 1_000_000_000_000


# -- 400 --------------------------------------------------------------------------------------


def test_invalid_request_malformed_json(api: Api) -> None:
    expect_error(api.post("/api/v1/users", data=b'{"name": "Kim"'), 400, "invalid_request")


@pytest.mark.parametrize("amount", [0, -1, MAX_CHARGE + 1])
def test_invalid_amount(api: Api, amount: int) -> None:
    user = api.new_user()
    expect_error(api.charge(user, amount), 400, "invalid_amount")
    assert api.balance(user) == 0


def test_too_many_seats(api: Api, concert) -> None:
    user = api.admitted_user(concert)
    seats = api.seat_ids(user, concert.event)
    expect_error(api.hold(user, concert.event, seats[:5]), 400, "too_many_seats")
    api.set_policies(maxSeatsPerHold=5)
    data_of(api.hold(user, concert.event, seats[:5]), 201)


# -- 413 --------------------------------------------------------------------------------------


def test_payload_too_large(api: Api) -> None:
    body = b'{"name": "' + b"x" * (1 << 20) + b'"}'
    try:
        resp = api.post("/api/v1/users", data=body)
    except requests.ConnectionError as exc:
        pytest.fail(f"the server dropped the connection instead of answering 413: {exc!r}")
    expect_error(resp, 413, "payload_too_large")
    assert api.get("/healthz").status_code == 200


# -- 401 / 403 --------------------------------------------------------------------------------


def test_invalid_token(api: Api) -> None:
    user = api.new_user()
    expect_error(api.get(f"/api/v1/users/{user.id}/wallet", bearer="not-a-jwt"), 401, "invalid_token")
    expect_error(api.status("not-a-jwt"), 401, "invalid_token")


def test_unauthenticated(api: Api) -> None:
    user = api.new_user()
    expect_error(api.get(f"/api/v1/users/{user.id}/wallet"), 401, "unauthenticated")
    expect_error(api.post("/api/v1/queue/token", json={"concertId": 1}), 401, "unauthenticated")
    expect_error(api.get("/api/v1/admin/policies"), 401, "unauthenticated")


def test_forbidden(api: Api) -> None:
    owner, other = api.new_user(), api.new_user()
    expect_error(api.get(f"/api/v1/users/{owner.id}/wallet", user=other), 403, "forbidden")
    charge = api.patch(
        f"/api/v1/users/{owner.id}/wallet/charge", user=other, key=str(uuid.uuid4()),
        json={"amount": 1_000},
    )
    expect_error(charge, 403, "forbidden")
    expect_error(api.get(f"/api/v1/users/{owner.id}/reservations", user=other), 403, "forbidden")


def test_forbidden_when_signup_is_disabled(start_server) -> None:
    _, own = start_server(SIGNUP_ENABLED="false")
    expect_error(own.post("/api/v1/users", json={"name": "Kim"}), 403, "forbidden")


def test_invalid_token_once_the_access_token_expired(start_server) -> None:
    _, own = start_server(ACCESS_TOKEN_TTL_SECONDS=60)
    user = own.new_user()
    own.advance(59_000)
    assert own.balance(user) == 0
    own.advance(2_000)
    expect_error(own.get(f"/api/v1/users/{user.id}/wallet", user=user), 401, "invalid_token")


def test_token_not_processable(api: Api, concert) -> None:
    user = api.new_user()
    api.join(user, concert)  # admission is paused: the user keeps waiting
    expect_error(
        api.get(f"/api/v1/concerts/{concert.id}/available-events", queue=user), 403,
        "token_not_processable",
    )
    expect_error(
        api.get(f"/api/v1/concert-events/{concert.event}/seats", queue=user), 403,
        "token_not_processable",
    )


def test_token_not_processable_for_another_concerts_date(api: Api, concert) -> None:
    elsewhere = api.make_concert()
    user = api.admitted_user(concert)
    expect_error(
        api.get(f"/api/v1/concert-events/{elsewhere.event}/seats", queue=user), 403,
        "token_not_processable",
    )
    expect_error(api.hold(user, elsewhere.event, [1]), 403, "token_not_processable")
    expect_error(
        api.get(f"/api/v1/concerts/{elsewhere.id}/available-events", queue=user), 403,
        "token_not_processable",
    )


def test_occupation_invalid(api: Api, concert) -> None:
    owner = api.admitted_user(concert)
    other = api.admitted_user(concert)
    hold = data_of(api.hold(owner, concert.event, api.seat_ids(owner, concert.event)[:1]), 201)
    expect_error(api.reserve(other, concert.event, hold["id"]), 403, "occupation_invalid")
    expect_error(api.release(other, hold["id"]), 403, "occupation_invalid")
    # The hold is untouched and its owner can still reserve it, but only for its own date.
    second_date = data_of(api.create_event(concert.id), 201)["id"]
    expect_error(api.reserve(owner, second_date, hold["id"]), 403, "occupation_invalid")
    data_of(api.reserve(owner, concert.event, hold["id"]), 201)


# -- 404 --------------------------------------------------------------------------------------


def test_not_found_route(api: Api) -> None:
    expect_error(api.get("/api/v1/no-such-thing"), 404, "not_found")
    expect_error(api.get("/nope"), 404, "not_found")


def test_user_not_found(api: Api) -> None:
    user = api.new_user()
    _, claims = jwt_decode(user.token)
    ghost_id = user.id + 10_000_000
    ghost_sub = str(ghost_id) if isinstance(claims["sub"], str) else ghost_id
    ghost = jwt_resign(user.token, api.server.jwt_secret, sub=ghost_sub)
    # The forged token is well signed and names an id that does not exist.
    expect_error(api.get(f"/api/v1/users/{ghost_id}/wallet", bearer=ghost), 404, "user_not_found")


def test_concert_not_found(api: Api) -> None:
    user = api.new_user()
    expect_error(
        api.post("/api/v1/queue/token", user=user, json={"concertId": 987_654_321}), 404,
        "concert_not_found",
    )
    expect_error(api.create_event(987_654_321), 404, "concert_not_found")


def test_concert_event_not_found(api: Api, concert) -> None:
    user = api.admitted_user(concert)
    expect_error(api.hold(user, 987_654_321, [1]), 404, "concert_event_not_found")
    expect_error(
        api.get("/api/v1/concert-events/987654321/seats", queue=user), 404, "concert_event_not_found"
    )


def test_seat_not_found(api: Api) -> None:
    concert = api.make_concert(seat_count=3, dates=2)
    user = api.admitted_user(concert)
    expect_error(api.hold(user, concert.events[0], [987_654_321]), 404, "seat_not_found")
    # A seat of the other date is not a seat of this one.
    other_date_seat = api.seat_ids(user, concert.events[1])[0]
    expect_error(api.hold(user, concert.events[0], [other_date_seat]), 404, "seat_not_found")


def test_occupation_not_found(api: Api, concert) -> None:
    user = api.admitted_user(concert)
    expect_error(api.reserve(user, concert.event, 987_654_321), 404, "occupation_not_found")
    expect_error(api.release(user, 987_654_321), 404, "occupation_not_found")


def test_reservation_not_found(api: Api, concert) -> None:
    owner = api.admitted_user(concert, balance=100_000)
    other = api.admitted_user(concert, balance=100_000)
    expect_error(api.pay(owner, 987_654_321), 404, "reservation_not_found")
    expect_error(api.cancel(owner, 987_654_321), 404, "reservation_not_found")
    _, reservation = api.book(owner, concert.event, api.seat_ids(owner, concert.event)[:1])
    # Someone else's reservation is indistinguishable from a missing one.
    expect_error(api.cancel(other, reservation["id"]), 404, "reservation_not_found")
    expect_error(api.pay(other, reservation["id"]), 404, "reservation_not_found")
    assert api.reservation(owner, reservation["id"])["status"] == "PENDING"


def test_queue_token_not_found(api: Api, concert) -> None:
    user = api.new_user()
    api.join(user, concert)
    expect(api.leave(user), (200, 204))
    expect_error(api.status(user), 404, "queue_token_not_found")


# -- 405 --------------------------------------------------------------------------------------


def test_method_not_allowed(api: Api) -> None:
    expect_error(api.delete("/api/v1/concerts"), 405, "method_not_allowed")
    expect_error(api.put("/api/v1/users", json={"name": "x"}), 405, "method_not_allowed")


# -- 409 --------------------------------------------------------------------------------------


def test_seat_unavailable(api: Api, concert) -> None:
    first = api.admitted_user(concert)
    second = api.admitted_user(concert)
    seats = api.seat_ids(first, concert.event)
    data_of(api.hold(first, concert.event, seats[:2]), 201)
    # All or nothing: one taken seat fails the whole hold and holds nothing.
    expect_error(api.hold(second, concert.event, [seats[2], seats[1]]), 409, "seat_unavailable")
    assert api.seat_states(second, concert.event)[seats[2]] == "AVAILABLE"


def test_occupation_already_expired(api: Api, concert) -> None:
    api.set_policies(holdTtlSeconds=60)
    user = api.admitted_user(concert)
    hold = data_of(api.hold(user, concert.event, api.seat_ids(user, concert.event)[:1]), 201)
    api.advance(61_000)
    expect_error(api.reserve(user, concert.event, hold["id"]), 409, "occupation_already_expired")
    expect_error(api.release(user, hold["id"]), 409, "occupation_already_expired")


def test_occupation_already_released(api: Api, concert) -> None:
    user = api.admitted_user(concert)
    hold = data_of(api.hold(user, concert.event, api.seat_ids(user, concert.event)[:1]), 201)
    expect(api.release(user, hold["id"]), (200, 204))
    expect_error(api.release(user, hold["id"]), 409, "occupation_already_released")
    expect_error(api.reserve(user, concert.event, hold["id"]), 409, "occupation_already_released")
    # Reserving turns the hold into a reservation: it cannot be reserved twice.
    second = data_of(api.hold(user, concert.event, api.seat_ids(user, concert.event)[:1]), 201)
    data_of(api.reserve(user, concert.event, second["id"]), 201)
    expect_error(api.reserve(user, concert.event, second["id"]), 409, "occupation_already_released")


def test_reservation_already_confirmed(api: Api, concert) -> None:
    user = api.admitted_user(concert, balance=100_000)
    _, reservation = api.book(user, concert.event, api.seat_ids(user, concert.event)[:1])
    data_of(api.pay(user, reservation["id"]), 201)
    expect_error(api.cancel(user, reservation["id"]), 409, "reservation_already_confirmed")


def test_reservation_already_confirmed_on_second_payment(api: Api, concert) -> None:
    user = api.admitted_user(concert, balance=100_000)
    _, reservation = api.book(user, concert.event, api.seat_ids(user, concert.event)[:1])
    data_of(api.pay(user, reservation["id"]), 201)
    # Paying gives the waiting-room slot back, so the user queues again to try once more.
    api.tick()
    api.join(user, concert)
    api.admit()
    expect_error(api.pay(user, reservation["id"]), 409, "reservation_already_confirmed")
    assert api.balance(user) == 100_000 - concert.price


def test_reservation_expired(api: Api, concert) -> None:
    user = api.admitted_user(concert, balance=100_000)
    seats = api.seat_ids(user, concert.event)
    _, cancelled = api.book(user, concert.event, seats[:1])
    data_of(api.cancel(user, cancelled["id"]), 200)
    expect_error(api.cancel(user, cancelled["id"]), 409, "reservation_expired")
    expect_error(api.pay(user, cancelled["id"]), 409, "reservation_expired")
    # Past the hold's deadline an unpaid reservation cannot be paid.
    _, lapsed = api.book(user, concert.event, seats[1:2])
    api.advance((api.policies["holdTtlSeconds"] + 1) * 1000)
    expect_error(api.pay(user, lapsed["id"]), 409, "reservation_expired")
    assert api.balance(user) == 100_000


def test_reservation_expired_on_cancel_past_the_deadline(api: Api, concert) -> None:
    # Past its deadline a reservation is expired whether or not the sweeper has run yet, as a
    # lapsed hold is: cancelling it cannot turn it into CANCELLED.
    user = api.admitted_user(concert)
    _, lapsed = api.book(user, concert.event, api.seat_ids(user, concert.event)[:1])
    api.advance((api.policies["holdTtlSeconds"] + 1) * 1000)
    expect_error(api.cancel(user, lapsed["id"]), 409, "reservation_expired")
    api.tick()
    assert api.reservation(user, lapsed["id"])["status"] == "EXPIRED"


def test_insufficient_balance(api: Api, concert) -> None:
    user = api.admitted_user(concert, balance=concert.price - 1)
    _, reservation = api.book(user, concert.event, api.seat_ids(user, concert.event)[:1])
    expect_error(api.pay(user, reservation["id"]), 409, "insufficient_balance")


def test_idempotency_key_reused(api: Api) -> None:
    user = api.new_user()
    key = str(uuid.uuid4())
    data_of(api.charge(user, 1_000, key=key))
    expect_error(api.charge(user, 2_000, key=key), 409, "idempotency_key_reused")
    assert api.balance(user) == 1_000


def crash_mid_stream(srv, own: Api, user, writers: int = 12) -> tuple[list, list]:
    """Charges 1 won with fresh keys from many clients, then freezes every database write and
    kills the server. Returns the keys answered 200 and the keys whose fate the client never
    learned."""
    acked: list = []
    unknown: list = []
    stop = threading.Event()
    enough = threading.Event()

    def stream(index: int) -> None:
        while not stop.is_set():
            # Once enough charges are answered, three clients go on: the server's writers take
            # turns without a gap, so under twelve clients the lock below could wait for a long
            # time (and the ledger outgrow one page); under three, the writes have gaps.
            if index > 2 and enough.is_set():
                return
            key = str(uuid.uuid4())
            try:
                resp = own.charge(user, 1, key=key)
            except requests.RequestException:
                unknown.append(key)
                return
            if resp.status_code == 200:
                acked.append(key)
                if len(acked) >= 100:
                    enough.set()
            else:
                unknown.append(key)

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    enough.wait(20)
    lock = sqlite3.connect(str(srv.db_path), timeout=10, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        srv.kill()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    stop.set()
    for thread in threads:
        thread.join(30)
    return acked, unknown


def test_a_crash_leaves_no_key_in_flight(start_server) -> None:
    """A key's record commits with its charge (ADR 0003), so a crash leaves no key in flight:
    retrying every key whose answer was lost gets 200 at once, a replay for exactly the keys
    whose charge committed before the crash and a first charge for the others. Every
    acknowledged charge survives and none is applied twice."""
    # Full sync makes commits slow, so a crash often falls while requests are unanswered.
    srv, own = start_server(RATE_LIMIT_PER_SECOND=0, DB_SYNCHRONOUS="full")
    for _ in range(2):
        user = own.new_user()  # a short ledger per round
        acked, unknown = crash_mid_stream(srv, own, user)
        assert acked and unknown, (len(acked), len(unknown))
        srv.start()
        own = Api(srv)
        balance, _ = own.assert_ledger_matches(user)
        committed_unknown = balance - len(acked)
        assert 0 <= committed_unknown <= len(unknown)

        retries = parallel(lambda key: own.charge(user, 1, key=key), unknown, workers=len(unknown))
        for resp in retries:
            assert resp.status_code == 200, f"{resp.status_code} {resp.text[:300]}"
        replays = sum(1 for r in retries if r.headers.get("Idempotent-Replay") == "true")
        assert replays == committed_unknown
        after, _ = own.assert_ledger_matches(user)
        assert after == len(acked) + len(unknown)  # each key applied exactly once


def test_wallet_limit_exceeded(api: Api) -> None:
    user = api.new_user()
    charges = MAX_BALANCE // MAX_CHARGE

    def charge(_: int) -> int:
        return api.charge(user, MAX_CHARGE).status_code

    statuses = parallel(charge, range(charges), workers=8)
    assert statuses.count(200) == charges, {s: statuses.count(s) for s in set(statuses)}
    assert api.balance(user) == MAX_BALANCE
    expect_error(api.charge(user, 1), 409, "wallet_limit_exceeded")
    assert api.balance(user) == MAX_BALANCE


# -- 422 --------------------------------------------------------------------------------------


def test_reservation_not_opened_for_a_date_not_yet_on_sale(api: Api, concert) -> None:
    later = data_of(api.create_event(concert.id, opens_in_s=86_400), 201)["id"]
    user = api.admitted_user(concert)
    dates = list_of(api.get(f"/api/v1/concerts/{concert.id}/available-events", queue=user))
    assert [d["id"] for d in dates] == [concert.event]
    seat = api.seat_ids(user, later)[0]
    expect_error(api.hold(user, later, [seat]), 422, "reservation_not_opened")


def test_reservation_not_opened_when_sale_is_over(api: Api) -> None:
    concert_id = data_of(api.create_concert(), 201)["id"]
    now = api.server_now().replace(microsecond=0)
    body = api.event_body(
        reservationStartAt=iso(now - dt.timedelta(days=3)),
        reservationEndAt=iso(now - dt.timedelta(days=2)),
        startAt=iso(now - dt.timedelta(days=1)),
    )
    data_of(api.post(f"/api/v1/admin/concerts/{concert_id}/events", admin=True, json=body), 201)
    user = api.new_user()
    expect_error(
        api.post("/api/v1/queue/token", user=user, json={"concertId": concert_id}), 422,
        "reservation_not_opened",
    )


# -- 429 / 503 --------------------------------------------------------------------------------


def test_rate_limited(start_server) -> None:
    srv, own = start_server(baseline=False, RATE_LIMIT_PER_SECOND=1, RATE_LIMIT_BURST=1)
    responses = [own.get("/api/v1/concerts") for _ in range(5)]
    assert responses[0].status_code == 200
    limited = [r for r in responses if r.status_code == 429]
    assert limited, [r.status_code for r in responses]
    expect_error(limited[0], 429, "rate_limited")
    assert int(limited[0].headers["Retry-After"]) >= 1


def test_rate_limit_is_per_credential(start_server) -> None:
    srv, own = start_server(baseline=False, RATE_LIMIT_PER_SECOND=1, RATE_LIMIT_BURST=1)
    wallet = "/api/v1/users/{}/wallet"
    # Tokens made with the server's secret, so no sign-up request spends the budget.
    first = jwt_encode({"alg": "HS256", "typ": "JWT"},
                       {"sub": "1", "typ": "access", "exp": 4_102_444_800}, srv.jwt_secret)
    second = jwt_encode({"alg": "HS256", "typ": "JWT"},
                        {"sub": "2", "typ": "access", "exp": 4_102_444_800}, srv.jwt_secret)
    answers = [own.get(wallet.format(1), bearer=first) for _ in range(3)]
    expect_error(answers[0], 404, "user_not_found")  # the token was accepted
    assert 429 in [r.status_code for r in answers]
    expect_error(own.get(wallet.format(2), bearer=second), 404, "user_not_found")


def test_unavailable_while_the_database_is_locked(start_server) -> None:
    srv, own = start_server(DB_BUSY_TIMEOUT_MS=100)
    user = own.new_user()
    key = str(uuid.uuid4())
    lock = sqlite3.connect(str(srv.db_path), timeout=10, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        expect_error(own.charge(user, 5_000, key=key), 503, "unavailable")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    # Nothing was written, and the same request (same key) now goes through once.
    assert data_of(own.charge(user, 5_000, key=key))["balance"] == 5_000
    assert own.assert_ledger_matches(user)[0] == 5_000
