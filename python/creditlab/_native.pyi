"""Type stubs of the native module (crates/creditlab-py). Results are the command line's
JSON text; the public wrappers in creditlab parse it."""

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

__version__: str
DEFAULT_SCENARIOS: int
DEFAULT_TRANCHES: str

def loss(
    columns: Optional[Dict[str, Any]],
    path: Optional[str],
    book: Optional[str],
    method: str,
    copula: str,
    rho: List[float],
    tranches: str,
    tail: List[float],
    scenarios: Optional[int],
    seed: int,
    threads: Optional[int],
    tolerance: Optional[float],
    abs_tolerance: Optional[float],
    accept_coarser: bool,
    max_work: Optional[float],
    sector_variance: List[float],
    sector_correlation: float,
    loss_unit: Optional[float],
) -> str: ...
def loss_scenarios(
    columns: Optional[Dict[str, Any]],
    path: Optional[str],
    book: Optional[str],
    copula: str,
    rho: List[float],
    seed: int,
    start: int,
    end: int,
    threads: Optional[int],
) -> npt.NDArray[np.float64]: ...
def cashflows(
    tape: Optional[str],
    tape_table: Any,
    origin: Optional[str],
    balance: float,
    coupon: float,
    term: int,
    smm: Optional[float],
    cpr: Optional[float],
    psa: Optional[float],
    mdr: Optional[float],
    cdr: Optional[float],
    sda: Optional[float],
    recovery_lag: int,
    severity: float,
    advancing: bool,
    months: Optional[int],
) -> str: ...
def grade(
    tape: Optional[str],
    tape_table: Any,
    origin: Optional[str],
    book: Optional[str],
    loans: int,
    total_principal: Optional[float],
    seed: int,
    simulate_outcomes: bool,
    fit: bool,
    quantile: float,
) -> str: ...
def loan_grades(
    tape: Optional[str],
    tape_table: Any,
    origin: Optional[str],
    book: Optional[str],
    loans: int,
    seed: int,
    quantile: float,
) -> Dict[str, Any]: ...
def write_book(
    path: str, book: str, loans: int, seed: int, total_principal: Optional[float]
) -> None: ...
def waterfall(
    deal: str, scenarios: int, rho: float, copula: str, seed: int, threads: Optional[int]
) -> str: ...
def defi(
    config: Optional[str], paths: Optional[int], seed: Optional[int], threads: Optional[int]
) -> str: ...
def study(
    config: Optional[str],
    text: Optional[str],
    seed: Optional[int],
    scenarios: Optional[int],
    quick: bool,
    threads: Optional[int],
    out: Optional[str],
    force: bool,
) -> str: ...
def loss_shard(
    columns: Optional[Dict[str, Any]],
    path: Optional[str],
    book: Optional[str],
    method: str,
    copula: str,
    rho: List[float],
    tranches: str,
    tail: List[float],
    scenarios: Optional[int],
    seed: int,
    threads: Optional[int],
    index: int,
    count: int,
) -> str: ...
def loss_merge(partials: List[Tuple[str, str]]) -> str: ...
def defi_shard(
    text: Optional[str],
    origin: Optional[str],
    paths: Optional[int],
    seed: Optional[int],
    threads: Optional[int],
    index: int,
    count: int,
) -> str: ...
def defi_merge(partials: List[Tuple[str, str]]) -> str: ...
def tape_records(tape: Optional[str], tape_table: Any, origin: Optional[str]) -> str: ...
def study_shard(
    config: Optional[str],
    text: Optional[str],
    seed: Optional[int],
    scenarios: Optional[int],
    quick: bool,
    threads: Optional[int],
    index: int,
    count: int,
) -> str: ...
def study_merge(
    partials: List[Tuple[str, str]],
    threads: Optional[int],
    out: Optional[str],
    force: bool,
) -> str: ...
