"""creditlab from a notebook: a loan tape, its grades, its loss distribution, a picture.

Run it as a script (``python docs/python_example.py``; the Python tests do) or paste the
cells into a notebook. It writes ``loss_distribution.png`` into $CREDITLAB_EXAMPLE_OUT (a
temporary folder by default). Set-up: ``scripts/test-python.sh`` or docs/python.md.
"""

# %% A loan tape: here a synthetic bank book written as CSV, read back with pandas.
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import creditlab

out = Path(os.environ.get("CREDITLAB_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="creditlab-"))
tape_path = out / "bank_tape.csv"
if not tape_path.exists():
    creditlab.write_book(tape_path, book="bank", loans=2_000, seed=11)
tape = pd.read_csv(tape_path)
print(f"{len(tape)} loans, principal {tape['principal'].sum():,.0f}")

# %% Grade it: the book's summary (as `cargo xtask grade --json`) and every loan's grade.
report = creditlab.grade(tape)
summary = report["summary"]
print(f"mean PD {summary['mean_pd']:.3%}, mean LGD {summary['mean_lgd']:.1%}")
grades = creditlab.loan_grades(tape)
print(pd.Series(grades["grade"]).value_counts().sort_index().to_string())

# %% The loss distribution of the graded book: EAD, PD and LGD per loan, Gaussian copula.
portfolio = {k: grades[k] for k in ("ead", "pd", "lgd")}
mc = creditlab.loss(portfolio, method="mc", rho=0.15, scenarios=50_000, seed=1)
exact = creditlab.loss(portfolio, method="exact", rho=0.15, tail=list(np.linspace(0, 0.1, 41)))
print(f"expected loss {mc['expected_loss']:.4%} (exact {exact['expected_loss']:.4%})")
print(f"99.9% VaR {mc['var']['0.999']:.4%} (exact {exact['var']['0.999']:.4%})")
for t in mc["tranches"]:
    print(f"tranche {t['attach']:.0%}-{t['detach']:.0%}: expected loss {t['expected_loss']:.4%}")

# %% Plot: the Monte Carlo scenario losses against the exact exceedance curve.
losses = creditlab.loss_scenarios(portfolio, rho=0.15, scenarios=50_000, seed=1)
x, p = creditlab.exceedance(exact)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.hist(losses, bins=80, color="#4477aa")
left.axvline(mc["var"]["0.999"], color="#cc3311", label="99.9% VaR")
left.set(xlabel="pool loss (share of EAD)", ylabel="scenarios", title="Monte Carlo")
left.legend()
empirical = np.array([(losses > v).mean() for v in x])
right.semilogy(x, p, label="exact")
right.semilogy(x, np.where(empirical > 0, empirical, np.nan), ".", label="Monte Carlo")
right.set(xlabel="loss level x", ylabel="P(L > x)", title="exceedance")
right.legend()
fig.tight_layout()
png = out / "loss_distribution.png"
fig.savefig(png, dpi=100)
print(f"wrote {png}")
