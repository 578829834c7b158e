"""Readable reports of a training run: `report.md` plus PNG plots, built from sections.

A *run* is a plain dict, the same one `TrainingDiagnostics` saves as `run.json`:

    {"history": {key: [value per epoch]}, "findings": [Finding], "meta": {...}, "extras": {...}}

A *section* is a function `section(run, out_dir) -> Section | None`. It may save figures into
`out_dir` (use `save_figure`) and returns its Markdown; it returns None when the run holds nothing
for it to show. To add a section, write the function in your own module, import it at the marker
`# -- section imports --` and list it in `SECTIONS` (marker `# -- report sections --`).

Example:

>>> run = {"history": {"loss": [1.0, 0.5]}, "findings": [], "meta": {}, "extras": {}}
>>> path = write_report(run, "/tmp/report_doctest")  # doctest: +SKIP
"""

import dataclasses
import json
import math
import os

import numpy as np

from diagnostics.findings import Finding


@dataclasses.dataclass
class Section:
    """One part of a report.

    Args:
        title: heading of the section.
        body: Markdown text under the heading.
        images: list of `(file_name, caption)`; files already saved in the report folder.
    """

    title: str
    body: str = ""
    images: list = dataclasses.field(default_factory=list)

    def to_markdown(self):
        parts = [f"## {self.title}", ""]
        if self.body:
            parts += [self.body.rstrip(), ""]
        for file_name, caption in self.images:
            parts += [f"![{caption}]({file_name})", ""]
        return "\n".join(parts)


# ----------------------------------------------------------------------------------------------
# Helpers for section writers.


def layer_series(history, signal):
    """Per-layer series of one signal.

    Args:
        history: `{key: [value per epoch]}`.
        signal: prefix such as `"grad_norm"`; keys look like `"grad_norm/<layer>"`.

    Returns:
        `(layers, values)`: layer names in the order they were logged (input side first) and a
        float array of shape `(epochs, layers)` (NaN where unknown). Empty if no key matches.
    """
    prefix = signal + "/"
    layers = [key[len(prefix):] for key in history if key.startswith(prefix)]
    if not layers:
        return [], np.zeros((0, 0))
    columns = [np.asarray(history[prefix + layer], dtype=float) for layer in layers]
    epochs = max(len(column) for column in columns)
    values = np.full((epochs, len(layers)), np.nan)
    for index, column in enumerate(columns):
        values[: len(column), index] = column
    return layers, values


def save_figure(fig, out_dir, file_name):
    """Saves a matplotlib figure into the report folder, closes it, returns `file_name`."""
    import matplotlib.pyplot as plt

    fig.savefig(os.path.join(out_dir, file_name), dpi=110, bbox_inches="tight")
    plt.close(fig)
    return file_name


def _pyplot():
    import matplotlib

    if "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _fmt(value):
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.3g}"
    return str(value)


# ----------------------------------------------------------------------------------------------
# Built-in sections.


def summary_section(run, out_dir):
    """What was trained, for how long, and the last values of the headline metrics."""
    meta = run.get("meta", {})
    history = run.get("history", {})
    lines = []
    for key in ("model", "optimizer", "epochs_run", "parameters"):
        if key in meta:
            lines.append(f"- **{key}**: {meta[key]}")
    headline = [key for key in history if "/" not in key]
    for key in headline:
        values = history[key]
        if values:
            lines.append(f"- **{key}** (last epoch): {_fmt(float(values[-1]))}")
    if not lines:
        return None
    return Section("Run", "\n".join(lines))


def findings_section(run, out_dir):
    """Every finding with its evidence and remedies; says so plainly when there are none."""
    findings = run.get("findings", [])
    if not findings:
        return Section("Findings", "No problems found.")
    parts = []
    for finding in findings:
        where = f" in `{finding.layer}`" if finding.layer else ""
        parts.append(
            f"### {finding.severity.upper()}: {finding.kind}{where}, from epoch {finding.epoch}"
        )
        parts.append("")
        parts.append(finding.message)
        parts.append("")
        if finding.evidence:
            evidence = ", ".join(f"{key} = {_fmt(value)}" for key, value in finding.evidence.items())
            parts += [f"Evidence: {evidence}", ""]
        if finding.advice:
            parts.append("What to try:")
            parts += [f"- {item}" for item in finding.advice]
            parts.append("")
    return Section(f"Findings ({len(findings)})", "\n".join(parts))


def gradient_section(run, out_dir):
    """Heatmap of per-layer gradient norms (log scale), layer by epoch."""
    layers, values = layer_series(run.get("history", {}), "grad_norm")
    if not layers or not np.isfinite(values).any():
        return None
    plt = _pyplot()
    from matplotlib.colors import LogNorm

    positive = values[np.isfinite(values) & (values > 0)]
    masked = np.ma.masked_invalid(np.where(values > 0, values, np.nan))
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * values.shape[0] + 3), max(3, 0.3 * len(layers) + 1.5)))
    norm = LogNorm(vmin=positive.min(), vmax=positive.max()) if positive.size else None
    image = ax.imshow(masked.T, aspect="auto", origin="lower", cmap="viridis", norm=norm,
                      interpolation="nearest")
    ax.set_yticks(range(len(layers)))
    ax.set_yticklabels(layers, fontsize=7)
    ax.set_xlabel("epoch")
    ax.set_ylabel("layer (input at the bottom)")
    ax.set_title("Gradient L2 norm per layer")
    fig.colorbar(image, ax=ax, label="gradient norm (log scale)")
    file_name = save_figure(fig, out_dir, "gradient_norms.png")
    body = (
        "Mean gradient L2 norm per layer and epoch, measured in the real training step. "
        "A band that fades towards the input layers means vanishing gradients; "
        "a band that brightens over epochs means exploding gradients."
    )
    return Section("Gradients", body, [(file_name, "gradient norms per layer")])


def activation_section(run, out_dir):
    """Fraction of dead and of saturated units per layer, at the last epoch and over time."""
    history = run.get("history", {})
    panels = []
    for signal, label in (("dead_frac", "dead units"), ("saturated_frac", "saturated units")):
        layers, values = layer_series(history, signal)
        if layers and np.isfinite(values).any():
            panels.append((signal, label, layers, values))
    if not panels:
        return None
    plt = _pyplot()
    height = max(3, 0.3 * max(len(p[2]) for p in panels) + 1.5)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), height), squeeze=False)
    for ax, (signal, label, layers, values) in zip(axes[0], panels):
        last = np.array([_last_finite(values[:, i]) for i in range(len(layers))])
        color = "tab:red" if signal == "dead_frac" else "tab:orange"
        ax.barh(range(len(layers)), np.nan_to_num(last), color=color)
        ax.set_yticks(range(len(layers)))
        ax.set_yticklabels(layers, fontsize=7)
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"fraction of {label} (last epoch)")
    fig.suptitle("Activation health per layer (probe batch)")
    file_name = save_figure(fig, out_dir, "activation_health.png")
    body = (
        "Dead units output zero for every probe sample; saturated units sit near an asymptote "
        "of sigmoid, tanh or softsign for most probe samples. Either way they pass almost no gradient."
    )
    return Section("Activation health", body, [(file_name, "activation health per layer")])


def _last_finite(column):
    finite = column[np.isfinite(column)]
    return float(finite[-1]) if finite.size else float("nan")


# -- section imports -- (kept here, below `Section` and the helpers, so that a section module may
# itself import `Section`, `layer_series` and `save_figure` from this module without a cycle)
from diagnostics.report_dynamics import curvature_section, loss_curves_section  # noqa: E402

SECTIONS = [
    # -- report sections --
    summary_section,
    findings_section,
    loss_curves_section,
    curvature_section,
    gradient_section,
    activation_section,
]


# ----------------------------------------------------------------------------------------------
# Runs on disk and the report itself.


def save_run(run, path):
    """Writes a run as JSON (findings as dicts, non-finite numbers as strings 'nan'/'inf')."""
    data = {
        "history": {key: [_json_number(v) for v in values] for key, values in run.get("history", {}).items()},
        "findings": [f.to_dict() if isinstance(f, Finding) else f for f in run.get("findings", [])],
        "meta": run.get("meta", {}),
        "extras": run.get("extras", {}),
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
        "history": history,
        "findings": [Finding.from_dict(f) for f in data.get("findings", [])],
        "meta": data.get("meta", {}),
        "extras": data.get("extras", {}),
    }


def write_report(run, out_dir, sections=None):
    """Writes `report.md` and its PNG plots into `out_dir`.

    Args:
        run: dict with `history`, `findings` (Finding or dicts), `meta`, `extras`.
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


def _json_number(value):
    value = float(value)
    return value if math.isfinite(value) else repr(value)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
