"""Loss distributions: every method and copula against the command line, every input kind,
arrays out, errors in."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import creditlab

CLI = Callable[..., Any]

# (method, copula, extra CLI flags, extra keyword arguments): every method, every copula.
CASES: List[Any] = [
    ("lhp", "gaussian", [], {}),
    ("exact", "gaussian", [], {}),
    ("exact", "t:8", [], {}),
    ("bet", "gaussian", [], {}),
    ("mc", "gaussian", ["--scenarios", "4000"], {"scenarios": 4000}),
    ("mc", "t:5", ["--scenarios", "4000", "--seed", "9"], {"scenarios": 4000, "seed": 9}),
    ("mc", "double-t:4,6", ["--scenarios", "3000"], {"scenarios": 3000}),
    ("mc-is", "gaussian", ["--scenarios", "2000"], {"scenarios": 2000}),
    ("creditrisk+", "gaussian", [], {}),
    ("saddlepoint", "gaussian", [], {}),
]


@pytest.mark.parametrize("method,copula,flags,kwargs", CASES)
def test_every_method_matches_the_command_line(
    cli: CLI, method: str, copula: str, flags: List[str], kwargs: Dict[str, Any]
) -> None:
    book = "standard:60"
    expected = cli("loss", "--book", book, "--method", method, "--copula", copula, *flags)
    got = creditlab.loss(book=book, method=method, copula=copula, **kwargs)
    assert got == expected
    assert list(got) == list(expected), "the same keys in the same order"
    assert len(got["tranches"]) == 6 and got["tranches"][0]["attach"] == 0.0


def test_multi_factor_copulas_match_the_command_line(cli: CLI) -> None:
    flags = ["--method", "mc", "--copula", "multi", "--scenarios", "2000"]
    expected = cli("loss", "--book", "benchmark:80:3:5", *flags)
    got = creditlab.loss(book="benchmark:80:3:5", method="mc", copula="multi", scenarios=2000)
    assert got == expected
    gl = creditlab.loss(book="glasserman-li", method="mc", copula="multi", scenarios=500)
    assert gl["exposures"] == 1000 and gl["copula"] == "multi"


def test_multi_file_copula_and_tranches(cli: CLI, tmp_path: Path) -> None:
    matrix = tmp_path / "corr.csv"
    matrix.write_text("1,0.3\n0.3,1\n")
    portfolio = tmp_path / "p.csv"
    rows = ["ead,pd,lgd,sector"] + [f"{1 + i % 3},0.0{1 + i % 5},0.45,{i % 2}" for i in range(40)]
    portfolio.write_text("\n".join(rows) + "\n")
    flags = ["--method", "mc", "--copula", f"multi:{matrix}", "--rho", "0.2,0.3"]
    expected = cli("loss", "--portfolio", str(portfolio), *flags, "--scenarios", "2000",
                   "--tranches", "0-0.05,0.05-1")
    got = creditlab.loss(portfolio, method="mc", copula=f"multi:{matrix}", rho=[0.2, 0.3],
                         scenarios=2000, tranches=[(0.0, 0.05), (0.05, 1.0)])
    assert got == expected
    assert [t["detach"] for t in got["tranches"]] == [0.05, 1.0]


def _frame() -> Dict[str, Any]:
    rng = np.random.default_rng(3)
    n = 200
    return {
        "ead": rng.uniform(1, 5, n),
        "pd": rng.uniform(0.005, 0.05, n),
        "lgd": np.full(n, 0.45),
        "lgd_sd": np.where(np.arange(n) % 2 == 0, 0.1, 0.0),
    }


def test_every_input_kind_gives_the_same_figures(tmp_path: Path, cli: CLI) -> None:
    data = _frame()
    kwargs: Dict[str, Any] = {"method": "mc", "scenarios": 3000, "seed": 4}
    base = creditlab.loss(data, **kwargs)
    frames: List[object] = [
        pd.DataFrame(data),
        pl.DataFrame(data),
        pa.table(data),
        pa.table(data).to_batches()[0],
    ]
    for frame in frames:
        assert creditlab.loss(frame, **kwargs) == base, type(frame)
    csv = tmp_path / "p.csv"
    pd.DataFrame(data).to_csv(csv, index=False, float_format="%.17g")
    assert creditlab.loss(csv, **kwargs) == base
    assert creditlab.loss(str(csv), **kwargs) == base
    assert cli("loss", "--portfolio", str(csv), "--scenarios", "3000", "--seed", "4") == base


def test_loadings_as_columns_or_array() -> None:
    n = 50
    data: Dict[str, Any] = {"ead": np.ones(n), "pd": np.full(n, 0.02), "lgd": np.full(n, 0.4)}
    f = np.column_stack([np.full(n, 0.3), np.full(n, 0.2)])
    by_array = creditlab.loss({**data, "loadings": f}, copula="multi", scenarios=1000)
    by_columns = creditlab.loss({**data, "f1": f[:, 0], "f2": f[:, 1]}, copula="multi",
                                scenarios=1000)
    assert by_array == by_columns


def test_loss_scenarios_are_the_draws_of_mc() -> None:
    report = creditlab.loss(book="standard:50", method="mc", scenarios=5000, seed=2)
    losses = creditlab.loss_scenarios(book="standard:50", scenarios=5000, seed=2)
    assert losses.shape == (5000,) and losses.dtype == np.float64
    assert np.isclose(losses.mean(), report["expected_loss"], rtol=1e-12, atol=0)
    # Any split of the range gives the same draws: scenario i is a function of (seed, i).
    parts = [creditlab.loss_scenarios(book="standard:50", scenarios=n, start=s, seed=2,
                                      threads=1)
             for s, n in [(0, 1234), (1234, 3000), (4234, 766)]]
    assert np.array_equal(np.concatenate(parts), losses)


def test_exceedance_curve_for_an_analytic_method() -> None:
    grid = np.linspace(0.0, 0.3, 31)[:-1]
    report = creditlab.loss(book="standard:100", method="lhp", tail=list(grid))
    x, p = creditlab.exceedance(report)
    assert np.array_equal(x, grid)
    assert np.all(np.diff(p) <= 0) and p[0] <= 1.0


def test_results_do_not_depend_on_threads() -> None:
    one = creditlab.loss(book="standard:80", method="mc", scenarios=20000, threads=1)
    two = creditlab.loss(book="standard:80", method="mc", scenarios=20000, threads=2)
    assert one == two


def test_the_gil_is_released_while_computing() -> None:
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    before = ticks
    started = time.perf_counter()
    creditlab.loss(book="standard:2000", method="mc", scenarios=200_000, threads=1)
    elapsed = time.perf_counter() - started
    done.set()
    counter.join()
    # A held GIL would freeze the counter for the whole computation.
    assert elapsed > 0.05 and ticks - before > 10, (elapsed, ticks - before)


@pytest.mark.parametrize(
    "kwargs,error,field",
    [
        ({"method": "nope"}, creditlab.ArgumentError, "method"),
        ({"copula": "t:-1"}, creditlab.ModelError, "nu"),
        ({"copula": "frank"}, creditlab.ArgumentError, "copula"),
        ({"rho": 1.5}, creditlab.ModelError, None),
        ({"tail": [1.5]}, creditlab.ModelError, "tail[0]"),
        ({"scenarios": 0, "method": "mc"}, creditlab.ModelError, "scenarios"),
        ({"tranches": "0.5-0.4"}, creditlab.ArgumentError, "tranches"),
        ({"threads": 0}, creditlab.ArgumentError, "threads"),
        ({"book": "standard:x"}, creditlab.ArgumentError, "book"),
        ({"rho": "high"}, creditlab.ArgumentError, "rho"),
    ],
)
def test_bad_arguments_raise(kwargs: Dict[str, Any], error: type, field: Any) -> None:
    with pytest.raises(error) as info:
        creditlab.loss(**{"book": "standard:20", **kwargs})
    assert isinstance(info.value, creditlab.Error)
    if field is not None:
        assert info.value.field == field, (info.value.field, str(info.value))


def test_bad_portfolios_raise_with_the_row_and_column(tmp_path: Path) -> None:
    data = _frame()
    data["pd"][7] = 1.5
    with pytest.raises(creditlab.ArgumentError, match="row 7") as info:
        creditlab.loss(data)
    assert info.value.field == "row 7"
    with pytest.raises(creditlab.ArgumentError, match="no column lgd"):
        creditlab.loss({"ead": [1.0], "pd": [0.1]})
    with pytest.raises(creditlab.ArgumentError, match="unknown portfolio column"):
        creditlab.loss({"ead": [1.0], "pd": [0.1], "lgd": [0.4], "lgdd": [0.1]})
    with pytest.raises(creditlab.ArgumentError, match="has 2 rows"):
        creditlab.loss({"ead": [1.0], "pd": [0.1, 0.2], "lgd": [0.4]})
    with pytest.raises(creditlab.ArgumentError, match="not a table"):
        creditlab.loss(42)
    bad = tmp_path / "bad.csv"
    bad.write_text("ead,pd,lgd\n1,0.01,0.4\n2,abc,0.4\n")
    with pytest.raises(creditlab.InputError, match="line 3") as err:
        creditlab.loss(bad)
    assert err.value.line == 3 and "column pd" in str(err.value)
    with pytest.raises(creditlab.InputError):
        creditlab.loss(tmp_path / "missing.csv")
