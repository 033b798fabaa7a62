"""README's "Guarantees" names, for each promise, the tests that show it: every file and test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Guarantees", 1)[1].split("\n## ", 1)[0]


def test_every_cited_test_file_and_test_exists() -> None:
    section = _section()
    files = set(re.findall(r"`(tests/[\w/]+\.py)", section))
    names = set(re.findall(r"::(test_\w+)`", section))
    assert len(files) >= 8 and len(names) >= 10
    assert {f for f in files if not (ROOT / f).is_file()} == set()
    defined = {
        m for p in (ROOT / "tests").rglob("test_*.py") for m in re.findall(r"^def (test_\w+)", p.read_text(), re.M)
    }
    assert names - defined == set()
    # a short name (`test_x.py`) is a file named in full elsewhere in the section
    short = set(re.findall(r"`(test_\w+\.py)", section))
    assert {s for s in short if not any(f.endswith("/" + s) for f in files)} == set()
