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


def test_arrow_tables_read_as_their_csv(bank_tape: Path, tmp_path: Path) -> None:
    # A pyarrow table and a polars frame reach the tape reader through the Arrow C stream
    # (__arrow_c_stream__), not as text: the same records as the CSV they were read from.
    import pyarrow as pa

    defi_csv = tmp_path / "defi.csv"
    creditlab.write_book(defi_csv, book="defi", loans=300, seed=7)
    for tape in (bank_tape, defi_csv):
        from_csv = creditlab.read_tape(tape)
        assert len(from_csv) > 0
        table = pacsv.read_csv(tape)
        assert isinstance(table, pa.Table) and hasattr(table, "__arrow_c_stream__")
        assert creditlab.read_tape(table) == from_csv
        frame = pl.read_csv(tape)
        assert creditlab.read_tape(frame) == from_csv
        # Batches of any size, as a stream (a record batch reader is read once).
        reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=7))
        assert creditlab.read_tape(reader) == from_csv
        assert creditlab.read_tape(pd.read_csv(tape)) == from_csv


def test_arrow_tables_name_the_bad_row_and_column(bank_tape: Path) -> None:
    import pyarrow as pa

    table = pacsv.read_csv(bank_tape)
    principal = table.column("principal").to_pylist()
    principal[4] = -5.0
    bad = table.set_column(
        table.column_names.index("principal"), "principal", pa.array(principal)
    )
    with pytest.raises(creditlab.InputError) as info:
        creditlab.read_tape(bad)
    # Row 4 (0-based) is line 6 of the CSV: the header is line 1.
    assert info.value.line == 6 and info.value.field == "principal", str(info.value)
    assert "Table (as a tape)" in str(info.value)
    frame = pl.read_csv(bank_tape).with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(-5.0).otherwise(pl.col("principal"))
        .alias("principal")
    )
    with pytest.raises(creditlab.InputError) as info:
        creditlab.grade(frame)
    assert info.value.line == 6 and info.value.field == "principal", str(info.value)


def test_arrow_tables_of_a_wrong_type_are_refused_by_column(bank_tape: Path) -> None:
    import datetime

    import pyarrow as pa

    table = pacsv.read_csv(bank_tape)
    # A column of a type no tape column has (dates): refused by name, before any row.
    dates = pa.array([datetime.date(2020, 1, 1)] * table.num_rows)
    wrong = table.set_column(table.column_names.index("income"), "income", dates)
    with pytest.raises(creditlab.InputError) as info:
        creditlab.read_tape(wrong)
    assert info.value.field == "income" and info.value.line == 1, str(info.value)
    assert "date32" in str(info.value).lower() and "not supported" in str(info.value)
    # Text in a number column: refused at the first cell that is not a number.
    text = pa.array(["lots"] * table.num_rows)
    wrong = table.set_column(table.column_names.index("principal"), "principal", text)
    with pytest.raises(creditlab.InputError) as info:
        creditlab.read_tape(wrong)
    assert info.value.field == "principal" and info.value.line == 2, str(info.value)
    # Not a table at all.
    with pytest.raises(creditlab.ArgumentError, match="not a table"):
        creditlab.read_tape(42)
