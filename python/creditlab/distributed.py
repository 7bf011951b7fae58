"""Scale-out on Dask: a loss distribution, a DeFi simulation or a study's Monte Carlo stages
split into shards that run on a ``dask.distributed.Client``'s workers, then merged into
exactly the single run.

The engine is Dask and the contract is creditlab's shard file: each task runs shard ``K/N``
(scenarios or paths ``[K M / N, (K + 1) M / N)``) and returns its versioned partial result
as text (the JSON ``cargo xtask loss/defi --shard K/N --out FILE`` writes: config hash,
seed, range, per-scenario results), and the client merges the texts with the library's
merge (the one ``cargo xtask merge`` runs), which checks that they share the configuration
and the seed and tile the range. Scenario ``i`` is drawn from the counter-based stream
``(seed, i)``, so the result is bit-identical to the single-process run for any number of
shards and workers. docs/scale-out.md gives the commands for a multi-machine cluster.

Inputs must be visible to the workers: arrays and frames travel with the task; a file path
must exist on every worker (a shared file system), built-in books always do.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from . import _floats, _portfolio_arguments, _tranches, DEFAULT_TRANCHES, Report, Tranches
from ._inputs import PathLike
from .errors import ArgumentError


def _check_shards(shards: int) -> None:
    if not isinstance(shards, int) or shards < 1:
        raise ArgumentError(f"shards must be a positive integer, got {shards!r}", "shards")


def _loss_shard(arguments: Dict[str, Any], index: int, count: int) -> str:
    """One shard of a loss simulation, on a worker: its partial result as text."""
    return _native.loss_shard(**arguments, index=index, count=count)


def _defi_shard(arguments: Dict[str, Any], index: int, count: int) -> str:
    """One shard of a DeFi simulation, on a worker: its partial result as text."""
    return _native.defi_shard(**arguments, index=index, count=count)


def _gather(client: Any, function: Any, arguments: Dict[str, Any], shards: int) -> List[str]:
    """Runs ``function(arguments, k, shards)`` for every shard on the cluster, the
    arguments scattered once, and returns the partials in shard order."""
    [shared] = client.scatter([arguments], broadcast=True)
    futures = [
        client.submit(function, shared, k, shards, key=f"creditlab-{function.__name__}-{k}-{shards}")
        for k in range(shards)
    ]
    texts: List[str] = client.gather(futures)
    return texts


def loss_partials(
    client: Any,
    portfolio: object = None,
    *,
    shards: int,
    book: Optional[str] = None,
    method: str = "mc",
    copula: str = "gaussian",
    rho: Union[float, Sequence[float]] = 0.2,
    tranches: Tranches = DEFAULT_TRANCHES,
    tail: Sequence[float] = (0.05, 0.1, 0.2),
    scenarios: Optional[int] = None,
    seed: int = 1,
    threads_per_shard: Optional[int] = 1,
) -> List[str]:
    """The partial results (shard files' text) of a loss simulation (``mc`` or ``mc-is``)
    split into ``shards`` Dask tasks, in shard order. Write them to files and
    ``cargo xtask merge`` prints the single run's report; :func:`merge_loss` merges them
    here."""
    _check_shards(shards)
    columns, path, book = _portfolio_arguments(portfolio, book)
    arguments: Dict[str, Any] = {
        "columns": columns,
        "path": path,
        "book": book,
        "method": method,
        "copula": copula,
        "rho": _floats("rho", rho),
        "tranches": _tranches(tranches),
        "tail": _floats("tail", tail),
        "scenarios": scenarios,
        "seed": seed,
        "threads": threads_per_shard,
    }
    return _gather(client, _loss_shard, arguments, shards)


def merge_loss(partials: Sequence[Union[str, Tuple[str, str]]]) -> Report:
    """Merges loss partials (texts, or ``(name, text)`` pairs whose name the errors cite)
    into the single run's report, as :func:`creditlab.loss` returns it."""
    named = [p if isinstance(p, tuple) else (f"shard {i}", p) for i, p in enumerate(partials)]
    return json.loads(_native.loss_merge(named))  # type: ignore[no-any-return]


def loss(client: Any, portfolio: object = None, *, shards: int, **kwargs: Any) -> Report:
    """:func:`creditlab.loss` of a Monte Carlo method (``mc``, ``mc-is``) with its
    scenarios split into ``shards`` tasks on ``client``: the same report, bit for bit.
    Keyword arguments as :func:`loss_partials`."""
    return merge_loss(loss_partials(client, portfolio, shards=shards, **kwargs))


def defi_partials(
    client: Any,
    config: Optional[PathLike] = None,
    *,
    shards: int,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads_per_shard: Optional[int] = 1,
) -> List[str]:
    """The partial results of the DeFi simulation (default: the built-in config) split
    into ``shards`` Dask tasks, in shard order. The config is read here and its text sent
    to the workers, so it need not exist on them."""
    _check_shards(shards)
    text = None if config is None else open(os.fspath(config)).read()
    origin = None if config is None else os.fspath(config)
    arguments: Dict[str, Any] = {
        "text": text,
        "origin": origin,
        "paths": paths,
        "seed": seed,
        "threads": threads_per_shard,
    }
    return _gather(client, _defi_shard, arguments, shards)


def merge_defi(partials: Sequence[Union[str, Tuple[str, str]]]) -> Report:
    """Merges DeFi partials into the single run's result, as :func:`creditlab.defi`
    returns it."""
    named = [p if isinstance(p, tuple) else (f"shard {i}", p) for i, p in enumerate(partials)]
    return json.loads(_native.defi_merge(named))  # type: ignore[no-any-return]


def defi(
    client: Any,
    config: Optional[PathLike] = None,
    *,
    shards: int,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads_per_shard: Optional[int] = 1,
) -> Report:
    """:func:`creditlab.defi` with its paths split into ``shards`` tasks on ``client``: the
    same result, bit for bit."""
    return merge_defi(
        defi_partials(
            client, config, shards=shards, paths=paths, seed=seed,
            threads_per_shard=threads_per_shard,
        )
    )


def _study_shard(arguments: Dict[str, Any], index: int, count: int) -> str:
    """One shard of a study's Monte Carlo stages, on a worker: its partial result as text."""
    return _native.study_shard(**arguments, index=index, count=count)


def study_shard(
    config: Optional[PathLike] = None,
    *,
    index: int,
    count: int,
    quick: bool = False,
    seed: Optional[int] = None,
    scenarios: Optional[int] = None,
    threads: Optional[int] = None,
) -> str:
    """Shard ``index`` of ``count`` of a study, here (one Slurm array task, say): its
    partial result as text, for :func:`merge_study`."""
    _check_shards(count)
    text = None if config is None else open(os.fspath(config)).read()
    return _native.study_shard(None, text, seed, scenarios, quick, threads, index, count)


def study_partials(
    client: Any,
    config: Optional[PathLike] = None,
    *,
    shards: int,
    quick: bool = False,
    seed: Optional[int] = None,
    scenarios: Optional[int] = None,
    threads_per_shard: Optional[int] = 1,
) -> List[str]:
    """The partial results of a study (a scenario file, default the built-in one) split
    into ``shards`` Dask tasks, in shard order: each runs its share of the DeFi pool's
    paths (the year and both March-2020 stresses; docs/scale-out.md says which stages are
    sharded). The scenario is read here and its text sent to the workers."""
    _check_shards(shards)
    text = None if config is None else open(os.fspath(config)).read()
    arguments: Dict[str, Any] = {
        "config": None,
        "text": text,
        "seed": seed,
        "scenarios": scenarios,
        "quick": quick,
        "threads": threads_per_shard,
    }
    return _gather(client, _study_shard, arguments, shards)


def merge_study(
    partials: Sequence[Union[str, Tuple[str, str]]],
    out: Optional[PathLike] = None,
    *,
    force: bool = False,
    threads: Optional[int] = None,
) -> Report:
    """Merges study partials and runs the rest of the study here: the report's data of
    the single :meth:`creditlab.Study.run`, bit for bit (written to ``out`` when given)."""
    named = [p if isinstance(p, tuple) else (f"shard {i}", p) for i, p in enumerate(partials)]
    out_path = None if out is None else os.fspath(out)
    return json.loads(  # type: ignore[no-any-return]
        _native.study_merge(named, threads, out_path, force)
    )


def study(
    client: Any,
    config: Optional[PathLike] = None,
    *,
    shards: int,
    out: Optional[PathLike] = None,
    force: bool = False,
    quick: bool = False,
    seed: Optional[int] = None,
    scenarios: Optional[int] = None,
    threads_per_shard: Optional[int] = 1,
) -> Report:
    """:meth:`creditlab.Study.run` with the study's Monte Carlo paths split into ``shards``
    tasks on ``client``, the rest run here: the same report data, bit for bit."""
    parts = study_partials(
        client, config, shards=shards, quick=quick, seed=seed, scenarios=scenarios,
        threads_per_shard=threads_per_shard,
    )
    return merge_study(parts, out, force=force)


__all__ = [
    "defi",
    "defi_partials",
    "loss",
    "loss_partials",
    "merge_defi",
    "merge_loss",
    "merge_study",
    "study",
    "study_partials",
    "study_shard",
]
