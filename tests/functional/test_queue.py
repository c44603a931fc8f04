"""The waiting room: order, re-issue, admission caps, pause, polling hints, sold out, pre-queue."""

from conftest import BIG, Api, data_of, expect, expect_error, parallel


def statuses(api: Api, users: list) -> list:
    return [api.status_data(u) for u in users]


def positions(api: Api, users: list) -> list:
    return [s["position"] for s in statuses(api, users)]


def active(api: Api, users: list) -> list:
    return [s["status"] == "ACTIVE" for s in statuses(api, users)]


def test_positions_are_in_arrival_order(api: Api, concert) -> None:
    api.use_exact_admission()
    users = [api.new_user() for _ in range(5)]
    tickets = [api.join(u, concert) for u in users]
    assert [t["position"] for t in tickets] == [1, 2, 3, 4, 5]
    assert {t["status"] for t in tickets} == {"WAITING"}
    assert positions(api, users) == [1, 2, 3, 4, 5]

    api.admit(batch=2)
    views = statuses(api, users)
    assert [v["status"] for v in views] == ["ACTIVE"] * 2 + ["WAITING"] * 3
    assert [v["position"] for v in views] == [0, 0, 1, 2, 3]
    stats = api.queue_stats(concert)
    assert (stats["waiting"], stats["active"], stats["admittedTotal"]) == (3, 2, 2)


def test_reissued_token_keeps_the_place_and_retires_the_old_one(api: Api, concert) -> None:
    users = [api.new_user() for _ in range(3)]
    for u in users:
        api.join(u, concert)
    old_token = users[1].qt
    ticket = api.join(users[1], concert)
    assert ticket["token"] != old_token
    assert ticket["position"] == 2
    expect_error(api.status(old_token), 401, "invalid_token")
    assert positions(api, users) == [1, 2, 3]
    assert api.queue_stats(concert)["waiting"] == 3

    # Also once admitted: the new token is admitted, the old one is refused.
    api.admit()
    admitted_token = users[0].qt
    api.join(users[0], concert)
    assert api.status_data(users[0])["status"] == "ACTIVE"
    expect_error(api.status(admitted_token), 401, "invalid_token")
    expect_error(
        api.get(f"/api/v1/concert-events/{concert.event}/seats", queue=admitted_token,
                user=users[0]), 401, "invalid_token",
    )


def test_admit_batch_limits_each_round(api: Api, concert) -> None:
    api.use_exact_admission()
    users = [api.new_user() for _ in range(5)]
    for u in users:
        api.join(u, concert)
    api.admit(batch=2)
    assert active(api, users) == [True, True, False, False, False]
    api.admit(batch=2)
    assert active(api, users) == [True, True, True, True, False]
    api.admit(batch=2)
    assert all(active(api, users))


def test_max_active_caps_admitted_users(api: Api, concert) -> None:
    api.use_exact_admission()
    api.set_policies(maxActive=3)
    users = [api.new_user() for _ in range(5)]
    for u in users:
        api.join(u, concert)
    api.admit(batch=BIG)
    assert active(api, users) == [True, True, True, False, False]
    assert positions(api, users)[3:] == [1, 2]
    api.admit(batch=BIG)
    assert active(api, users) == [True, True, True, False, False]

    # Leaving frees the slot at once; the next round fills it.
    expect(api.leave(users[1]), (200, 204))
    assert api.queue_stats(concert)["active"] == 2
    api.admit(batch=BIG)
    assert [s["status"] for s in statuses(api, [users[0], users[2], users[3], users[4]])] == [
        "ACTIVE", "ACTIVE", "ACTIVE", "WAITING",
    ]
    assert api.status_data(users[4])["position"] == 1


def test_admit_batch_zero_pauses_admission(api: Api, concert) -> None:
    users = [api.new_user() for _ in range(3)]
    for u in users:
        api.join(u, concert)
    for _ in range(3):
        api.admit(batch=0)
    views = statuses(api, users)
    assert [v["status"] for v in views] == ["WAITING"] * 3
    assert [v["position"] for v in views] == [1, 2, 3]
    api.admit()
    assert all(active(api, users))


def test_poll_hint_and_eta_grow_with_the_position(api: Api, concert) -> None:
    # One admission per hour: a long line, estimated at the configured rate.
    api.use_exact_admission(interval_ms=3_600_000)
    users = parallel(lambda _: api.new_user(), range(30))
    for u in users:
        api.join(u, concert)
    api.admit(batch=0)  # the concert's last round is now: none is due for an hour
    api.set_policies(admitBatch=1)
    front, back = api.status_data(users[0]), api.status_data(users[-1])
    for view in (front, back):
        assert view["status"] == "WAITING"
        assert isinstance(view["pollAfterMs"], int) and view["pollAfterMs"] > 0
        # A client that obeys the hint keeps its place.
        assert view["pollAfterMs"] <= api.policies["waitingGraceSeconds"] * 1000 // 3
        assert isinstance(view["estimatedWaitingTime"], int)
    assert (front["position"], back["position"]) == (1, 30)
    assert front["pollAfterMs"] <= back["pollAfterMs"]
    assert 0 <= front["estimatedWaitingTime"] < back["estimatedWaitingTime"]


def test_leaving_gives_up_the_place(api: Api, concert) -> None:
    users = [api.new_user() for _ in range(3)]
    for u in users:
        api.join(u, concert)
    expect(api.leave(users[0]), (200, 204))
    expect_error(api.status(users[0]), 404, "queue_token_not_found")
    assert positions(api, users[1:]) == [1, 2]
    assert api.queue_stats(concert)["waiting"] == 2
    # Coming back means the back of the line.
    assert api.join(users[0], concert)["position"] == 3


def test_sold_out_once_every_seat_is_sold(api: Api) -> None:
    concert = api.make_concert(seat_count=2, price=10_000)
    buyer = api.admitted_user(concert, balance=20_000)
    waiting = api.new_user()
    api.join(waiting, concert)
    seats = api.seat_ids(buyer, concert.event)

    _, reservation = api.book(buyer, concert.event, seats)
    api.next_round()
    # Held seats may still come back: not sold out yet.
    assert api.status_data(waiting)["status"] == "WAITING"

    data_of(api.pay(buyer, reservation["id"]), 201)
    api.next_round()
    view = api.status_data(waiting)
    assert view["status"] == "SOLD_OUT"
    assert view["position"] == 1
    latecomer = api.new_user()
    api.join(latecomer, concert)
    assert api.status_data(latecomer)["status"] == "SOLD_OUT"


def test_pre_queue_is_shuffled_at_opening_then_fifo(api: Api) -> None:
    api.use_exact_admission(interval_ms=60_000)
    concert = api.make_concert(seat_count=10, opens_in_s=600)
    early = parallel(lambda _: api.new_user(), range(12))
    for u in early:  # one by one: a definite arrival order
        assert api.join(u, concert)["status"] == "WAITING"

    api.admit(batch=BIG)  # two minutes on the clock, still before the opening
    assert not any(active(api, early))

    api.advance(600_000)  # the sale is open
    late = [api.new_user() for _ in range(3)]
    for u in late:
        api.join(u, concert)

    early_positions = positions(api, early)
    assert sorted(early_positions) == list(range(1, 13))
    assert positions(api, late) == [13, 14, 15]
    # Arrival order before the opening counts for nothing (1 in 12! to fail by chance).
    assert early_positions != list(range(1, 13))

    everyone = early + late
    by_position = [u for _, u in sorted(zip(early_positions + [13, 14, 15], everyone),
                                        key=lambda pair: pair[0])]
    for admitted_so_far in (5, 10, 15):
        api.admit(batch=5)
        flags = dict(zip([u.id for u in everyone], active(api, everyone)))
        assert [flags[u.id] for u in by_position] == [True] * admitted_so_far + [False] * (
            15 - admitted_so_far
        )
