"""Sign-ups and charges that arrive together are served in batches (ADR 0021). Through the real
binary, racing: every request is answered as it would be alone, each write applies once, and a
request that cannot go through with its batch is answered on its own."""

import uuid

from conftest import Api, data_of, expect_error, external_url, parallel


def labelled(text: str, name: str, kind: str) -> float | None:
    """The value of series `name{kind="..."}` in a /metrics text, None when absent."""
    prefix = f'{name}{{kind="{kind}"}} '
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix):])
    return None


def test_many_sign_ups_and_charges_at_once_each_apply_once(api: Api) -> None:
    before = "" if external_url() else api.get("/metrics").text
    users = parallel(lambda i: api.new_user(f"batch user {i}"), range(40), workers=16)
    assert len({user.id for user in users}) == len(users)
    assert all(user.name == f"batch user {i}" for i, user in enumerate(users))

    # Each user charges twice with one key, all at once. One of them sends another amount the
    # second time: one of its two is charged, the other refused as a reused key, whichever
    # batch each lands in.
    mixed = users[0]
    keys = {user.id: str(uuid.uuid4()) for user in users}
    calls = [(user, 100 + i) for i, user in enumerate(users)]
    calls += [(user, 100 + i + (1 if user is mixed else 0)) for i, user in enumerate(users)]
    responses = parallel(lambda call: api.charge(call[0], call[1], key=keys[call[0].id]), calls,
                         workers=32)

    for i, user in enumerate(users):
        mine = [(amount, resp) for (who, amount), resp in zip(calls, responses) if who is user]
        balance = api.balance(user)
        assert balance == sum(row["amount"] for row in api.ledger(user))
        if user is mixed:
            charged = [amount for amount, resp in mine if resp.status_code == 200]
            refused = [resp for _, resp in mine if resp.status_code != 200]
            assert len(charged) == 1 and len(refused) == 1, [r.text for _, r in mine]
            expect_error(refused[0], 409, "idempotency_key_reused")
            assert balance == charged[0]
            continue
        for amount, resp in mine:
            assert data_of(resp) == {"balance": amount}
        assert balance == 100 + i
        replays = [resp.headers.get("Idempotent-Replay") == "true" for _, resp in mine]
        assert replays.count(True) == 1, f"user {i}: one charge, one replay"

    if before:  # one server: its own counts
        after = api.get("/metrics").text
        for kind, count in (("signup", len(users)), ("charge", len(calls))):
            requests = labelled(after, "boxoffice_batched_requests_total", kind)
            batches = labelled(after, "boxoffice_request_batches_total", kind)
            assert requests is not None and batches is not None, kind
            assert requests - labelled(before, "boxoffice_batched_requests_total", kind) >= count
            assert 1 <= batches <= requests


def test_many_reservations_at_once_each_get_their_own_hold_and_seats(api: Api) -> None:
    concert = api.make_concert(seat_count=24, price=1_000)
    users = api.admitted_users(concert, 12)
    seat_ids = api.seat_ids(users[0], concert.event)
    holds = [data_of(api.hold(user, concert.event, seat_ids[2 * i:2 * i + 2]), 201)
             for i, user in enumerate(users)]

    # Everyone reserves at once; the first user also tries the second user's hold, and the
    # second reserves its own hold twice.
    calls = [(user, hold["id"]) for user, hold in zip(users, holds)]
    calls += [(users[0], holds[1]["id"]), (users[1], holds[1]["id"])]
    responses = parallel(lambda call: api.reserve(call[0], concert.event, call[1]), calls,
                         workers=len(calls))

    expect_error(responses[len(users)], 403, "occupation_invalid")
    by_hold = {}
    for (user, hold_id), resp in zip(calls, responses):
        if resp.status_code == 201:
            by_hold.setdefault(hold_id, []).append(data_of(resp, 201))
    assert sorted(by_hold) == sorted(hold["id"] for hold in holds), "each hold reserved once"
    assert all(len(reservations) == 1 for reservations in by_hold.values())
    second = [resp for (user, hold_id), resp in zip(calls, responses)
              if user is users[1] and hold_id == holds[1]["id"]]
    assert sorted(resp.status_code for resp in second) == [201, 409]
    expect_error(next(r for r in second if r.status_code == 409), 409,
                 "occupation_already_released")

    if not external_url():  # one server: its own counts
        metrics = api.get("/metrics").text
        assert labelled(metrics, "boxoffice_batched_requests_total", "reservation") >= len(calls)
    for user, hold in zip(users, holds):
        (reservation,) = by_hold[hold["id"]]
        assert reservation["totalSeats"] == 2
        assert reservation["totalAmount"] == 2_000
        assert reservation["status"] == "PENDING"
        listed = [r for r in api.reservations(user) if r["id"] == reservation["id"]]
        assert len(listed) == 1, "the reservation is the user's own"


def test_many_payments_at_once_each_pay_once_with_their_own_money(api: Api) -> None:
    concert = api.make_concert(seat_count=24, price=1_000)
    users = api.admitted_users(concert, 11, balance=5_000)
    poor = api.admitted_user(concert, balance=1_001)  # for 2,000's worth of seats
    users.append(poor)
    seat_ids = api.seat_ids(users[0], concert.event)
    reservations = [api.book(user, concert.event, seat_ids[2 * i:2 * i + 2])[1]
                    for i, user in enumerate(users)]
    keys = [str(uuid.uuid4()) for _ in users]

    # Everyone pays at once; the first user also pays again with the same key, and the second
    # tries the third user's reservation.
    calls = [(user, r["id"], key) for user, r, key in zip(users, reservations, keys)]
    calls += [(users[0], reservations[0]["id"], keys[0]),
              (users[1], reservations[2]["id"], str(uuid.uuid4()))]
    responses = parallel(lambda call: api.pay(call[0], call[1], key=call[2]), calls,
                         workers=len(calls))

    expect_error(responses[-1], 404, "reservation_not_found")
    first, repeat = responses[0], responses[len(users)]
    assert first.status_code == repeat.status_code == 201, (first.text, repeat.text)
    assert data_of(first, 201) == data_of(repeat, 201)
    assert sorted(r.headers.get("Idempotent-Replay") == "true" for r in (first, repeat)) == [
        False, True]
    for i, (user, reservation) in enumerate(zip(users, reservations)):
        resp = responses[i]
        balance = api.balance(user)
        assert balance == sum(row["amount"] for row in api.ledger(user))
        if user is poor:
            expect_error(resp, 409, "insufficient_balance")
            assert balance == 1_001
            assert api.reservation(user, reservation["id"])["status"] == "PENDING"
            continue
        payment = data_of(resp, 201)
        assert payment["reservationId"] == reservation["id"]
        assert payment["amount"] == 2_000
        assert balance == 3_000
        assert api.reservation(user, reservation["id"])["status"] == "CONFIRMED"
        assert [p["id"] for p in api.payments(user)] == [payment["id"]]
