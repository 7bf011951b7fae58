"""A deal's waterfall and the DeFi simulation, against the command line; config errors
name the file, the line and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

import creditlab
from conftest import ROOT

CLI = Callable[..., Any]
DEAL = ROOT / "scenarios" / "deal.toml"


def test_waterfall_as_the_command_line(cli: CLI) -> None:
    assert creditlab.waterfall(DEAL) == cli("waterfall", "--deal", str(DEAL))
    stats = creditlab.waterfall(DEAL, scenarios=200, seed=3)
    assert stats == cli("waterfall", "--deal", str(DEAL), "--scenarios", "200", "--seed", "3")
    assert isinstance(stats, list) and {"name", "expected_loss"} <= set(stats[0])


def test_defi_as_the_command_line(cli: CLI) -> None:
    got = creditlab.defi(paths=12, seed=5)
    assert got == cli("defi", "--paths", "12", "--seed", "5")
    assert got["paths"] == 12
    other = ROOT / "scenarios" / "defi-march-2020.toml"
    assert creditlab.defi(other, paths=8) == cli("defi", "--config", str(other), "--paths", "8")


def test_config_errors_name_file_line_and_key(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "defi.toml").read_text()
    bad = tmp_path / "defi.toml"
    bad.write_text(text.replace("initial_utilization = 0.8", "initial_utilization = 1.8"))
    with pytest.raises(creditlab.ConfigError) as info:
        creditlab.defi(bad, paths=2)
    line = text.splitlines().index("initial_utilization = 0.8") + 1
    assert info.value.line == line and info.value.field == "pool.initial_utilization"
    assert f"{bad}, line {line}" in str(info.value)
    typo = tmp_path / "typo.toml"
    typo.write_text(text.replace("[pool]", "[pol]"))
    with pytest.raises(creditlab.ConfigError, match="line"):
        creditlab.defi(typo)
    deal = tmp_path / "deal.toml"
    deal.write_text(DEAL.read_text().replace("lgd = 0.45", "lgd = 4.5"))
    with pytest.raises(creditlab.ConfigError, match="line") as info:
        creditlab.waterfall(deal)
    assert info.value.line is not None
    with pytest.raises(creditlab.InputError):
        creditlab.defi(tmp_path / "missing.toml")
