"""The live queue stream (GET /api/v1/queue/stream, Server-Sent Events).

The server paces its status checks with real timers (network I/O), so these tests wait for the
next event, never for time to pass: domain time moves only through the test hooks. Each test
lowers waitingGraceSeconds so that the check period (pollAfterMs, 1..5 s) is short.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import requests

from conftest import Api, expect_error, jwt_resign

GRACE_S = 6  # pollAfterMs = 2 s while admission is paused, so a check every 2 s
READ_TIMEOUT_S = 10.0  # longer than any check period (5 s at most) and than the keep-alive


class EventStream:
    """One open stream, read event by event; every read is bounded by READ_TIMEOUT_S."""

    def __init__(self, api: Api, token: str, *, in_query: bool = False) -> None:
        url = f"{api.base}/api/v1/queue/stream"
        where = {"params": {"token": token}} if in_query else {"headers": {"User-Token": token}}
        self.resp = requests.get(url, stream=True, timeout=(5, READ_TIMEOUT_S), **where)
        self._events = self._parse()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *_: Any) -> None:
        self.resp.close()

    def _parse(self) -> Iterator[tuple[str, Any]]:
        # chunk_size=None hands over each chunk as it arrives (one chunk per event here).
        fields: dict[str, list[str]] = {}
        for raw in self.resp.iter_lines(chunk_size=None):
            line = raw.decode()
            if line.startswith(":"):
                yield "comment", line[1:].strip()
            elif line:
                name, _, value = line.partition(":")
                fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
            elif fields:
                data = "\n".join(fields.get("data", []))
                yield fields.get("event", ["message"])[0], json.loads(data)
                fields = {}

    def next_event(self) -> tuple[str, Any] | None:
        """The next event (comments skipped) as (name, data), or None when the stream ended."""
        for name, data in self._events:
            if name != "comment":
                return name, data
        return None

    def next_status(self) -> dict:
        event = self.next_event()
        assert event is not None and event[0] == "status", f"expected a status event, got {event!r}"
        return event[1]

    def assert_ended(self) -> None:
        rest = self.next_event()
        assert rest is None, f"the stream went on after its last event: {rest!r}"


def open_ok(api: Api, token: str, **kw: Any) -> EventStream:
    stream = EventStream(api, token, **kw)
    assert stream.resp.status_code == 200, stream.resp.text[:500]
    assert stream.resp.headers["Content-Type"].startswith("text/event-stream")
    assert stream.resp.headers["Cache-Control"] == "no-cache"
    return stream


def sse_streams_gauge(api: Api) -> int:
    text = api.get("/metrics").text
    found = re.search(r"^boxoffice_sse_streams (\d+)$", text, re.MULTILINE)
    assert found, "no boxoffice_sse_streams gauge in /metrics"
    return int(found.group(1))


def test_stream_sends_the_status_then_admission_and_ends(api: Api, concert) -> None:
    api.set_policies(waitingGraceSeconds=GRACE_S)
    ahead, user = api.new_user(), api.new_user()
    api.join(ahead, concert)
    api.join(user, concert)
    polled = api.status_data(user)
    with open_ok(api, user.qt) as stream:
        first = stream.next_status()
        assert first["status"] == "WAITING" and first["position"] == 2
        assert first == polled  # the same object as the data of GET /api/v1/queue/status
        assert sse_streams_gauge(api) >= 1

        api.admit()
        admitted = stream.next_status()
        assert admitted["status"] == "ACTIVE" and admitted["position"] == 0
        assert admitted.get("activeUntil")
        stream.assert_ended()
    assert api.status_data(user)["status"] == "ACTIVE"


def test_token_in_the_query_parameter(api: Api, concert) -> None:
    api.set_policies(waitingGraceSeconds=GRACE_S)
    user = api.new_user()
    api.join(user, concert)
    with open_ok(api, user.qt, in_query=True) as stream:
        first = stream.next_status()
        assert first["status"] == "WAITING" and first["position"] == 1


def test_token_errors_are_answered_before_any_stream(api: Api, concert) -> None:
    user = api.new_user()
    api.join(user, concert)
    forged = jwt_resign(user.qt, "some-other-secret-of-forty-characters!!")
    for in_query in (False, True):
        with EventStream(api, forged, in_query=in_query) as stream:
            expect_error(stream.resp, 401, "invalid_token")
            assert stream.resp.headers["Content-Type"].startswith("application/json")
    expect_error(api.get("/api/v1/queue/stream"), 401, "unauthenticated")

    old = user.qt
    api.join(user, concert)  # a new token for the same place retires the old one
    with EventStream(api, old) as stream:
        expect_error(stream.resp, 401, "invalid_token")
    # Exactly the answers of GET /api/v1/queue/status.
    expect_error(api.status(old), 401, "invalid_token")
    expect_error(api.status(forged), 401, "invalid_token")


def test_a_place_lost_during_the_stream_ends_it_with_an_error_event(api: Api, concert) -> None:
    api.set_policies(waitingGraceSeconds=GRACE_S)
    superseded, leaver = api.new_user(), api.new_user()
    api.join(superseded, concert)
    api.join(leaver, concert)
    with open_ok(api, superseded.qt) as first_stream, open_ok(api, leaver.qt) as second_stream:
        assert first_stream.next_status()["position"] == 1
        assert second_stream.next_status()["position"] == 2
        api.join(superseded, concert)
        api.leave(leaver)
        expected = ((first_stream, "invalid_token"), (second_stream, "queue_token_not_found"))
        for stream, code in expected:
            event = stream.next_event()
            assert event is not None and event[0] == "error", event
            assert event[1]["code"] == code and event[1]["message"], event
            stream.assert_ended()


def test_streaming_renews_the_waiting_grace(api: Api, concert) -> None:
    """A user who only streams keeps the place across more than waitingGraceSeconds of server
    time, while a user who neither polls nor streams loses it.

    The clock moves in steps shorter than the grace, and after each step the test waits for a
    check of the stream that happened after it: someone ahead leaves after the step, and the
    event with the new position can only come from a later check (a check sends an event only
    when the status changed). The stream's place is then at most one check period (2 s) plus
    one step (2.5 s) old at any moment, under the 6 s grace."""
    api.set_policies(waitingGraceSeconds=GRACE_S)
    step_ms = 2_500
    ahead = [api.new_user() for _ in range(3)]
    streamer, idle = api.new_user(), api.new_user()
    for u in [*ahead, streamer, idle]:
        api.join(u, concert)
    assert len(ahead) * step_ms > GRACE_S * 1000

    with open_ok(api, streamer.qt) as stream:
        assert stream.next_status()["position"] == 4
        for i, leaver in enumerate(ahead):
            api.advance(step_ms)
            for u in ahead[i:]:
                api.status_data(u)  # those still ahead keep their places by polling
            api.tick()  # evicts anyone silent for longer than the grace
            api.leave(leaver)
            view = stream.next_status()
            assert (view["status"], view["position"]) == ("WAITING", 3 - i)

        expect_error(api.status(idle), 404, "queue_token_not_found")
        api.admit()
        assert stream.next_status()["status"] == "ACTIVE"
        stream.assert_ended()
