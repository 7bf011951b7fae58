"""Python inputs made into what the native module reads.

Tables (pyarrow tables, pandas or polars data frames, anything with the Arrow PyCapsule
interface ``__arrow_c_stream__``) are taken through Arrow. A portfolio: ``pyarrow.table(obj)``
reads the C stream without copying, and a float64 column without nulls reaches Rust as a
numpy view of the Arrow buffer (no copy). A loan tape: the native module takes the table's
Arrow C stream (``__arrow_c_stream__``) and the tape reader reads its record batches in
place, so its schema, checks and messages (line, column, reason) are a Parquet file's; only
a pandas frame is converted first (``pyarrow.Table.from_pandas``).
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

from .errors import ArgumentError

PathLike = Union[str, "os.PathLike[str]"]

#: Columns of a portfolio table besides the factor loadings f1..fk.
PORTFOLIO_COLUMNS = ("ead", "pd", "lgd", "lgd_sd", "sector")


def is_path(obj: object) -> bool:
    """Whether ``obj`` names a file."""
    return isinstance(obj, (str, os.PathLike))


def _arrow_table(obj: object) -> Any:
    """``obj`` as a pyarrow table, through the Arrow C stream where it offers one."""
    try:
        import pyarrow as pa
    except ImportError as e:  # pragma: no cover - pyarrow is a test requirement
        raise ArgumentError(
            "tables need pyarrow (pip install pyarrow), or pass a dict of numpy arrays",
            "portfolio",
        ) from e
    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    module = type(obj).__module__.split(".")[0]
    if module == "pandas":
        # NaN is a missing value, as in a CSV's empty cell.
        return pa.Table.from_pandas(obj, preserve_index=False)
    if hasattr(obj, "__arrow_c_stream__"):
        return pa.table(obj)
    raise ArgumentError(
        f"a {type(obj).__name__} is not a table: pass a pyarrow table, a pandas or polars "
        "data frame, a dict of arrays or a file path",
        "portfolio",
    )


def _float_column(name: str, values: Any) -> npt.NDArray[np.float64]:
    """A 1-d float64 array (a view where the input already is one)."""
    try:
        a = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ArgumentError(f"column {name}: not numbers ({e})", name) from e
    if a.ndim != 1:
        raise ArgumentError(f"column {name}: must be 1-dimensional, has shape {a.shape}", name)
    return a


def portfolio_columns(obj: object) -> Dict[str, Any]:
    """The native module's portfolio columns: ead, pd, lgd (float64), optional lgd_sd,
    sector (int64) and loadings (an n x k float64 array of the columns f1..fk)."""
    data: Mapping[str, Any]
    if isinstance(obj, Mapping):
        data = {str(k).lower(): v for k, v in obj.items()}
    else:
        table = _arrow_table(obj)
        data = {}
        for name in table.column_names:
            column = table.column(name)
            if column.null_count:
                raise ArgumentError(
                    f"column {name}: {column.null_count} missing values", name.lower()
                )
            data[name.lower()] = column.to_numpy()
    factors: List[Tuple[int, str]] = []
    for name in data:
        if name in PORTFOLIO_COLUMNS or name == "loadings":
            continue
        if name.startswith("f") and name[1:].isdigit() and int(name[1:]) >= 1:
            factors.append((int(name[1:]), name))
            continue
        raise ArgumentError(
            f"unknown portfolio column {name!r}: expected ead, pd, lgd, lgd_sd, sector, f1..fk "
            "(a collateral LGD: read the portfolio from its CSV file)",
            name,
        )
    for required in ("ead", "pd", "lgd"):
        if required not in data:
            raise ArgumentError(f"the portfolio has no column {required}", required)
    out: Dict[str, Any] = {k: _float_column(k, data[k]) for k in ("ead", "pd", "lgd")}
    out["lgd_sd"] = _float_column("lgd_sd", data["lgd_sd"]) if "lgd_sd" in data else None
    if "sector" in data:
        sector = np.asarray(data["sector"])
        if sector.dtype.kind not in "iu":
            raise ArgumentError("column sector: must hold integers (0, 1, ...)", "sector")
        out["sector"] = np.ascontiguousarray(sector, dtype=np.int64)
    else:
        out["sector"] = None
    loadings: Optional[npt.NDArray[np.float64]] = None
    if "loadings" in data:
        loadings = np.ascontiguousarray(data["loadings"], dtype=np.float64)
        if loadings.ndim != 2:
            raise ArgumentError("loadings: must be an n x k array", "loadings")
    if factors:
        if loadings is not None:
            raise ArgumentError("give loadings or columns f1..fk, not both", "loadings")
        factors.sort()
        if [k for k, _ in factors] != list(range(1, len(factors) + 1)):
            raise ArgumentError(
                "factor columns must be f1..fk without a gap, got "
                + ", ".join(n for _, n in factors),
                factors[0][1],
            )
        loadings = np.column_stack([_float_column(n, data[n]) for _, n in factors])
    out["loadings"] = loadings
    return out


def tape_table(obj: object) -> Any:
    """A loan-tape table as an object with the Arrow C stream interface, which the tape
    reader reads batch by batch in place: a pyarrow table or record batch reader, a polars
    frame or anything with ``__arrow_c_stream__`` as it is (no copy); a pandas frame
    converted by ``pyarrow.Table.from_pandas`` (a copy; NaN is a missing value)."""
    if type(obj).__module__.split(".")[0] == "pandas" or not hasattr(obj, "__arrow_c_stream__"):
        return _arrow_table(obj)
    return obj


def tape_arguments(tape: object) -> Tuple[Optional[str], Any, Optional[str]]:
    """(path, table, origin) of a tape given as a path or as a table."""
    if tape is None:
        return None, None, None
    if isinstance(tape, (str, os.PathLike)):
        return str(os.fspath(tape)), None, None
    return None, tape_table(tape), f"{type(tape).__name__} (as a tape)"
