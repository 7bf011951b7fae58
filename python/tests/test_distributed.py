"""Shards on a Dask cluster of two worker processes give exactly the single-process run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from distributed import Client, LocalCluster

import creditlab
import creditlab.distributed as cd


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, Client(cluster) as c:  # type: ignore[no-untyped-call]
        yield c


@pytest.mark.parametrize("shards", [1, 3, 7])
def test_loss_shards_are_the_single_run(client: Client, shards: int) -> None:
    kwargs = {"book": "standard:200", "method": "mc", "scenarios": 20_001, "seed": 5}
    single = creditlab.loss(**kwargs)  # type: ignore[arg-type]
    assert cd.loss(client, shards=shards, **kwargs) == single


def test_importance_sampling_and_frames_shard(client: Client) -> None:
    rng = np.random.default_rng(1)
    data = {"ead": rng.uniform(1, 3, 150), "pd": rng.uniform(0.01, 0.03, 150),
            "lgd": np.full(150, 0.5)}
    kwargs = {"method": "mc-is", "copula": "gaussian", "scenarios": 4_000, "tail": [0.1, 0.2]}
    single = creditlab.loss(data, **kwargs)  # type: ignore[arg-type]
    assert cd.loss(client, data, shards=4, **kwargs) == single


def test_defi_shards_are_the_single_run(client: Client) -> None:
    single = creditlab.defi(paths=10, seed=3)
    assert cd.defi(client, shards=3, paths=10, seed=3) == single


def test_partials_are_shard_files_and_merge_in_any_order(client: Client, tmp_path: Path) -> None:
    parts = cd.loss_partials(client, book="standard:50", shards=3, scenarios=3_000)
    assert all(json.loads(p)["format"] for p in parts)
    single = creditlab.loss(book="standard:50", scenarios=3_000)
    assert cd.merge_loss(list(reversed(parts))) == single
    with pytest.raises(creditlab.Error, match="in no shard"):
        cd.merge_loss(parts[:2])
    with pytest.raises(creditlab.Error):
        cd.merge_loss([parts[0], parts[0], parts[1], parts[2]])
    other = cd.loss_partials(client, book="standard:51", shards=3, scenarios=3_000)
    with pytest.raises(creditlab.Error):
        cd.merge_loss([parts[0], parts[1], other[2]])
    with pytest.raises(creditlab.ArgumentError):
        cd.loss(client, book="standard:50", shards=0)


def test_study_shards_are_the_single_run(client: Client, tmp_path: Path) -> None:
    # The quick study with its DeFi pool paths split over the two worker processes: the
    # same report data as the single-process run, bit for bit (compared as JSON text).
    import time

    t0 = time.perf_counter()
    single = creditlab.Study.builtin().run(quick=True)
    t1 = time.perf_counter()
    parts = cd.study_partials(client, shards=2, quick=True)
    t2 = time.perf_counter()
    sharded = cd.merge_study(parts, tmp_path / "report")
    t3 = time.perf_counter()
    assert json.dumps(sharded) == json.dumps(single)
    written = json.loads((tmp_path / "report" / "report.json").read_text())
    assert written == single
    print(f"quick study: single {t1 - t0:.2f} s; 2 shards {t2 - t1:.2f} s + merge {t3 - t2:.2f} s")
    assert cd.study(client, shards=3, quick=True, seed=7) == creditlab.Study.builtin().run(
        quick=True, seed=7
    )
    # A missing shard is refused, naming what no shard covers.
    with pytest.raises(creditlab.Error, match="in no shard"):
        cd.merge_study(parts[:1])
