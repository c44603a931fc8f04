"""The eight defects of the reference service (SPEC §5), each shown fixed."""

import uuid

import pytest

from conftest import Api, data_of, expect, expect_4xx, expect_error, held_seat_ids


def test_1_expired_hold_releases_its_seats_without_a_sweeper(api: Api, concert) -> None:
    api.set_policies(holdTtlSeconds=60)
    first = api.admitted_user(concert)
    second = api.admitted_user(concert)
    seats = api.seat_ids(first, concert.event)[:2]
    data_of(api.hold(first, concert.event, seats), 201)
    expect_error(api.hold(second, concert.event, seats), 409, "seat_unavailable")

    api.advance(61_000)  # no tick: nothing swept
    states = api.seat_states(second, concert.event)
    assert [states[s] for s in seats] == ["AVAILABLE", "AVAILABLE"]
    assert set(seats) <= {s["id"] for s in api.available_seats(second, concert.event)}
    hold = data_of(api.hold(second, concert.event, seats), 201)
    assert held_seat_ids(hold) == sorted(seats)


def test_1_hold_ttl_policy_applies_to_new_holds_only(api: Api, concert) -> None:
    user = api.admitted_user(concert)
    other = api.admitted_user(concert)
    seats = api.seat_ids(user, concert.event)
    data_of(api.hold(user, concert.event, seats[:1]), 201)  # 300 s
    api.set_policies(holdTtlSeconds=30)
    data_of(api.hold(user, concert.event, seats[1:2]), 201)  # 30 s
    api.advance(31_000)
    states = api.seat_states(other, concert.event)
    assert (states[seats[0]], states[seats[1]]) == ("HELD", "AVAILABLE")


def test_2_pay_checks_that_the_reservation_is_the_payers(api: Api, concert) -> None:
    owner = api.admitted_user(concert, balance=50_000)
    thief = api.admitted_user(concert, balance=50_000)
    _, reservation = api.book(owner, concert.event, api.seat_ids(owner, concert.event)[:1])
    expect_error(api.pay(thief, reservation["id"]), 404, "reservation_not_found")
    assert api.balance(thief) == 50_000 and api.payments(thief) == []
    assert api.reservation(owner, reservation["id"])["status"] == "PENDING"
    data_of(api.pay(owner, reservation["id"]), 201)


def test_3_failed_payment_leaves_nothing_half_written(api: Api, concert) -> None:
    user = api.admitted_user(concert, balance=15_000)
    observer = api.admitted_user(concert)
    seats = api.seat_ids(user, concert.event)[:2]  # 20,000 due
    _, reservation = api.book(user, concert.event, seats)
    ledger_before = api.ledger(user)

    expect_error(api.pay(user, reservation["id"]), 409, "insufficient_balance")
    assert api.balance(user) == 15_000
    assert api.ledger(user) == ledger_before
    assert api.payments(user) == []
    assert api.reservation(user, reservation["id"])["status"] == "PENDING"
    states = api.seat_states(observer, concert.event)
    assert [states[s] for s in seats] == ["HELD", "HELD"]
    assert api.status_data(user)["status"] == "ACTIVE"  # the slot is not given up either

    # Topping up makes the same reservation payable, once.
    data_of(api.charge(user, 5_000))
    payment = data_of(api.pay(user, reservation["id"]), 201)
    assert payment["amount"] == 20_000
    balance, rows = api.assert_ledger_matches(user)
    assert balance == 0 and len(rows) == len(ledger_before) + 2
    states = api.seat_states(observer, concert.event)
    assert [states[s] for s in seats] == ["RESERVED", "RESERVED"]


def test_4_idle_admitted_user_is_evicted(api: Api, concert) -> None:
    api.set_policies(activeIdleTtlSeconds=60)
    idle = api.admitted_user(concert)
    busy = api.admitted_user(concert)
    assert api.queue_stats(concert)["active"] == 2

    api.advance(40_000)
    api.seat_ids(busy, concert.event)  # any request renews the idle deadline
    api.advance(30_000)
    api.tick()

    expect_error(api.status(idle), 404, "queue_token_not_found")
    expect_error(api.hold(idle, concert.event, [1]), 404, "queue_token_not_found")
    assert api.status_data(busy)["status"] == "ACTIVE"
    assert api.queue_stats(concert)["active"] == 1


def test_4_waiting_user_who_stops_polling_loses_the_place(api: Api, concert) -> None:
    api.set_policies(waitingGraceSeconds=30)
    gone = api.new_user()
    polling = api.new_user()
    api.join(gone, concert)
    api.join(polling, concert)
    assert api.status_data(polling)["position"] == 2

    for _ in range(3):
        api.advance(20_000)
        assert api.status_data(polling)["status"] == "WAITING"
    api.tick()

    expect_error(api.status(gone), 404, "queue_token_not_found")
    assert api.status_data(polling)["position"] == 1
    api.admit()
    assert api.status_data(polling)["status"] == "ACTIVE"


def test_5_idempotent_charge(api: Api) -> None:
    user = api.new_user()
    key = str(uuid.uuid4())
    first = api.charge(user, 7_000, key=key)
    again = api.charge(user, 7_000, key=key)
    assert data_of(first)["balance"] == 7_000
    assert again.status_code == first.status_code and again.content == first.content
    balance, rows = api.assert_ledger_matches(user)
    assert balance == 7_000 and len(rows) == 1
    expect_error(api.charge(user, 8_000, key=key), 409, "idempotency_key_reused")
    # Keys belong to their user: another user's identical key is unrelated.
    other = api.new_user()
    assert data_of(api.charge(other, 8_000, key=key))["balance"] == 8_000


def test_5_idempotent_payment(api: Api, concert) -> None:
    user = api.admitted_user(concert, balance=50_000)
    _, reservation = api.book(user, concert.event, api.seat_ids(user, concert.event)[:1])
    key = str(uuid.uuid4())
    first = api.pay(user, reservation["id"], key=key)
    data_of(first, 201)
    again = api.pay(user, reservation["id"], key=key)
    assert again.status_code == 201 and again.content == first.content
    # A client whose answer was lost retries later, after the slot was given back: it still
    # learns that it paid, rather than being told it has no place in the queue.
    api.tick()
    later = api.pay(user, reservation["id"], key=key)
    assert later.status_code == 201 and later.content == first.content, later.text
    assert api.balance(user) == 40_000
    assert len(api.payments(user)) == 1


def test_6_wallet_endpoints_need_the_owner(api: Api) -> None:
    owner, other = api.new_user(), api.new_user()
    base = f"/api/v1/users/{owner.id}"
    reads = ["/wallet", "/wallet/transactions", "/payments", "/reservations"]
    for path in reads:
        expect_error(api.get(base + path), 401, "unauthenticated")
        expect_error(api.get(base + path, user=other), 403, "forbidden")
        expect(api.get(base + path, user=owner), 200)
    charge = {"json": {"amount": 1_000}, "key": str(uuid.uuid4())}
    expect_error(api.patch(base + "/wallet/charge", **charge), 401, "unauthenticated")
    expect_error(api.patch(base + "/wallet/charge", user=other, **charge), 403, "forbidden")
    assert api.balance(owner) == 0 and api.balance(other) == 0


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("POST", "/api/v1/users", b"{"),
        ("POST", "/api/v1/users", b"[]"),
        ("POST", "/api/v1/queue/token", b'{"concertId": "x"}'),
        ("PATCH", "/api/v1/users/{user}/wallet/charge", b'{"amount": "lots"}'),
        ("PATCH", "/api/v1/users/{user}/wallet/charge", b"\xff\xfe"),
        ("POST", "/api/v1/payments", b'{"reservationId": {}}'),
    ],
    ids=["truncated", "array", "string-id", "string-amount", "not-utf8", "object-id"],
)
def test_7_malformed_input_is_a_4xx_not_a_500(api: Api, method: str, path: str, body: bytes) -> None:
    user = api.new_user()
    resp = api.call(
        method, path.format(user=user.id), data=body, user=user, key=str(uuid.uuid4())
    )
    error = expect_4xx(resp)
    if path != "/api/v1/payments":  # that one fails earlier: no User-Token
        assert resp.status_code == 400 and error["code"] in ("invalid_request", "invalid_amount")


def test_8_unpaid_reservation_expires_and_frees_its_seats(api: Api, concert) -> None:
    api.set_policies(holdTtlSeconds=60)
    user = api.admitted_user(concert, balance=50_000)
    other = api.admitted_user(concert)
    seats = api.seat_ids(user, concert.event)[:2]
    _, reservation = api.book(user, concert.event, seats)

    api.advance(61_000)
    states = api.seat_states(other, concert.event)
    assert [states[s] for s in seats] == ["AVAILABLE", "AVAILABLE"]  # even before the sweeper
    expect_error(api.pay(user, reservation["id"]), 409, "reservation_expired")

    api.tick()
    assert api.reservation(user, reservation["id"])["status"] == "EXPIRED"
    data_of(api.hold(other, concert.event, seats), 201)
    assert api.balance(user) == 50_000
