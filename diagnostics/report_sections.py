"""Report sections on the run itself: what was trained, the findings (setup problems first),
what could not be judged, and the per-layer gradient and activation signals.

Each is a `section(run, out_dir) -> Section | None` function for `diagnostics.report`.

Example:

>>> run = {"history": {"loss": [2.0, 1.0]}, "findings": [], "meta": {"model": "mlp"}}
>>> findings_section(run, "/tmp").body
'No problems found.'
"""

import numpy as np

from diagnostics._format import fmt, pyplot, save_figure
from diagnostics.judgement import first_epoch
from diagnostics.section import Section, layer_series

# Findings about how the model, loss and data were set up: they come first in a report, because
# they usually explain the behavioural findings after them.
SETUP_KINDS = ("output_loss_mismatch", "label_mismatch", "unnormalized_input", "suspicious_config")


def summary_section(run, out_dir):
    """What was trained, for how long, and the last values of the headline metrics."""
    meta = run.get("meta", {})
    history = run.get("history", {})
    lines = []
    for key in ("model", "optimizer", "epochs_run", "parameters"):
        if key in meta:
            lines.append(f"- **{key}**: {meta[key]}")
    if first_epoch(run):
        lines.append(f"- **first_epoch**: {first_epoch(run)} (a resumed fit: its epochs are numbered as Keras numbers "
                     "them, here and in the findings)")
    for key, values in history.items():
        if "/" not in key and values:
            lines.append(f"- **{key}** (last epoch): {fmt(float(values[-1]))}")
    if not lines:
        return None
    return Section("Run", "\n".join(lines))


def findings_section(run, out_dir):
    """Every finding with its evidence and remedies, setup problems first; says so plainly when
    there are none."""
    findings = run.get("findings", [])
    if not findings:
        return Section("Findings", "No problems found.")
    setup = [f for f in findings if f.kind in SETUP_KINDS]
    behaviour = [f for f in findings if f.kind not in SETUP_KINDS]
    parts = []
    for title, group in (("Setup", setup), ("Training", behaviour)):
        if group and setup:  # subheadings only when both kinds are there
            parts += [f"### {title}", ""]
        for finding in group:
            parts += _finding_markdown(finding)
    return Section(f"Findings ({len(findings)})", "\n".join(parts))


def _finding_markdown(finding):
    where = f" in `{finding.layer}`" if finding.layer else ""
    parts = [f"#### {finding.severity.upper()}: {finding.kind}{where}, from epoch {finding.epoch}", "",
             finding.message, ""]
    if finding.evidence:
        evidence = ", ".join(f"{key} = {fmt(value)}" for key, value in finding.evidence.items())
        parts += [f"Evidence: {evidence}", ""]
    if finding.advice:
        parts.append("What to try:")
        parts += [f"- {item}" for item in finding.advice]
        parts.append("")
    return parts


def not_judged_section(run, out_dir):
    """What a monitor could not judge in this run (it switched itself off), and why."""
    skipped = run.get("skipped") or []
    if not skipped:
        return None
    lines = ["These checks were switched off during the run, so their findings are missing:", ""]
    for entry in skipped:
        hook = f" (in `{entry['hook']}`)" if entry.get("hook") else ""
        lines.append(f"- **{entry.get('monitor', '?')}**{hook}: {entry.get('reason', 'no reason given')}")
    return Section("Not judged", "\n".join(lines))


def gradient_section(run, out_dir):
    """Heatmap of per-layer gradient norms (log scale), layer by epoch."""
    layers, values = layer_series(run.get("history", {}), "grad_norm")
    if not layers or not np.isfinite(values).any():
        return None
    plt = pyplot()
    from matplotlib.colors import LogNorm

    positive = values[np.isfinite(values) & (values > 0)]
    masked = np.ma.masked_invalid(np.where(values > 0, values, np.nan))
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * values.shape[0] + 3), max(3, 0.3 * len(layers) + 1.5)))
    norm = LogNorm(vmin=positive.min(), vmax=positive.max()) if positive.size else None
    first = first_epoch(run)  # the columns numbered as Keras numbers the epochs
    image = ax.imshow(masked.T, aspect="auto", origin="lower", cmap="viridis", norm=norm,
                      interpolation="nearest",
                      extent=(first - 0.5, first + values.shape[0] - 0.5, -0.5, len(layers) - 0.5))
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
    """Fraction of dead and of saturated units per layer, at the last epoch."""
    history = run.get("history", {})
    panels = []
    for signal, label in (("dead_frac", "dead units"), ("saturated_frac", "saturated units")):
        layers, values = layer_series(history, signal)
        if layers and np.isfinite(values).any():
            panels.append((signal, label, layers, values))
    if not panels:
        return None
    plt = pyplot()
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
