"""scripts/kafka's pure parts, sourced into bash: the cluster id it formats a new broker with."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A draw of 2,000 ids: an id generator that let one in 64 start with '-' passes it with a
# probability of (63/64)^2000, about 2e-14.
DRAWS = 2000


def draw_cluster_ids(count: int) -> list[str]:
    script = f'source "{ROOT}/scripts/kafka"; for ((i = 0; i < {count}; i++)); do random_cluster_id; done'
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.splitlines()


def test_cluster_ids_are_kafka_uuids_the_storage_tool_can_parse():
    ids = draw_cluster_ids(DRAWS)
    assert len(ids) == DRAWS
    for cluster_id in ids:
        # The storage tool reads an argument starting with '-' as an option.
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", cluster_id), cluster_id
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert len(set(ids)) == DRAWS


def test_sourcing_the_script_runs_no_command():
    result = subprocess.run(
        ["bash", "-c", f'source "{ROOT}/scripts/kafka" && echo sourced'],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "sourced\n"
    assert result.stderr == ""
