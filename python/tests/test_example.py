"""The notebook-style example of docs/ runs and draws its picture."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_python_example_runs(tmp_path: Path) -> None:
    env = {**os.environ, "CREDITLAB_EXAMPLE_OUT": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "python_example.py")],
        env=env, capture_output=True, text=True, check=True,
    )
    png = tmp_path / "loss_distribution.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "expected loss" in out.stdout
