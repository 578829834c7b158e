"""Oscillation: the loss swings up and down by large amounts instead of going down.

That is the signature of a step size that is too large for the curvature: each step overshoots
the valley floor. The judgement is made on windows of `WINDOW` consecutive values of a loss
series (per epoch, or per block of optimizer steps): in a window the loss oscillates when

- its differences change sign often (`MIN_SIGN_CHANGES` of the consecutive pairs),
- the swings are large: the median absolute difference is at least `MIN_AMPLITUDE` of the loss
  scale (the larger of the window's median and the first loss of the run, so that the small
  ripples of a converged run near zero loss stay quiet), and
- it goes nowhere: the net change is at most `MAX_EFFICIENCY` of the path travelled.

Example:

>>> detect_oscillation({"loss": [2.3, 1.2, 3.0, 1.1, 2.9, 1.3, 3.1, 1.2]})[0].kind
'oscillation'
"""

import numpy as np

from diagnostics._series import scalar_series
from diagnostics.findings import Finding

# Six values (five differences, four sign comparisons): the fewest that show a repeated swing.
WINDOW = 6
# At least half the consecutive differences change sign: a descent with noise has few, a
# bouncing loss alternates.
MIN_SIGN_CHANGES = 0.5
# Swings of 10% of the loss scale; averaged epoch (or block) losses of healthy runs move by a
# few percent of their starting value between values once the first drop is over.
MIN_AMPLITUDE = 0.1
# Net change at most 30% of the path: the loss mostly goes back and forth.
MAX_EFFICIENCY = 0.3

OSCILLATION_ADVICE = [
    "Lower the learning rate (try 3-10x lower) or use a decaying schedule.",
    "Add a learning-rate warm-up for the first epochs.",
    "Clip gradients (`clipnorm=1.0`) to bound the size of a step.",
    "Use a larger batch size, which smooths the gradient.",
    "Normalize the inputs: badly scaled features make some directions far sharper than others.",
]


def oscillating_windows(values, window=WINDOW):
    """Start indices of the windows of `values` that oscillate (see module docstring)."""
    values = np.asarray(values, dtype=float)
    if values.size < window:
        return []
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    first = abs(float(finite[0]))
    starts = []
    for start in range(values.size - window + 1):
        part = values[start : start + window]
        if not np.isfinite(part).all():
            continue
        diffs = np.diff(part)
        signs = np.sign(diffs)
        changes = np.mean(signs[1:] * signs[:-1] < 0)
        scale = max(abs(float(np.median(part))), first, 1e-12)
        amplitude = float(np.median(np.abs(diffs))) / scale
        path = float(np.abs(diffs).sum())
        efficiency = abs(float(part[-1] - part[0])) / path if path > 0 else 1.0
        if changes >= MIN_SIGN_CHANGES and amplitude >= MIN_AMPLITUDE and efficiency <= MAX_EFFICIENCY:
            starts.append(start)
    return starts


def detect_oscillation(history, loss_key="loss", step_losses=None, steps_per_value=None,
                       values_per_epoch=None, window=WINDOW):
    """Oscillating loss, per epoch and (if given) per block of steps.

    Args:
        history: `{key: [value per epoch]}` with `loss_key`.
        step_losses: optional losses of consecutive blocks of optimizer steps (each the mean loss
            of its block), as `OscillationMonitor` records them.
        steps_per_value: optimizer steps per block (evidence only).
        values_per_epoch: blocks per epoch, to turn a block index into an epoch.
        window: values per judgement window.

    Returns:
        list with at most one `Finding` of kind `oscillation`.
    """
    candidates = []
    epoch_loss = scalar_series(history, loss_key)
    starts = oscillating_windows(epoch_loss, window)
    if starts:
        candidates.append((starts[0], "epoch", epoch_loss, starts[0], len(starts)))
    if step_losses is not None and len(step_losses) >= window:
        blocks = np.asarray(step_losses, dtype=float)
        block_starts = oscillating_windows(blocks, window)
        # One window of blocks can be a bad stretch; two different windows are a pattern.
        if len(block_starts) >= 2:
            per_epoch = values_per_epoch or 1
            candidates.append((int(block_starts[0] // per_epoch), "step", blocks, block_starts[0],
                               len(block_starts)))
    if not candidates:
        return []
    epoch, level, series, start, count = min(candidates, key=lambda c: c[0])
    part = series[start : start + window]
    diffs = np.diff(part)
    evidence = {
        "low": float(part.min()),
        "high": float(part.max()),
        "median_swing": float(np.median(np.abs(diffs))),
        "sign_change_fraction": float(np.mean(np.sign(diffs[1:]) * np.sign(diffs[:-1]) < 0)),
        "oscillating_windows": int(count),
    }
    if level == "step" and steps_per_value:
        evidence["steps_per_value"] = int(steps_per_value)
    what = "epoch loss" if level == "epoch" else "loss over blocks of steps"
    message = (
        f"The {what} oscillates from epoch {epoch}: it swings between {part.min():.4g} and "
        f"{part.max():.4g} without net progress, the signature of a learning rate too high for "
        "the curvature of the loss."
    )
    return [Finding("oscillation", "warning", int(epoch), None, message, evidence, list(OSCILLATION_ADVICE))]
