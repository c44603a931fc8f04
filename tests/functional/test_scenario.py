"""The reference scenario end to end: sign up, charge, queue, get admitted, pick a date and seats,
hold, reserve, pay, and leave the waiting room."""

import datetime as dt
import http.server
import json
import re
import threading

from conftest import Api, data_of, expect, expect_error, held_seat_ids, list_of

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def parse_iso(text: str) -> dt.datetime:
    assert ISO_UTC.match(text), f"not an ISO-8601 UTC time: {text!r}"
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_reference_scenario(api: Api) -> None:
    concert = api.make_concert(seat_count=10, price=10_000)
    event_id = concert.event

    # Sign up and charge.
    created = data_of(api.post("/api/v1/users", json={"name": "Kim"}), 201)
    assert set(created) >= {"id", "name", "accessToken"}
    assert created["name"] == "Kim"
    user = api.new_user()
    assert data_of(api.charge(user, 100_000))["balance"] == 100_000
    assert api.balance(user) == 100_000

    # The concert is in the public catalogue.
    concerts = list_of(api.get("/api/v1/concerts"))
    listed = [c for c in concerts if c["id"] == concert.id]
    assert len(listed) == 1 and set(listed[0]) >= {"id", "title", "singer", "description"}

    # Queue: WAITING until an admission tick, then ACTIVE.
    ticket = api.join(user, concert)
    assert ticket["status"] == "WAITING"
    assert ticket["position"] >= 1
    assert "estimatedWaitingTime" in ticket
    assert isinstance(ticket["pollAfterMs"], int) and ticket["pollAfterMs"] > 0
    waiting = api.status_data(user)
    assert waiting["status"] == "WAITING" and waiting["position"] == 1
    assert isinstance(waiting["pollAfterMs"], int) and waiting["pollAfterMs"] > 0
    expect_error(
        api.get(f"/api/v1/concerts/{concert.id}/available-events", queue=user), 403,
        "token_not_processable",
    )

    api.admit()
    active = api.status_data(user)
    assert active["status"] == "ACTIVE" and active["position"] == 0
    assert parse_iso(active["activeUntil"]) > api.server_now()

    # Dates and seats.
    dates = list_of(api.get(f"/api/v1/concerts/{concert.id}/available-events", queue=user))
    assert [d["id"] for d in dates] == [event_id]
    assert dates[0]["availableSeatCount"] == 10 and dates[0]["maxSeatCount"] == 10
    assert dates[0]["venue"] == "Olympic Hall"
    parse_iso(dates[0]["date"])

    seats = api.seats(user, event_id)
    assert sorted(s["seatNumber"] for s in seats) == list(range(1, 11))
    assert {s["status"] for s in seats} == {"AVAILABLE"}
    assert {s["price"] for s in seats} == {10_000}
    assert len(api.available_seats(user, event_id)) == 10

    # Hold two seats.
    chosen = api.seat_ids(user, event_id)[:2]
    before_hold = api.server_now()
    hold = data_of(api.hold(user, event_id, chosen), 201)
    assert held_seat_ids(hold) == sorted(chosen)
    assert hold["totalAmount"] == 20_000
    expires = parse_iso(hold["expiresAt"])
    ttl = dt.timedelta(seconds=api.policies["holdTtlSeconds"])
    assert before_hold + ttl - dt.timedelta(seconds=5) <= expires <= api.server_now() + ttl + dt.timedelta(seconds=5)
    states = api.seat_states(user, event_id)
    assert [states[s] for s in chosen] == ["HELD", "HELD"]
    assert {s["id"] for s in api.available_seats(user, event_id)}.isdisjoint(chosen)
    dates = list_of(api.get(f"/api/v1/concerts/{concert.id}/available-events", queue=user))
    assert dates[0]["availableSeatCount"] == 8

    # Reserve.
    reservation = data_of(api.reserve(user, event_id, hold["id"]), 201)
    assert reservation["status"] == "PENDING"
    assert reservation["totalSeats"] == 2 and reservation["totalAmount"] == 20_000
    assert parse_iso(reservation["expiresAt"]) == expires
    parse_iso(reservation["concertPerformanceStartAt"])
    parse_iso(reservation["createdAt"])

    # A second admitted user watches the seat map (the payer's slot is freed by paying).
    observer = api.admitted_user(concert)
    stats_before = api.queue_stats(concert)
    assert stats_before["active"] == 2

    # Pay.
    payment = data_of(api.pay(user, reservation["id"]), 201)
    assert payment["reservationId"] == reservation["id"]
    assert payment["amount"] == 20_000 and payment["status"] == "SUCCESS"
    parse_iso(payment["paidAt"])

    states = api.seat_states(observer, event_id)
    assert [states[s] for s in chosen] == ["RESERVED", "RESERVED"]
    assert sum(1 for v in states.values() if v == "AVAILABLE") == 8

    # Money: debited once, and the ledger explains the balance.
    balance, rows = api.assert_ledger_matches(user)
    assert balance == 80_000
    assert sorted(str(r["type"]).upper() for r in rows) == ["CHARGE", "USE"]

    payments = api.payments(user)
    assert [p["id"] for p in payments] == [payment["id"]]
    assert payments[0]["amount"] == 20_000
    assert api.reservation(user, reservation["id"])["status"] == "CONFIRMED"

    # The waiting-room slot is given back.
    api.tick()
    expect_error(api.status(user), 404, "queue_token_not_found")
    assert api.queue_stats(concert)["active"] == 1


def test_cancelling_a_reservation_frees_its_seats(api: Api, concert) -> None:
    user = api.admitted_user(concert, balance=50_000)
    other = api.admitted_user(concert)
    seats = api.seat_ids(user, concert.event)[:2]
    _, reservation = api.book(user, concert.event, seats)
    cancelled = data_of(api.cancel(user, reservation["id"]))
    assert cancelled["status"] == "CANCELLED"
    assert api.reservation(user, reservation["id"])["status"] == "CANCELLED"
    states = api.seat_states(other, concert.event)
    assert [states[s] for s in seats] == ["AVAILABLE", "AVAILABLE"]
    data_of(api.hold(other, concert.event, seats), 201)
    assert api.balance(user) == 50_000


def test_releasing_a_hold_frees_its_seats_and_cancels_its_reservation(api: Api, concert) -> None:
    user = api.admitted_user(concert, balance=50_000)
    other = api.admitted_user(concert)
    seats = api.seat_ids(user, concert.event)[:2]
    hold, reservation = api.book(user, concert.event, seats)
    expect(api.release(user, hold["id"]), (200, 204))
    assert api.reservation(user, reservation["id"])["status"] == "CANCELLED"
    expect_error(api.pay(user, reservation["id"]), 409, "reservation_expired")
    data_of(api.hold(other, concert.event, seats), 201)


def test_payment_sends_one_webhook_notification(start_server) -> None:
    received: list = []
    arrived = threading.Event()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append((self.path, self.headers.get("Content-Type", ""), body))
            self.send_response(200)
            self.end_headers()
            arrived.set()

        def log_message(self, *args) -> None:
            pass

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        _, own = start_server(WEBHOOK_URL=f"http://127.0.0.1:{hook.server_port}/hook")
        concert = own.make_concert(seat_count=4, price=10_000)
        user = own.admitted_user(concert, balance=50_000)
        _, reservation = own.book(user, concert.event, own.seat_ids(user, concert.event)[:1])
        data_of(own.pay(user, reservation["id"]), 201)
        own.tick()
        assert arrived.wait(10), "no webhook call within 10 s of the relay"
        own.tick()  # delivery is at least once, but a handled event is not sent again
        own.tick()
    finally:
        hook.shutdown()
        hook.server_close()
    assert len(received) == 1, received
    path, content_type, body = received[0]
    assert path == "/hook" and content_type.startswith("application/json")
    message = json.loads(body)
    assert isinstance(message.get("text"), str) and message["text"]  # Slack-compatible


def test_sold_seats_stay_sold_past_the_hold_deadline(api: Api, concert) -> None:
    api.set_policies(holdTtlSeconds=60)
    buyer = api.admitted_user(concert, balance=50_000)
    other = api.admitted_user(concert)
    seats = api.seat_ids(buyer, concert.event)[:2]
    _, reservation = api.book(buyer, concert.event, seats)
    data_of(api.pay(buyer, reservation["id"]), 201)

    api.advance(120_000)  # well past the hold's deadline
    api.tick()            # and the sweeper has run
    states = api.seat_states(other, concert.event)
    assert [states[s] for s in seats] == ["RESERVED", "RESERVED"]
    expect_error(api.hold(other, concert.event, seats[:1]), 409, "seat_unavailable")
    assert api.reservation(buyer, reservation["id"])["status"] == "CONFIRMED"
    dates = list_of(api.get(f"/api/v1/concerts/{concert.id}/available-events", queue=other))
    assert dates[0]["availableSeatCount"] == concert.seat_count - 2
