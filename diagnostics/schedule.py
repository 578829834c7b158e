"""A learning-rate schedule that decays to nothing while the loss is still high, or one that
keeps raising the rate far above its start.

`callbacks.StallMonitor` records the optimizer's learning rate at every epoch end
(`LEARNING_RATE_KEY`, the schedule's value at that step) and the rate it started at. A schedule
whose rate falls to `DECAYED_FRACTION` of its start freezes the weights: if the loss is still high
then (`diagnostics.activations.learning_suffers`) and stays where it was for `SUSTAIN_EPOCHS`
epochs after, the schedule, not the model, ended training. A rate decayed once the loss is low is
a finished run (cosine decay to zero, `ReduceLROnPlateau` at the floor) and no finding.

The other way (`detect_grown_learning_rate`): a "decay" with `decay_rate` above 1, or any schedule
that is still raising the rate at the end of the run, at `GROWN_FACTOR` times its start or more,
steps ever further. It is a hypothesis until the run shows what such steps do (oscillation,
exploding gradients, a non-finite loss, units knocked dead): `NEEDS_CONSEQUENCE`. A warm-up that
has reached its peak has stopped growing and is no finding.

Example:

>>> history = {"learning_rate/optimizer": [1e-9, 1e-18, 0.0], "loss": [2.30, 2.30, 2.30]}
>>> [f.kind for f in detect_decayed_learning_rate(history, initial_learning_rate=0.05, chance_loss=2.3026)]
['suspicious_config']
"""

import numpy as np

from diagnostics._series import first_sustained, scalar_series
from diagnostics.activations import learning_suffers
from diagnostics.findings import NEEDS_CONSEQUENCE, Finding
from diagnostics.gradients import SUSTAIN_EPOCHS

LEARNING_RATE_KEY = "learning_rate/optimizer"
# A rate a thousandth of its start moves the weights a thousand times less per step: a run that
# needed its first rate cannot finish on that (step decay by 10 three times, at the end of a run).
DECAYED_FRACTION = 1e-3
# The loss "stays where it was" after the decay: it falls by less than this share of its value.
FLAT_AFTER_DECAY = 0.05
# ... or it froze the weights after a setback: at a loss twice the lowest the run had reached, the
# run did not end at the end of its learning (a `ReduceLROnPlateau` whose factor cuts the rate
# a hundredfold at every bad epoch).
SETBACK_FACTOR = 2.0
# A rate ten times its start takes steps ten times the ones the run was set up (and tuned) with:
# past the stable range of most set-ups that trained at the first rate.
GROWN_FACTOR = 10.0


def detect_decayed_learning_rate(history, initial_learning_rate=None, chance_loss=None):
    """A `suspicious_config` when the learning rate decayed to `DECAYED_FRACTION` of its start and
    the loss, still high (or at `SETBACK_FACTOR` times the lowest it had reached), stopped moving
    for `SUSTAIN_EPOCHS` epochs after.

    Args:
        history: `{key: [value per epoch]}` with `LEARNING_RATE_KEY` and `loss`.
        initial_learning_rate: the rate at the first step; default: the first recorded one.
        chance_loss: the loss of a constant prediction, if known.

    Returns:
        list with at most one `Finding`.
    """
    rates, loss = scalar_series(history, LEARNING_RATE_KEY), scalar_series(history, "loss")
    if rates.size == 0 or rates.size != loss.size:
        return []
    start = initial_learning_rate if initial_learning_rate is not None else float(rates[0])
    if not np.isfinite(start) or start <= 0:
        return []
    with np.errstate(invalid="ignore"):
        decayed = rates <= DECAYED_FRACTION * start
        reference = np.array([loss[max(epoch - 1, 0)] for epoch in range(loss.size)])
        flat = loss >= (1 - FLAT_AFTER_DECAY) * reference
    with np.errstate(invalid="ignore"):
        setback = loss >= SETBACK_FACTOR * np.fmin.accumulate(loss)
    epoch = first_sustained(decayed & flat & (learning_suffers(loss, chance_loss) | setback), SUSTAIN_EPOCHS)
    if epoch is None or epoch + SUSTAIN_EPOCHS > loss.size:
        return []
    rate = float(rates[epoch])
    evidence = {"decayed_learning_rate": rate, "initial_learning_rate": float(start),
                "decayed_fraction": DECAYED_FRACTION, "loss": float(loss[-1]),
                "best_loss": float(np.nanmin(loss[:epoch + 1]))}
    return [Finding(
        "suspicious_config", "warning", int(epoch), None,
        f"The learning rate decayed from {start:.3g} to {rate:.3g} by the end of epoch {epoch} (its schedule), "
        f"while the loss was still {loss[epoch]:.4g}; it stays at {loss[-1]:.4g}: the weights can no longer "
        "move, and the schedule, not the model, ended training.",
        evidence,
        ["Decay over the whole run: a `decay_steps` near the run's total steps, or a cosine schedule "
         "over `epochs * steps_per_epoch`.",
         "Or train at a constant rate (diagnostics.find_learning_rate picks one)."],
    )]


def detect_grown_learning_rate(history, initial_learning_rate=None):
    """A `suspicious_config` when the learning rate is still rising at the end of the run (over
    its last `SUSTAIN_EPOCHS` epochs) and has reached `GROWN_FACTOR` times its start; marked
    `NEEDS_CONSEQUENCE` (it stands only beside a finding it explains). Its epoch is the first at
    which the rate reached that factor.

    Args:
        history: `{key: [value per epoch]}` with `LEARNING_RATE_KEY`.
        initial_learning_rate: the rate at the first step; default: the first recorded one.

    Returns:
        list with at most one `Finding`.

    Example:

    >>> rates = {LEARNING_RATE_KEY: [0.02, 0.05, 0.1, 0.3, 0.7]}
    >>> [(f.kind, f.epoch) for f in detect_grown_learning_rate(rates, initial_learning_rate=0.02)]
    [('suspicious_config', 3)]
    """
    rates = scalar_series(history, LEARNING_RATE_KEY)
    if rates.size <= SUSTAIN_EPOCHS or not np.all(np.isfinite(rates[-SUSTAIN_EPOCHS - 1:])):
        return []
    start = initial_learning_rate if initial_learning_rate is not None else float(rates[0])
    if not np.isfinite(start) or start <= 0:
        return []
    if not np.all(np.diff(rates[-SUSTAIN_EPOCHS - 1:]) > 0):
        return []  # it settled (a warm-up that reached its peak) or decays again
    with np.errstate(invalid="ignore"):
        grown = np.flatnonzero(rates >= GROWN_FACTOR * start)
    if grown.size == 0:
        return []
    epoch, last = int(grown[0]), float(rates[-1])
    return [Finding(
        "suspicious_config", "warning", epoch, None,
        f"The learning rate grew from {start:.3g} to {rates[epoch]:.3g} by the end of epoch {epoch} and is still "
        f"rising ({last:.3g} at the end), {last / start:.0f} times its start: its schedule raises it instead of "
        "decaying it (an ExponentialDecay with decay_rate above 1?), so every step is larger than the last.",
        {"grown_learning_rate": last, "initial_learning_rate": float(start), "grown_factor": GROWN_FACTOR,
         NEEDS_CONSEQUENCE: True},
        ["Make the schedule decay: a `decay_rate` below 1 (0.5 halves the rate every `decay_steps`).",
         "Or train at a constant rate (diagnostics.find_learning_rate picks one)."],
    )]
