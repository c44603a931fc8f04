"""Harness of the multi-instance suite: one cluster (MariaDB, Redis, Kafka when wired, three
boxoffice instances and haproxy on loopback) started by `scripts/cluster up` for the whole
session and purged at the end, whatever happens.

Instances run with the real clock (no test hooks): admission runs on the scheduler tick
(BOXOFFICE_SCHEDULER_TICK_MS below), tests set the policies they need through the admin API and
wait for conditions by polling with a deadline. Every test makes its own concert, dates and
users, so tests share the cluster; after every test the database invariants are checked
(invariants.py).

The HTTP client and the domain steps (users, queue tokens, holds, payments) are the functional
suite's, imported from tests/functional/conftest.py.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import invariants  # noqa: E402  (after the path: this directory is not a package)


def _load_functional_harness():
    path = ROOT / "tests" / "functional" / "conftest.py"
    spec = importlib.util.spec_from_file_location("functional_harness", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["functional_harness"] = module
    spec.loader.exec_module(module)
    return module


harness = _load_functional_harness()
# Only plain helpers are taken: a fixture imported here would be registered as this suite's.
Api = harness.Api
User = harness.User
Concert = harness.Concert
data_of = harness.data_of
list_of = harness.list_of
expect = harness.expect
expect_error = harness.expect_error
expect_error_envelope = harness.expect_error_envelope
describe = harness.describe
body_of = harness.body_of
held_seat_ids = harness.held_seat_ids
signed_amount = harness.signed_amount

CLUSTER_DIR = ROOT / "build" / "cluster-test"
# Ports the cluster takes from its base (scripts/cluster): haproxy +0, instances +1..+3, haproxy
# stats +4, MariaDB +6, Redis +7, Kafka +8/+9, Prometheus +10. It leaves +5 free: the webhook
# receiver of this suite listens there.
PORT_SPAN = 11
WEBHOOK_PORT_OFFSET = 5
UP_TIMEOUT_S = 300.0
SCRIPT_TIMEOUT_S = 120.0
SCHEDULER_TICK_MS = 100
INSTANCES = (1, 2, 3)

# Admission open: anyone who joins is admitted within a tick or two. Tests that watch admission
# change admitBatch/maxActive themselves; places and idle deadlines outlast any test.
BASELINE_POLICIES = {
    "holdTtlSeconds": 300,
    "admitBatch": 100_000,
    "admitIntervalMs": 10,
    "maxActive": 10_000_000,
    "activeIdleTtlSeconds": 3600,
    "waitingGraceSeconds": 3600,
    "maxSeatsPerHold": 4,
}


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Polls `condition` until it returns something truthy, at most `timeout` seconds; returns
    that value. The failure message names `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
        time.sleep(interval)  # polling a real process, bounded by the deadline


def ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32_768, 60_999


def free_port_base() -> int:
    """A base port such that base .. base+PORT_SPAN-1 on 127.0.0.1 are all free now, below the
    ephemeral range (where the kernel may hand one of them to an outgoing connection before the
    cluster's servers bind it)."""
    rng = random.Random()
    low, high = ephemeral_ports()
    ranges = [(r0, r1) for r0, r1 in ((10_000, low), (high + 1, 65_000)) if r1 - r0 > 10 * PORT_SPAN]
    for _ in range(200):
        r0, r1 = rng.choice(ranges)
        base = rng.randrange(r0, r1 - PORT_SPAN)
        sockets = []
        try:
            for port in range(base, base + PORT_SPAN):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no run of {PORT_SPAN} free ports found")


def find_binary() -> Path:
    explicit = os.environ.get("BOXOFFICE_BIN")
    return Path(explicit).resolve() if explicit else ROOT / "build" / "ci" / "boxoffice"


# ---------------------------------------------------------------------------------------------
# A webhook receiver in the test process (the instances post payment notifications to it)


class WebhookReceiver:
    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.bodies: list[dict] = []
        receiver = self

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"unparsed": raw.decode(errors="replace")}
                with receiver.lock:
                    receiver.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def deliveries(self, payment_ids: set[int]) -> dict[int, int]:
        """How many notifications arrived for each of these payments."""
        counts = {pid: 0 for pid in payment_ids}
        with self.lock:
            for body in self.bodies:
                pid = body.get("paymentId")
                if pid in counts:
                    counts[pid] += 1
        return counts

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------------
# The cluster


class Endpoint:
    """What the functional suite's Api needs of a server: its URL and the admin token."""

    def __init__(self, name: str, base_url: str, admin_token: str) -> None:
        self.name = name
        self.base_url = base_url
        self.admin_token = admin_token
        self.clock_offset_ms = 0  # real clock: the Api's server_now() is the wall clock


class Cluster:
    def __init__(self, script: Path, directory: Path, env: dict[str, str]) -> None:
        self.script = script
        self.dir = directory
        self.script_env = env
        self.settings: dict[str, str] = {}

    # -- scripts/cluster -------------------------------------------------------------------

    def run(self, *args: str, timeout: float = SCRIPT_TIMEOUT_S, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(self.script), *args], cwd=ROOT, env=self.script_env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"scripts/cluster {' '.join(args)} exited {done.returncode}\n"
                f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}"
            )
        return done

    def load_env(self) -> None:
        path = self.dir / "cluster.env"
        settings = {}
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                settings[key.strip()] = value.strip().strip("'\"")
        for key in ("BOXOFFICE_URL", "DB_URL", "REDIS_URL", "ADMIN_TOKEN",
                    *(f"INSTANCE_{n}_URL" for n in INSTANCES)):
            assert settings.get(key), f"{path} has no {key}"
        self.settings = settings
        token = settings["ADMIN_TOKEN"]
        self.api = Api(Endpoint("haproxy", settings["BOXOFFICE_URL"], token))
        self.instances = [
            Api(Endpoint(f"instance-{n}", settings[f"INSTANCE_{n}_URL"], token)) for n in INSTANCES
        ]

    @property
    def db_url(self) -> str:
        return self.settings["DB_URL"]

    def kill_instance(self, n: int) -> None:
        self.run("kill-instance", str(n))

    def start_instance(self, n: int) -> None:
        self.run("start-instance", str(n), timeout=UP_TIMEOUT_S)

    def instance_alive(self, n: int) -> bool:
        try:
            return requests.get(f"{self.settings[f'INSTANCE_{n}_URL']}/healthz", timeout=2).ok
        except requests.RequestException:
            return False

    def serving(self) -> bool:
        for api in (self.api, *self.instances):
            try:
                if api.get("/readyz", timeout=5).status_code != 200:
                    return False
            except requests.RequestException:
                return False
        return True

    def logs(self) -> str:
        try:
            done = self.run("logs", check=False, timeout=30)
            return (done.stdout + done.stderr)[-12_000:]
        except (subprocess.SubprocessError, OSError) as exc:
            return f"<scripts/cluster logs failed: {exc!r}>"

    # -- the database ----------------------------------------------------------------------

    def db(self):
        return invariants.connect(self.db_url)

    def query(self, sql: str, params: Any = None) -> list[tuple]:
        conn = self.db()
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        finally:
            conn.close()

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.query(sql, params)
        assert len(rows) == 1 and len(rows[0]) == 1, (sql, rows)
        return rows[0][0]

    # -- operators -------------------------------------------------------------------------

    def set_policies(self, **changes: int) -> None:
        """Through every instance, so each one's cached copy is the new one at once (another
        instance's change reaches it only on its next refresh, within a second)."""
        for api in self.instances:
            policies = data_of(api.put("/api/v1/admin/policies", admin=True, json=changes))
            for key, value in changes.items():
                assert policies[key] == value, (key, policies)
            api.policies.update(changes)
        self.api.policies.update(changes)

    def reset_policies(self) -> None:
        self.set_policies(**BASELINE_POLICIES)

    def queue_stats(self, concert: Concert | int, via: Api | None = None) -> dict:
        return (via or self.api).queue_stats(concert)


_cluster: Cluster | None = None


@pytest.fixture(scope="session")
def port_base() -> int:
    return int(os.environ.get("BOXOFFICE_CLUSTER_PORT") or free_port_base())


@pytest.fixture(scope="session")
def webhook(port_base: int) -> WebhookReceiver:
    """On the one port of the cluster's range that it leaves unused (PORT+5), so a kept cluster
    (BOXOFFICE_CLUSTER_KEEP below) finds the next session's receiver at the same address."""
    receiver = WebhookReceiver(port_base + WEBHOOK_PORT_OFFSET)
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def cluster(port_base: int, webhook: WebhookReceiver) -> Cluster:
    global _cluster
    script = Path(os.environ.get("BOXOFFICE_CLUSTER_SCRIPT", ROOT / "scripts" / "cluster"))
    if not script.exists():
        pytest.fail(f"{script} does not exist (the cluster suite starts its cluster with it)")
    binary = find_binary()
    if not binary.exists():
        pytest.fail(f"no server binary at {binary} (build it or set BOXOFFICE_BIN)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env.update(
        {
            "BOXOFFICE_CLUSTER_DIR": str(CLUSTER_DIR),
            "BOXOFFICE_CLUSTER_PORT": str(port_base),
            "BOXOFFICE_BIN": str(binary),
            "BOXOFFICE_SCHEDULER_TICK_MS": str(SCHEDULER_TICK_MS),
            "BOXOFFICE_RATE_LIMIT_PER_SECOND": "0",
            "BOXOFFICE_ACCESS_LOG": "false",
            "BOXOFFICE_WEBHOOK_URL": webhook.url,
        }
    )
    # For debugging only: BOXOFFICE_CLUSTER_KEEP=1 (with a fixed BOXOFFICE_CLUSTER_PORT) leaves
    # the cluster running after the session and reuses it in the next one.
    keep = os.environ.get("BOXOFFICE_CLUSTER_KEEP") == "1"
    c = Cluster(script, CLUSTER_DIR, env)
    _cluster = c
    if not keep:
        c.run("down", "--purge", check=False)  # a cluster an interrupted run left behind
    try:
        started = time.monotonic()
        try:
            c.run("up", timeout=UP_TIMEOUT_S)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- scripts/cluster logs ---\n{c.logs()}") from None
        print(f"\ncluster up in {time.monotonic() - started:.1f} s on port base {env['BOXOFFICE_CLUSTER_PORT']}")
        c.load_env()
        c.reset_policies()
        yield c
    finally:
        _cluster = None
        if not keep:
            c.run("down", "--purge", check=False, timeout=UP_TIMEOUT_S)


@pytest.fixture
def api(cluster: Cluster) -> Api:
    """The client through haproxy."""
    return cluster.api


@pytest.fixture
def instances(cluster: Cluster) -> list[Api]:
    """One client per instance, straight to it."""
    return cluster.instances


@pytest.fixture(autouse=True)
def _policies_and_invariants(request: pytest.FixtureRequest):
    """Every test starts from BASELINE_POLICIES and ends with a database that keeps every
    invariant. Tests that need no cluster (none so far) are left alone."""
    if "cluster" not in request.fixturenames:
        yield
        return
    c: Cluster = request.getfixturevalue("cluster")
    # An earlier test may have taken parts down; haproxy brings an instance back into rotation
    # only after two good health checks.
    wait_until(c.serving, 60, "every instance and haproxy answering /readyz 200", interval=0.2)
    c.reset_policies()
    yield
    violations = invariants.check(c.db_url)
    assert not violations, "database invariants broken after the test:\n" + "\n".join(
        str(v) for v in violations[:50]
    )


# The checker's own test first (the invariant check after every test relies on it), the tests
# that take parts of the cluster down last (a part that fails to come back spoils no other).
MODULE_ORDER = ["test_invariants", "test_waiting_room", "test_contention", "test_events", "test_failures"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.module.__name__ if item.module else ""
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    items.sort(key=rank)  # stable: the order within a module is kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _cluster is not None:
        report.sections.append(("cluster logs", _cluster.logs()))


# ---------------------------------------------------------------------------------------------
# Domain steps the tests share


def new_users(api_for: Callable[[int], Api], count: int, balance: int = 0, workers: int = 16) -> list[User]:
    """`count` users, created round-robin through api_for(i)."""
    return harness.parallel(lambda i: api_for(i).new_user(balance=balance), range(count), workers)


def join_all(api_for: Callable[[int], Api], users: list[User], concert: Concert, workers: int = 16) -> list[dict]:
    return harness.parallel(lambda i: api_for(i).join(users[i], concert), range(len(users)), workers)


def wait_admitted(cluster: Cluster, concert: Concert, count: int, timeout: float = 60.0) -> dict:
    """Waits until `count` users of the concert are admitted and nobody waits."""
    def done():
        stats = cluster.queue_stats(concert)
        return stats if stats["active"] == count and stats["waiting"] == 0 else None

    return wait_until(done, timeout, f"{count} users admitted to concert {concert.id}", interval=0.1)


def admitted_users(cluster: Cluster, concert: Concert, count: int, balance: int = 0) -> list[User]:
    """`count` fresh users, each admitted to the concert (admission open, as in the baseline),
    made through the three instances in turn."""
    apis = cluster.instances
    users = new_users(lambda i: apis[i % 3], count, balance)
    join_all(lambda i: apis[(i + 1) % 3], users, concert)
    wait_admitted(cluster, concert, count)
    return users


def key() -> str:
    return str(uuid.uuid4())
