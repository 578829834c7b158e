"""A learning-rate schedule that decays to nothing while the loss is still high.

`callbacks.StallMonitor` records the optimizer's learning rate at every epoch end
(`LEARNING_RATE_KEY`, the schedule's value at that step) and the rate it started at. A schedule
whose rate falls to `DECAYED_FRACTION` of its start freezes the weights: if the loss is still high
then (`diagnostics.activations.learning_suffers`) and stays where it was for `SUSTAIN_EPOCHS`
epochs after, the schedule, not the model, ended training. A rate decayed once the loss is low is
a finished run (cosine decay to zero, `ReduceLROnPlateau` at the floor) and no finding.

Example:

>>> history = {"learning_rate/optimizer": [1e-9, 1e-18, 0.0], "loss": [2.30, 2.30, 2.30]}
>>> [f.kind for f in detect_decayed_learning_rate(history, initial_learning_rate=0.05, chance_loss=2.3026)]
['suspicious_config']
"""

import numpy as np

from diagnostics._series import first_sustained, scalar_series
from diagnostics.activations import learning_suffers
from diagnostics.findings import Finding
from diagnostics.gradients import SUSTAIN_EPOCHS

LEARNING_RATE_KEY = "learning_rate/optimizer"
# A rate a thousandth of its start moves the weights a thousand times less per step: a run that
# needed its first rate cannot finish on that (step decay by 10 three times, at the end of a run).
DECAYED_FRACTION = 1e-3
# The loss "stays where it was" after the decay: it falls by less than this share of its value.
FLAT_AFTER_DECAY = 0.05


def detect_decayed_learning_rate(history, initial_learning_rate=None, chance_loss=None):
    """A `suspicious_config` when the learning rate decayed to `DECAYED_FRACTION` of its start and
    the loss, still high, stopped moving for `SUSTAIN_EPOCHS` epochs after.

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
    epoch = first_sustained(decayed & flat & learning_suffers(loss, chance_loss), SUSTAIN_EPOCHS)
    if epoch is None or epoch + SUSTAIN_EPOCHS > loss.size:
        return []
    rate = float(rates[epoch])
    evidence = {"decayed_learning_rate": rate, "initial_learning_rate": float(start),
                "decayed_fraction": DECAYED_FRACTION, "loss": float(loss[-1])}
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
