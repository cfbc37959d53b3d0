"""The shipped math samples: made by scripts/make_math_sample.py, byte for byte, in DataFlow's row format."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.conftest import REPO, SAMPLES

SCRIPT = REPO / "scripts" / "make_math_sample.py"


def test_samples_are_reproducible_and_cover_every_answer_kind(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out-dir", str(tmp_path)], check=True, timeout=60)
    for name in ("math_word_problems.jsonl", "math_demo.jsonl"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), f"{name} is stale: rerun {SCRIPT}"
    rows = [json.loads(line) for line in (SAMPLES / "math_word_problems.jsonl").read_text().splitlines()]
    assert len(rows) >= 300 and all(set(r) == {"instruction", "golden_answer", "source"} for r in rows)
    kinds = Counter(r["source"].split("/")[1] for r in rows)
    assert set(kinds) >= {"integer", "fraction", "decimal", "units", "percent", "two_roots", "interval",
                          "multiple_choice", "radical", "polynomial"}
    assert min(kinds.values()) >= 20
    assert len({r["instruction"] for r in rows}) >= 0.9 * len(rows)
