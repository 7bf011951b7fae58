#!/usr/bin/env python3
"""Vectorised numpy peer of creditlab's Monte Carlo on the benchmark loan tape.

The same book (written by `Portfolio::benchmark_book` to a CSV with the columns ead, pd,
lgd, threshold, where threshold = Phi^-1(pd) as creditlab computes it), the same model
(one-factor Gaussian copula, asset correlation rho: loan i defaults iff
sqrt(rho) Z + sqrt(1 - rho) e_i <= threshold_i) and the same statistics as `cargo xtask
loss` (expected loss, unexpected loss, VaR and ES at each level, P(L > x), each tranche's
expected loss and P(loss)), computed the way a numpy user writes it: one normal per loan
and scenario, scenarios in blocks so that a block's loans x scenarios matrix stays small.
numpy only, no creditlab code.

Prints one JSON object: the figures, the wall and CPU seconds of the simulation and
statistics (the CSV read excluded) and loan-scenarios per second of each. Run by `cargo xtask bench`:

    python3 benches/peers/tape_mc.py BOOK.csv --rho 0.2 --scenarios 2000
"""

import argparse
import json
import time

import numpy as np

LEVELS = [0.99, 0.999, 0.9997]
TAIL = [0.05, 0.1, 0.2]
TRANCHES = [(0.0, 0.03), (0.03, 0.07), (0.07, 0.1), (0.1, 0.15), (0.15, 0.3), (0.3, 1.0)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("book")
    ap.add_argument("--rho", type=float, default=0.2)
    ap.add_argument("--scenarios", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    # Loans x scenarios per block: 2e7 doubles, 160 MB of normals at a time.
    ap.add_argument("--block-cells", type=int, default=20_000_000)
    args = ap.parse_args()

    data = np.genfromtxt(args.book, delimiter=",", names=True)
    ead, lgd, threshold = data["ead"], data["lgd"], data["threshold"]
    n = len(ead)
    weight = ead * lgd / ead.sum()
    a, b = np.sqrt(args.rho), np.sqrt(1.0 - args.rho)

    start, cpu_start = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(args.seed)
    block = max(1, args.block_cells // n)
    losses = np.empty(args.scenarios)
    for s in range(0, args.scenarios, block):
        m = min(block, args.scenarios - s)
        z = rng.standard_normal(m)
        x = a * z[:, None] + b * rng.standard_normal((m, n))
        losses[s : s + m] = (x <= threshold).astype(np.float64) @ weight

    srt = np.sort(losses)
    figures = {"expected_loss": losses.mean(), "unexpected_loss": losses.std(ddof=1)}
    for lv in LEVELS:
        k = min(max(int(np.ceil(len(srt) * lv)), 1), len(srt)) - 1
        q = srt[k]
        figures[f"var[{lv}]"] = q
        figures[f"es[{lv}]"] = srt[srt >= q].mean()
    for x in TAIL:
        figures[f"tail[{x}]"] = (losses > x).mean()
    for lo, hi in TRANCHES:
        figures[f"tranche[{lo}-{hi}].expected_loss"] = (
            np.clip(losses - lo, 0.0, hi - lo).mean() / (hi - lo)
        )
        figures[f"tranche[{lo}-{hi}].default_probability"] = (losses > lo).mean()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start

    print(
        json.dumps(
            {
                "loans": n,
                "scenarios": args.scenarios,
                "rho": args.rho,
                "numpy": np.__version__,
                "seconds": seconds,
                "loan_scenarios_per_second": n * args.scenarios / seconds,
                "cpu_seconds": cpu_seconds,
                "loan_scenarios_per_cpu_second": n * args.scenarios / cpu_seconds,
                "figures": {k: float(v) for k, v in figures.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
