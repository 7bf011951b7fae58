"""The whole study from Python: report.json's data, and the report written when asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import creditlab
from conftest import ROOT


def test_study_returns_report_json(tmp_path: Path) -> None:
    out = tmp_path / "report"
    data = creditlab.Study.from_toml(ROOT / "scenarios" / "default.toml").run(out, quick=True)
    written = json.loads((out / "report.json").read_text())
    assert data == written
    assert list(data) == list(written)
    assert (out / "report.html").exists() and (out / "report.md").exists()
    assert data["verdict"]["claims"], "the verdict is part of the data"
    # Without an output folder nothing is written and the data is the same.
    again = creditlab.Study.builtin().run(quick=True)
    assert again == data


def test_study_errors(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "default.toml").read_text()
    with pytest.raises(creditlab.ConfigError) as info:
        creditlab.Study.from_text(text + "\n[nonsense]\nx = 1\n").run(quick=True)
    assert info.value.line is not None
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not creditlab's")
    with pytest.raises(creditlab.OutputError):
        creditlab.Study.builtin().run(foreign, quick=True)
    assert (foreign / "notes.txt").read_text() == "not creditlab's"
    with pytest.raises(creditlab.InputError):
        creditlab.Study.from_toml(tmp_path / "missing.toml").run(quick=True)
