"""Readable reports of a training run: `report.md` plus PNG plots, assembled from sections; and
runs on disk (`run.json`).

A *run* is a plain dict, the same one `TrainingDiagnostics` saves as `run.json`:

    {"version": 2, "history": {key: [value per epoch]}, "findings": [Finding], "meta": {...},
     "extras": {...}, "skipped": [{"monitor", "hook", "reason"}]}

(the record `diagnostics.judge` decides on; its schema is documented there)

`skipped` lists what a monitor could not judge (it switched itself off); it may be absent. The
report's sections are the functions in `SECTIONS` (see `diagnostics.section`); pass your own list
to `write_report(run, out_dir, sections=...)` to add or leave out some.

Example:

>>> run = {"history": {"loss": [1.0, 0.5]}, "findings": [], "meta": {}, "extras": {}}
>>> path = write_report(run, "/tmp/report_doctest")  # doctest: +SKIP
"""

import json
import os

import numpy as np

from diagnostics._format import json_number
from diagnostics.findings import Finding
from diagnostics.report_dynamics import curvature_section, loss_curves_section
from diagnostics.report_sections import (
    activation_section,
    findings_section,
    gradient_section,
    not_judged_section,
    summary_section,
)
from diagnostics.section import Section

SECTIONS = [
    summary_section,
    findings_section,
    not_judged_section,
    loss_curves_section,
    curvature_section,
    gradient_section,
    activation_section,
]


def save_run(run, path):
    """Writes a run as JSON (findings as dicts, non-finite numbers as strings 'nan'/'inf')."""
    data = {
        "version": run.get("version"),
        "history": {key: [json_number(float(v)) for v in values] for key, values in run.get("history", {}).items()},
        "findings": [f.to_dict() if isinstance(f, Finding) else f for f in run.get("findings", [])],
        "meta": run.get("meta", {}),
        "extras": run.get("extras", {}),
        "skipped": list(run.get("skipped") or []),
    }
    with open(path, "w") as handle:
        json.dump(data, handle, indent=1, default=_json_default)
    return path


def load_run(path):
    """Reads a run written by `save_run`; findings come back as `Finding` objects."""
    with open(path) as handle:
        data = json.load(handle)
    history = {key: [float(v) for v in values] for key, values in data.get("history", {}).items()}
    return {
        "version": data.get("version"),
        "history": history,
        "findings": [Finding.from_dict(f) for f in data.get("findings", [])],
        "meta": data.get("meta", {}),
        "extras": data.get("extras", {}),
        "skipped": list(data.get("skipped") or []),
    }


def write_report(run, out_dir, sections=None):
    """Writes `report.md` and its PNG plots into `out_dir`.

    Args:
        run: dict with `history`, `findings` (Finding or dicts), `meta`, `extras` and optionally
            `skipped`.
        out_dir: folder, created if missing.
        sections: section functions to use; default `SECTIONS`.

    Returns:
        Path of `report.md`.
    """
    os.makedirs(out_dir, exist_ok=True)
    run = dict(run)
    run["findings"] = [f if isinstance(f, Finding) else Finding.from_dict(f) for f in run.get("findings", [])]
    run.setdefault("history", {})
    run.setdefault("meta", {})
    run.setdefault("extras", {})
    title = run["meta"].get("model", "model")
    parts = [f"# Training diagnostics: {title}", ""]
    for section in SECTIONS if sections is None else sections:
        result = section(run, out_dir)
        if result is not None:
            parts.append(result.to_markdown())
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as handle:
        handle.write("\n".join(parts))
    return path


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


__all__ = ["SECTIONS", "Section", "load_run", "save_run", "write_report"]
