#!/usr/bin/env python3
"""Independent peer of creditlab-grade's scorecard checks on the German Credit data.

Computes, with pandas, statsmodels, scikit-learn and numpy only (no creditlab code):

1. the information value of six categorical variables on their raw categories
   (WoE = ln(%good / %bad); every raw category of these six has goods and bads, so no
   smoothing enters);
2. the unpenalised maximum-likelihood logistic regression of bad on the fixed design
   [1, WoE of the six variables] (statsmodels Logit, Newton, converged to 1e-12), with
   standard errors from the inverse information;
3. the in-sample AUC of that fit (scikit-learn roc_auc_score), its DeLong standard error and
   the DeLong test against the fit on the first three variables only, by the fast DeLong
   algorithm of Sun and Xu (2014), a second implementation of DeLong et al. (1988).

The printed numbers are pinned in crates/creditlab-grade/tests/german_credit.rs. Run once
from the repository root with a Python that has those packages, e.g.:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install statsmodels scikit-learn
    /tmp/peers/bin/python benches/peers/german_credit_logit.py
"""

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

VARIABLES = [
    "status_of_existing_checking_account",
    "credit_history",
    "savings_account_and_bonds",
    "property",
    "housing",
    "other_debtors_or_guarantors",
]


def midranks(x):
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i : j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return ranks


def fast_delong(scores, y):
    """Sun and Xu (2014): AUCs and DeLong covariance of the rows of `scores`."""
    pos, neg = scores[:, y], scores[:, ~y]
    m, n = pos.shape[1], neg.shape[1]
    k = scores.shape[0]
    tx = np.array([midranks(pos[r]) for r in range(k)])
    ty = np.array([midranks(neg[r]) for r in range(k)])
    tz = np.array([midranks(scores[r][np.r_[np.where(y)[0], np.where(~y)[0]]]) for r in range(k)])
    aucs = (tz[:, :m].sum(axis=1) / m - (m + 1) / 2.0) / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    cov = np.atleast_2d(np.cov(v01)) / m + np.atleast_2d(np.cov(v10)) / n
    return aucs, cov


def main():
    df = pd.read_csv("data/german_credit.csv")
    y = (df["creditability"] == "bad").to_numpy()
    goods, bads = (~y).sum(), y.sum()
    design = [np.ones(len(df))]
    for v in VARIABLES:
        t = pd.crosstab(df[v], y)
        g, b = t[False] / goods, t[True] / bads
        woe = np.log(g / b)
        iv = float(((g - b) * woe).sum())
        print(f"iv {v} {iv:.15e}")
        design.append(df[v].map(woe).to_numpy())
    x = np.column_stack(design)
    fit = sm.Logit(y.astype(float), x).fit(method="newton", tol=1e-12, maxiter=100, disp=False)
    for name, b, se in zip(["intercept"] + VARIABLES, fit.params, fit.bse):
        print(f"coef {name} {b:.15e} {se:.15e}")
    print(f"loglik {fit.llf:.15e}")
    p_all = fit.predict(x)
    p_three = sm.Logit(y.astype(float), x[:, :4]).fit(
        method="newton", tol=1e-12, maxiter=100, disp=False
    ).predict(x[:, :4])
    print(f"auc_sklearn {roc_auc_score(y, p_all):.15e}")
    aucs, cov = fast_delong(np.vstack([p_all, p_three]), y)
    print(f"auc_delong {aucs[0]:.15e} {aucs[1]:.15e}")
    print(f"se_delong {np.sqrt(cov[0, 0]):.15e} {np.sqrt(cov[1, 1]):.15e}")
    se_diff = np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    z = (aucs[0] - aucs[1]) / se_diff
    print(f"diff {aucs[0] - aucs[1]:.15e} se {se_diff:.15e} z {z:.15e} p {2 * norm.sf(abs(z)):.15e}")


if __name__ == "__main__":
    main()
