"""Grading and cash flows of loan tapes: files and frames give the command line's figures,
and a bad row is refused with its line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import polars as pl
import pyarrow.csv as pacsv
import pytest

import creditlab

CLI = Callable[..., Any]


def test_grade_a_tape_as_the_command_line(cli: CLI, bank_tape: Path, defi_tape: Path) -> None:
    for tape in (bank_tape, defi_tape):
        assert creditlab.grade(tape) == cli("grade", "--tape", str(tape))
    assert creditlab.grade(book="defi", loans=200, seed=3, simulate_outcomes=True) == cli(
        "grade", "--book", "defi", "--loans", "200", "--seed", "3", "--simulate-outcomes"
    )


def test_frames_grade_as_their_file(bank_tape: Path) -> None:
    from_file = creditlab.grade(bank_tape)
    for frame in (pd.read_csv(bank_tape), pl.read_csv(bank_tape), pacsv.read_csv(bank_tape)):
        got = creditlab.grade(frame)
        assert got["source"] != from_file["source"]
        got["source"] = from_file["source"]
        assert got == from_file, type(frame)


def test_loan_grades_are_a_portfolio(bank_tape: Path) -> None:
    grades = creditlab.loan_grades(bank_tape)
    report = creditlab.grade(bank_tape)
    assert len(grades["grade"]) == report["summary"]["loans"] == grades["ead"].shape[0]
    assert np.isclose(grades["ead"].sum(), report["summary"]["ead"], rtol=1e-12)
    figures = creditlab.loss({k: grades[k] for k in ("ead", "pd", "lgd")}, method="exact")
    assert figures["exposures"] == 300


def test_cashflows_as_the_command_line(cli: CLI, bank_tape: Path) -> None:
    assert creditlab.cashflows(cpr=0.06, cdr=0.02, months=12) == cli(
        "cashflows", "--cpr", "0.06", "--cdr", "0.02", "--months", "12"
    )
    got = creditlab.cashflows(bank_tape, psa=150, sda=100, severity=0.3)
    assert got == cli("cashflows", "--tape", str(bank_tape), "--psa", "150", "--sda", "100",
                      "--severity", "0.3")
    frame = creditlab.cashflows(pd.read_csv(bank_tape), psa=150, sda=100, severity=0.3)
    assert frame["totals"] == got["totals"]
    arrays = creditlab.cashflow_arrays(got)
    assert arrays["balance"].shape == (got["months"],) or arrays["balance"].size > 0


def test_bad_tapes_name_line_and_column(tmp_path: Path, bank_tape: Path) -> None:
    rows = bank_tape.read_text().splitlines()
    header = rows[0].split(",")
    cells = rows[3].split(",")
    cells[header.index("principal")] = "-5"
    rows[3] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(rows) + "\n")
    with pytest.raises(creditlab.InputError) as info:
        creditlab.grade(bad)
    assert info.value.line == 4 and info.value.field == "principal", str(info.value)
    assert "line 4" in str(info.value) and str(bad) in str(info.value)
    frame = pd.read_csv(bank_tape)
    frame.loc[2, "principal"] = -5.0
    with pytest.raises(creditlab.InputError) as info:
        creditlab.grade(frame)
    assert info.value.line == 4 and info.value.field == "principal"
    with pytest.raises(creditlab.ArgumentError):
        creditlab.grade()
    with pytest.raises(creditlab.ArgumentError, match="quantile"):
        creditlab.grade(bank_tape, quantile=1.0)
    with pytest.raises(creditlab.ArgumentError, match="at most one"):
        creditlab.cashflows(smm=0.01, cpr=0.1)
    with pytest.raises(creditlab.ArgumentError, match="does not overwrite"):
        creditlab.write_book(bank_tape)
