"""Oscillation: the loss swings up and down by large amounts instead of going down.

That is the signature of a step size that is too large for the curvature: each step overshoots
the valley floor. The judgement is made on windows of `WINDOW` consecutive values of a loss
series (per epoch, or per block of optimizer steps): in a window the loss oscillates when

- its differences change sign often (`MIN_SIGN_CHANGES` of the consecutive pairs),
- the swings are large: the median absolute difference is at least `MIN_AMPLITUDE` of the loss
  scale (the larger of the window's median and the first loss of the run, so that the small
  ripples of a converged run near zero loss stay quiet), and
- it goes nowhere: the net change is at most `MAX_EFFICIENCY` of the path travelled.

A step size far too large need not swing at the resolution we see: the loss can jump at the
first steps to far above what guessing gets and bounce there, or climb. So the loss is also
unstable, whatever its swings, when for the last `UNSTABLE_EPOCHS` epochs it stays finite and

- at least `FAR_ABOVE_CHANCE` times the chance loss (when that is known) without having halved
  since the first epoch, or
- at least `RISE_FACTOR` times where the run started (its first block of steps, or its first
  epoch): no healthy optimizer makes its own loss double and stay there.

A run whose gradients are exactly zero everywhere does not move its weights: its loss varies
only with the batches, which is no oscillation (`diagnostics.gradients` reports the zeros). The
same holds, gradients known or not, when blocks of steps swing while the epoch losses they make
up stay put (`BATCH_MIX_RATIO`): the swings come from what the batches hold (a saturated output
that predicts the same for every sample), not from steps that overshoot. Nor do swings oscillate
when the validation loss falls at every epoch from their start (`PROGRESS_EPOCHS`): the steps
make progress, and the swings are the batches' noise near the floor; nor when the epoch training
loss halves within `PROGRESS_EPOCHS` epochs of the first epoch whose blocks swing
(`PROGRESS_FRACTION`): a descent whose blocks of a few noisy batches swing on the way down.

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

# Epochs the loss must stay unstable, up to the last one: one bad epoch can be a spike.
UNSTABLE_EPOCHS = 2
# A model that guesses gets the chance loss; training from any sane start gets below it. Three
# times it for epochs on end is confident and wrong, which only steps that overshoot produce.
FAR_ABOVE_CHANCE = 3.0
# ... unless it is on its way down from a bad start: halved since the first epoch.
STILL_FALLING = 0.5
# The loss doubles from where it started and stays there: gradient steps that lower the loss
# never do that, whatever the noise of the batches.
RISE_FACTOR = 2.0

# A validation loss that fell at every one of at least this many epochs, from the swings' first
# epoch to the end, says the steps make progress: the swings are the batches' noise at the floor.
PROGRESS_EPOCHS = 3

# Nor when the epoch training loss falls to this share of its value at the swings' first epoch
# within `PROGRESS_EPOCHS` epochs: steps that overshoot the valley do not halve the loss; a healthy
# descent whose blocks of a few noisy batches swing on the way down does.
PROGRESS_FRACTION = 0.5

# Epoch swings that end, with the loss settling below the lowest value they reached (the median of
# the last `PROGRESS_EPOCHS` epochs after the last swinging window), were a passing rough stretch
# of a descent: steps that overshoot keep the loss at or above the level it bounces around.

# Blocks whose swings leave the epoch means still (these move by less than a tenth of the median
# block swing, from the second epoch on) swing with the batches' contents: steps that overshoot
# move the epoch means too (by about a third of the swing with 8 blocks an epoch).
BATCH_MIX_RATIO = 0.1

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
    # All windows at once (one row each): a long run's blocks of steps are judged at every epoch.
    parts = np.lib.stride_tricks.sliding_window_view(values, window)
    diffs = np.diff(parts, axis=1)
    signs = np.sign(diffs)
    with np.errstate(invalid="ignore", divide="ignore"):
        changes = np.mean(signs[:, 1:] * signs[:, :-1] < 0, axis=1)
        scale = np.maximum(np.maximum(np.abs(np.median(parts, axis=1)), first), 1e-12)
        amplitude = np.median(np.abs(diffs), axis=1) / scale
        path = np.abs(diffs).sum(axis=1)
        efficiency = np.where(path > 0, np.abs(parts[:, -1] - parts[:, 0]) / path, 1.0)
    oscillating = (np.isfinite(parts).all(axis=1) & (changes >= MIN_SIGN_CHANGES)
                   & (amplitude >= MIN_AMPLITUDE) & (efficiency <= MAX_EFFICIENCY))
    return [int(start) for start in np.flatnonzero(oscillating)]


def unstable_since(loss, chance_loss=None, start_loss=None, epochs=UNSTABLE_EPOCHS):
    """First epoch of the unstable stretch that ends the run (see module docstring), or None.

    Args:
        loss: training loss per epoch.
        chance_loss: loss of guessing, or None if unknown.
        start_loss: loss at the start of the run (the first block of steps), default `loss[0]`.
        epochs: epochs the stretch needs at least.

    Returns:
        `(epoch, reason)` with reason `"far_above_chance"` or `"rising"`, or None.
    """
    loss = np.asarray(loss, dtype=float)
    if loss.size < epochs or not np.isfinite(loss[-epochs:]).all():
        return None
    start = float(loss[0]) if start_loss is None or not np.isfinite(start_loss) else float(start_loss)
    tests = []
    if chance_loss is not None and np.isfinite(chance_loss) and chance_loss > 0:
        far = (loss >= FAR_ABOVE_CHANCE * chance_loss) & (loss >= STILL_FALLING * loss[0])
        tests.append((far, "far_above_chance"))
    if np.isfinite(start) and start > 0:
        tests.append((loss >= RISE_FACTOR * start, "rising"))
    for mask, reason in tests:
        since = _holds_to_the_end(mask)
        if since is not None and loss.size - since >= epochs:
            return since, reason
    return None


def _holds_to_the_end(mask):
    """First index of the run of True that ends `mask`, or None if its last entry is False."""
    if not mask.size or not mask[-1]:
        return None
    since = mask.size - 1
    while since > 0 and mask[since - 1]:
        since -= 1
    return since


def detect_oscillation(history, loss_key="loss", step_losses=None, steps_per_value=None,
                       values_per_epoch=None, window=WINDOW, chance_loss=None, weights_move=True):
    """Oscillating or unstable loss, per epoch and (if given) per block of steps.

    Args:
        history: `{key: [value per epoch]}` with `loss_key`.
        step_losses: optional losses of consecutive blocks of optimizer steps (each the mean loss
            of its block), as `OscillationMonitor` records them.
        steps_per_value: optimizer steps per block (evidence only).
        values_per_epoch: blocks per epoch, to turn a block index into an epoch.
        window: values per judgement window.
        chance_loss: loss of guessing (e.g. log(K) for K-class cross-entropy), or None.
        weights_move: False when every gradient was exactly zero (the weights never changed):
            then nothing oscillates.

    Returns:
        list with at most one `Finding` of kind `oscillation`.
    """
    if not weights_move:
        return []
    epoch_loss = scalar_series(history, loss_key)
    start_loss = float(step_losses[0]) if step_losses is not None and len(step_losses) else None
    unstable = unstable_since(epoch_loss, chance_loss, start_loss)
    if unstable is not None:
        return [_unstable_finding(epoch_loss, *unstable, chance_loss, start_loss)]
    candidates = []
    starts = oscillating_windows(epoch_loss, window)
    if starts and not _settles_below_swings(epoch_loss, starts[-1], window):
        candidates.append((starts[0], "epoch", epoch_loss, starts[0], len(starts)))
    if step_losses is not None and len(step_losses) >= window:
        blocks = np.asarray(step_losses, dtype=float)
        block_starts = oscillating_windows(blocks, window)
        # One window of blocks can be a bad stretch; two different windows are a pattern.
        if len(block_starts) >= 2 and not _swings_average_out(epoch_loss, blocks):
            per_epoch = values_per_epoch or 1
            candidates.append((int(block_starts[0] // per_epoch), "step", blocks, block_starts[0],
                               len(block_starts)))
    # The earliest that the run's progress does not explain: blocks that swing while the loss halves
    # are a healthy descent, but the epoch losses may still swing later.
    kept = [c for c in sorted(candidates, key=lambda c: c[0])
            if not _validation_falls_every_epoch(history, epoch_loss.size, since=c[0])
            and not (c[1] == "step" and _loss_halves(epoch_loss, c[0]))]
    if not kept:
        return []
    epoch, level, series, start, count = kept[0]
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


def _validation_falls_every_epoch(history, epochs, since):
    """Whether `val_loss`, recorded at every epoch, fell at each epoch from `since` to the end,
    over at least `PROGRESS_EPOCHS` epochs."""
    validation = scalar_series(history, "val_loss")
    if validation.size != epochs:
        return False
    tail = validation[max(since - 1, 0):]
    return bool(tail.size > PROGRESS_EPOCHS and np.isfinite(tail).all() and (np.diff(tail) < 0).all())


def _settles_below_swings(epoch_loss, last_start, window):
    """Whether, after the window of epochs starting at `last_start`, the epoch loss ends (median
    of its last `PROGRESS_EPOCHS` values, all after the window) below the lowest value of that
    window."""
    swings = epoch_loss[last_start : last_start + window]
    after = epoch_loss[last_start + window :]
    if after.size < PROGRESS_EPOCHS or not np.isfinite(after[-PROGRESS_EPOCHS:]).all():
        return False
    return bool(np.median(after[-PROGRESS_EPOCHS:]) < np.nanmin(swings))


def _loss_halves(epoch_loss, since):
    """Whether the epoch loss falls to `PROGRESS_FRACTION` of its value at epoch `since` within
    `PROGRESS_EPOCHS` epochs after it."""
    if since >= epoch_loss.size or not np.isfinite(epoch_loss[since]) or epoch_loss[since] <= 0:
        return False
    later = epoch_loss[since + 1 : since + 1 + PROGRESS_EPOCHS]
    later = later[np.isfinite(later)]
    return bool(later.size and later.min() <= PROGRESS_FRACTION * epoch_loss[since])


def _swings_average_out(epoch_loss, blocks):
    """The epoch losses (after the first) stay still while the blocks of steps swing."""
    later = epoch_loss[1:][np.isfinite(epoch_loss[1:])]
    finite_blocks = blocks[np.isfinite(blocks)]
    if later.size < 2 or finite_blocks.size < 2:
        return False
    epoch_swing = float(np.median(np.abs(np.diff(later))))
    block_swing = float(np.median(np.abs(np.diff(finite_blocks))))
    return epoch_swing < BATCH_MIX_RATIO * block_swing


def _unstable_finding(loss, epoch, reason, chance_loss, start_loss):
    tail = loss[epoch:]
    start = float(loss[0]) if start_loss is None else float(start_loss)
    evidence = {"loss": float(np.median(tail)), "low": float(tail.min()), "high": float(tail.max()),
                "start_loss": start, "epochs_unstable": int(tail.size)}
    if reason == "far_above_chance":
        evidence["chance_loss"] = float(chance_loss)
        evidence["ratio_to_chance"] = evidence["loss"] / float(chance_loss)
        how = (f"stays at {evidence['loss']:.4g}, {evidence['ratio_to_chance']:.0f}x the "
               f"{chance_loss:.3g} that guessing gets")
    else:
        evidence["ratio_to_start"] = evidence["loss"] / start
        how = f"rose to {evidence['loss']:.4g}, {evidence['ratio_to_start']:.1f}x the {start:.4g} it started at"
    message = (
        f"Training is unstable from epoch {epoch}: the loss {how}, while finite. Steps that "
        "overshoot this far mean a learning rate far too high (often 10-100x)."
    )
    advice = ["Lower the learning rate 10-100x, then raise it again in steps of 3x while the loss "
              "still falls."] + OSCILLATION_ADVICE[1:]
    return Finding("oscillation", "error", int(epoch), None, message, evidence, advice)
