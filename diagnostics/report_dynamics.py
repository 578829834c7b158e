"""Report sections on training dynamics: loss curves with the train-validation gap, and the
curvature measured at each stall.

Both are `section(run, out_dir) -> Section | None` functions for `diagnostics.report`.

Example:

>>> run = {"history": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, "findings": [], "meta": {},
...        "extras": {}}
>>> loss_curves_section(run, "/tmp/report_doctest").title     # doctest: +SKIP
'Loss curves'
"""

import numpy as np

from diagnostics._format import fmt, pyplot, save_figure
from diagnostics.judgement import first_epoch
from diagnostics.section import Section


def _findings_of(run, kind):
    return [f for f in run.get("findings", []) if getattr(f, "kind", None) == kind]


def stall_probes(run):
    """Curvature probes recorded by `StallMonitor` in `run["extras"]` (list of dicts)."""
    extras = run.get("extras", {}) or {}
    for value in extras.values():
        if isinstance(value, dict) and isinstance(value.get("probes"), list):
            return value["probes"]
    return []


def loss_curves_section(run, out_dir):
    """Training and validation loss per epoch (numbered as Keras numbers them, like the findings);
    the gap between them shaded; the overfitting onset, the best epoch and each stall marked."""
    history = run.get("history", {})
    loss = np.asarray(history.get("loss", []), dtype=float)
    if loss.size == 0 or not np.isfinite(loss).any():
        return None
    val = np.asarray(history.get("val_loss", []), dtype=float)
    first = first_epoch(run)
    epochs = first + np.arange(loss.size)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(epochs, loss, marker="o", ms=3, label="training loss")
    lines = []
    if val.size == loss.size and np.isfinite(val).any():
        ax.plot(epochs, val, marker="o", ms=3, label="validation loss")
        ax.fill_between(epochs, loss, val, where=val >= loss, color="tab:red", alpha=0.15,
                        interpolate=True, label="train-validation gap")
        gap = val - loss
        finite = np.isfinite(gap)
        if finite.any():
            lines.append(f"- Train-validation gap: {fmt(gap[finite][0])} at the first epoch, "
                         f"{fmt(gap[finite][-1])} at the last.")
    for finding in _findings_of(run, "overfitting"):
        best = int(finding.evidence.get("best_epoch", finding.epoch - 1))
        ax.axvline(finding.epoch, color="tab:red", ls="--", lw=1, label=f"overfitting onset (epoch {finding.epoch})")
        ax.axvline(best, color="tab:green", ls=":", lw=1, label=f"best epoch to restore ({best})")
        lines.append(f"- Overfitting from epoch {finding.epoch}; the best weights are those of epoch {best}.")
    for finding in _findings_of(run, "oscillation"):
        ax.axvspan(finding.epoch, epochs[-1], color="tab:orange", alpha=0.08)
        lines.append(f"- The loss oscillates from epoch {finding.epoch} (shaded orange).")
    for probe in stall_probes(run):
        index = int(probe.get("epoch", -1))  # the probe's position in the series
        if 0 <= index < loss.size:
            ax.plot([epochs[index]], [loss[index]], marker="v", color="black", ms=8)
    if stall_probes(run):
        lines.append("- Black triangles: stalls where the curvature was probed (see Curvature at stalls).")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if np.nanmin(loss) > 0 and np.nanmax(loss) / max(np.nanmin(loss), 1e-300) > 50:
        ax.set_yscale("log")
    ax.set_title("Loss curves")
    ax.legend(fontsize=7)
    file_name = save_figure(fig, out_dir, "loss_curves.png")
    body = "\n".join(lines) if lines else "Training loss per epoch."
    return Section("Loss curves", body, [(file_name, "training and validation loss")])


def curvature_section(run, out_dir):
    """Extreme Hessian eigenvalues at each stall, with what they meant and what was done."""
    probes = [p for p in stall_probes(run) if "max_eigenvalue" in p and "min_eigenvalue" in p]
    if not probes:
        return None
    first = first_epoch(run)
    rows = ["| epoch | smallest eigenvalue | largest eigenvalue | HVPs | time (ms) | verdict | action |",
            "|---|---|---|---|---|---|---|"]
    for p in probes:
        rows.append(
            f"| {first + int(p['epoch'])} | {fmt(p['min_eigenvalue'])} | {fmt(p['max_eigenvalue'])} | "
            f"{p.get('hvps', '')} | {fmt(p.get('probe_ms', float('nan')))} | {p.get('kind', '')} | "
            f"{p.get('action') or ''} |"
        )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = [first + int(p["epoch"]) for p in probes]
    ax.scatter(epochs, [p["max_eigenvalue"] for p in probes], marker="^", label="largest eigenvalue")
    ax.scatter(epochs, [p["min_eigenvalue"] for p in probes], marker="v", label="smallest eigenvalue")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("epoch of the stall")
    ax.set_ylabel("Hessian eigenvalue")
    ax.set_title("Curvature at stalls")
    ax.legend(fontsize=7)
    file_name = save_figure(fig, out_dir, "curvature.png")
    body = (
        "At each stall the extreme eigenvalues of the Hessian of the training loss were computed on a "
        "fixed batch (Lanczos). A clearly negative smallest eigenvalue means a saddle point; a spectrum "
        "near zero a plateau; positive curvature a minimum.\n\n" + "\n".join(rows)
    )
    return Section("Curvature at stalls", body, [(file_name, "Hessian eigenvalues at stalls")])
