#!/usr/bin/env python3
"""Writes docs/performance.md from the results.json of scripts/bench.

    bench/report/generate.py RESULTS.json --out docs/performance.md

Everything in the output is generated except the text between the analysis markers, which is
kept from the existing file at --out (a person writes it: what limits each target). Status
columns (met/missed) are computed from the numbers, never written by hand.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

BEGIN = "<!-- analysis:begin (hand-written; kept by bench/report/generate.py) -->"
END = "<!-- analysis:end -->"
DEFAULT_ANALYSIS = """\
_Not written yet: after a full `make bench`, say here what limits each target, using the ratios
above (which ceiling each endpoint reaches, and what the rest of the time goes to)._
"""

# Targets and the reference's figures (SPEC.md section 6 and the performance issue).
TOKEN_TARGET = 18_500
STATUS_TARGET = 16_900
PACED_P99_TARGET_MS = 5.0
PACED_TARGET_RATE = 20_000
# A paced run that fell short of this rate measured a smaller load, not the target's.
PACED_MIN_RATE = 0.95 * PACED_TARGET_RATE
REFERENCE = {
    "queue_token": "1,849 req/s (p95 911 ms)",
    "queue_status": "1,686 req/s (p95 163 ms)",
    "concerts_cached": "43.3 ms mean",
    "concerts_uncached": "401 ms",
    "available_seats": "n/a",
}
RACE_REFERENCE_MS = {10: 222.8, 100: 255.2, 1000: 409.2, 5000: 1825.0}
# The rush's target at 5,000 users: requests/s through the funnel (the performance issue).
RUSH_TARGET = 4_170
MAX_BAD_FRACTION = 0.01  # more non-2xx answers than this makes a throughput figure invalid

ENDPOINTS = [
    ("queue_token", "POST /api/v1/queue/token (token issue)"),
    ("queue_status", "GET /api/v1/queue/status (status poll, waiting users)"),
    ("concerts_cached", "GET /api/v1/concerts (cached)"),
    ("available_seats", "GET /api/v1/concert-events/{id}/available-seats"),
]
# Which measured ceiling bounds each endpoint, per profile: (step key, test name or None, label,
# calls of that kind per request). The fraction shown is rps * calls / ceiling. In the cluster
# profile token issue runs one Redis script (the join, which returns the line's counts with the
# place; the concerts-set SADD is pipelined with it and the dates come from the instance's near
# copy of the catalogue cache), a status poll one (the touch, which returns the counts too); a
# cached concert list is served from that near copy (ADR 0013), no Redis call per request.
BOUND = {
    "embedded": {
        "queue_token": ("embedded.http_ceiling", None, "HTTP (in-memory waiting room)", 1),
        "queue_status": ("embedded.http_ceiling", None, "HTTP (in-memory waiting room)", 1),
        "concerts_cached": ("embedded.http_ceiling", None, "HTTP (in-memory cache)", 1),
        "available_seats": ("ceiling.sqlite_read", None, "SQLite point reads", 1),
    },
    "cluster": {
        "queue_token": ("ceiling.redis", "EVAL (3-command script)",
                        "Redis EVAL × 1 per request (join with counts)", 1),
        "queue_status": ("ceiling.redis", "EVAL (3-command script)",
                         "Redis EVAL × 1 per request (touch with counts)", 1),
        "concerts_cached": ("cluster.http_ceiling", None,
                            "HTTP (the instance's near copy of the Redis catalogue cache)", 1),
        "available_seats": ("ceiling.mysql_read", None, "MariaDB point reads", 1),
    },
}


def num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def spread_text(s: dict[str, float] | None, fmt=num) -> str:
    if not s:
        return "–"
    if s["min"] == s["max"]:
        return fmt(s["median"])
    return f"{fmt(s['median'])} ({fmt(s['min'])}–{fmt(s['max'])})"


def ok(step: dict[str, Any] | None) -> bool:
    return bool(step) and step.get("status") == "ok"


def why_not(step: dict[str, Any] | None) -> str:
    if not step:
        return "not run"
    return step.get("status", "not run")


def ceiling_value(steps: dict[str, Any], key: str, test: str | None) -> float | None:
    step = steps.get(key)
    if not ok(step):
        return None
    if step["kind"] == "wrk":
        return step["summary"]["rps"]["median"]
    if step["kind"] == "ceiling":
        return step["summary"]["tps"]["median"]
    if step["kind"] == "redis-benchmark":
        t = step["tests"].get(test or "")
        return t["summary"]["rps"]["median"] if t else None
    return None


def bad_fraction(step: dict[str, Any]) -> float:
    total = step.get("requests") or 0
    return (step.get("non2xx", 0) + step.get("socket_errors", 0)) / total if total else 1.0


def runs_meeting(step: dict[str, Any], meets: Callable[[dict[str, Any]], bool]) -> str:
    """How many of the step's runs meet a target on their own, as "k of n runs"; empty when the
    step kept no per-run figures. A median at the target's edge reads as met; this says how
    often it was."""
    runs = [r for r in step.get("runs") or [] if isinstance(r, dict)]
    if not runs:
        return ""
    return f"{sum(1 for r in runs if meets(r))} of {len(runs)} runs"


def verdict(key: str, step: dict[str, Any] | None) -> tuple[str, str]:
    """(target text, met/missed text) for an endpoint row."""
    targets = {"queue_token": TOKEN_TARGET, "queue_status": STATUS_TARGET}
    if key not in targets:
        return "–", "–"
    target = targets[key]
    text = f"≥ {target:,} req/s"
    if not ok(step):
        return text, "not measured"
    if bad_fraction(step) > MAX_BAD_FRACTION:
        return text, "invalid (errors)"
    rps = step["summary"]["rps"]["median"]
    count = runs_meeting(step, lambda r: float(r.get("rps") or 0) >= target)
    if rps >= target:
        return text, labelled("**met**", count)
    return text, labelled("missed", f"{rps / target:.0%} of target", count)


def labelled(word: str, *details: str) -> str:
    """`word`, then the details that are not empty in parentheses: "missed (84%; 1 of 5 runs)"."""
    shown = [d for d in details if d]
    return f"{word} ({'; '.join(shown)})" if shown else word


# ---------------------------------------------------------------------------------------------


def header(meta: dict[str, Any]) -> list[str]:
    m = meta["machine"]
    plan = meta["plan"]
    dirty = " (with uncommitted changes)" if meta.get("dirty") else ""
    lines = [
        "# Performance",
        "",
        "<!-- Generated by bench/report/generate.py from the results of scripts/bench "
        "(`make bench`). Edit only the analysis between its markers; everything else is "
        "rewritten by the next run. -->",
        "",
    ]
    if meta.get("smoke"):
        lines += ["> **Smoke run** (1 run, 1 s, a handful of users): it checks that every step "
                  "works; its figures mean nothing.", ""]
    tools = ", ".join(f"{k}: {v}" for k, v in sorted(meta.get("tools", {}).items()))
    lines += [
        f"- **Date (UTC):** {meta['started_at']} to {meta['finished_at']}",
        f"- **Commit:** `{meta['commit']}`{dirty}",
        f"- **Machine:** {m['cores']} cores, {m['mem_kib'] / 1024 / 1024:.1f} GiB memory, "
        f"{m['cpu_model']}, Linux {m['kernel']}",
        f"- **Command:** `{meta['command']}` (scripts/bench; the exact command of each table is "
        "under it)",
        f"- **Tools:** {tools}" if tools else "- **Tools:** –",
        f"- **Load average (1 min)** at start / end: {meta['loadavg_start'][0]:.2f} / "
        f"{meta['loadavg_end'][0]:.2f} (anything above 0 before the first step is other work "
        "on the machine; each step's own load is in results.json)",
        "",
        f"**The load generators and the servers share the same {m['cores']} cores.** wrk, "
        "redis-benchmark and boxoffice-ceiling run on the machine that runs boxoffice, MariaDB "
        "and Redis; nothing is pinned to a core. An absolute figure here is therefore what is "
        "left after the load generator took its share; the ratio of an endpoint to a ceiling "
        "measured in the same run, under the same sharing, is the figure to compare.",
        "",
        f"Method: each figure is the median of {plan['runs']} runs (min–max in parentheses) of "
        f"{plan['seconds']} s each; wrk uses {plan['threads']} threads, {plan['connections']} "
        "keep-alive connections and `--latency`; requests of the queue and seat endpoints "
        f"rotate over distinct users ({plan['waiting_users']:,} waiting, "
        f"{plan['active_users']:,} admitted) whose tokens were prepared through the API. "
        "A throughput with more than 1% non-2xx answers or socket errors is marked invalid. "
        "A status says whether the median meets the target, and how many of the runs met it "
        "on their own.",
        "",
    ]
    return lines


def server_section(steps: dict[str, Any]) -> list[str]:
    lines = ["## Servers", ""]
    for profile in ("embedded", "cluster"):
        step = steps.get(f"{profile}.server")
        if not ok(step):
            lines.append(f"- **{profile}**: {why_not(step)}")
            continue
        settings = " ".join(f"{k}={v}" for k, v in step["settings"].items())
        lines.append(f"- **{profile}**: `{settings} {step['command']}`")
        prep = steps.get(f"{profile}.prepare")
        if ok(prep):
            lines.append(f"  - prepared through the API in {prep['seconds']} s: one concert with "
                         f"a 50-seat date, {prep['active_users']:,} users admitted, "
                         f"{prep['waiting_users']:,} users waiting")
        elif prep:
            lines.append(f"  - preparation {why_not(prep)}")
    lines += ["", "The cluster profile runs one instance over one MariaDB and one Redis (enough "
              "for endpoint throughput on 2 cores; more instances would only share the same "
              "cores). MariaDB runs with scripts/mariadb's production settings "
              "(`innodb_flush_log_at_trx_commit=1`, READ COMMITTED); the embedded profile's "
              "SQLite with WAL and `synchronous=FULL` (the server's default).", ""]
    return lines


def ceilings_section(steps: dict[str, Any]) -> list[str]:
    lines = ["## Ceilings of this machine (same run)", "",
             "| Ceiling | Measured as | Median (min–max) | p50 ms | p99 ms |",
             "|---|---|---|---|---|"]
    commands = []
    for profile in ("embedded", "cluster"):
        step = steps.get(f"{profile}.http_ceiling")
        label = f"HTTP, {profile} server"
        if ok(step):
            s = step["summary"]
            lines.append(f"| {label} | GET /healthz (no work), req/s | {spread_text(s['rps'])} | "
                         f"{spread_text(s['p50_ms'], ms)} | {spread_text(s['p99_ms'], ms)} |")
            commands.append((label, step["command"]))
        else:
            lines.append(f"| {label} | GET /healthz | {why_not(step)} | | |")
    redis = steps.get("ceiling.redis")
    if ok(redis):
        for test, data in redis["tests"].items():
            s = data["summary"]
            lines.append(f"| Redis {test} | redis-benchmark, ops/s | {spread_text(s['rps'])} | "
                         f"{spread_text(s['p50_ms'], ms)} | {spread_text(s['p99_ms'], ms)} |")
        commands.append(("Redis", redis["command"]))
    else:
        lines.append(f"| Redis | redis-benchmark | {why_not(redis)} | | |")
    db_rows = [
        ("ceiling.sqlite_update", "SQLite single-row update transactions/s"),
        ("ceiling.sqlite_read", "SQLite point reads/s"),
        ("ceiling.mysql_update", "MariaDB single-row update transactions/s (distinct rows)"),
        ("ceiling.mysql_hot", "MariaDB update transactions/s, all connections on one row"),
        ("ceiling.mysql_read", "MariaDB point reads/s"),
    ]
    for key, label in db_rows:
        step = steps.get(key)
        if ok(step):
            s = step["summary"]
            err = f", {step['errors']} errors" if step.get("errors") else ""
            lines.append(f"| {label} | boxoffice-ceiling, {step['connections']} connections"
                         f"{err} | {spread_text(s['tps'])} | {spread_text(s['p50_ms'], ms)} | "
                         f"{spread_text(s['p99_ms'], ms)} |")
            commands.append((label, step["command"]))
        else:
            lines.append(f"| {label} | boxoffice-ceiling | {why_not(step)} | | |")
    lines += ["", "A transaction of the ceiling tool is BEGIN (IMMEDIATE on SQLite), one UPDATE of "
              "one row by primary key, COMMIT, with the server's durability settings and pool "
              "size: the cheapest write the server can commit, so every endpoint that commits "
              "is bound by it. The EVAL test runs a 3-command script (ZADD, ZRANK, ZSCORE), the "
              "shape of the waiting room's join and status scripts.", "", "Commands:", ""]
    lines += [f"- {label}: `{cmd}`" for label, cmd in commands]
    return lines + [""]


def endpoints_section(steps: dict[str, Any]) -> list[str]:
    lines = ["## Endpoint throughput", "",
             "| Profile | Endpoint | req/s median (min–max) | p50 ms | p99 ms | non-2xx | "
             "Bound by | Fraction of that ceiling | Fraction of HTTP ceiling | Target | "
             "Reference (k6, 5,000 users) | Status |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    commands = []
    for profile in ("embedded", "cluster"):
        http_ceiling = ceiling_value(steps, f"{profile}.http_ceiling", None)
        for key, label in ENDPOINTS:
            step = steps.get(f"{profile}.{key}")
            target, status = verdict(key, step)
            bound_key, bound_test, bound_label, calls = BOUND[profile][key]
            if not ok(step):
                lines.append(f"| {profile} | {label} | {why_not(step)} | | | | {bound_label} | "
                             f"| | {target} | {REFERENCE[key]} | {status} |")
                continue
            s = step["summary"]
            rps = s["rps"]["median"]
            bound = ceiling_value(steps, bound_key, bound_test)
            frac = f"{rps * calls / bound:.0%}" if bound else "–"
            frac_http = f"{rps / http_ceiling:.0%}" if http_ceiling else "–"
            bad = step.get("non2xx", 0) + step.get("socket_errors", 0)
            bad_text = f"{bad:,} ({bad_fraction(step):.1%})" if bad else "0"
            lines.append(f"| {profile} | {label} | {spread_text(s['rps'])} | "
                         f"{spread_text(s['p50_ms'], ms)} | {spread_text(s['p99_ms'], ms)} | "
                         f"{bad_text} | {bound_label} | {frac} | {frac_http} | {target} | "
                         f"{REFERENCE[key]} | {status} |")
            commands.append((f"{profile}, {label}", step["command"]))
    lines += ["", "Token issue runs last in each profile: asking again gives a user a new token "
              "for the same place, so after the first pass over the token file each request is "
              "a re-issue (the same work as a first issue but for the arrival number).", "",
              "Commands:", ""]
    lines += [f"- {label}: `{cmd}`" for label, cmd in commands]
    return lines + [""]


def concert_list_section(steps: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    lines = ["## Concert list latency", "",
             "| Profile | Case | Rate | mean ms | p50 ms | p99 ms | Target | Reference | Status |",
             "|---|---|---|---|---|---|---|---|---|"]
    commands = []
    for profile in ("embedded", "cluster"):
        cached = steps.get(f"{profile}.concerts_cached")
        if ok(cached):
            s = cached["summary"]
            lines.append(f"| {profile} | cached, full load ({plan['connections']} connections) | "
                         f"{spread_text(s['rps'])} req/s | {spread_text(s['mean_ms'], ms)} | "
                         f"{spread_text(s['p50_ms'], ms)} | {spread_text(s['p99_ms'], ms)} | – | "
                         f"{REFERENCE['concerts_cached']} | – |")
        else:
            lines.append(f"| {profile} | cached, full load | {why_not(cached)} | | | | – | "
                         f"{REFERENCE['concerts_cached']} | – |")
        paced = steps.get(f"{profile}.concerts_paced")
        target_rate = plan.get("paced_rate", PACED_TARGET_RATE)
        target = f"p99 < {PACED_P99_TARGET_MS:g} ms at {PACED_TARGET_RATE:,} req/s"
        if ok(paced):
            s = paced["summary"]
            rate = s["rps"]["median"]
            p99 = s["p99_ms"]["median"]
            count = runs_meeting(paced, lambda r: float(r.get("rps") or 0) >= PACED_MIN_RATE
                                 and r.get("p99_ms") is not None
                                 and float(r["p99_ms"]) < PACED_P99_TARGET_MS)
            if bad_fraction(paced) > MAX_BAD_FRACTION:
                status = "invalid (errors)"
            elif rate < PACED_MIN_RATE:
                status = labelled("missed", f"rate {rate:,.0f} req/s reached, p99 {ms(p99)} ms",
                                  count)
            elif p99 < PACED_P99_TARGET_MS:
                status = labelled("**met**", count)
            else:
                status = labelled("missed", f"p99 {ms(p99)} ms", count)
            lines.append(f"| {profile} | cached, paced to {target_rate:,} req/s | "
                         f"{spread_text(s['rps'])} req/s achieved | "
                         f"{spread_text(s['mean_ms'], ms)} | {spread_text(s['p50_ms'], ms)} | "
                         f"{spread_text(s['p99_ms'], ms)} | {target} | – | {status} |")
            commands.append((f"{profile}, paced", paced["command"]))
        else:
            lines.append(f"| {profile} | cached, paced | {why_not(paced)} | | | | {target} | – | "
                         "not measured |")
        cold = steps.get(f"{profile}.concerts_uncached")
        if ok(cold):
            s = cold["summary"]
            listed = (f" ({cold['concerts_listed']} concerts)"
                      if cold.get("concerts_listed") is not None else "")
            lines.append(f"| {profile} | uncached: first read after invalidation{listed}, one "
                         "client | sequential | "
                         f"{spread_text(s['mean_ms'], ms)} | {spread_text(s['p50_ms'], ms)} | "
                         f"{spread_text(s['p99_ms'], ms)} | – | "
                         f"{REFERENCE['concerts_uncached']} | – |")
            lines.append(f"| {profile} | the read right after it (cached), one client | "
                         f"sequential | {spread_text(s['warm_mean_ms'], ms)} | "
                         f"{spread_text(s['warm_p50_ms'], ms)} | – | – | – | – |")
            commands.append((f"{profile}, uncached", cold["command"]))
        else:
            lines.append(f"| {profile} | uncached | {why_not(cold)} | | | | – | "
                         f"{REFERENCE['concerts_uncached']} | – |")
    lines += [
        "",
        "How each case is measured:",
        "",
        "- **Cached, full load**: wrk as fast as it can, the catalogue cache filled before.",
        "- **Paced**: wrk has no fixed-rate mode (wrk2 is not packaged in Debian), so "
        "bench/wrk/concerts_paced.lua gives each wrk thread a schedule of send times "
        "(`delay()`, millisecond resolution) summing to the target rate. wrk stays closed-loop: "
        "a connection waits for its answer before its next slot, so when the server falls "
        "behind the achieved rate drops below the target (shown) and the latency is not "
        "corrected for coordinated omission. The target counts as met only when the achieved "
        "rate is at least 95% of 20,000 req/s and the p99 is under 5 ms.",
        "- **Uncached**: the cache cannot be bypassed by a request, and under concurrent load "
        "only the first read after an invalidation misses. So the harness measures that read "
        "itself, one at a time: an operator's new date (on a concert of its own) invalidates "
        "the catalogue cache, then one GET is timed (it reads the database and fills the cache), "
        "then a second GET (served from the cache) for comparison. The reference's 401 ms and "
        "43.3 ms were means under a k6 ramp to 5,000 users, not single-client latencies.",
        "",
        "Commands:",
        "",
    ]
    lines += [f"- {label}: `{cmd}`" for label, cmd in commands]
    return lines + [""]


def race_records(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    if isinstance(data, dict) and "elapsed_ms" in data:  # a file of one JSON line
        return [data]
    if isinstance(data, dict):
        for key in ("records", "results", "runs"):
            if isinstance(data.get(key), list):
                return [r for r in data[key] if isinstance(r, dict)]
    return []


def race_section(steps: dict[str, Any]) -> list[str]:
    lines = ["## Race for one seat", "",
             "N users try to hold the same seat at once; exactly one must win. "
             "Tool: bench/race (boxoffice-race-bench).", ""]
    parts = [steps.get("race"), steps.get("race_mysql")]
    backends = []
    for part in parts:
        if part and part.get("backends"):
            backends += part["backends"]
    if not backends:
        status = next((p.get("status") for p in parts if p), "not run")
        return lines + [f"_{status}._", ""]
    lines += ["| Backend | Strategy | N | elapsed ms median (min–max) | runs | winners | "
              "Reference (Redis lock + pessimistic) |", "|---|---|---|---|---|---|---|"]
    commands = []
    for b in backends:
        if "data" not in b:
            lines.append(f"| {b['backend']} | – | – | {b.get('status', 'failed')} | | | |")
            continue
        commands.append((b["backend"], b["command"]))
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for r in race_records(b["data"]):
            groups.setdefault((r.get("backend", b["backend"]), r.get("strategy", "–"),
                               r.get("n")), []).append(r)
        for (backend, strategy, n), rows in sorted(groups.items(),
                                                   key=lambda kv: (str(kv[0][0]), str(kv[0][1]),
                                                                   kv[0][2] or 0)):
            elapsed = [float(r["elapsed_ms"]) for r in rows if "elapsed_ms" in r]
            winners = sorted({r.get("winners") for r in rows}, key=str)
            s = {"median": statistics.median(elapsed), "min": min(elapsed),
                 "max": max(elapsed)} if elapsed else None
            winners_text = ", ".join(str(w) for w in winners)
            if winners != [1]:
                winners_text = f"**{winners_text}** (must be 1)"
            ref = RACE_REFERENCE_MS.get(n) if strategy != "floor" else None  # not a strategy
            n_text = num(n) if isinstance(n, (int, float)) else n
            ref_text = f"{num(ref, 1)} ms" if ref else "–"
            lines.append(f"| {backend} | {strategy} | {n_text} | {spread_text(s, ms)} | "
                         f"{len(rows)} | {winners_text} | {ref_text} |")
    notes = [n for part in parts if part for n in part.get("notes", [])]
    lines += ["", "The reference's other strategies (SPEC.md, without the number of users): "
              "pessimistic lock only 4,382.3 ms, optimistic 3,264.0 ms. Each race's time runs "
              "from the release of all N callers to the last answer."]
    if any(r.get("strategy") == "floor" for b in backends for r in race_records(b.get("data"))):
        lines += ["", "**floor** does no work: each caller answers at once. It is what starting "
                  "and answering N parked threads costs on this machine, in the same run: no "
                  "strategy can be faster, and a strategy's own cost is its time less the "
                  "floor's at the same N."]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    lines += ["", "Commands:", ""]
    lines += [f"- {label}: `{cmd}`" for label, cmd in commands]
    return lines + [""]


def scalar_spread(runs: list[dict[str, Any]], key: str) -> dict[str, float] | None:
    values = [float(r[key]) for r in runs if isinstance(r.get(key), (int, float))
              and not isinstance(r.get(key), bool)]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


LOADGEN_FIGURES = [
    ("purchases_per_s", "purchases/s", lambda v: num(v, 1)),
    ("funnel_requests_per_s", "requests/s through the funnel", num),
    ("purchases", "purchases", num),
    ("seats_bought", "seats bought", num),
    ("seats_on_sale", "seats on sale", num),
    ("sell_out_s", "time to sell out, s", lambda v: num(v, 1)),
    ("wall_s", "run time, s", lambda v: num(v, 1)),
    ("fairness_spearman", "fairness (Spearman, arrival vs admission order)", lambda v: num(v, 3)),
    ("provable_overtakes", "provable overtakes", num),
    ("expected_conflicts", "expected conflicts (409 on a contested seat)", num),
    # Added by scripts/bench from /proc (VmHWM, reset before each rush), not by the tool.
    ("server_peak_rss_mb", "server peak resident memory during the rush, MB",
     lambda v: num(v, 1)),
]


def rush_settings(settings: dict[str, Any]) -> list[str]:
    """The workload of the rush in words, from the flags scripts/bench gave the tool."""
    if not settings:
        return []

    def flag(name: str) -> Any:
        return settings.get(name)

    words = []
    if flag("--users") is not None:
        words.append(f"{num(flag('--users'))} users arriving over {flag('--arrival-seconds')} s")
    if flag("--seats") is not None and flag("--dates") is not None:
        words.append(f"a venue of {num(flag('--dates'))} date(s) × {num(flag('--seats'))} seats "
                     f"({num(flag('--dates') * flag('--seats'))} seats on sale)")
    if flag("--max-seats-per-user") is not None:
        words.append(f"each user wants 1–{flag('--max-seats-per-user')} seats, most of them "
                     "in the front rows")
    if flag("--date-choice") == "weighted":
        words.append("a user tries any date with free seats, in proportion to its free seats")
    elif flag("--date-choice") == "first":
        words.append("every user tries the earliest date with a free seat")
    if flag("--admit-batch") is not None:
        words.append(f"admission of up to {num(flag('--admit-batch'))} users every "
                     f"{num(flag('--admit-interval-ms'))} ms, at most "
                     f"{num(flag('--max-active'))} admitted at once")
    lines = ["Workload: " + "; ".join(words) + ".", ""]
    seats = (flag("--dates") or 0) * (flag("--seats") or 0)
    demand = (flag("--users") or 0) * (1 + (flag("--max-seats-per-user") or 1)) / 2
    if seats and demand and seats >= demand:
        lines += [f"The venue holds more seats than the users want (about {num(demand)} on "
                  "average), so the funnel is busy until the last user has paid: the run "
                  "measures how fast the server takes users through it, not how fast a small "
                  "venue sells out (until 2026-11-26 the rush sold 1,000 seats in about 6 s and "
                  "turned the later users away, so the server had only ~27,000 requests to "
                  "answer). Front-row bias and collisions stay: users who pick the same seat "
                  "get 409 and pick again, and every user walks the whole funnel.", ""]
    return lines


def loadgen_section(steps: dict[str, Any], cores: int | None = None) -> list[str]:
    lines = ["## Ticket-opening rush", "",
             "Users arrive, queue, poll, are admitted, hold, reserve, charge and pay, as in a "
             "ticket opening; then the invariants are checked through the API. Tool: "
             "tools/loadgen (boxoffice-loadgen). Reference (k6, ramp to 5,000 users): hold + "
             "reserve flow 417 req/s, p95 13.2 s, 0.44% failed reservations.", ""]
    shown_settings = False
    for profile in ("embedded", "cluster"):
        step = steps.get(f"{profile}.loadgen")
        if step and step.get("status") == "ok" and not shown_settings:
            lines += rush_settings(step.get("settings") or {})
            shown_settings = True
        lines += [f"### {profile}", ""]
        if not step or step.get("status") != "ok":
            lines += [f"_{why_not(step)}._", ""]
            continue
        first = (steps.get("embedded.loadgen") or {}).get("settings")
        if profile != "embedded" and step.get("settings") and step["settings"] != first:
            flags = " ".join(f"{k} {v}" for k, v in step["settings"].items())
            lines += [f"This profile's workload differs: `{flags}`.", ""]
        runs = [r["data"] for r in step["runs"] if isinstance(r.get("data"), dict)]
        exits = [r.get("exit_code") for r in step["runs"]]
        inv = [bool((d.get("invariants") or {}).get("ok")) for d in runs]
        lines += [f"{len(runs)} runs; exit codes {', '.join(str(e) for e in exits)}; invariants "
                  f"{'**ok in every run**' if inv and all(inv) else '**FAILED in some run**'}"
                  f"{'; deadline hit' if any(d.get('deadline_hit') for d in runs) else ''}.", "",
                  "| Figure | median (min–max) |", "|---|---|"]
        for key, label, fmt in LOADGEN_FIGURES:
            s = scalar_spread(runs, key)
            if s:
                lines.append(f"| {label} | {spread_text(s, fmt)} |")
        step_names: list[str] = []
        for d in runs:
            for name in (d.get("steps") or {}):
                if name not in step_names:
                    step_names.append(name)
        if step_names:
            lines += ["", "| Step | requests (median) | p50 ms | p95 ms | p99 ms |",
                      "|---|---|---|---|---|"]
            for name in step_names:
                per = [d["steps"][name] for d in runs if name in (d.get("steps") or {})]
                lines.append(f"| {name} | {spread_text(scalar_spread(per, 'count'))} | "
                             f"{spread_text(scalar_spread(per, 'p50_ms'), ms)} | "
                             f"{spread_text(scalar_spread(per, 'p95_ms'), ms)} | "
                             f"{spread_text(scalar_spread(per, 'p99_ms'), ms)} |")
        failures: dict[str, int] = {}
        for d in runs:
            for code, count in (d.get("failures") or {}).items():
                failures[code] = failures.get(code, 0) + int(count)
        lines += ["", "Failures by code, all runs: " + (", ".join(
            f"{code} {count:,}" for code, count in sorted(failures.items())) or "none") + "."]
        problems = sorted({p for d in runs
                           for p in (d.get("invariants") or {}).get("problems", [])})
        if problems:
            lines += ["", "Invariant problems: " + "; ".join(str(p) for p in problems[:10])]
        if step.get("notes"):
            lines += ["", "Notes: " + "; ".join(step["notes"])]
        lines += ["", f"Command (per run): `{step['command']}`", ""]
        lines += rush_cpu_section(step, cores)
    return lines


def funnel_requests(data: dict[str, Any]) -> float | None:
    """The requests of one rush that "requests/s through the funnel" counts: all requests of
    the virtual users (the tool's funnel_requests, which it divides by wall_s)."""
    count = data.get("funnel_requests")
    if isinstance(count, (int, float)) and not isinstance(count, bool):
        return float(count)
    rate, wall = data.get("funnel_requests_per_s"), data.get("wall_s")
    if isinstance(rate, (int, float)) and isinstance(wall, (int, float)):
        return float(rate) * float(wall)
    return None


# Rows of the rush's CPU table that add processes up, by the roles scripts/bench gives them.
CPU_WITH_LOADGEN = ("server", "service", "load generator")
CPU_WITHOUT_LOADGEN = ("server", "service")


def rush_cpu_rows(step: dict[str, Any], cores: int | None) -> dict[str, Any] | None:
    """Per row of the CPU table, over the runs that recorded CPU: CPU seconds, CPU µs per
    funnel request and share of cores × wall time, each a list with one value per run.
    None when no run recorded CPU."""
    rows: dict[str, dict[str, list[float]]] = {}
    runs, whole_tool_runs = 0, []

    def add(row: str, cpu_s: float, requests: float, capacity: float) -> None:
        r = rows.setdefault(row, {"cpu_s": [], "us_per_request": [], "share": []})
        r["cpu_s"].append(cpu_s)
        r["us_per_request"].append(cpu_s / requests * 1e6)
        r["share"].append(cpu_s / capacity)

    order: list[str] = []
    for index, run in enumerate(step.get("runs") or [], start=1):
        cpu, data = run.get("cpu"), run.get("data")
        if not isinstance(cpu, dict) or not isinstance(data, dict):
            continue
        requests = funnel_requests(data)
        n_cores = cpu.get("cores") or cores
        wall = cpu.get("wall_s")
        processes = [p for p in cpu.get("processes") or []
                     if isinstance(p.get("cpu_s"), (int, float))]
        if not requests or not n_cores or not wall or not processes:
            continue
        runs += 1
        if cpu.get("window") != "rush":
            whole_tool_runs.append(index)
        capacity = n_cores * wall
        for p in processes:
            if p["name"] not in order:
                order.append(p["name"])
            add(p["name"], p["cpu_s"], requests, capacity)
        add("with", sum(p["cpu_s"] for p in processes if p.get("role") in CPU_WITH_LOADGEN),
            requests, capacity)
        add("without", sum(p["cpu_s"] for p in processes
                           if p.get("role") in CPU_WITHOUT_LOADGEN), requests, capacity)
        machine = cpu.get("machine") or {}
        if isinstance(machine.get("busy_s"), (int, float)):
            add("other", machine["busy_s"] - sum(p["cpu_s"] for p in processes), requests,
                capacity)
            add("machine", machine["busy_s"], requests, capacity)
        for part in ("nice_s", "irq_s", "steal_s"):
            if isinstance(machine.get(part), (int, float)):
                add(part, machine[part], requests, capacity)
    if not runs:
        return None
    return {"runs": runs, "order": order, "rows": rows, "whole_tool_runs": whole_tool_runs,
            "roles": {p["name"]: p.get("role") for r in step.get("runs") or []
                      for p in ((r.get("cpu") or {}).get("processes") or [])}}


def cores_needed(rate: float, us_per_request: float) -> float:
    """Cores of CPU a rate of requests needs at a cost of CPU µs per request."""
    return rate * us_per_request / 1e6


def rush_cpu_section(step: dict[str, Any], cores: int | None) -> list[str]:
    table = rush_cpu_rows(step, cores)
    lines = ["#### CPU during the rush", ""]
    if table is None:
        return lines + ["_Not recorded by this run._", ""]
    rows = table["rows"]
    # The cores the runs counted (os.cpu_count() when they ran), else the machine's.
    n_cores = next((r["cpu"]["cores"] for r in step.get("runs") or []
                    if isinstance(r.get("cpu"), dict) and r["cpu"].get("cores")), cores or 0)
    lines += [f"User + system CPU seconds of each process during the rush, from /proc/PID/stat "
              "(all its threads) before and after, and of the whole machine from /proc/stat; "
              "the rush is the time boxoffice-loadgen runs its users (setup and checks "
              f"excluded). {table['runs']} run(s), median (min–max) over the runs; a request is "
              "one of the funnel's requests counted above.", "",
              f"| Process | CPU s | CPU µs per funnel request | Share of {n_cores} cores × "
              "wall time |", "|---|---|---|---|"]

    def seconds(v: float) -> str:
        return num(v, 2)

    def micros(v: float) -> str:
        return num(v, 1) if abs(v) < 99.95 else num(v)  # 99.96 reads 100, not 100.0

    def share(v: float) -> str:
        return f"{v:.0%}"

    def row(label: str, key: str, bold: bool = False) -> None:
        if key not in rows:
            return
        r = rows[key]
        cells = [spread_cell(r["cpu_s"], seconds), spread_cell(r["us_per_request"], micros),
                 spread_cell(r["share"], share)]
        if bold:
            label, cells = f"**{label}**", [f"**{c}**" for c in cells]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    roles = table["roles"]
    measured = [n for n in table["order"] if roles.get(n) in CPU_WITH_LOADGEN]
    for name in measured:
        row(name, name)
    row("all of the above (servers, services, load generator)", "with", bold=True)
    row("the same without the load generator", "without", bold=True)
    for name in table["order"]:
        if name not in measured:
            row(name, name)
    row("everything else on the machine (other work, the kernel)", "other")
    row("whole machine (/proc/stat, all processes)", "machine")
    row("of it, processes at lowered priority (nice > 0, such as builds)", "nice_s")
    row("of it, interrupt handling (irq + softirq, loopback networking)", "irq_s")
    if any(v > 0 for v in rows.get("steal_s", {}).get("cpu_s", [])):
        row("not in it: stolen by the hypervisor (steal)", "steal_s")
    if table["whole_tool_runs"]:
        lines += ["", "In run(s) " + ", ".join(str(i) for i in table["whole_tool_runs"]) +
                  " the rush could not be told apart from the tool's setup and checks: those "
                  "figures cover the tool's whole run and so overstate the CPU per request."]
    with_us = statistics.median(rows["with"]["us_per_request"])
    without_us = statistics.median(rows["without"]["us_per_request"])
    lines += ["", f"At the measured {micros(with_us)} µs of CPU per funnel request (servers, "
              f"services and load generator; median of {table['runs']} run(s)), "
              f"{RUSH_TARGET:,} requests/s through the funnel need {RUSH_TARGET:,} × "
              f"{micros(with_us)} µs = {cores_needed(RUSH_TARGET, with_us):.2f} cores of CPU; "
              f"without the load generator ({micros(without_us)} µs per request), "
              f"{cores_needed(RUSH_TARGET, without_us):.2f} cores. This machine has "
              f"{n_cores} cores.", ""]
    return lines


def spread_cell(values: list[float], fmt) -> str:
    """Median (min–max) of the runs' values; the median alone where min and max read the same
    (sums and differences of CPU seconds are rarely exactly equal)."""
    low, mid, high = fmt(min(values)), fmt(statistics.median(values)), fmt(max(values))
    return mid if low == high else f"{mid} ({low}–{high})"


def analysis(existing: Path) -> list[str]:
    text = DEFAULT_ANALYSIS
    if existing.exists():
        old = existing.read_text()
        if BEGIN in old and END in old:
            text = old.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    return ["## Analysis: what limits each target", "", BEGIN, text.rstrip("\n"), END, ""]


def render(results: dict[str, Any], existing: Path) -> str:
    meta, steps = results["meta"], results["steps"]
    lines = header(meta)
    lines += server_section(steps)
    lines += ceilings_section(steps)
    lines += endpoints_section(steps)
    lines += concert_list_section(steps, meta["plan"])
    lines += race_section(steps)
    lines += loadgen_section(steps, meta["machine"].get("cores"))
    lines += analysis(existing)
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--keep-analysis-from", type=Path,
                        help="take the hand-written analysis from this file (default: --out)")
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    text = render(results, args.keep_analysis_from or args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
