"""boxoffice-loadgen (tools/loadgen) against a real server: a small ticket-opening rush end to end,
its JSON report, and its flag checks. No timing assertions: the numbers are the tool's output,
not a property of this test."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import Server, data_of, find_binary

RUN_TIMEOUT_S = 180


def loadgen_binary() -> Path:
    """Built beside the server: <build dir>/tools/loadgen/boxoffice-loadgen."""
    return find_binary().parent / "tools" / "loadgen" / "boxoffice-loadgen"


@pytest.fixture
def loadgen() -> Path:
    path = loadgen_binary()
    if not path.exists():
        pytest.skip(f"boxoffice-loadgen is not built ({path}); build the target boxoffice-loadgen")
    return path


def run_loadgen(loadgen: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(loadgen), *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )


def explain(proc: subprocess.CompletedProcess, server: Server | None = None) -> str:
    text = f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    return text + ("\n" + server.log_tail(30) if server else "")


def check_report(report: dict, users: int) -> None:
    """What any finished rush must report, whatever the timings."""
    assert report["users"] == users
    assert report["exit_code"] == 0 and report["fatal"] is None
    assert report["invariants"]["ok"] is True, report["invariants"]
    assert report["invariants"]["checked"] is True
    assert report["invariants"]["users_checked"] == users
    assert report["failures"] == {}, report["failures"]
    assert report["purchases"] > 0
    # Every user's visit ended one way, and each purchase is one payment of 1..2 seats.
    outcomes = report["outcomes"]
    assert sum(outcomes.values()) == users, outcomes
    assert outcomes["purchased"] == report["purchases"]
    assert outcomes["failed"] == 0 and outcomes["timed_out"] == 0, outcomes
    assert report["purchases"] <= report["seats_bought"] <= 2 * report["purchases"]
    assert report["seats_bought"] <= report["seats_on_sale"]
    assert report["invariants"]["seats_reserved_on_map"] == report["seats_bought"]
    steps = report["steps"]
    assert set(steps) >= {"token", "status", "dates", "seats", "hold", "reserve", "charge", "pay"}
    assert steps["pay"]["count"] == report["purchases"]
    assert steps["token"]["count"] == users and steps["signup"]["count"] == users
    for name, step in steps.items():
        if step["count"]:
            assert 0 <= step["p50_ms"] <= step["p95_ms"] <= step["p99_ms"] <= step["max_ms"], name
    assert report["funnel_requests"] >= sum(s["count"] for s in steps.values())
    assert report["funnel_requests_per_s"] > 0 and report["wall_s"] > 0
    fairness = report["fairness_spearman"]
    assert fairness is None or -1.0 <= fairness <= 1.0


def test_a_small_rush_sells_out_and_keeps_the_invariants(start_server, loadgen, tmp_path) -> None:
    srv, api = start_server(RATE_LIMIT_PER_SECOND=0)  # baseline: admission paused
    report_path = tmp_path / "report.json"
    proc = run_loadgen(
        loadgen, "--url", srv.base_url, "--admin-token", srv.admin_token,
        "--users", "200", "--arrival-seconds", "2", "--seats", "100", "--connections", "32",
        "--admit-batch", "50", "--admit-interval-ms", "100", "--seed", "7",
        "--max-run-seconds", "120", "--json", str(report_path),
    )
    assert proc.returncode == 0, explain(proc, srv)
    report = json.loads(report_path.read_text())
    check_report(report, users=200)
    # 200 users wanting 1..2 seats each outnumber 100 seats: the rush sells out.
    assert report["seats_on_sale"] == 100
    assert report["seats_bought"] == 100, report["outcomes"]
    assert report["outcomes"]["sold_out"] > 0
    assert report["sell_out_s"] is not None and report["sell_out_s"] > 0
    assert report["invariants"]["seats_in_success_payments"] == 100
    assert "invariants: ok" in proc.stdout
    # The admission policy the rush needed was put back afterwards.
    policies = data_of(api.get("/api/v1/admin/policies", admin=True))
    assert policies["admitBatch"] == 0, policies


def test_no_setup_uses_an_existing_concert_and_the_policies_in_force(
    start_server, loadgen, tmp_path
) -> None:
    srv, api = start_server(RATE_LIMIT_PER_SECOND=0)
    concert = api.make_concert(seat_count=40, price=20_000)
    api.set_policies(admitBatch=100, admitIntervalMs=100)
    report_path = tmp_path / "report.json"
    proc = run_loadgen(
        loadgen, "--url", srv.base_url, "--no-setup", "--concert-id", str(concert.id),
        "--users", "30", "--arrival-seconds", "1", "--connections", "8",
        "--max-run-seconds", "120", "--json", str(report_path),
    )
    assert proc.returncode == 0, explain(proc, srv)
    report = json.loads(report_path.read_text())
    check_report(report, users=30)
    assert report["concert_id"] == concert.id and report["event_ids"] == concert.events
    assert report["seats_on_sale"] == 40
    # The policies were left as they were.
    policies = data_of(api.get("/api/v1/admin/policies", admin=True))
    assert policies["admitBatch"] == 100 and policies["admitIntervalMs"] == 100


@pytest.mark.parametrize(
    "args, mentions",
    [
        (["--users", "0"], "--users"),
        (["--users", "ten"], "--users"),
        (["--arrival-seconds", "-1"], "--arrival-seconds"),
        (["--arrival", "bursty"], "--arrival"),
        (["--url", "https://127.0.0.1:1"], "--url"),
        (["--url", "http://127.0.0.1:99999"], "--url"),
        (["--no-setup"], "--concert-id"),
        (["--connections", "0"], "--connections"),
        (["--no-such-flag"], "no-such-flag"),
    ],
)
def test_bad_flags_exit_2_with_a_message(loadgen, args, mentions) -> None:
    proc = run_loadgen(loadgen, "--admin-token", "x", *args)
    assert proc.returncode == 2, explain(proc)
    assert mentions in proc.stderr, explain(proc)


def test_help_lists_the_stable_flags(loadgen) -> None:
    proc = run_loadgen(loadgen, "--help")
    assert proc.returncode == 0, explain(proc)
    for flag in ("--url", "--admin-token", "--users", "--arrival-seconds", "--seats",
                 "--connections", "--json", "--seed", "--no-setup"):
        assert flag in proc.stdout, flag


def test_an_unreachable_server_is_a_setup_failure(loadgen, tmp_path) -> None:
    with socket.socket() as s:  # a free port with nobody listening once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report_path = tmp_path / "report.json"
    proc = run_loadgen(
        loadgen, "--url", f"http://127.0.0.1:{port}", "--admin-token", "x", "--users", "5",
        "--json", str(report_path),
    )
    assert proc.returncode == 3, explain(proc)
    report = json.loads(report_path.read_text())
    assert report["fatal"] and report["exit_code"] == 3


class _Listener:
    """A loopback listener that accepts connections, reads what comes, and answers each
    connection with `reply` (nothing at all when None). Never a full HTTP server."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.open: list = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            self.open.append(conn)  # kept open: the client must give up by itself
            conn.settimeout(1.0)
            try:
                conn.recv(65536)
                if self.reply is not None:
                    conn.sendall(self.reply)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for conn in self.open:
            conn.close()
        self.sock.close()


@pytest.mark.parametrize(
    "reply, mentions",
    [
        (None, "timeout"),  # a server that takes the request and never answers
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "not a response this client reads"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not a response this client reads"),
    ],
)
def test_a_request_unanswered_or_unreadable_is_a_setup_failure_with_the_reason(
        loadgen, tmp_path, reply, mentions) -> None:
    listener = _Listener(reply)
    try:
        report_path = tmp_path / "report.json"
        proc = run_loadgen(
            loadgen, "--url", f"http://127.0.0.1:{listener.port}", "--admin-token", "x",
            "--users", "5", "--request-timeout-ms", "300", "--json", str(report_path),
        )
    finally:
        listener.close()
    assert proc.returncode == 3, explain(proc)
    assert listener.accepted >= 1
    report = json.loads(report_path.read_text())
    assert report["exit_code"] == 3 and mentions in report["fatal"], report["fatal"]
