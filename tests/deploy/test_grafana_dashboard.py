"""deploy/grafana/boxoffice.json against what the server really exports.

Starts the real binary (the Server of the black-box suite), makes it serve one whole sale so that
every series exists, scrapes /metrics, and fails if the dashboard is not a well-formed Grafana
dashboard, if an expression does not parse (promtool, when installed), or if a panel queries a
metric name that the scrape does not contain.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# Loaded by this directory's conftest.py.
import boxoffice_functional_harness as harness

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "boxoffice.json"


# Series Prometheus adds to every scrape target itself; the server does not export them.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

# PromQL words that look like identifiers but are not metric names.
PROMQL_FUNCTIONS = {
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
    "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
    "count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg",
    "delta", "deriv", "exp", "floor", "histogram_count", "histogram_fraction",
    "histogram_quantile", "histogram_sum", "holt_winters", "hour", "idelta", "increase", "irate",
    "label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "mad_over_time",
    "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
    "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn",
    "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time",
    "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
}
PROMQL_AGGREGATORS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
    "topk", "quantile",
}
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
                   "offset", "and", "or", "unless", "atan2", "inf", "nan"}
NOT_METRICS = PROMQL_FUNCTIONS | PROMQL_AGGREGATORS | PROMQL_KEYWORDS

# Grafana's built-in interval variables, replaced by a duration before parsing.
GRAFANA_VARIABLES = re.compile(r"\$(__(rate_interval|interval|range)|\{__(rate_interval|interval|range)\})")
IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
# name{label="value",...} value; label values may hold braces (route templates) and escapes.
SAMPLE_LINE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+\S+$')


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects: identifiers left once strings, label matchers,
    range and offset durations, grouping clauses, numbers, functions and keywords are gone."""
    text = GRAFANA_VARIABLES.sub("5m", expr)
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', text)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range selectors and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\boffset\s+-?\w+", " ", text)
    text = re.sub(r"(?<![A-Za-z0-9_:])\d[\w.]*", " ", text)  # numbers and durations (1e-9, 5m)
    names = set()
    for match in IDENTIFIER.finditer(text):
        word = match.group(0)
        if word.lower() in NOT_METRICS:
            continue
        names.add(word)
    return names


def test_metric_names_parser_knows_promql() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{route=~"/x|y", status!="5.."}'
        "[$__rate_interval]))) / clamp_min(sum without (instance) (b_total offset 5m), 1e-9)"
        " + on (concert) group_left max(c) + count(d[5m:1m]) and bool e"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c", "d", "e"}


def panels_of(dashboard: dict) -> list[dict]:
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))  # panels inside collapsed rows
    return out


@pytest.fixture(scope="module")
def dashboard() -> dict:
    with open(DASHBOARD, encoding="utf-8") as f:
        return json.load(f)


def test_dashboard_is_well_formed(dashboard: dict) -> None:
    assert isinstance(dashboard.get("title"), str) and dashboard["title"]
    assert isinstance(dashboard.get("uid"), str) and 0 < len(dashboard["uid"]) <= 40
    assert isinstance(dashboard.get("schemaVersion"), int) and dashboard["schemaVersion"] >= 30
    assert isinstance(dashboard.get("panels"), list) and dashboard["panels"]
    variables = {v["name"] for v in dashboard.get("templating", {}).get("list", [])}
    ids = set()
    queried = 0
    for panel in panels_of(dashboard):
        where = f"panel {panel.get('id')} {panel.get('title')!r}"
        assert isinstance(panel.get("id"), int) and panel["id"] not in ids, f"{where}: id"
        ids.add(panel["id"])
        assert isinstance(panel.get("title"), str) and panel["title"], f"{where}: title"
        grid = panel.get("gridPos", {})
        assert all(isinstance(grid.get(k), int) for k in ("h", "w", "x", "y")), f"{where}: gridPos"
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, f"{where}: gridPos"
        if panel.get("type") == "row":
            continue
        assert panel.get("type") in {"timeseries", "stat", "gauge", "bargauge", "table"}, where
        source = panel.get("datasource", {})
        assert source.get("type") == "prometheus", f"{where}: datasource"
        uid = source.get("uid", "")
        if uid.startswith("${"):
            assert uid[2:-1] in variables, f"{where}: datasource variable {uid} is not defined"
        targets = panel.get("targets")
        assert isinstance(targets, list) and targets, f"{where}: no targets"
        refs = [t.get("refId") for t in targets]
        assert len(set(refs)) == len(refs) and all(refs), f"{where}: refIds {refs}"
        for target in targets:
            assert isinstance(target.get("expr"), str) and target["expr"].strip(), f"{where}: expr"
            queried += 1
    assert queried >= 5, "the dashboard queries almost nothing"


def test_expressions_parse(dashboard: dict, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    rules = {"groups": [{"name": "dashboard", "rules": []}]}
    for panel in panels_of(dashboard):
        for target in panel.get("targets", []):
            rules["groups"][0]["rules"].append({
                "record": f"dashboard:panel{panel['id']}:{target['refId']}",
                "expr": GRAFANA_VARIABLES.sub("5m", target["expr"]),
            })
    path = tmp_path / "dashboard-rules.json"  # JSON is YAML
    path.write_text(json.dumps(rules))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def scraped_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Metric names in a scrape of a server that has sold a seat, so every series exists."""
    server = harness.Server(tmp_path_factory.mktemp("metrics-server"), name="metrics-server",
                            RATE_LIMIT_PER_SECOND=0)
    server.start()
    try:
        api = harness.Api(server)
        api.reset_policies()
        concert = api.make_concert(seat_count=4, price=1_000)
        user = api.admitted_user(concert, balance=10_000)
        waiting = api.new_user()
        api.join(waiting, concert)  # one user stays in the queue
        _, reservation = api.book(user, concert.event, api.seat_ids(user, concert.event)[:1])
        harness.data_of(api.pay(user, reservation["id"]), 201)
        harness.expect(api.get("/api/v1/no-such-route"), 404)
        resp = api.get("/metrics")
        assert resp.status_code == 200, resp.text[:500]
        text = resp.text
    finally:
        server.stop()
    names = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            match = SAMPLE_LINE.match(line)
            assert match, f"not a Prometheus sample line: {line!r}"
            names.add(match.group(1))
    return names


def test_every_queried_metric_is_exported(dashboard: dict, scraped_names: set[str]) -> None:
    missing = {}
    used = set()
    for panel in panels_of(dashboard):
        for target in panel.get("targets", []):
            for name in metric_names(target["expr"]):
                used.add(name)
                if name not in scraped_names and name not in SCRAPE_SERIES:
                    missing.setdefault(name, []).append(panel["title"])
    assert not missing, f"queried but not in /metrics: {missing}; exported: {sorted(scraped_names)}"


def test_every_exported_metric_has_a_panel(dashboard: dict, scraped_names: set[str]) -> None:
    """A metric added to the server without a panel is invisible to operators."""
    exprs = [t["expr"] for p in panels_of(dashboard) for t in p.get("targets", [])]
    used = {name for expr in exprs for name in metric_names(expr)}
    families = {re.sub(r"_(bucket|sum|count)$", "", n) for n in scraped_names}
    covered = {re.sub(r"_(bucket|sum|count)$", "", n) for n in used}
    assert families <= covered, f"exported but on no panel: {sorted(families - covered)}"
