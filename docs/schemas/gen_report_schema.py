#!/usr/bin/env python3
"""Regenerates report.schema.json's skeleton from a report.json (maintainers' tool).

Usage: python3 docs/schemas/gen_report_schema.py REPORT.json [MORE.json ...]
Several reports (e.g. the default and scenarios/defi-safer.toml, full and --quick) are
merged: a key null in one and valued in another takes the valued schema, nullable. Writes docs/schemas/report.schema.json. Every object gets `required` (all its keys) and
`additionalProperties: false`; keys listed in NULLABLE may also be null. Review the diff:
the schema is the contract, report-json.md explains it.
"""
import json
import sys

NULLABLE = {"weighted_average_ltv", "weighted_average_rate", "observed_default_rate",
            "std_error", "hours_to_first_bad_debt", "first_bad_debt_hours",
            "hours_from_first_shock_to_loss", "es999", "shock_start_hour", "severity",
            "own_data", "own_data_low_grade_share", "liquidation_buffer", "tail_paths",
            "flip", "auc_full_information", "auc_full_information_se",
            "auc_borrower_facts_withheld", "auc_borrower_facts_withheld_se", "calibration",
            "hosmer_lemeshow", "se", "value", "amplification"}


def schema_of(value, key=None):
    if isinstance(value, bool):
        s = {"type": "boolean"}
    elif isinstance(value, int):
        s = {"type": "integer"}
    elif isinstance(value, float):
        s = {"type": "number"}
    elif isinstance(value, str):
        s = {"type": "string"}
    elif value is None:
        s = {"type": "null"}
    elif isinstance(value, list):
        if not value:
            s = {"type": "array"}
        elif all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) for v in value):
            s = {"type": "array", "items": {"type": "array", "prefixItems": [
                {"type": "string"}, {"type": "integer"}], "minItems": 2, "maxItems": 2}}
        elif all(isinstance(v, list) and all(isinstance(x, (int, float)) for x in v)
                 for v in value):
            s = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            s = {"type": "array", "items": {"type": "number"}}
        elif all(isinstance(v, str) for v in value):
            s = {"type": "array", "items": {"type": "string"}}
        else:
            merged = {}
            for v in value:
                if isinstance(v, dict):
                    for k, x in v.items():
                        merged.setdefault(k, x)
            if all(isinstance(v, dict) for v in value) and all(
                    set(v) == set(value[0]) for v in value):
                s = {"type": "array", "items": schema_of(value[0])}
            else:
                s = {"type": "array"}
    elif isinstance(value, dict):
        s = {"type": "object",
             "properties": {k: schema_of(v, k) for k, v in value.items()},
             "required": list(value.keys()),
             "additionalProperties": False}
    else:
        raise TypeError(value)
    if key in NULLABLE and s.get("type") != "null":
        s["type"] = [s["type"], "null"] if isinstance(s["type"], str) else s["type"]
    if s.get("type") == "integer":
        s["type"] = "number" if key in ("value",) else "integer"
    return s


def merge(a, b):
    """One schema admitting what `a` and `b` admit (null types give way to the other)."""
    ta, tb = a.get("type"), b.get("type")
    if ta == "null" and tb != "null":
        out = dict(b)
        out["type"] = [tb, "null"] if isinstance(tb, str) else list(dict.fromkeys(tb + ["null"]))
        return out
    if tb == "null" and ta != "null":
        return merge(b, a)
    if ta == "object" or (isinstance(ta, list) and "object" in ta):
        pa, pb = a.get("properties", {}), b.get("properties", {})
        if set(pa) == set(pb):
            out = dict(a)
            out["properties"] = {k: merge(pa[k], pb[k]) for k in pa}
            return out
    if "items" in a and "items" in b and isinstance(a["items"], dict):
        out = dict(a)
        out["items"] = merge(a["items"], b["items"])
        return out
    if "items" in b and "items" not in a:
        return b
    return a


def main():
    reports = [json.load(open(f)) for f in sys.argv[1:]]
    report = reports[0]
    schema = schema_of(report)
    for other in reports[1:]:
        schema = merge(schema, schema_of(other))
    # Numbers that happen to be integral in one run are numbers, not integers.
    def widen(s):
        if isinstance(s, dict):
            if s.get("type") == "integer":
                s["type"] = "number"
            for v in s.values():
                widen(v)
        elif isinstance(s, list):
            for v in s:
                widen(v)
    widen(schema)

    # An Estimate carries a standard error only from simulation methods.
    def estimates(s):
        if isinstance(s, dict):
            props = s.get("properties")
            if isinstance(props, dict) and "value" in props and set(props) <= {"value", "std_error"}:
                props["std_error"] = {"type": ["number", "null"]}
                s["required"] = ["value"]
            for v in s.values():
                estimates(v)
        elif isinstance(s, list):
            for v in s:
                estimates(v)
    estimates(schema)
    schema["properties"]["schema_version"] = {"const": report["schema_version"]}
    # The scenario is described by scenario.md; its own parser is strict.
    schema["properties"]["scenario"] = {"type": "object"}
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           "$id": "creditlab/report.schema.json",
           "title": "creditlab report.json",
           "description": "Written by cargo xtask pipeline; explained in report-json.md.",
           **schema}
    with open("docs/schemas/report.schema.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
