"""Operations endpoints and process behaviour."""

import pytest

from conftest import Api, data_of, extra_env, external_url, list_of


def test_health_and_readiness(api: Api) -> None:
    assert api.get("/healthz").status_code == 200
    assert api.get("/readyz").status_code == 200


def test_metrics_are_prometheus_text(api: Api, concert) -> None:
    api.admitted_user(concert)
    resp = api.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert "# TYPE " in resp.text
    assert any(line and not line.startswith("#") for line in resp.text.splitlines())


def sample(text: str, name: str) -> float | None:
    """The value of the unlabelled series `name` in a /metrics text, None when absent."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_sqlite_group_commit_counts_rise_with_each_write(api: Api) -> None:
    if external_url() or extra_env().get("BOXOFFICE_PROFILE") == "cluster":
        pytest.skip("SQLite's group commit: embedded profile only")
    before = api.get("/metrics").text
    writes_before = sample(before, "boxoffice_sqlite_grouped_writes_total")
    assert writes_before is not None
    api.new_user()  # the sign-up is one write transaction
    after = api.get("/metrics").text
    writes = sample(after, "boxoffice_sqlite_grouped_writes_total")
    groups = sample(after, "boxoffice_sqlite_write_groups_total")
    assert writes is not None and writes >= writes_before + 1
    assert groups is not None and 1 <= groups <= writes
    assert sample(after, "boxoffice_sqlite_writes_queued") is not None


def test_openapi_document_lists_every_route(api: Api) -> None:
    resp = api.get("/openapi.yaml")
    assert resp.status_code == 200
    text = resp.text
    assert text.lstrip().startswith("openapi:"), text[:200]
    documented = {line.strip().rstrip(":") for line in text.splitlines() if line.startswith("  /")}
    used = {
        "/api/v1/users", "/api/v1/queue/token", "/api/v1/queue/status", "/api/v1/concerts",
        "/api/v1/concerts/{concertId}/available-events", "/api/v1/concert-events/{eventId}/seats",
        "/api/v1/concert-events/{eventId}/available-seats",
        "/api/v1/concert-events/{eventId}/occupy", "/api/v1/occupations/{occupationId}",
        "/api/v1/concert-events/{eventId}/reserve", "/api/v1/reservations/{reservationId}/cancel",
        "/api/v1/payments", "/api/v1/users/{userId}/payments",
        "/api/v1/users/{userId}/reservations", "/api/v1/users/{userId}/wallet",
        "/api/v1/users/{userId}/wallet/charge", "/api/v1/users/{userId}/wallet/transactions",
        "/api/v1/admin/concerts", "/api/v1/admin/concerts/{concertId}/events",
        "/api/v1/admin/policies", "/api/v1/admin/concerts/{concertId}/queue",
        "/healthz", "/readyz", "/metrics",
    }
    assert used <= documented, sorted(used - documented)


def test_admin_policies_read_back(api: Api) -> None:
    api.set_policies(holdTtlSeconds=120, maxSeatsPerHold=6)
    policies = data_of(api.get("/api/v1/admin/policies", admin=True))
    assert policies["holdTtlSeconds"] == 120 and policies["maxSeatsPerHold"] == 6
    assert policies["admitIntervalMs"] == api.policies["admitIntervalMs"]


def test_catalogue_lists_new_concerts_at_once(api: Api) -> None:
    before = {c["id"] for c in list_of(api.get("/api/v1/concerts"))}
    concert = api.make_concert()
    after = {c["id"] for c in list_of(api.get("/api/v1/concerts"))}
    assert after - before == {concert.id}


def test_sigterm_stops_the_server_cleanly(start_server) -> None:
    srv, own = start_server()
    user = own.new_user(balance=1_000)
    assert srv.stop() == 0, srv.log_tail()
    # The data survives a restart on the same directory.
    srv.start()
    own = Api(srv)
    assert own.balance(user) == 1_000
