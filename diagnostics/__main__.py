"""Command line: judge a recorded training run and write its report.

    python -m diagnostics PATH [--out DIR] [--format text|json] [--chance-loss X] [--recorded]

PATH is a `run.json` written by `callbacks.TrainingDiagnostics` (or the folder holding it), or
a `keras.callbacks.CSVLogger` file. Either is judged afresh by `diagnostics.judge`, the judge the
live run used: a run.json gets exactly the live verdict from today's detectors, a CSV file every
detector its columns allow (generalization, oscillation, stalls, and the gradient and activation
detectors when their columns are there). `--recorded` shows a run.json's findings as recorded.

Example:

    $ python -m diagnostics runs/mlp/training.csv --out runs/mlp/report
    [warning] overfitting from epoch 7: ...
    report: runs/mlp/report/report.md
"""

import argparse
import csv
import json
import math
import os
import sys

from diagnostics import judgement as judge_lib
from diagnostics import report as report_lib

# Kinds the per-epoch history holds the evidence for. A run.json written before the judge (no
# `version`) kept no record of the others (setup checks, class counts): its findings of those
# kinds are taken as observed.
HISTORY_KINDS = frozenset({
    "vanishing_gradient", "exploding_gradient", "zero_gradient", "non_finite", "dead_relu", "saturation",
    "overfitting", "underfitting", "plateau", "saddle_point", "oscillation",
})


class RunFileError(Exception):
    """The input file is missing or is not a run this tool can read."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m diagnostics",
        description="Diagnose a recorded Keras training run (TrainingDiagnostics run.json or a "
                    "CSVLogger file): print the findings and write a report with plots.",
    )
    parser.add_argument("path", help="run.json, a folder holding run.json, or a CSVLogger .csv file")
    parser.add_argument("--out", default=None,
                        help="folder for report.md and the plots (default: 'diagnostics_report' "
                             "next to the input)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="how to print the findings (default: text)")
    parser.add_argument("--chance-loss", type=float, default=None,
                        help="training loss of guessing, e.g. ln(10)=2.303 for 10 classes; enables "
                             "the near-chance underfitting test for CSV files")
    parser.add_argument("--recorded", action="store_true",
                        help="for a run.json: show the findings recorded during training instead of "
                             "judging the history again")
    return parser


def load(path):
    """Reads a run from `path`; returns the run dict. Raises `RunFileError`."""
    if os.path.isdir(path):
        path = os.path.join(path, "run.json")
    if not os.path.isfile(path):
        raise RunFileError(f"no such file: {path}")
    if path.lower().endswith(".csv"):
        return _load_csv(path)
    try:
        run = report_lib.load_run(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunFileError(f"{path} is not valid JSON ({error})") from error
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise RunFileError(f"{path} is not a run.json written by TrainingDiagnostics ({error})") from error
    if not isinstance(run.get("history"), dict) or not run["history"]:
        raise RunFileError(f"{path} holds no training history")
    return run


def _load_csv(path):
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise RunFileError(f"{path} is not a CSV file ({error})") from error
    if not rows or not rows[0] or "loss" not in rows[0]:
        raise RunFileError(f"{path} is not a CSVLogger file: it needs a header row with a 'loss' column")
    history = {}
    for line, row in enumerate(rows, start=2):
        for key, value in row.items():
            if key is None or key == "epoch":
                continue
            try:
                number = float(value) if value not in ("", None) else math.nan
            except ValueError as error:
                raise RunFileError(f"{path}, line {line}: column {key!r} holds {value!r}, not a number") from error
            history.setdefault(key, []).append(number)
    meta = {"source": os.path.abspath(path)}
    # CSVLogger writes Keras' epoch numbers: a resumed fit's file starts at its initial_epoch.
    first = (rows[0].get("epoch") or "0").strip()
    if not first.isdigit():
        raise RunFileError(f"{path}, line 2: column 'epoch' holds {first!r}, not an epoch number")
    meta["first_epoch"] = int(first)
    return {"history": history, "findings": None, "meta": meta, "extras": {}}


def judge(run, chance_loss=None):
    """`diagnostics.judge` on a run read by `load`: the verdict the live run gave, for a run.json
    of this version; for a CSVLogger file, every detector its columns allow. `chance_loss`
    overrides the one recorded."""
    record = dict(run)
    meta = dict(record.get("meta") or {})
    if chance_loss is not None:
        meta["chance_loss"] = chance_loss
    record["meta"] = meta
    if record.get("version") is None and record.get("findings"):
        kept = [f.to_dict() for f in record["findings"] if f.kind not in HISTORY_KINDS]
        record["extras"] = {**(record.get("extras") or {}), "recorded": {"findings": kept}}
        meta.pop("monitors", None)  # a monitor list of version 1 did not say what was recorded
    return judge_lib.judge(record)


def main(argv=None):
    """Runs the command line; returns the exit status (0 ok, 2 unreadable input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        run = load(args.path)
    except RunFileError as error:
        print(f"python -m diagnostics: error: {error}", file=sys.stderr)
        return 2
    recorded = run.get("findings") is not None
    if not (args.recorded and recorded):
        run["findings"] = judge(run, args.chance_loss)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.path.rstrip(os.sep))), "diagnostics_report")
    if os.path.isdir(args.path) and args.out is None:
        out = os.path.join(args.path, "diagnostics_report")
    report_path = report_lib.write_report(run, out)
    findings = run["findings"]
    source = "recorded" if args.recorded and recorded else "judged"
    if args.format == "json":
        print(json.dumps({"findings": [f.to_dict() for f in findings], "source": source,
                          "report": report_path}, indent=1))
    else:
        print("Findings recorded during training:" if source == "recorded"
              else "Findings of the current detectors:")
        if findings:
            for finding in findings:
                print(finding)
        else:
            print("No problems found.")
        print(f"report: {report_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
