"""docker-compose.yml, the Dockerfile and the shared config files against scripts/cluster.

No Docker engine runs here, so the container deployment is checked by reading it: it must parse,
run the same services with the same BOXOFFICE_* settings as scripts/cluster, mount the same
HAProxy and Prometheus files, and build with the packages of scripts/setup-deps. HAProxy's and
Prometheus's own checkers validate the shared files when they are installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from ipaddress import ip_address, ip_network
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SCRIPT = ROOT / "scripts" / "cluster"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
HAPROXY_CFG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
INSTANCES = ("instance1", "instance2", "instance3")


@pytest.fixture(scope="module")
def compose() -> dict:
    with open(COMPOSE, encoding="utf-8") as f:
        parsed = yaml.safe_load(f)  # resolves the <<: merge keys
    assert isinstance(parsed, dict) and isinstance(parsed.get("services"), dict)
    return parsed


@pytest.fixture(scope="module")
def script() -> str:
    return CLUSTER_SCRIPT.read_text()


def script_instance_settings(script: str) -> set[str]:
    """The BOXOFFICE_* names scripts/cluster writes into every instance's environment."""
    body = re.search(r"^write_instance_env\(\) \{\n(.*?)^\}", script, re.M | re.S)
    assert body, "write_instance_env not found in scripts/cluster"
    names = set(re.findall(r"\b(BOXOFFICE_[A-Z0-9_]+)=", body.group(1)))
    assert {"BOXOFFICE_PROFILE", "BOXOFFICE_DB_URL"} <= names, names
    return names


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_runs_the_services_of_the_script(compose: dict, script: str) -> None:
    services = compose["services"]
    assert set(services) >= {"mariadb", "redis", "kafka", *INSTANCES, "haproxy", "prometheus"}
    assert re.search(r"instance_port\(\) \{ echo \$\(\(PORT \+ \$1\)\); \}", script)
    assert re.search(r"^readonly kInstances=3$", script, re.M), "the script runs three instances"
    assert services["mariadb"]["image"].startswith("mariadb:10.11")
    assert services["redis"]["image"].split(":")[1].startswith("7")
    assert services["haproxy"]["image"].startswith("haproxy:2.6")


def test_instances_get_the_settings_the_script_gives(compose: dict, script: str) -> None:
    expected = script_instance_settings(script)
    services = compose["services"]
    ids = set()
    for name in INSTANCES:
        env = environment(services[name])
        given = {k for k in env if k.startswith("BOXOFFICE_")}
        assert given == expected, (
            f"{name}: compose sets {sorted(given - expected)} that scripts/cluster does not, and "
            f"lacks {sorted(expected - given)}"
        )
        assert env["BOXOFFICE_PROFILE"] == "cluster"
        ids.add(env["BOXOFFICE_INSTANCE_ID"])
        # The URLs name services of this file.
        assert urlsplit(env["BOXOFFICE_DB_URL"]).hostname in services
        assert urlsplit(env["BOXOFFICE_REDIS_URL"]).hostname in services
        assert env["BOXOFFICE_KAFKA_BROKERS"].split(":")[0] in services
        assert urlsplit(env["BOXOFFICE_DB_URL"]).path == "/boxoffice"
        # Secrets come from the operator, never from the file.
        assert env["BOXOFFICE_ADMIN_TOKEN"].startswith("${BOXOFFICE_ADMIN_TOKEN")
        assert env["BOXOFFICE_JWT_SECRET"].startswith("${BOXOFFICE_JWT_SECRET")
        # The instances believe X-Forwarded-For from the balancer's fixed address only.
        balancer = services["haproxy"]["networks"]["default"]["ipv4_address"]
        assert env["BOXOFFICE_TRUSTED_PROXIES"] == balancer
        assert ip_address(balancer) in ip_network(
            compose["networks"]["default"]["ipam"]["config"][0]["subnet"])
    assert ids == {"instance-1", "instance-2", "instance-3"}
    # As in the script, instance 1 migrates alone before the others start.
    for name in INSTANCES[1:]:
        assert services[name]["depends_on"]["instance1"]["condition"] == "service_healthy"


def test_haproxy_uses_the_shared_config(compose: dict, script: str) -> None:
    service = compose["services"]["haproxy"]
    assert any(v.startswith("./deploy/haproxy/haproxy.cfg:") for v in service["volumes"])
    assert '"${root}/deploy/haproxy/haproxy.cfg"' in script
    variables = set(re.findall(r'"\$\{([A-Z0-9_]+)\}"', HAPROXY_CFG.read_text()))
    assert variables, "haproxy.cfg reads no variables"
    assert variables == set(environment(service)), "compose and haproxy.cfg differ in variables"
    rendered_by_script = set(re.findall(r'"(BOXOFFICE_[A-Z0-9_]+)=', script))
    assert variables <= rendered_by_script, f"unrendered: {variables - rendered_by_script}"
    backends = {v for k, v in environment(service).items() if k.startswith("BOXOFFICE_INSTANCE_")}
    assert backends == {f"{name}:8080" for name in INSTANCES}


def test_haproxy_config_is_valid() -> None:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.skip("haproxy is not installed")
    env = dict(os.environ, BOXOFFICE_LB_BIND="127.0.0.1:1", BOXOFFICE_LB_STATS="127.0.0.1:2",
               BOXOFFICE_INSTANCE_1="127.0.0.1:3", BOXOFFICE_INSTANCE_2="127.0.0.1:4",
               BOXOFFICE_INSTANCE_3="127.0.0.1:5")
    result = subprocess.run([haproxy, "-c", "-f", str(HAPROXY_CFG)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_prometheus_uses_the_shared_config(compose: dict, script: str) -> None:
    service = compose["services"]["prometheus"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in service["volumes"]
    assert '"${root}/deploy/prometheus/prometheus.yml"' in script
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    assert config["global"]["scrape_interval"] == "5s"
    job = config["scrape_configs"][0]
    files = job["file_sd_configs"][0]["files"]
    assert files == ["targets/boxoffice.json"]
    assert "targets/boxoffice.json" in script
    groups = json.loads((PROMETHEUS_DIR / files[0]).read_text())
    targets = {t for g in groups for t in g["targets"]}
    assert targets == {f"{name}:8080" for name in INSTANCES}


def test_prometheus_config_is_valid(tmp_path: Path) -> None:
    """The file scripts/cluster copies, with a targets file as the script writes it."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    shutil.copy(PROMETHEUS_DIR / "prometheus.yml", tmp_path / "prometheus.yml")
    (tmp_path / "targets").mkdir()
    shutil.copy(PROMETHEUS_DIR / "targets" / "boxoffice.json", tmp_path / "targets")
    result = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def dockerfile_stages() -> list[tuple[str, list[str]]]:
    """(FROM line, instructions) per stage, with continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append((line, []))
        else:
            assert stages, "instruction before FROM"
            stages[-1][1].append(line)
    return stages


def apt_packages(instructions: list[str]) -> set[str]:
    out = set()
    for line in instructions:
        for part in line.split("&&"):
            words = shlex.split(part)
            if "install" in words and any(w.endswith("apt-get") for w in words):
                out |= {w for w in words[words.index("install") + 1:] if not w.startswith("-")}
    return out


def test_dockerfile_builds_with_the_setup_deps_packages() -> None:
    setup = (ROOT / "scripts" / "setup-deps").read_text()
    listed = re.search(r"^packages=\((.*?)^\)", setup, re.M | re.S)
    assert listed
    expected = set(listed.group(1).split())
    stages = dockerfile_stages()
    assert len(stages) >= 2, "a build stage and a runtime stage"
    build_from, build = stages[0]
    assert re.match(r"FROM debian:12\S* AS build", build_from, re.I)
    assert apt_packages(build) == expected
    assert any("--preset release" in line for line in build)


def test_dockerfile_runtime_stage() -> None:
    runtime_from, runtime = dockerfile_stages()[-1]
    assert re.match(r"FROM debian:12\S*", runtime_from, re.I)
    packages = apt_packages(runtime)
    assert not any(p.endswith("-dev") for p in packages), "no development packages at run time"
    # SOCI loads its backends with dlopen: both must be present.
    assert {"libsoci-sqlite3-4.0", "libsoci-mysql4.0"} <= packages
    user = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert user and user[-1] not in ("root", "0"), "runs as a non-root user"
    assert "EXPOSE 8080" in runtime
    health = [line for line in runtime if line.upper().startswith("HEALTHCHECK")]
    assert health and "/healthz" in health[0]
