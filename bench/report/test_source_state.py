"""scripts/bench's record of the source it measured: the commit, and whether it was edited."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_bench():
    """scripts/bench as a module (it has no .py suffix); its main() does not run."""
    path = ROOT / "scripts" / "bench"
    loader = importlib.machinery.SourceFileLoader("boxoffice_bench_script", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


class SourceStateTest(unittest.TestCase):
    def setUp(self) -> None:
        self.bench = load_bench()
        self.dir = tempfile.TemporaryDirectory()
        self.repo = Path(self.dir.name)
        self.git("init", "-q")
        (self.repo / "docs").mkdir()
        (self.repo / "docs" / "performance.md").write_text("tables\n")
        (self.repo / "server.cpp").write_text("int main() {}\n")
        self.git("add", ".")
        self.git("-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "first")

    def tearDown(self) -> None:
        self.dir.cleanup()

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.repo, check=True, capture_output=True, timeout=30)

    def test_an_edit_to_the_docs_alone_leaves_the_source_clean(self) -> None:
        (self.repo / "docs" / "performance.md").write_text("the last run's tables\n")
        (self.repo / "notes.txt").write_text("untracked\n")
        state = self.bench.source_state(self.repo)
        self.assertFalse(state["dirty"])
        self.assertRegex(state["commit"], r"^[0-9a-f]{7,}$")

    def test_an_edit_to_the_code_is_dirty(self) -> None:
        (self.repo / "docs" / "performance.md").write_text("the last run's tables\n")
        (self.repo / "server.cpp").write_text("int main() { return 1; }\n")
        self.assertTrue(self.bench.source_state(self.repo)["dirty"])


if __name__ == "__main__":
    unittest.main()
