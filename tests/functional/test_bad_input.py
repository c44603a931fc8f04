"""A table of malformed, hostile and out-of-range requests. Each must get a 4xx with an error code
in the envelope (never a 500, never a crash); GET /healthz still answers 200 afterwards."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import uuid
from typing import Any, Callable

import pytest

from conftest import (
    Api,
    Concert,
    User,
    b64url,
    data_of,
    expect_4xx,
    jwt_decode,
    jwt_encode,
    jwt_resign,
)

TOO_BIG = 2**63
UNKNOWN = 987_654_321


@dataclasses.dataclass
class Ctx:
    api: Api
    user: User  # admitted to `concert`, with money
    other: User
    concert: Concert
    seats: list
    admin_concert: int  # a concert for the admin event cases
    now_s: int  # the server's clock, in epoch seconds

    @property
    def secret(self) -> str:
        return self.api.server.jwt_secret

    def fmt(self) -> dict:
        return {
            "user": self.user.id,
            "concert": self.concert.id,
            "event": self.concert.event,
            "admin_concert": self.admin_concert,
        }


@pytest.fixture(scope="module")
def ctx(api: Api) -> Ctx:
    api.reset_policies()  # module fixtures run before the per-test reset
    concert = api.make_concert(seat_count=10, price=10_000)
    user = api.new_user(balance=100_000)
    api.join(user, concert)
    api.admit()
    assert api.status_data(user)["status"] == "ACTIVE"
    admin_concert = data_of(api.create_concert(), 201)["id"]
    return Ctx(
        api=api,
        user=user,
        other=api.new_user(),
        concert=concert,
        seats=api.seat_ids(user, concert.event),
        admin_concert=admin_concert,
        now_s=int(api.server_now().timestamp()),
    )


# -- forged credentials -------------------------------------------------------------------------


def hs512(token: str, secret: str) -> str:
    header, payload = jwt_decode(token)
    header["alg"] = "HS512"
    signing_input = (
        b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha512).digest()
    return signing_input + "." + b64url(signature)


def alg_none(token: str) -> str:
    _, payload = jwt_decode(token)
    return jwt_encode({"alg": "none", "typ": "JWT"}, payload, None)


def tampered(token: str, c: Ctx) -> str:
    """Claims changed, original signature kept."""
    header, payload = token.split(".")[:2]
    claims = jwt_decode(token)[1]
    claims["sub"] = str(c.other.id) if isinstance(claims.get("sub"), str) else c.other.id
    return f"{header}.{b64url(json.dumps(claims).encode())}.{token.split('.')[2]}"


FORGERIES: dict[str, Callable[[str, Ctx], str]] = {
    "garbage": lambda t, c: "not-a-jwt",
    "three-garbage-parts": lambda t, c: "a.b.c",
    "other-secret": lambda t, c: jwt_resign(t, "some-other-secret-of-forty-characters!!"),
    "expired": lambda t, c: jwt_resign(t, c.secret, exp=c.now_s - 3600),
    "no-exp": lambda t, c: jwt_resign(t, c.secret, exp=None),
    "exp-as-string": lambda t, c: jwt_resign(t, c.secret, exp=str(c.now_s + 3600)),
    "alg-none": lambda t, c: alg_none(t),
    "alg-none-signed": lambda t, c: alg_none(t) + t.split(".")[2],
    "hs512": lambda t, c: hs512(t, c.secret),
    "tampered-claims": tampered,
    "truncated-signature": lambda t, c: t[:-4],
}


# -- the table ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    id: str
    method: str
    path: str  # formatted with Ctx.fmt()
    body: Any = None  # bytes as is, anything else as JSON, a callable of Ctx for either
    auth: str | Callable[[Ctx], dict] = "user"  # none | user | queue | admin | headers(ctx)
    statuses: tuple = (400,)
    codes: tuple | None = ("invalid_request",)  # None: any code
    key: bool | str = True  # an Idempotency-Key for charge and payment (a str: that key)


def c(id: str, method: str, path: str, body: Any = None, auth: Any = "user",
      statuses: tuple | int = 400, codes: tuple | str | None = "invalid_request",
      key: bool | str = True) -> Case:
    statuses = (statuses,) if isinstance(statuses, int) else statuses
    codes = (codes,) if isinstance(codes, str) else codes
    return Case(id, method, path, body, auth, statuses, codes, key)


def raw(text: str) -> bytes:
    return text.encode()


USERS = "/api/v1/users"
QUEUE = "/api/v1/queue/token"
STATUS = "/api/v1/queue/status"
CHARGE = "/api/v1/users/{user}/wallet/charge"
WALLET = "/api/v1/users/{user}/wallet"
OCCUPY = "/api/v1/concert-events/{event}/occupy"
RESERVE = "/api/v1/concert-events/{event}/reserve"
PAY = "/api/v1/payments"
POLICIES = "/api/v1/admin/policies"
EVENTS = "/api/v1/admin/concerts/{admin_concert}/events"
NOT_FOUND_OR_BAD = ((400, 404), None)


def event(**fields: Any) -> Callable[[Ctx], dict]:
    def build(c: Ctx) -> dict:
        body = c.api.event_body()
        body.update(fields)
        return {k: v for k, v in body.items() if v is not ...}

    return build


def seats(pick: Callable[[list], Any]) -> Callable[[Ctx], dict]:
    return lambda c: {"seatIds": pick(c.seats)}


def bearer(token: Callable[[Ctx], str]) -> Callable[[Ctx], dict]:
    return lambda c: {"Authorization": f"Bearer {token(c)}"}


def user_token(token: Callable[[Ctx], str]) -> Callable[[Ctx], dict]:
    return lambda c: {"User-Token": token(c), "Authorization": f"Bearer {c.user.token}"}


CASES = [
    # Bodies that are not the expected JSON object.
    c("users-truncated-json", "POST", USERS, raw('{"name": "Kim"'), "none"),
    c("users-array", "POST", USERS, raw('[{"name": "Kim"}]'), "none"),
    c("users-string", "POST", USERS, raw('"Kim"'), "none"),
    c("users-null", "POST", USERS, raw("null"), "none"),
    c("users-empty-body", "POST", USERS, b"", "none"),
    c("users-trailing-garbage", "POST", USERS, raw('{"name": "Kim"} x'), "none"),
    c("users-invalid-utf8", "POST", USERS, b'{"name": "\xff\xfe"}', "none"),
    c("users-deep-nesting", "POST", USERS, b"[" * 100_000, "none"),
    c("users-name-number", "POST", USERS, {"name": 123}, "none"),
    c("users-name-null", "POST", USERS, {"name": None}, "none"),
    c("users-name-empty", "POST", USERS, {"name": ""}, "none"),
    c("users-name-blank", "POST", USERS, {"name": "   "}, "none"),
    c("users-name-too-long", "POST", USERS, {"name": "x" * 10_000}, "none"),
    c("users-no-name", "POST", USERS, {}, "none"),
    c("users-oversized", "POST", USERS, b'{"name": "' + b"x" * (1 << 20) + b'"}', "none",
      413, "payload_too_large"),
    # Ids of the wrong type or out of range.
    c("queue-id-string", "POST", QUEUE, {"concertId": "1"}),
    c("queue-id-float", "POST", QUEUE, {"concertId": 1.5}),
    c("queue-id-bool", "POST", QUEUE, {"concertId": True}),
    c("queue-id-null", "POST", QUEUE, {"concertId": None}),
    c("queue-id-array", "POST", QUEUE, {"concertId": [1]}),
    c("queue-id-object", "POST", QUEUE, {"concertId": {"id": 1}}),
    c("queue-id-missing", "POST", QUEUE, {}),
    c("queue-id-zero", "POST", QUEUE, {"concertId": 0}, statuses=(400, 404), codes=None),
    c("queue-id-negative", "POST", QUEUE, {"concertId": -1}, statuses=(400, 404), codes=None),
    c("queue-id-2^63", "POST", QUEUE, {"concertId": TOO_BIG}, statuses=(400, 404), codes=None),
    c("queue-id-2^64+1", "POST", QUEUE, {"concertId": 2**64 + 1}, statuses=(400, 404), codes=None),
    c("queue-id-below-int64", "POST", QUEUE, {"concertId": -(2**63) - 1}, statuses=(400, 404),
      codes=None),
    c("queue-id-1e309", "POST", QUEUE, raw('{"concertId": 1e309}')),
    c("queue-id-unknown", "POST", QUEUE, {"concertId": UNKNOWN}, statuses=404,
      codes="concert_not_found"),
    # Money.
    c("charge-zero", "PATCH", CHARGE, {"amount": 0}, codes="invalid_amount"),
    c("charge-negative", "PATCH", CHARGE, {"amount": -100}, codes="invalid_amount"),
    c("charge-over-limit", "PATCH", CHARGE, {"amount": 100_000_001}, codes="invalid_amount"),
    c("charge-10^30", "PATCH", CHARGE, {"amount": 10**30}, codes=("invalid_request", "invalid_amount")),
    c("charge-2^63", "PATCH", CHARGE, {"amount": TOO_BIG}, codes=("invalid_request", "invalid_amount")),
    c("charge-1e309", "PATCH", CHARGE, raw('{"amount": 1e309}'),
      codes=("invalid_request", "invalid_amount")),
    c("charge-float", "PATCH", CHARGE, {"amount": 1.5}, codes=("invalid_request", "invalid_amount")),
    c("charge-string", "PATCH", CHARGE, {"amount": "1000"}, codes=("invalid_request", "invalid_amount")),
    c("charge-bool", "PATCH", CHARGE, {"amount": True}, codes=("invalid_request", "invalid_amount")),
    c("charge-null", "PATCH", CHARGE, {"amount": None}),
    c("charge-missing", "PATCH", CHARGE, {}),
    c("charge-array-body", "PATCH", CHARGE, [{"amount": 1000}]),
    c("charge-key-too-long", "PATCH", CHARGE, {"amount": 1000}, key="k" * 300),
    c("charge-key-empty", "PATCH", CHARGE, {"amount": 1000}, key=""),
    # Path ids.
    c("wallet-id-word", "GET", "/api/v1/users/abc/wallet", None, "user", *NOT_FOUND_OR_BAD),
    c("wallet-id-float", "GET", "/api/v1/users/1.5/wallet", None, "user", *NOT_FOUND_OR_BAD),
    c("wallet-id-huge", "GET", "/api/v1/users/99999999999999999999999/wallet", None, "user",
      (400, 403, 404), None),
    c("wallet-id-negative", "GET", "/api/v1/users/-1/wallet", None, "user", (400, 403, 404), None),
    c("wallet-id-empty", "GET", "/api/v1/users//wallet", None, "user", *NOT_FOUND_OR_BAD),
    c("charge-id-word", "PATCH", "/api/v1/users/abc/wallet/charge", {"amount": 1}, "user",
      *NOT_FOUND_OR_BAD),
    c("seats-id-word", "GET", "/api/v1/concert-events/abc/seats", None, "queue", *NOT_FOUND_OR_BAD),
    c("seats-id-unknown", "GET", f"/api/v1/concert-events/{UNKNOWN}/seats", None, "queue", 404,
      "concert_event_not_found"),
    c("events-id-word", "GET", "/api/v1/concerts/abc/available-events", None, "queue",
      (400, 403, 404), None),
    c("occupation-id-word", "DELETE", "/api/v1/occupations/abc", None, "queue", *NOT_FOUND_OR_BAD),
    c("cancel-id-word", "POST", "/api/v1/reservations/abc/cancel", None, "user", *NOT_FOUND_OR_BAD),
    c("cancel-id-unknown", "POST", f"/api/v1/reservations/{UNKNOWN}/cancel", None, "user", 404,
      "reservation_not_found"),
    # Seat holds.
    c("occupy-empty", "POST", OCCUPY, {"seatIds": []}, "queue"),
    c("occupy-duplicates", "POST", OCCUPY, seats(lambda s: [s[0], s[0]]), "queue"),
    c("occupy-too-many", "POST", OCCUPY, seats(lambda s: s[:5]), "queue", codes="too_many_seats"),
    c("occupy-ten-thousand", "POST", OCCUPY, {"seatIds": list(range(1, 10_001))}, "queue",
      codes=("too_many_seats", "invalid_request")),
    c("occupy-not-a-list", "POST", OCCUPY, seats(lambda s: s[0]), "queue"),
    c("occupy-string-ids", "POST", OCCUPY, seats(lambda s: [str(s[0])]), "queue"),
    c("occupy-float-ids", "POST", OCCUPY, {"seatIds": [1.5]}, "queue"),
    c("occupy-null-id", "POST", OCCUPY, {"seatIds": [None]}, "queue"),
    c("occupy-id-2^63", "POST", OCCUPY, {"seatIds": [TOO_BIG]}, "queue", (400, 404), None),
    c("occupy-id-negative", "POST", OCCUPY, {"seatIds": [-1]}, "queue", (400, 404), None),
    c("occupy-unknown-seat", "POST", OCCUPY, {"seatIds": [UNKNOWN]}, "queue", 404, "seat_not_found"),
    c("occupy-missing", "POST", OCCUPY, {}, "queue"),
    c("occupy-seatId-string", "POST", OCCUPY, {"seatId": "x"}, "queue"),
    c("occupy-unknown-event", "POST", f"/api/v1/concert-events/{UNKNOWN}/occupy",
      seats(lambda s: [s[0]]), "queue", 404, "concert_event_not_found"),
    # Reservations and payments.
    c("reserve-id-string", "POST", RESERVE, {"occupationId": "x"}, "queue"),
    c("reserve-missing", "POST", RESERVE, {}, "queue"),
    c("reserve-id-2^63", "POST", RESERVE, {"occupationId": TOO_BIG}, "queue", (400, 404), None),
    c("reserve-unknown", "POST", RESERVE, {"occupationId": UNKNOWN}, "queue", 404,
      "occupation_not_found"),
    c("pay-id-string", "POST", PAY, {"reservationId": "1"}, "queue"),
    c("pay-id-1e309", "POST", PAY, raw('{"reservationId": 1e309}'), "queue"),
    c("pay-missing", "POST", PAY, {}, "queue"),
    c("pay-unknown", "POST", PAY, {"reservationId": UNKNOWN}, "queue", 404, "reservation_not_found"),
    c("pay-no-idempotency-key", "POST", PAY, {"reservationId": UNKNOWN}, "queue", key=False),
    # Missing credentials.
    c("queue-no-bearer", "POST", QUEUE, {"concertId": 1}, "none", 401, "unauthenticated"),
    c("queue-empty-bearer", "POST", QUEUE, {"concertId": 1}, lambda c: {"Authorization": "Bearer "},
      401, ("unauthenticated", "invalid_token")),
    c("queue-basic-auth", "POST", QUEUE, {"concertId": 1},
      lambda c: {"Authorization": "Basic dXNlcjpwYXNz"}, 401, ("unauthenticated", "invalid_token")),
    c("wallet-no-token", "GET", WALLET, None, "none", 401, "unauthenticated"),
    c("status-no-user-token", "GET", STATUS, None, "none", 401, "unauthenticated"),
    c("seats-no-user-token", "GET", "/api/v1/concert-events/{event}/seats", None, "user", 401,
      "unauthenticated"),
    # Tokens of the wrong kind.
    c("queue-token-as-bearer", "GET", WALLET, None, bearer(lambda c: c.user.qt), 401, "invalid_token"),
    c("access-token-as-user-token", "GET", STATUS, None, user_token(lambda c: c.user.token), 401,
      "invalid_token"),
    c("admin-token-as-bearer", "GET", WALLET, None, bearer(lambda c: c.api.server.admin_token),
      (401, 403), ("invalid_token", "forbidden")),
    # Policies.
    c("policies-unknown-field", "PUT", POLICIES, {"unknownField": 1}, "admin"),
    c("policies-hold-ttl-zero", "PUT", POLICIES, {"holdTtlSeconds": 0}, "admin"),
    c("policies-batch-negative", "PUT", POLICIES, {"admitBatch": -1}, "admin"),
    c("policies-interval-too-short", "PUT", POLICIES, {"admitIntervalMs": 5}, "admin"),
    c("policies-grace-too-short", "PUT", POLICIES, {"waitingGraceSeconds": 4}, "admin"),
    c("policies-seats-too-many", "PUT", POLICIES, {"maxSeatsPerHold": 101}, "admin"),
    c("policies-max-active-2^31", "PUT", POLICIES, {"maxActive": 2**31}, "admin"),
    c("policies-string", "PUT", POLICIES, {"holdTtlSeconds": "300"}, "admin"),
    c("policies-float", "PUT", POLICIES, {"holdTtlSeconds": 1.5}, "admin"),
    c("policies-array", "PUT", POLICIES, [], "admin"),
    c("policies-malformed", "PUT", POLICIES, raw("{holdTtlSeconds: 1}"), "admin"),
    c("policies-no-admin", "PUT", POLICIES, {"holdTtlSeconds": 60}, "none", 401, "unauthenticated"),
    c("policies-user-token", "PUT", POLICIES, {"holdTtlSeconds": 60}, "user", (401, 403),
      ("invalid_token", "forbidden")),
    c("policies-wrong-admin-token", "PUT", POLICIES, {"holdTtlSeconds": 60},
      bearer(lambda c: c.api.server.admin_token + "x"), (401, 403), ("invalid_token", "forbidden")),
    # Catalogue administration.
    c("concert-empty-title", "POST", "/api/v1/admin/concerts",
      {"title": "", "singer": "IU", "description": ""}, "admin"),
    c("concert-title-number", "POST", "/api/v1/admin/concerts",
      {"title": 5, "singer": "IU", "description": ""}, "admin"),
    c("concert-malformed", "POST", "/api/v1/admin/concerts", raw('{"title": '), "admin"),
    c("event-month-13", "POST", EVENTS, event(startAt="2026-13-45T00:00:00Z"), "admin"),
    c("event-feb-30", "POST", EVENTS, event(reservationStartAt="2026-02-30T10:00:00Z"), "admin"),
    c("event-hour-25", "POST", EVENTS, event(startAt="2099-12-24T25:00:00Z"), "admin"),
    c("event-words", "POST", EVENTS, event(startAt="next friday"), "admin"),
    c("event-empty-time", "POST", EVENTS, event(reservationEndAt=""), "admin"),
    c("event-epoch-number", "POST", EVENTS, event(startAt=4_102_444_800), "admin"),
    c("event-time-null", "POST", EVENTS, event(startAt=None), "admin"),
    c("event-time-missing", "POST", EVENTS, event(startAt=...), "admin"),
    c("event-window-reversed", "POST", EVENTS,
      event(reservationStartAt="2099-01-02T00:00:00Z", reservationEndAt="2099-01-01T00:00:00Z"), "admin"),
    c("event-window-after-show", "POST", EVENTS,
      event(reservationEndAt="2099-06-01T00:00:00Z", startAt="2099-05-01T00:00:00Z"), "admin"),
    c("event-seats-zero", "POST", EVENTS, event(seatCount=0), "admin"),
    c("event-seats-too-many", "POST", EVENTS, event(seatCount=10_001), "admin"),
    c("event-seats-string", "POST", EVENTS, event(seatCount="50"), "admin"),
    c("event-seats-2^63", "POST", EVENTS, event(seatCount=TOO_BIG), "admin"),
    c("event-price-zero", "POST", EVENTS, event(price=0), "admin", codes="invalid_amount"),
    c("event-price-negative", "POST", EVENTS, event(price=-1), "admin", codes="invalid_amount"),
    c("event-price-float", "POST", EVENTS, event(price=9.99), "admin",
      codes=("invalid_request", "invalid_amount")),
    c("event-duration-zero", "POST", EVENTS, event(durationMinutes=0), "admin"),
    c("event-duration-too-long", "POST", EVENTS, event(durationMinutes=24 * 60 + 1), "admin"),
    c("event-venue-empty", "POST", EVENTS, event(venue=""), "admin"),
    c("event-empty-object", "POST", EVENTS, {}, "admin"),
    c("event-concert-word", "POST", "/api/v1/admin/concerts/abc/events", event(), "admin",
      *NOT_FOUND_OR_BAD),
    c("queue-stats-concert-word", "GET", "/api/v1/admin/concerts/abc/queue", None, "admin",
      *NOT_FOUND_OR_BAD),
    c("clock-negative", "POST", "/api/v1/admin/test/clock", {"advanceMs": -1000}, "admin"),
    c("clock-string", "POST", "/api/v1/admin/test/clock", {"advanceMs": "1000"}, "admin"),
    # Routing.
    c("unknown-route", "GET", "/api/v1/unknown", None, "none", 404, "not_found"),
    c("wrong-method", "DELETE", "/api/v1/concerts", None, "none", 405, "method_not_allowed"),
]

for name in FORGERIES:
    CASES.append(c(f"bearer-{name}", "GET", WALLET, None,
                   bearer(lambda c, f=FORGERIES[name]: f(c.user.token, c)), 401, "invalid_token"))
    CASES.append(c(f"user-token-{name}", "GET", STATUS, None,
                   user_token(lambda c, f=FORGERIES[name]: f(c.user.qt, c)), 401, "invalid_token"))


def send(c_: Ctx, case: Case):
    api = c_.api
    body = case.body(c_) if callable(case.body) else case.body
    kwargs: dict[str, Any] = {}
    if isinstance(body, bytes):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    if callable(case.auth):
        kwargs["headers"] = case.auth(c_)
    elif case.auth == "user":
        kwargs["user"] = c_.user
    elif case.auth == "queue":
        kwargs["queue"] = c_.user
    elif case.auth == "admin":
        kwargs["admin"] = True
    if case.key and case.method != "GET" and ("/charge" in case.path or case.path == PAY):
        kwargs["key"] = case.key if isinstance(case.key, str) else str(uuid.uuid4())
    return api.call(case.method, case.path.format(**c_.fmt()), **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused(ctx: Ctx, case: Case) -> None:
    resp = send(ctx, case)
    error = expect_4xx(resp)
    assert resp.status_code in case.statuses, f"expected {case.statuses}, got {resp.status_code}: {resp.text[:500]}"
    if case.codes is not None:
        assert error["code"] in case.codes, f"expected {case.codes}: {resp.text[:500]}"


def test_control_well_signed_tokens_are_accepted(ctx: Ctx) -> None:
    """The forgeries above differ from a valid token only in what they name."""
    api = ctx.api
    later = ctx.now_s + 3600
    access = jwt_resign(ctx.user.token, ctx.secret, exp=later)
    data_of(api.get(f"/api/v1/users/{ctx.user.id}/wallet", bearer=access))
    if "exp" in jwt_decode(ctx.user.qt)[1]:
        queue = jwt_resign(ctx.user.qt, ctx.secret, exp=later)
        data_of(api.get(STATUS, queue=queue))


def test_nothing_was_changed_by_the_table(ctx: Ctx) -> None:
    api = ctx.api
    assert api.balance(ctx.user) == 100_000
    assert api.balance(ctx.other) == 0
    states = api.seat_states(ctx.user, ctx.concert.event)
    assert set(states.values()) == {"AVAILABLE"}


def test_server_still_healthy(api: Api) -> None:
    assert api.get("/healthz").status_code == 200
    assert api.server.alive()
