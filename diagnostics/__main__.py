"""Command line: judge a recorded training run and write its report.

    python -m diagnostics PATH [--out DIR] [--format text|json] [--chance-loss X]

PATH is a `run.json` written by `callbacks.TrainingDiagnostics` (or the folder holding it), or
a `keras.callbacks.CSVLogger` file. A run.json keeps its recorded findings; a CSV file is judged
afresh by every detector that works on per-epoch series (generalization, oscillation, stalls,
and the gradient and activation detectors when their columns are there).

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

from diagnostics import generalization, oscillation, stall
from diagnostics import report as report_lib
from diagnostics.findings import Finding


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
    return {"history": history, "findings": None, "meta": {"source": os.path.abspath(path)}, "extras": {}}


def judge(run, chance_loss=None):
    """Findings of every history-based detector on `run` (sorted by epoch)."""
    history = run["history"]
    extras = run.get("extras", {}) or {}
    if chance_loss is None:
        chance_loss = next((v.get("chance_loss") for v in extras.values()
                            if isinstance(v, dict) and v.get("chance_loss") is not None), None)
    findings = []
    monitor = next((key for key in ("val_loss", "val_accuracy", "val_acc") if key in history), None)
    if monitor is not None:
        findings += generalization.detect_overfitting(history, monitor=monitor)
    findings += generalization.detect_underfitting(history, chance_loss)
    findings += oscillation.detect_oscillation(history)
    probes = next((v["probes"] for v in extras.values() if isinstance(v, dict) and "probes" in v), None)
    findings += stall.detect_stalls(history, probes, chance_loss)
    findings += _optional_detectors(history)
    return sorted(findings, key=lambda f: (f.epoch, f.kind, f.layer or ""))


def _optional_detectors(history):
    """Detectors of other signals, when that part of the library and its columns are there."""
    findings = []
    try:
        from diagnostics import gradients
    except ImportError:
        gradients = None
    if gradients is not None and any(key.startswith("grad_norm/") for key in history):
        findings += gradients.detect_gradient_problems(history)
    try:
        from diagnostics import activations
    except ImportError:
        activations = None
    if activations is not None and any(key.startswith(("dead_frac/", "saturated_frac/")) for key in history):
        findings += activations.detect_activation_problems(history)
    return findings


def main(argv=None):
    """Runs the command line; returns the exit status (0 ok, 2 unreadable input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        run = load(args.path)
    except RunFileError as error:
        print(f"python -m diagnostics: error: {error}", file=sys.stderr)
        return 2
    if run.get("findings") is None:
        run["findings"] = judge(run, args.chance_loss)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.path.rstrip(os.sep))), "diagnostics_report")
    if os.path.isdir(args.path) and args.out is None:
        out = os.path.join(args.path, "diagnostics_report")
    report_path = report_lib.write_report(run, out)
    findings = run["findings"]
    if args.format == "json":
        print(json.dumps({"findings": [f.to_dict() for f in findings], "report": report_path}, indent=1))
    else:
        if findings:
            for finding in findings:
                print(finding)
        else:
            print("No problems found.")
        print(f"report: {report_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
