"""Shared fixtures: the repository root, the command line to compare with, small inputs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, List

import pytest

import creditlab

ROOT = Path(__file__).resolve().parents[2]


def _xtask() -> Path:
    """The command-line binary: $CREDITLAB_XTASK, or one cargo built under target/."""
    given = os.environ.get("CREDITLAB_XTASK")
    if given:
        return Path(given)
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "xtask"
        if path.exists():
            return path
    raise RuntimeError(
        "no xtask binary: run `cargo build -p xtask` (scripts/test-python.sh does) or set "
        "CREDITLAB_XTASK"
    )


@pytest.fixture(scope="session")
def cli() -> Callable[..., Any]:
    """Runs `xtask ARGS... --json` from the repository root and parses what it prints."""
    binary = _xtask()

    def run(*args: str) -> Any:
        out = subprocess.run(
            [str(binary), "--quiet", *args, "--json"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout)

    return run


@pytest.fixture(scope="session")
def bank_tape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-loan synthetic bank book as a CSV tape."""
    path = tmp_path_factory.mktemp("tape") / "bank.csv"
    creditlab.write_book(path, book="bank", loans=300, seed=7)
    return path


@pytest.fixture(scope="session")
def defi_tape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-loan synthetic DeFi book as a JSON Lines tape."""
    path = tmp_path_factory.mktemp("tape") / "defi.jsonl"
    creditlab.write_book(path, book="defi", loans=300, seed=7)
    return path


def lines(path: Path) -> List[str]:
    """The lines of a text file."""
    return path.read_text().splitlines()
