"""Black-box harness: starts the real `boxoffice serve` and talks to it over HTTP.

One server (rate limit off) serves the whole session; tests that need other settings start their
own with `start_server(...)`. Time never passes by sleeping: tests move the server's clock with
the test hooks (`api.advance(ms)`) and run the background work once with `api.tick()`.

Policies are global, so every test starts from BASELINE_POLICIES. Admission is paused there
(admitBatch 0) because the server's own scheduler keeps ticking in the background: a test that
wants users admitted calls `api.admit()`, which opens admission for one round and pauses it again.

External mode: with BOXOFFICE_TEST_BASE_URL set (plus BOXOFFICE_TEST_ADMIN_TOKEN and
BOXOFFICE_TEST_JWT_SECRET) the suite runs against a server it did not start, e.g. a cluster
behind a load balancer (tests/functional/cluster_functional.sh). There are no test hooks then:
`api.admit()` opens admission and waits, within a deadline, until the servers' own scheduler has
admitted everyone who joined; tests that move the clock, tick, need exactly one admission round,
a private server, a restart or the SQLite file are skipped, each with its reason. With
BOXOFFICE_TEST_INSTANCE_URLS (the instances behind the balancer, comma-separated) a policy
change waits until every instance applies it, since each re-reads policies once a second.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIG = 1_000_000
BASELINE_POLICIES = {
    "holdTtlSeconds": 300,
    "admitBatch": 0,
    "admitIntervalMs": 10,
    "maxActive": 10_000_000,
    "activeIdleTtlSeconds": 3600,
    "waitingGraceSeconds": 3600,
    "maxSeatsPerHold": 4,
}
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 30.0
EXTERNAL_READY_TIMEOUT_S = 30.0
POLICY_SYNC_TIMEOUT_S = 10.0  # instances re-read policies once a second
ADMIT_TIMEOUT_S = 30.0  # the real scheduler admits within a few ticks of opening admission

_MISSING = object()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "race: many concurrent HTTP clients against one server")


def external_url() -> str:
    """BOXOFFICE_TEST_BASE_URL: the server to test instead of starting one ("" when unset)."""
    return os.environ.get("BOXOFFICE_TEST_BASE_URL", "").strip().rstrip("/")


def skip_if_external(why: str) -> None:
    """Skips the running test in external mode, saying what it needs that mode lacks."""
    if external_url():
        pytest.skip(f"needs {why}; not available against the external server {external_url()}")


# ---------------------------------------------------------------------------------------------
# The server process


def find_binary() -> Path:
    explicit = os.environ.get("BOXOFFICE_BIN")
    if explicit:
        return Path(explicit).resolve()
    for preset in ("release", "ci", "debug", "asan"):
        candidate = ROOT / "build" / preset / "boxoffice"
        if candidate.exists():
            return candidate
    return ROOT / "build" / "release" / "boxoffice"


def extra_env() -> dict[str, str]:
    """BOXOFFICE_TEST_EXTRA_ENV: more environment for every server, as a JSON object or as
    `K=V;K=V` (tests/functional/cluster_smoke.sh uses it to start cluster-profile servers)."""
    text = os.environ.get("BOXOFFICE_TEST_EXTRA_ENV", "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        parsed = json.loads(text)
        if not isinstance(parsed, dict):
            raise ValueError("BOXOFFICE_TEST_EXTRA_ENV: expected a JSON object")
        return {str(k): str(v) for k, v in parsed.items()}
    out = {}
    for item in text.split(";"):
        if item.strip():
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"BOXOFFICE_TEST_EXTRA_ENV: expected K=V, got {item!r}")
            out[key.strip()] = value
    return out


def fresh_mysql_database(url: str, name: str) -> str:
    """Creates database `name` on the server of the mysql:// URL with the `mariadb` client and
    returns the URL naming it, so that each server starts from an empty schema."""
    parts = urllib.parse.urlsplit(url)
    env = dict(os.environ, MYSQL_PWD=urllib.parse.unquote(parts.password or ""))
    subprocess.run(
        [
            "mariadb", "--protocol=tcp", "-h", parts.hostname or "127.0.0.1",
            "-P", str(parts.port or 3306), "-u", urllib.parse.unquote(parts.username or ""),
            "-e", f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        ],
        env=env, check=True, capture_output=True, timeout=30,
    )
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


class Server:
    """One `boxoffice serve` process on a free port with its own data directory. With a MySQL
    BOXOFFICE_DB_URL (cluster profile, from BOXOFFICE_TEST_EXTRA_ENV) it also gets its own fresh
    database `boxoffice_<random>` and Redis key prefix, kept across restarts of this server."""

    def __init__(self, work_dir: Path, name: str = "boxoffice", **settings: Any) -> None:
        self.name = name
        self.dir = work_dir
        self.data_dir = work_dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.admin_token = secrets.token_hex(24)
        self.jwt_secret = secrets.token_hex(20)  # 40 characters
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
        self.env.update(
            {
                "BOXOFFICE_HTTP_PORT": "0",
                "BOXOFFICE_HTTP_ADDRESS": "127.0.0.1",
                "BOXOFFICE_DATA_DIR": str(self.data_dir),
                "BOXOFFICE_ADMIN_TOKEN": self.admin_token,
                "BOXOFFICE_JWT_SECRET": self.jwt_secret,
                "BOXOFFICE_TEST_HOOKS": "true",
                "BOXOFFICE_DB_SYNCHRONOUS": "normal",
                "BOXOFFICE_ACCESS_LOG": "false",
            }
        )
        self.env.update(extra_env())
        for key, value in settings.items():
            self.env[key if key.startswith("BOXOFFICE_") else f"BOXOFFICE_{key}"] = str(value)
        if self.env.get("BOXOFFICE_DB_URL", "").startswith("mysql://"):
            isolated = f"boxoffice_{secrets.token_hex(6)}"
            self.env["BOXOFFICE_DB_URL"] = fresh_mysql_database(self.env["BOXOFFICE_DB_URL"], isolated)
            self.env.setdefault("BOXOFFICE_REDIS_KEY_PREFIX", isolated)
        self.stdout_path = work_dir / f"{name}.stdout.log"
        self.stderr_path = work_dir / f"{name}.stderr.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.exit_code: int | None = None
        self.clock_offset_ms = 0  # how far the test hooks moved the server's clock
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "boxoffice.db"

    def start(self) -> "Server":
        binary = find_binary()
        if not binary.exists():
            pytest.fail(f"no server binary at {binary} (build it or set BOXOFFICE_BIN)")
        _current_servers.append(self)
        self.port = None
        self.clock_offset_ms = 0  # a new process starts from the wall clock
        self._listening = threading.Event()
        stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [str(binary), "serve"],
            cwd=self.dir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        stderr.close()
        self._reader = threading.Thread(
            target=self._read_stdout, args=(self.proc, self._listening), daemon=True
        )
        self._reader.start()
        if not self._listening.wait(START_TIMEOUT_S) or self.port is None:
            self.stop()
            pytest.fail(
                f"{binary} printed no listening line within {START_TIMEOUT_S:.0f} s "
                f"(exit code {self.exit_code})\n{self.log_tail()}"
            )
        self._wait_ready()
        return self

    def _read_stdout(self, proc: subprocess.Popen, listening: threading.Event) -> None:
        assert proc.stdout is not None
        with open(self.stdout_path, "ab") as sink:
            for line in proc.stdout:
                sink.write(line)
                sink.flush()
                if self.port is None:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(record, dict) and record.get("msg") == "listening":
                        self.port = int(record["port"])
                        listening.set()
        listening.set()  # the process closed stdout: it has exited

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                break
            try:
                resp = requests.get(f"{self.base_url}/readyz", timeout=2)
                if resp.status_code == 200:
                    return
                last = f"{resp.status_code} {resp.text[:200]}"
            except requests.RequestException as exc:
                last = repr(exc)
            time.sleep(0.05)  # readiness polling, bounded by the deadline
        self.stop()
        pytest.fail(f"/readyz never answered 200 (last: {last})\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to finish anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self.stop()

    def stop(self) -> int | None:
        """SIGTERM, wait, then SIGKILL. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)
        self.exit_code = self.proc.returncode
        if self._reader is not None:
            self._reader.join(STOP_TIMEOUT_S)
        return self.exit_code

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for label, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                text = ["<none>"]
            parts.append(f"--- {self.name} {label} ({path}) ---\n" + "\n".join(text))
        return "\n".join(parts)


class ExternalServer:
    """A server this harness did not start (external mode): one instance, or several behind a load
    balancer. It offers what the tests use of Server except the process and its files."""

    name = "external-server"
    port = None
    clock_offset_ms = 0  # no test hooks: the server's clock is the wall clock

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self.admin_token = self._required("BOXOFFICE_TEST_ADMIN_TOKEN")
        self.jwt_secret = self._required("BOXOFFICE_TEST_JWT_SECRET")
        listed = os.environ.get("BOXOFFICE_TEST_INSTANCE_URLS", "").replace(",", " ").split()
        self.instance_urls = [u.rstrip("/") for u in listed] or [base_url]
        logs = os.environ.get("BOXOFFICE_TEST_LOG_FILES", "")
        self.log_files = [Path(p) for p in logs.split(":") if p]

    @staticmethod
    def _required(name: str) -> str:
        value = os.environ.get(name, "")
        if not value:
            pytest.exit(f"BOXOFFICE_TEST_BASE_URL is set but {name} is not", returncode=4)
        return value

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def db_path(self) -> Path:
        skip_if_external("the server's SQLite file")
        raise AssertionError("unreachable")

    def start(self) -> "ExternalServer":
        """Waits until the balancer and every instance answer /readyz 200."""
        for url in dict.fromkeys([self.base_url, *self.instance_urls]):
            deadline = time.monotonic() + EXTERNAL_READY_TIMEOUT_S
            last = "no answer"
            while True:
                try:
                    resp = requests.get(f"{url}/readyz", timeout=2)
                    if resp.status_code == 200:
                        break
                    last = f"{resp.status_code} {resp.text[:200]}"
                except requests.RequestException as exc:
                    last = repr(exc)
                if time.monotonic() >= deadline:
                    pytest.exit(f"{url}/readyz never answered 200 (last: {last})", returncode=4)
                time.sleep(0.1)  # readiness polling of a real server, bounded by the deadline
        return self

    def alive(self) -> bool:
        """Every instance (and the balancer) still answers /healthz."""
        for url in dict.fromkeys([self.base_url, *self.instance_urls]):
            try:
                if requests.get(f"{url}/healthz", timeout=5).status_code != 200:
                    return False
            except requests.RequestException:
                return False
        return True

    def kill(self) -> None:
        skip_if_external("to crash the server")

    def stop(self) -> int | None:
        return None  # not ours to stop

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in self.log_files:
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                text = ["<none>"]
            parts.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(parts) or f"<logs of {self.base_url} are not collected here>"


# Servers to show in the report of a failing test: the session server and the test's own.
_session_server: Server | ExternalServer | None = None
_current_servers: list[Server] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _current_servers.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        shown = [s for s in [_session_server, *_current_servers] if s is not None]
        for server in dict.fromkeys(shown):
            report.sections.append((f"{server.name} log", server.log_tail()))


# ---------------------------------------------------------------------------------------------
# Responses


def describe(resp: requests.Response) -> str:
    req = resp.request
    body = req.body
    if isinstance(body, bytes):
        body = body[:600].decode(errors="replace")
    elif isinstance(body, str):
        body = body[:600]
    headers = {
        k: v for k, v in req.headers.items() if k in ("Authorization", "User-Token", "Idempotency-Key")
    }
    return (
        f"\n>>> {req.method} {req.url}\n>>> headers {headers}\n>>> body {body!r}"
        f"\n<<< {resp.status_code} {resp.text[:1500]!r}"
    )


def body_of(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise AssertionError(f"response is not JSON{describe(resp)}") from None


def expect(resp: requests.Response, status: int | Iterable[int], code: str | None = None) -> Any:
    """Asserts the status (and the error code) and returns the parsed body (None when empty)."""
    statuses = (status,) if isinstance(status, int) else tuple(status)
    assert resp.status_code in statuses, f"expected {statuses}{describe(resp)}"
    if code is not None:
        error = expect_error_envelope(resp)
        assert error["code"] == code, f"expected error code {code!r}{describe(resp)}"
    if not resp.content:
        return None
    return body_of(resp)


def expect_error_envelope(resp: requests.Response) -> dict:
    body = body_of(resp)
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), (
        f"no error envelope{describe(resp)}"
    )
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], f"no error code{describe(resp)}"
    assert isinstance(error.get("message"), str), f"no error message{describe(resp)}"
    return error


def expect_error(resp: requests.Response, status: int, code: str) -> dict:
    expect(resp, status, code)
    return expect_error_envelope(resp)


def expect_4xx(resp: requests.Response) -> dict:
    """A client error with a code in the error envelope (never a 5xx, never a bare body)."""
    assert 400 <= resp.status_code < 500, f"expected a 4xx{describe(resp)}"
    return expect_error_envelope(resp)


def data_of(resp: requests.Response, status: int | Iterable[int] = 200) -> dict:
    body = expect(resp, status)
    assert isinstance(body, dict) and isinstance(body.get("data"), dict), (
        f"no data envelope{describe(resp)}"
    )
    return body["data"]


def list_of(resp: requests.Response, status: int = 200) -> list:
    body = expect(resp, status)
    assert isinstance(body, dict) and isinstance(body.get("list"), list), (
        f"no list envelope{describe(resp)}"
    )
    return body["list"]


# ---------------------------------------------------------------------------------------------
# Tokens (the suite knows the JWT secret it gave the server, so it can forge on purpose)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_decode(token: str) -> tuple[dict, dict]:
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def jwt_encode(header: dict, payload: dict, secret: str | None) -> str:
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(payload, separators=(",", ":")).encode())
    )
    if secret is None:
        return signing_input + "."
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def jwt_resign(token: str, secret: str | None, **claims: Any) -> str:
    """The same token with some claims changed (None removes one), signed with `secret`."""
    header, payload = jwt_decode(token)
    for name, value in claims.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return jwt_encode(header, payload, secret)


# ---------------------------------------------------------------------------------------------
# Domain objects as the tests see them


@dataclasses.dataclass
class User:
    id: int
    name: str
    token: str  # access token (Authorization: Bearer)
    qt: str | None = None  # the latest queue token (User-Token)


@dataclasses.dataclass
class Concert:
    id: int
    events: list[int]
    price: int
    seat_count: int

    @property
    def event(self) -> int:
        return self.events[0]


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_amount(entry: dict) -> int:
    """A ledger row as a signed amount (uses negative), whichever sign the wire carries."""
    amount = entry["amount"]
    if str(entry.get("type", "")).upper() == "USE" and amount > 0:
        return -amount
    return amount


def held_seat_ids(hold: dict) -> list:
    """Seat ids of an occupation, whether `seats` lists ids or seat objects."""
    return sorted(s if isinstance(s, int) else s.get("id", s.get("seatId")) for s in hold["seats"])


def parallel(fn: Callable[[Any], Any], items: Sequence[Any], workers: int = 16) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


# ---------------------------------------------------------------------------------------------
# The client


class Api:
    """HTTP client for one server, with the domain steps the tests are written in.

    Each thread gets its own requests.Session, so helpers are safe to call from thread pools.
    """

    def __init__(self, server: Server | ExternalServer) -> None:
        self.server = server
        self.base = server.base_url
        self.policies = dict(BASELINE_POLICIES)
        self._local = threading.local()
        self.external = isinstance(server, ExternalServer)
        # Concerts joined since the last admit(): what an external admit() waits for.
        self._joined: set[int] = set()
        self._joined_lock = threading.Lock()

    # -- raw HTTP --------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def close_thread_session(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = _MISSING,
        data: bytes | str | None = None,
        headers: dict | None = None,
        user: User | None = None,
        bearer: str | None = None,
        queue: User | str | None = None,
        key: str | None = None,
        admin: bool = False,
        timeout: float = REQUEST_TIMEOUT_S,
    ) -> requests.Response:
        """`user`: Bearer access token; `queue`: User-Token (a User sends its latest one, and its
        access token too); `key`: Idempotency-Key; `admin`: the admin bearer."""
        all_headers: dict[str, str] = {}
        if isinstance(queue, User):
            all_headers["User-Token"] = queue.qt or ""
            user = user or queue
        elif queue is not None:
            all_headers["User-Token"] = queue
        if user is not None:
            all_headers["Authorization"] = f"Bearer {user.token}"
        if bearer is not None:
            all_headers["Authorization"] = f"Bearer {bearer}"
        if admin:
            all_headers["Authorization"] = f"Bearer {self.server.admin_token}"
        if key is not None:
            all_headers["Idempotency-Key"] = key
        if headers:
            all_headers.update(headers)
        kwargs: dict[str, Any] = {"headers": all_headers, "timeout": timeout}
        if json is not _MISSING:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
            all_headers.setdefault("Content-Type", "application/json")
        if self.external:
            if path.startswith("/api/v1/admin/test/"):
                skip_if_external("the test hooks (/api/v1/admin/test/...)")
            if method == "GET" and path == "/metrics" and len(self.server.instance_urls) > 1:
                return self._cluster_metrics(kwargs)
        resp = self.session.request(method, self.base + path, **kwargs)
        if (self.external and method == "POST" and path == "/api/v1/queue/token"
                and resp.status_code in (200, 201) and isinstance(json, dict)):
            with self._joined_lock:
                self._joined.add(json["concertId"])
        return resp

    def _cluster_metrics(self, kwargs: dict) -> requests.Response:
        """External mode with several instances: /metrics of the cluster, every series summed
        over the instances (through the balancer it would be any one instance's)."""
        urls = self.server.instance_urls
        responses = [self.session.get(f"{url}/metrics", **kwargs) for url in urls]
        for resp in responses:
            if resp.status_code != 200:
                return resp
        lines: list[str] = []  # the first instance's layout
        totals: dict[str, float] = {}
        for index, resp in enumerate(responses):
            for line in resp.text.splitlines():
                if not line or line.startswith("#"):
                    if index == 0:
                        lines.append(line)
                    continue
                series, _, value = line.rpartition(" ")
                if series not in totals:  # one only later instances have goes last
                    totals[series] = 0.0
                    lines.append(series)
                totals[series] += float(value)
        text = "".join(
            (line if not line or line.startswith("#") else f"{line} {totals[line]:.15g}") + "\n"
            for line in lines
        )
        merged = requests.Response()
        merged.status_code = 200
        merged.headers.update(responses[0].headers)
        merged.headers.pop("Content-Length", None)
        merged._content = text.encode()
        merged.encoding = "utf-8"
        merged.url = f"{self.base}/metrics"
        merged.request = responses[0].request
        return merged

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.call("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.call("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.call("DELETE", path, **kw)

    # -- test hooks and operators ----------------------------------------------------------

    def advance(self, ms: int) -> None:
        skip_if_external("the test hooks to move the server's clock")
        expect(self.post("/api/v1/admin/test/clock", admin=True, json={"advanceMs": ms}), (200, 204))
        self.server.clock_offset_ms += ms

    def tick(self) -> None:
        skip_if_external("the test hooks to run the background work on demand")
        expect(self.post("/api/v1/admin/test/tick", admin=True), (200, 204))

    def next_round(self) -> None:
        """Moves the clock past the admission interval and ticks: a due admission round runs
        (evictions, sold-out refresh, and admission if admitBatch allows)."""
        self.advance(self.policies["admitIntervalMs"] + 1)
        self.tick()

    def server_now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=self.server.clock_offset_ms)

    def set_policies(self, **changes: int) -> dict:
        policies = data_of(self.put("/api/v1/admin/policies", admin=True, json=changes))
        self.policies.update(changes)
        self._wait_policies_applied(policies)
        return policies

    def reset_policies(self) -> None:
        policies = data_of(self.put("/api/v1/admin/policies", admin=True, json=BASELINE_POLICIES))
        self.policies = dict(BASELINE_POLICIES)
        self._wait_policies_applied(policies)

    def _wait_policies_applied(self, policies: dict) -> None:
        """External mode: waits until every instance serves `policies`. An instance re-reads them
        at most once a second, so right after a change another one may still apply the old."""
        if not self.external:
            return
        for url in self.server.instance_urls:
            deadline = time.monotonic() + POLICY_SYNC_TIMEOUT_S
            while True:
                resp = self.session.get(
                    f"{url}/api/v1/admin/policies",
                    headers={"Authorization": f"Bearer {self.server.admin_token}"},
                    timeout=REQUEST_TIMEOUT_S,
                )
                seen = data_of(resp)
                if seen == policies:
                    break
                assert time.monotonic() < deadline, (
                    f"{url} still serves policies {seen} {POLICY_SYNC_TIMEOUT_S:.0f} s after "
                    f"they were set to {policies}"
                )
                time.sleep(0.05)  # polling other processes, bounded by the deadline

    def admit(self, batch: int = BIG) -> None:
        """One admission round with admitBatch `batch` (for every concert), then pause again.

        A paused round first brings every concert's last tick to now, so that while admission is
        open only the clock advance below makes a round due; with a long interval (see
        use_exact_admission) the background scheduler cannot add a round of its own, and
        whichever of it and the tick hook comes first takes the one round.

        External mode: only admit(BIG) is possible; it opens admission, waits until the servers'
        own scheduler has admitted everyone waiting for the concerts joined since the last
        admit(), and pauses admission again."""
        if self.external:
            self._admit_everyone_joined(batch)
            return
        self.next_round()
        self.set_policies(admitBatch=batch)
        try:
            self.next_round()
        finally:
            self.set_policies(admitBatch=0)

    def _admit_everyone_joined(self, batch: int) -> None:
        if batch != BIG:
            skip_if_external("exactly one admission round of a given size (the test clock)")
        with self._joined_lock:
            concerts = sorted(self._joined)
            self._joined.clear()
        self.set_policies(admitBatch=batch)
        try:
            deadline = time.monotonic() + ADMIT_TIMEOUT_S
            for concert_id in concerts:
                while True:
                    resp = self.get(f"/api/v1/admin/concerts/{concert_id}/queue", admin=True)
                    if resp.status_code == 404:
                        break  # a token asked for a concert that does not exist
                    waiting = data_of(resp)["waiting"]
                    if waiting == 0:
                        break
                    assert time.monotonic() < deadline, (
                        f"{waiting} users of concert {concert_id} still waiting "
                        f"{ADMIT_TIMEOUT_S:.0f} s after admission was opened"
                    )
                    time.sleep(0.05)  # the real scheduler admits them; bounded by the deadline
        finally:
            self.set_policies(admitBatch=0)

    def use_exact_admission(self, interval_ms: int = 600_000) -> None:
        """Makes each `admit(batch)` exactly one admission round; places and idle deadlines are
        made to outlast the clock advances."""
        skip_if_external("exactly one admission round per admit() (the test clock)")
        self.set_policies(
            admitIntervalMs=interval_ms, waitingGraceSeconds=86_400, activeIdleTtlSeconds=86_400
        )

    def queue_stats(self, concert: Concert | int) -> dict:
        concert_id = concert.id if isinstance(concert, Concert) else concert
        return data_of(self.get(f"/api/v1/admin/concerts/{concert_id}/queue", admin=True))

    # -- catalogue -------------------------------------------------------------------------

    def create_concert(self, **fields: Any) -> requests.Response:
        body = {
            "title": f"Concert {uuid.uuid4().hex[:8]}",
            "singer": "IU",
            "description": "functional test",
        }
        body.update(fields)
        return self.post("/api/v1/admin/concerts", admin=True, json=body)

    def event_body(
        self, seat_count: int = 10, price: int = 10_000, opens_in_s: int | None = None, **fields: Any
    ) -> dict:
        now = self.server_now().replace(microsecond=0)
        opens = now + dt.timedelta(seconds=opens_in_s) if opens_in_s else now - dt.timedelta(days=1)
        body = {
            "venue": "Olympic Hall",
            "startAt": iso(now + dt.timedelta(days=400)),
            "durationMinutes": 120,
            "reservationStartAt": iso(opens),
            "reservationEndAt": iso(now + dt.timedelta(days=365)),
            "seatCount": seat_count,
            "price": price,
        }
        body.update(fields)
        return body

    def create_event(self, concert_id: int, **kw: Any) -> requests.Response:
        return self.post(
            f"/api/v1/admin/concerts/{concert_id}/events", admin=True, json=self.event_body(**kw)
        )

    def make_concert(
        self, seat_count: int = 10, price: int = 10_000, dates: int = 1, opens_in_s: int | None = None
    ) -> Concert:
        concert_id = data_of(self.create_concert(), 201)["id"]
        events = [
            data_of(
                self.create_event(concert_id, seat_count=seat_count, price=price, opens_in_s=opens_in_s),
                201,
            )["id"]
            for _ in range(dates)
        ]
        return Concert(concert_id, events, price, seat_count)

    # -- users and wallets -----------------------------------------------------------------

    def new_user(self, name: str | None = None, balance: int = 0) -> User:
        name = name or f"user-{uuid.uuid4().hex[:10]}"
        created = data_of(self.post("/api/v1/users", json={"name": name}), 201)
        user = User(created["id"], created["name"], created["accessToken"])
        if balance:
            data_of(self.charge(user, balance))
        return user

    def charge(self, user: User, amount: Any, key: str | None = None) -> requests.Response:
        return self.patch(
            f"/api/v1/users/{user.id}/wallet/charge",
            user=user,
            key=key or str(uuid.uuid4()),
            json={"amount": amount},
        )

    def balance(self, user: User) -> int:
        return data_of(self.get(f"/api/v1/users/{user.id}/wallet", user=user))["balance"]

    def ledger(self, user: User) -> list:
        """The whole ledger (the server pages at 100 rows by default, 1,000 at most)."""
        rows = list_of(self.get(f"/api/v1/users/{user.id}/wallet/transactions?limit=1000", user=user))
        assert len(rows) < 1000, "ledger too long to check in one page"
        return rows

    def payments(self, user: User) -> list:
        return list_of(self.get(f"/api/v1/users/{user.id}/payments", user=user))

    def reservations(self, user: User) -> list:
        return list_of(self.get(f"/api/v1/users/{user.id}/reservations", user=user))

    def reservation(self, user: User, reservation_id: int) -> dict:
        found = [r for r in self.reservations(user) if r["id"] == reservation_id]
        assert len(found) == 1, f"reservation {reservation_id} not listed once for user {user.id}"
        return found[0]

    def assert_ledger_matches(self, user: User) -> tuple[int, list]:
        balance = self.balance(user)
        rows = self.ledger(user)
        assert balance >= 0
        assert sum(signed_amount(r) for r in rows) == balance, (balance, rows)
        return balance, rows

    # -- waiting room ----------------------------------------------------------------------

    def join(self, user: User, concert: Concert | int) -> dict:
        concert_id = concert.id if isinstance(concert, Concert) else concert
        ticket = data_of(
            self.post("/api/v1/queue/token", user=user, json={"concertId": concert_id}), (200, 201)
        )
        user.qt = ticket["token"]
        return ticket

    def status(self, user: User | str) -> requests.Response:
        return self.get("/api/v1/queue/status", queue=user.qt if isinstance(user, User) else user)

    def status_data(self, user: User | str) -> dict:
        return data_of(self.status(user))

    def leave(self, user: User) -> requests.Response:
        return self.delete("/api/v1/queue/token", queue=user.qt)

    def admitted_user(self, concert: Concert, balance: int = 0) -> User:
        user = self.new_user(balance=balance)
        self.join(user, concert)
        self.admit()
        assert self.status_data(user)["status"] == "ACTIVE"
        return user

    def admitted_users(self, concert: Concert, count: int, balance: int = 0, workers: int = 16) -> list:
        def prepare(_: int) -> User:
            user = self.new_user(balance=balance)
            self.join(user, concert)
            return user

        users = parallel(prepare, range(count), workers)
        self.admit()
        return users

    # -- seats, holds, reservations, payments ----------------------------------------------

    def seats(self, user: User, event_id: int) -> list:
        return list_of(self.get(f"/api/v1/concert-events/{event_id}/seats", queue=user))

    def seat_states(self, user: User, event_id: int) -> dict:
        return {s["id"]: s["status"] for s in self.seats(user, event_id)}

    def seat_ids(self, user: User, event_id: int) -> list:
        return [s["id"] for s in sorted(self.seats(user, event_id), key=lambda s: s["seatNumber"])]

    def available_seats(self, user: User, event_id: int) -> list:
        return list_of(self.get(f"/api/v1/concert-events/{event_id}/available-seats", queue=user))

    def hold(self, user: User, event_id: int, seat_ids: list) -> requests.Response:
        return self.post(
            f"/api/v1/concert-events/{event_id}/occupy", queue=user, json={"seatIds": seat_ids}
        )

    def release(self, user: User, occupation_id: int) -> requests.Response:
        return self.delete(f"/api/v1/occupations/{occupation_id}", queue=user)

    def reserve(self, user: User, event_id: int, occupation_id: Any) -> requests.Response:
        return self.post(
            f"/api/v1/concert-events/{event_id}/reserve",
            queue=user,
            json={"occupationId": occupation_id},
        )

    def book(self, user: User, event_id: int, seat_ids: list) -> tuple[dict, dict]:
        """Hold the seats and reserve them: (occupation, reservation)."""
        hold = data_of(self.hold(user, event_id, seat_ids), 201)
        reservation = data_of(self.reserve(user, event_id, hold["id"]), 201)
        return hold, reservation

    def cancel(self, user: User, reservation_id: Any) -> requests.Response:
        return self.post(f"/api/v1/reservations/{reservation_id}/cancel", user=user)

    def pay(self, user: User, reservation_id: Any, key: str | None = None) -> requests.Response:
        return self.post(
            "/api/v1/payments",
            queue=user,
            key=key or str(uuid.uuid4()),
            json={"reservationId": reservation_id},
        )


def fire_at_once(api: Api, calls: Sequence[Callable[[], Any]], warm: bool = True) -> list:
    """Runs each call on its own thread with its own connection, released together by a barrier.
    Returns the results in order (an exception is returned, not raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            if warm:
                api.get("/healthz")  # open this thread's connection before the start line
            barrier.wait(timeout=120)
            results[index] = calls[index]()
        except BaseException as exc:  # reported to the caller, who asserts on it
            results[index] = exc
        finally:
            api.close_thread_session()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    global _session_server
    if external_url():
        ext = ExternalServer(external_url())
        _session_server = ext
        yield ext.start()
        assert ext.alive(), f"{ext.base_url} stopped answering /healthz\n{ext.log_tail()}"
        return
    srv = Server(tmp_path_factory.mktemp("session-server"), name="session-server", RATE_LIMIT_PER_SECOND=0)
    _session_server = srv
    srv.start()
    yield srv
    crashed = not srv.alive()
    code = srv.stop()
    assert not crashed, f"the session server died during the run (exit {code})\n{srv.log_tail()}"
    assert code == 0, f"the session server exited {code} on SIGTERM\n{srv.log_tail()}"


@pytest.fixture(scope="session")
def api(server: Server) -> Api:
    return Api(server)


@pytest.fixture(autouse=True)
def _baseline_policies(api: Api) -> None:
    """Every test starts from the same policies; a test changes only what it is about."""
    api.reset_policies()


@pytest.fixture
def start_server(tmp_path: Path):
    """Starts a dedicated server with other settings: start_server(RATE_LIMIT_PER_SECOND=1)."""
    skip_if_external("a private server with its own settings")
    started: list[Server] = []

    def start(baseline: bool = True, **settings: Any) -> tuple[Server, Api]:
        srv = Server(tmp_path / f"server{len(started)}", name=f"own-server-{len(started)}", **settings)
        started.append(srv)
        srv.start()
        own = Api(srv)
        if baseline:
            own.reset_policies()
        return srv, own

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def concert(api: Api) -> Concert:
    return api.make_concert(seat_count=10, price=10_000)
