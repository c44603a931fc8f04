"""What the deploy tests share: the black-box harness of tests/functional (its Server and Api),
loaded once under its own name so that it cannot shadow another conftest. A test module takes it
with `import boxoffice_functional_harness as harness`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location(
    "boxoffice_functional_harness", ROOT / "tests" / "functional" / "conftest.py"
)
_harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _harness  # dataclasses look their module up there
_spec.loader.exec_module(_harness)
