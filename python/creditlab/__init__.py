"""creditlab from Python.

Each function runs one of creditlab's library calls, the same one ``cargo xtask <task>``
makes, with the GIL released, and returns what ``cargo xtask <task> --json`` prints as a
plain dict (the same keys, in the same order). Inputs are numpy arrays, pandas or polars
data frames, pyarrow tables, or file paths. Errors are :mod:`creditlab.errors` exceptions
carrying the library's message. API reference: docs/python.md.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _native
from ._inputs import PathLike, portfolio_columns, tape_arguments
from .errors import ArgumentError, ConfigError, Error, InputError, ModelError, OutputError

__version__: str = _native.__version__

#: The tranches ``cargo xtask loss`` reports by default.
DEFAULT_TRANCHES: str = _native.DEFAULT_TRANCHES
#: Monte Carlo scenarios of ``loss`` by default (the command line's too).
DEFAULT_SCENARIOS: int = _native.DEFAULT_SCENARIOS

Report = Dict[str, Any]
Tranches = Union[str, Sequence[Tuple[float, float]]]


def _floats(name: str, value: Union[float, Sequence[float]]) -> List[float]:
    """A number or a sequence of numbers as a list of floats."""
    if isinstance(value, (int, float)):
        return [float(value)]
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError) as e:
        raise ArgumentError(f"{name}: expected a number or a list of numbers ({e})", name) from e


def _tranches(tranches: Tranches) -> str:
    """Tranches as the command line's ``attach-detach,...`` text."""
    if isinstance(tranches, str):
        return tranches
    return ",".join(f"{float(a)!r}-{float(d)!r}" for a, d in tranches)


def _portfolio_arguments(
    portfolio: object, book: Optional[str]
) -> Tuple[Optional[Dict[str, Any]], Optional[str], Optional[str]]:
    """(columns, path, book) for the native module."""
    if portfolio is None:
        return None, None, book
    if book is not None:
        raise ArgumentError("give a portfolio or a book, not both", "book")
    if isinstance(portfolio, (str, os.PathLike)):
        return None, str(os.fspath(portfolio)), None
    return portfolio_columns(portfolio), None, None


def loss(
    portfolio: object = None,
    *,
    book: Optional[str] = None,
    method: str = "mc",
    copula: str = "gaussian",
    rho: Union[float, Sequence[float]] = 0.2,
    tranches: Tranches = DEFAULT_TRANCHES,
    tail: Sequence[float] = (0.05, 0.1, 0.2),
    scenarios: Optional[int] = None,
    seed: int = 1,
    threads: Optional[int] = None,
    tolerance: Optional[float] = None,
    abs_tolerance: Optional[float] = None,
    accept_coarser: bool = False,
    max_work: Optional[float] = None,
    sector_variance: Union[float, Sequence[float]] = 0.5625,
    sector_correlation: float = 0.0,
    loss_unit: Optional[float] = None,
) -> Report:
    """The loss distribution of a portfolio: ``cargo xtask loss --json``.

    ``portfolio`` is a table or a dict of arrays with columns ``ead``, ``pd``, ``lgd`` and
    optionally ``lgd_sd``, ``sector`` and loadings ``f1..fk`` (or ``loadings``, n x k), or
    a portfolio CSV path; without it, ``book`` names a built-in book (``standard:N``,
    ``benchmark:N[:SECTORS[:SEED]]``, ``glasserman-li``; default ``standard:1000``).
    ``method`` is one of lhp, exact, bet, mc, mc-is, creditrisk+, saddlepoint; ``copula``
    gaussian, t:NU, double-t:NU_M,NU_Z, multi or multi:FILE. ``None`` arguments take the
    library's defaults. The loss distribution as arrays: :func:`exceedance` (any method)
    and :func:`loss_scenarios` (Monte Carlo).
    """
    columns, path, book = _portfolio_arguments(portfolio, book)
    text = _native.loss(
        columns,
        path,
        book,
        method,
        copula,
        _floats("rho", rho),
        _tranches(tranches),
        _floats("tail", tail),
        scenarios,
        seed,
        threads,
        tolerance,
        abs_tolerance,
        accept_coarser,
        max_work,
        _floats("sector_variance", sector_variance),
        sector_correlation,
        loss_unit,
    )
    result: Report = json.loads(text)
    return result


def exceedance(report: Report) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The tail probabilities of a :func:`loss` report as arrays ``(x, P(L > x))``: pass
    ``tail=np.linspace(...)`` to :func:`loss` for a whole curve, for any method."""
    x = np.array([t["x"] for t in report["tail"]], dtype=np.float64)
    p = np.array([t["probability"] for t in report["tail"]], dtype=np.float64)
    return x, p


def loss_scenarios(
    portfolio: object = None,
    *,
    book: Optional[str] = None,
    copula: str = "gaussian",
    rho: Union[float, Sequence[float]] = 0.2,
    scenarios: Optional[int] = None,
    seed: int = 1,
    start: int = 0,
    threads: Optional[int] = None,
) -> npt.NDArray[np.float64]:
    """The Monte Carlo pool loss of scenarios ``start .. start + scenarios`` (fractions of
    total exposure, in scenario order): the draws ``loss(method="mc")`` summarises, the same
    numbers for the same seed on any number of threads or machines."""
    columns, path, book = _portfolio_arguments(portfolio, book)
    n = DEFAULT_SCENARIOS if scenarios is None else scenarios
    if n < 0 or start < 0:
        raise ArgumentError("scenarios and start must not be negative", "scenarios")
    return _native.loss_scenarios(
        columns, path, book, copula, _floats("rho", rho), seed, start, start + n, threads
    )


def cashflows(
    tape: object = None,
    *,
    balance: Optional[float] = None,
    coupon: Optional[float] = None,
    term: Optional[int] = None,
    smm: Optional[float] = None,
    cpr: Optional[float] = None,
    psa: Optional[float] = None,
    mdr: Optional[float] = None,
    cdr: Optional[float] = None,
    sda: Optional[float] = None,
    recovery_lag: int = 12,
    severity: float = 0.2,
    advancing: bool = False,
    months: Optional[int] = None,
) -> Report:
    """Monthly cash flows of a pool or a loan tape: ``cargo xtask cashflows --json``.

    A tape (path or table) is projected loan by loan and summed; without one, a pool of
    ``balance`` (default 100,000,000), ``coupon`` (0.08) and ``term`` months (360). At most
    one prepayment rate (smm, cpr, psa) and one default rate (mdr, cdr, sda).
    """
    path, table, origin = tape_arguments(tape)
    if tape is not None and not (balance is None and coupon is None and term is None):
        raise ArgumentError("a tape has its own balance, coupon and term", "balance")
    return json.loads(  # type: ignore[no-any-return]
        _native.cashflows(
            path,
            table,
            origin,
            100_000_000.0 if balance is None else balance,
            0.08 if coupon is None else coupon,
            360 if term is None else term,
            smm,
            cpr,
            psa,
            mdr,
            cdr,
            sda,
            recovery_lag,
            severity,
            advancing,
            months,
        )
    )


def cashflow_arrays(report: Report) -> Dict[str, npt.NDArray[np.float64]]:
    """The monthly series of a :func:`cashflows` report (month, balance, prepayments, ...)
    as numpy arrays, by name."""
    return {
        k: np.asarray(v, dtype=np.float64)
        for k, v in report.items()
        if isinstance(v, list) and all(isinstance(x, (int, float)) for x in v)
    }


def grade(
    tape: object = None,
    *,
    book: Optional[str] = None,
    loans: int = 10_000,
    total_principal: Optional[float] = None,
    seed: int = 1,
    simulate_outcomes: bool = False,
    fit: bool = False,
    quantile: float = 0.95,
) -> Report:
    """Grades every loan of a tape (path or table) or a synthetic ``book`` ("bank" or
    "defi", ``loans`` loans of ``seed``): ``cargo xtask grade --json``."""
    path, table, origin = tape_arguments(tape)
    if tape is not None and book is not None:
        raise ArgumentError("give a tape or a book, not both", "book")
    if tape is None and book is None:
        raise ArgumentError("give a tape or a book", "tape")
    return json.loads(  # type: ignore[no-any-return]
        _native.grade(
            path, table, origin, book, loans, total_principal, seed, simulate_outcomes, fit, quantile
        )
    )


def loan_grades(
    tape: object = None,
    *,
    book: Optional[str] = None,
    loans: int = 10_000,
    seed: int = 1,
    quantile: float = 0.95,
) -> Dict[str, Any]:
    """Every loan's grade as arrays (book order): id, ead, pd, pd_conservative, lgd,
    el_one_year, capital_amount (numpy) and grade (a list of master-scale names). ead, pd
    and lgd are a portfolio for :func:`loss`."""
    path, table, origin = tape_arguments(tape)
    if (tape is None) == (book is None):
        raise ArgumentError("give exactly one of a tape or a book", "tape")
    columns = _native.loan_grades(path, table, origin, book, loans, seed, quantile)
    return dict(columns)


def read_tape(tape: object) -> List[Dict[str, Any]]:
    """Every record of a loan tape (a path, or a table read through the Arrow C stream), as
    the tape reader reads and checks it: one dict per loan (its loan, borrower, collateral
    and outcome), in tape order. A bad cell raises :class:`InputError` with its line (the
    row number plus one, its line in the CSV of the same tape) and column."""
    path, table, origin = tape_arguments(tape)
    if tape is None:
        raise ArgumentError("give a tape (a path or a table)", "tape")
    return json.loads(_native.tape_records(path, table, origin))  # type: ignore[no-any-return]


def write_book(
    path: PathLike,
    *,
    book: str = "bank",
    loans: int = 10_000,
    seed: int = 1,
    total_principal: Optional[float] = None,
) -> None:
    """Writes a synthetic book ("bank" or "defi") as a loan tape (.csv or .jsonl), refusing
    to overwrite a file."""
    _native.write_book(os.fspath(path), book, loans, seed, total_principal)


def waterfall(
    deal: PathLike,
    *,
    scenarios: int = 0,
    rho: float = 0.15,
    copula: str = "gaussian",
    seed: int = 1,
    threads: Optional[int] = None,
) -> Any:
    """A deal's waterfall (docs/schemas/deal-toml.md): ``cargo xtask waterfall --json``,
    the month-by-month run of its one scenario (a dict), or with ``scenarios > 0`` each
    note's statistics over copula scenarios (a list of dicts)."""
    if scenarios < 0:
        raise ArgumentError("scenarios must not be negative", "scenarios")
    return json.loads(_native.waterfall(os.fspath(deal), scenarios, rho, copula, seed, threads))


def defi(
    config: Optional[PathLike] = None,
    *,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
) -> Report:
    """The DeFi lending pool's Monte Carlo (docs/schemas/defi-toml.md; default the built-in
    scenarios/defi.toml): ``cargo xtask defi --json``."""
    path = None if config is None else os.fspath(config)
    return json.loads(_native.defi(path, paths, seed, threads))  # type: ignore[no-any-return]


class Study:
    """The whole study (``cargo xtask pipeline``) of a scenario file.

    ``Study.from_toml(path).run()`` returns the report's data, the same as report.json;
    ``run(out=folder)`` also writes the report there (refused before the run when the folder
    is not creditlab's, unless ``force``).
    """

    def __init__(self, path: Optional[str] = None, text: Optional[str] = None):
        self.path = path
        self.text = text

    @classmethod
    def from_toml(cls, path: PathLike) -> "Study":
        """The study of the scenario file ``path`` (docs/schemas/scenario-toml.md)."""
        return cls(path=os.fspath(path))

    @classmethod
    def from_text(cls, text: str) -> "Study":
        """The study of a scenario given as TOML text."""
        return cls(text=text)

    @classmethod
    def builtin(cls) -> "Study":
        """The built-in scenarios/default.toml."""
        return cls()

    def run(
        self,
        out: Optional[PathLike] = None,
        *,
        force: bool = False,
        quick: bool = False,
        seed: Optional[int] = None,
        scenarios: Optional[int] = None,
        threads: Optional[int] = None,
    ) -> Report:
        """Runs every stage and returns report.json's data; ``quick`` is the command line's
        ``--quick``, ``seed`` and ``scenarios`` override the scenario's."""
        out_path = None if out is None else os.fspath(out)
        text = _native.study(
            self.path, self.text, seed, scenarios, quick, threads, out_path, force
        )
        return json.loads(text)  # type: ignore[no-any-return]


__all__ = [
    "DEFAULT_SCENARIOS",
    "DEFAULT_TRANCHES",
    "ArgumentError",
    "ConfigError",
    "Error",
    "InputError",
    "ModelError",
    "OutputError",
    "Study",
    "cashflow_arrays",
    "cashflows",
    "defi",
    "exceedance",
    "grade",
    "loan_grades",
    "loss",
    "loss_scenarios",
    "read_tape",
    "waterfall",
    "write_book",
]
