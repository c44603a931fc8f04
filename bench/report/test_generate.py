"""Tests of the performance report generator: verdicts come from the numbers, the hand-written
analysis survives a regeneration, and missing tools show as not run.

    python3 -m pytest bench/report        (or: python3 bench/report/test_generate.py)
"""

from __future__ import annotations

import copy
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402


def spread(value: float) -> dict[str, float]:
    return {"median": value, "min": value * 0.9, "max": value * 1.1}


def wrk_step(rps: float, p99_ms: float = 1.0, non2xx: int = 0, requests: int = 100_000) -> dict:
    return {"status": "ok", "kind": "wrk", "command": "wrk ...", "requests": requests,
            "non2xx": non2xx, "socket_errors": 0,
            "summary": {"rps": spread(rps), "mean_ms": spread(0.5), "p50_ms": spread(0.4),
                        "p99_ms": spread(p99_ms), "max_ms": spread(9.0)}}


RESULTS = {
    "meta": {
        "started_at": "2026-11-26T03:00:00Z", "finished_at": "2026-11-26T03:20:00Z",
        "smoke": False, "machine": {"cores": 2, "mem_kib": 24_000_000, "cpu_model": "Test CPU",
                                    "kernel": "6.1"},
        "commit": "abc1234", "dirty": False, "tools": {"wrk": "4.1.0"},
        "plan": {"runs": 5, "seconds": 5, "threads": 2, "connections": 64,
                 "waiting_users": 5000, "active_users": 1000, "paced_rate": 20000},
        "command": "make bench", "loadavg_start": [0.5, 0.5, 0.5],
        "loadavg_end": [1.5, 1.0, 0.7],
    },
    "steps": {
        "embedded.server": {"status": "ok", "settings": {"BOXOFFICE_ACCESS_LOG": "false"},
                            "command": "build/bench-rel/boxoffice serve"},
        "embedded.http_ceiling": wrk_step(40_000),
        "embedded.queue_token": wrk_step(20_000),
        "embedded.queue_status": wrk_step(10_000),
        "embedded.concerts_cached": wrk_step(30_000),
        "embedded.concerts_paced": {**wrk_step(19_500, p99_ms=3.0), "target_rate": 20000},
        "embedded.available_seats": wrk_step(5_000, non2xx=50_000),
        "race": {"status": "not run: tool missing"},
        "embedded.loadgen": {"status": "not run: tool missing"},
    },
}


class ReportTest(unittest.TestCase):
    def render(self, results: dict, existing: Path | None = None) -> str:
        return generate.render(results, existing or Path("/nonexistent/performance.md"))

    def row(self, text: str, *needles: str) -> str:
        for line in text.splitlines():
            if all(n in line for n in needles):
                return line
        self.fail(f"no line with {needles}")

    def test_met_and_missed_follow_the_numbers(self) -> None:
        text = self.render(RESULTS)
        self.assertIn("**met**", self.row(text, "| embedded |", "queue/token"))
        self.assertIn("missed (59% of target)", self.row(text, "| embedded |", "queue/status"))
        slower = copy.deepcopy(RESULTS)
        slower["steps"]["embedded.queue_token"] = wrk_step(18_000)
        self.assertIn("missed", self.row(self.render(slower), "| embedded |", "queue/token"))

    def test_a_verdict_counts_the_runs_that_met_the_target(self) -> None:
        edge = copy.deepcopy(RESULTS)
        step = wrk_step(18_600)
        step["runs"] = [{"rps": v} for v in (18_900, 16_200, 16_100, 18_600, 18_800)]
        edge["steps"]["embedded.queue_token"] = step
        self.assertIn("**met** (3 of 5 runs)",
                      self.row(self.render(edge), "| embedded |", "queue/token"))
        step = wrk_step(15_000)
        step["runs"] = [{"rps": v} for v in (15_000, 14_000, 19_000)]
        edge["steps"]["embedded.queue_token"] = step
        self.assertIn("missed (81% of target; 1 of 3 runs)",
                      self.row(self.render(edge), "| embedded |", "queue/token"))

    def test_the_paced_verdict_counts_runs_that_met_both_rate_and_p99(self) -> None:
        paced = copy.deepcopy(RESULTS)
        step = {**wrk_step(19_900, p99_ms=3.0), "target_rate": 20000}
        step["runs"] = [{"rps": 19_900, "p99_ms": 3.0}, {"rps": 19_950, "p99_ms": 6.0},
                        {"rps": 15_000, "p99_ms": 1.0}, {"rps": 19_990},
                        {"rps": 19_990, "p99_ms": None}]
        paced["steps"]["embedded.concerts_paced"] = step
        self.assertIn("**met** (1 of 5 runs)", self.row(self.render(paced), "paced to 20,000"))

    def test_fraction_of_the_http_ceiling(self) -> None:
        line = self.row(self.render(RESULTS), "| embedded |", "queue/token")
        self.assertIn("| 50% |", line)  # 20,000 of 40,000

    def test_errors_make_a_throughput_invalid(self) -> None:
        broken = copy.deepcopy(RESULTS)
        broken["steps"]["embedded.queue_token"] = wrk_step(30_000, non2xx=5_000)
        self.assertIn("invalid (errors)", self.row(self.render(broken), "| embedded |",
                                                    "queue/token"))

    def test_paced_target_needs_the_rate_and_the_p99(self) -> None:
        self.assertIn("**met**", self.row(self.render(RESULTS), "paced to 20,000"))
        slow = copy.deepcopy(RESULTS)
        slow["steps"]["embedded.concerts_paced"] = {**wrk_step(12_000, p99_ms=1.0),
                                                     "target_rate": 20000}
        self.assertIn("missed (rate", self.row(self.render(slow), "paced to 20,000"))
        late = copy.deepcopy(RESULTS)
        late["steps"]["embedded.concerts_paced"] = {**wrk_step(19_900, p99_ms=7.5),
                                                     "target_rate": 20000}
        self.assertIn("missed (p99 7.50 ms)", self.row(self.render(late), "paced to 20,000"))

    def test_missing_tools_and_profiles_say_not_run(self) -> None:
        text = self.render(RESULTS)
        self.assertIn("_not run: tool missing._", text.split("## Race for one seat")[1])
        self.assertIn("not measured", self.row(text, "| cluster |", "queue/token"))

    def test_race_rows_flag_anything_but_one_winner(self) -> None:
        raced = copy.deepcopy(RESULTS)
        raced["steps"]["race"] = {"status": "ok", "notes": [], "backends": [{
            "backend": "sqlite", "command": "race ...", "data": [
                {"backend": "sqlite", "strategy": "ours", "n": 100, "run": r,
                 "elapsed_ms": 10.0 + r, "winners": 1 if r < 3 else 2} for r in range(1, 6)]}]}
        line = self.row(self.render(raced), "| sqlite | ours | 100 |")
        self.assertIn("13.0 (11.0–15.0)", line)
        self.assertIn("must be 1", line)
        self.assertIn("255.2 ms", line)

    def test_the_floor_is_a_row_of_its_own_and_is_explained_only_when_measured(self) -> None:
        raced = copy.deepcopy(RESULTS)
        records = [{"backend": "mysql", "strategy": strategy, "n": 5000, "run": r,
                    "elapsed_ms": base + r, "winners": 1}
                   for strategy, base in (("ours", 140.0), ("floor", 100.0)) for r in range(1, 6)]
        raced["steps"]["race_mysql"] = {"status": "ok", "notes": [], "backends": [{
            "backend": "mysql", "command": "race ...", "data": records}]}
        text = self.render(raced)
        floor = self.row(text, "| mysql | floor | 5,000 |")
        self.assertIn("103 (101–105)", floor)
        self.assertTrue(floor.endswith("| – |"), floor)  # no reference to compare it with
        self.assertIn("143 (141–145)", self.row(text, "| mysql | ours | 5,000 |"))
        self.assertIn("**floor** does no work", text)
        self.assertNotIn("**floor** does no work", self.render(RESULTS))

    def test_cluster_queue_endpoints_are_bound_by_one_redis_script_each(self) -> None:
        cluster = copy.deepcopy(RESULTS)
        cluster["steps"]["cluster.queue_token"] = wrk_step(12_000)
        cluster["steps"]["cluster.queue_status"] = wrk_step(16_000)
        cluster["steps"]["ceiling.redis"] = {
            "status": "ok", "kind": "redis-benchmark", "command": "redis-benchmark ...",
            "tests": {"EVAL (3-command script)": {"summary": {
                "rps": spread(80_000), "p50_ms": spread(0.5), "p99_ms": spread(1.0)}}}}
        text = self.render(cluster)
        token = self.row(text, "| cluster |", "queue/token")
        self.assertIn("Redis EVAL × 1 per request", token)
        self.assertIn("| 15% |", token)  # 12,000 x 1 of 80,000
        status = self.row(text, "| cluster |", "queue/status")
        self.assertIn("Redis EVAL × 1 per request (touch", status)
        self.assertIn("| 20% |", status)
        self.assertNotIn("EVAL × 3", text)
        self.assertNotIn("EVAL × 2", text)

    def rush(self, settings: dict) -> dict:
        run = {"funnel_requests_per_s": 4200.0, "purchases": 5000, "seats_on_sale": 8000,
               "invariants": {"ok": True}, "failures": {},
               "steps": {"hold": {"count": 5100, "p50_ms": 20.0, "p95_ms": 90.0,
                                  "p99_ms": 150.0}}}
        rushed = copy.deepcopy(RESULTS)
        rushed["steps"]["embedded.loadgen"] = {
            "status": "ok", "command": "boxoffice-loadgen ...", "notes": [],
            "runs": [{"data": run, "exit_code": 0}], "settings": settings}
        return rushed

    def test_the_rush_shows_its_workload_settings(self) -> None:
        text = self.render(self.rush({
            "--users": 5000, "--arrival-seconds": 10, "--seats": 800, "--dates": 10,
            "--max-seats-per-user": 2, "--date-choice": "weighted", "--admit-batch": 1000,
            "--admit-interval-ms": 100, "--max-active": 5000}))
        rush = text.split("## Ticket-opening rush")[1]
        workload = self.row(rush, "Workload:")
        for words in ("5,000 users arriving over 10 s", "10 date(s) × 800 seats",
                      "8,000 seats on sale", "1–2 seats", "in proportion to its free seats",
                      "1,000 users every 100 ms", "at most 5,000 admitted"):
            self.assertIn(words, workload)
        # 8,000 seats for about 7,500 wanted: the report says why the venue is that large.
        self.assertIn("more seats than the users want", rush)
        self.assertIn("| requests/s through the funnel | 4,200 |", rush)

    def test_the_rush_reports_the_servers_peak_memory(self) -> None:
        rushed = self.rush({"--users": 5000, "--arrival-seconds": 10})
        rushed["steps"]["embedded.loadgen"]["runs"][0]["data"]["server_peak_rss_mb"] = 29.4
        text = self.render(rushed)
        self.assertIn("| server peak resident memory during the rush, MB | 29.4 |", text)

    def test_a_venue_smaller_than_the_demand_is_not_called_large_enough(self) -> None:
        text = self.render(self.rush({"--users": 5000, "--arrival-seconds": 10, "--seats": 1000,
                                      "--dates": 1, "--max-seats-per-user": 2}))
        self.assertIn("1 date(s) × 1,000 seats", text)
        self.assertNotIn("more seats than the users want", text)

    def cpu_rush(self, *runs: tuple[float, float, float, float], requests: int = 50_000,
                 window: str = "rush", steal: float = 0.0) -> dict:
        """A cluster rush whose runs used (server, mariadbd, redis-server, load generator) CPU
        seconds over 10 s on 2 cores, the harness 0.1 s, the machine 1 s more than all."""
        rushed = copy.deepcopy(RESULTS)
        recorded = []
        for server, mariadb, redis, tool in runs:
            names = [("boxoffice server", "server", server), ("mariadbd", "service", mariadb),
                     ("redis-server", "service", redis),
                     ("boxoffice-loadgen", "load generator", tool),
                     ("scripts/bench (this harness)", "harness", 0.1)]
            cpu = {"window": window, "wall_s": 10.0, "cores": 2,
                   "processes": [{"name": n, "role": r, "cpu_s": c} for n, r, c in names],
                   "machine": {"busy_s": server + mariadb + redis + tool + 0.1 + 1.0,
                               "nice_s": 0.6, "irq_s": 0.4, "steal_s": steal, "idle_s": 1.0}}
            data = {"funnel_requests": requests, "funnel_requests_per_s": requests / 9.9,
                    "wall_s": 9.9, "invariants": {"ok": True}, "failures": {}}
            recorded.append({"data": data, "exit_code": 0, "cpu": cpu})
        rushed["steps"]["cluster.loadgen"] = {"status": "ok", "command": "boxoffice-loadgen ...",
                                              "notes": [], "runs": recorded, "settings": {}}
        return rushed

    def cpu_table(self, results: dict) -> str:
        return self.render(results).split("### cluster")[1].split("#### CPU during the rush")[1]

    def test_the_rush_cpu_table_has_each_process_per_funnel_request(self) -> None:
        table = self.cpu_table(self.cpu_rush((9, 3, 1, 2), (10, 3, 1, 2), (11, 4, 1, 2)))
        self.assertIn("| Process | CPU s | CPU µs per funnel request | Share of 2 cores × wall "
                      "time |", table)
        # 10 s of 2 cores; 50,000 requests: 10 CPU s is 200 µs per request and 50% of the cores.
        self.assertIn("| boxoffice server | 10.00 (9.00–11.00) | 200 (180–220) | "
                      "50% (45%–55%) |", table)
        self.assertIn("| mariadbd | 3.00 (3.00–4.00) | 60.0 (60.0–80.0) | 15% (15%–20%) |",
                      table)
        self.assertIn("| redis-server | 1.00 | 20.0 | 5% |", table)
        self.assertIn("| boxoffice-loadgen | 2.00 | 40.0 | 10% |", table)
        # Sums per run (15, 16, 18 with the load generator; 13, 14, 16 without).
        self.assertIn("| **all of the above (servers, services, load generator)** | "
                      "**16.00 (15.00–18.00)** | **320 (300–360)** | **80% (75%–90%)** |", table)
        self.assertIn("| **the same without the load generator** | **14.00 (13.00–16.00)** | "
                      "**280 (260–320)** | **70% (65%–80%)** |", table)
        self.assertIn("| scripts/bench (this harness) | 0.10 | 2.0 | 0% |", table)
        # The machine's busy time less every process measured, harness included.
        self.assertIn("| everything else on the machine (other work, the kernel) | 1.00 | 20.0 "
                      "| 5% |", table)
        self.assertIn("| whole machine (/proc/stat, all processes) | 17.10 (16.10–19.10) |",
                      table)
        self.assertIn("| of it, processes at lowered priority (nice > 0, such as builds) | "
                      "0.60 | 12.0 | 3% |", table)
        self.assertIn("| of it, interrupt handling (irq + softirq, loopback networking) | 0.40 | "
                      "8.0 | 2% |", table)
        self.assertNotIn("steal", table)
        # 4,170 x 320 µs = 1.33 cores; without the load generator 4,170 x 280 µs = 1.17.
        self.assertIn("At the measured 320 µs of CPU per funnel request", table)
        self.assertIn("4,170 × 320 µs = 1.33 cores of CPU", table)
        self.assertIn("without the load generator (280 µs per request), 1.17 cores", table)
        self.assertIn("This machine has 2 cores.", table)
        self.assertNotIn("could not be told apart", table)

    def test_the_cpu_projection_follows_the_cost_per_request(self) -> None:
        table = self.cpu_table(self.cpu_rush((10, 3, 1, 2), requests=25_000))
        # Twice the CPU per request: 640 µs, 4,170 x 640 µs = 2.67 cores.
        self.assertIn("4,170 × 640 µs = 2.67 cores of CPU", table)
        self.assertIn("without the load generator (560 µs per request), 2.34 cores", table)

    def test_the_funnel_count_comes_from_the_rate_when_the_tool_gave_no_count(self) -> None:
        rushed = self.cpu_rush((10, 3, 1, 2))
        data = rushed["steps"]["cluster.loadgen"]["runs"][0]["data"]
        del data["funnel_requests"]
        data["funnel_requests_per_s"], data["wall_s"] = 4_000.0, 12.5  # 50,000 requests
        self.assertIn("| boxoffice server | 10.00 | 200 | 50% |", self.cpu_table(rushed))

    def test_time_stolen_by_the_hypervisor_shows_when_there_was_some(self) -> None:
        table = self.cpu_table(self.cpu_rush((10, 3, 1, 2), steal=2.0))
        self.assertIn("| not in it: stolen by the hypervisor (steal) | 2.00 | 40.0 | 10% |",
                      table)

    def test_cpu_over_the_whole_tool_run_is_flagged(self) -> None:
        table = self.cpu_table(self.cpu_rush((10, 3, 1, 2), window="tool run"))
        self.assertIn("In run(s) 1 the rush could not be told apart", table)

    def test_a_rush_without_cpu_figures_says_so(self) -> None:
        rushed = self.cpu_rush((10, 3, 1, 2))
        del rushed["steps"]["cluster.loadgen"]["runs"][0]["cpu"]
        table = self.cpu_table(rushed)
        self.assertIn("_Not recorded by this run._", table)
        self.assertNotIn("cores of CPU", table)

    def test_the_hand_written_analysis_is_kept(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "performance.md"
            first = self.render(RESULTS, out)
            self.assertIn(generate.DEFAULT_ANALYSIS.strip(), first)
            out.write_text(first.replace(generate.DEFAULT_ANALYSIS.strip(),
                                         "Token issue is bound by JWT signing."))
            again = self.render(RESULTS, out)
            self.assertIn("Token issue is bound by JWT signing.", again)
            self.assertNotIn(generate.DEFAULT_ANALYSIS.strip(), again)


if __name__ == "__main__":
    unittest.main()
