"""The shipped HAProxy configuration in front of a real instance.

deploy/haproxy/haproxy.cfg adds X-Forwarded-For (`option forwardfor`), and an instance that
trusts the balancer (BOXOFFICE_TRUSTED_PROXIES) limits each client by that address. Without
either, every anonymous client behind the balancer would share one limit: the balancer's.
Clients here are told apart by their source address on the loopback network (127.0.0.2 and
127.0.0.3), as clients on other hosts would be.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

# Loaded by this directory's conftest.py.
import boxoffice_functional_harness as harness

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CFG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, source: str) -> http.client.HTTPResponse:
    """GET through the balancer from the loopback address `source`, on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp
    finally:
        conn.close()


@pytest.fixture()
def balanced(tmp_path: Path):
    """An instance limited to one anonymous request per client every ten seconds (a slow
    machine cannot refill a bucket between two requests), trusting the balancer, behind HAProxy
    with the shipped configuration; yields the balancer's port."""
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.skip("haproxy is not installed (scripts/setup-deps --test installs it)")
    server = harness.Server(tmp_path / "server", name="balanced-server",
                            RATE_LIMIT_PER_SECOND=0.1, RATE_LIMIT_BURST=1,
                            TRUSTED_PROXIES="127.0.0.1")
    server.start()
    lb_port, stats_port = free_port(), free_port()
    instance = f"127.0.0.1:{server.port}"
    env = dict(os.environ, BOXOFFICE_LB_BIND=f"127.0.0.1:{lb_port}",
               BOXOFFICE_LB_STATS=f"127.0.0.1:{stats_port}", BOXOFFICE_INSTANCE_1=instance,
               BOXOFFICE_INSTANCE_2=instance, BOXOFFICE_INSTANCE_3=instance)
    log = open(tmp_path / "haproxy.log", "w", encoding="utf-8")
    proc = subprocess.Popen([haproxy, "-db", "-f", str(HAPROXY_CFG)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        # Probes are never limited: wait for the balancer to put the instance in rotation.
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "haproxy.log").read_text()
            try:
                if get(lb_port, "/readyz", "127.0.0.1").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the balancer never answered /readyz with 200"
            time.sleep(0.1)
        yield lb_port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        server.stop()


def test_each_client_behind_the_balancer_has_its_own_rate_limit(balanced: int) -> None:
    first = get(balanced, "/api/v1/concerts", "127.0.0.2")
    again = get(balanced, "/api/v1/concerts", "127.0.0.2")
    other = get(balanced, "/api/v1/concerts", "127.0.0.3")
    assert first.status == 200
    assert again.status == 429, "the client's second request is over its limit"
    assert int(again.getheader("Retry-After")) >= 1
    assert other.status == 200, "another client behind the same balancer has a limit of its own"
