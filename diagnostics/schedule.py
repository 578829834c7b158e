"""A learning-rate schedule that decays to nothing while the loss is still high, or one that
keeps raising the rate far above its start.

`callbacks.StallMonitor` records the optimizer's learning rate at every epoch end
(`LEARNING_RATE_KEY`, the schedule's value at that step) and the rate it started at. A schedule
whose rate falls to `DECAYED_FRACTION` of its start freezes the weights: if the loss is still high
then (`diagnostics.activations.learning_suffers`) and stays where it was for `SUSTAIN_EPOCHS`
epochs after, the schedule, not the model, ended training. A rate decayed once the loss is low is
a finished run (cosine decay to zero, `ReduceLROnPlateau` at the floor) and no finding.

A schedule can also never get where it was set up to go (`detect_unreached_peak`): a warm-up
counted in samples instead of optimizer steps, or boundaries past the run's end. `StallMonitor`
evaluates the schedule at `on_train_begin` (`schedule_peaks`) over the steps the `fit` will take
and far beyond them; a run whose rate stays under `UNREACHED_SHARE` of the peak that comes later
ends before the schedule's first phase is half done.

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

import keras
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
# A run whose rate never gets to half the schedule's later peak ends before the schedule's first
# phase is half done: no warm-up is meant to outlast the run (a warm-up counted in samples of a
# batch of 32 is 32 times too long). On its own it is a hypothesis (`NEEDS_CONSEQUENCE`).
UNREACHED_SHARE = 0.5
# The schedule is evaluated at this many steps over the run, and at as many spaced evenly in log
# from the run's end to `LATER_RUNS` times its length (a warm-up 32 times too long, samples of a
# batch of 32, peaks within that); then the peak is narrowed down between the samples beside the
# highest, `REFINEMENTS` times (a warm-up's peak is a sharp corner).
RUN_POINTS = 16
LATER_POINTS = 24
LATER_RUNS = 1024
REFINEMENTS = 12


def schedule_of(optimizer):
    """The `keras.optimizers.schedules.LearningRateSchedule` an optimizer's rate follows (rebuilt
    from its config, the public way), or None for a constant rate or one that cannot be rebuilt."""
    try:
        config = optimizer.get_config().get("learning_rate")
        return keras.optimizers.schedules.deserialize(config) if isinstance(config, dict) else None
    except Exception:  # noqa: BLE001 - no config, or a schedule Keras cannot rebuild: not judged
        return None


def schedule_peaks(optimizer, start_step, planned_steps):
    """The largest rate the schedule gives over the run's steps, and over the run and far beyond.

    Args:
        optimizer: a Keras optimizer.
        start_step: `optimizer.iterations` at the start of the run.
        planned_steps: optimizer steps the run will take (epochs times steps per epoch).

    Returns:
        `(run_peak, later_peak)`, floats; None for a constant rate, an unknown run length or a
        schedule that cannot be evaluated.

    Example:

    >>> warm_up = keras.optimizers.schedules.CosineDecay(0.0, 100, warmup_target=0.05, warmup_steps=6400)
    >>> [round(p, 4) for p in schedule_peaks(keras.optimizers.SGD(warm_up), 0, 640)]
    [0.005, 0.05]
    """
    schedule = schedule_of(optimizer)
    if schedule is None or not planned_steps or planned_steps < 1:
        return None
    run = start_step + np.linspace(0, planned_steps, RUN_POINTS + 1)
    later = start_step + planned_steps * np.geomspace(1, LATER_RUNS, LATER_POINTS + 1)
    try:
        run_values, later_values = _rates(schedule, run), _rates(schedule, later)
        peak = int(np.argmax(later_values))
        low, high = later[max(peak - 1, 0)], later[min(peak + 1, later.size - 1)]
        best = float(later_values[peak])
        for _ in range(REFINEMENTS):  # ternary search, in log steps, for the corner of a warm-up
            left, right = np.exp(np.log([low, high]) @ np.array([[2 / 3, 1 / 3], [1 / 3, 2 / 3]]))
            at_left, at_right = _rates(schedule, np.array([left, right]))
            best = max(best, float(at_left), float(at_right))
            low, high = (low, right) if at_left >= at_right else (left, high)
    except Exception:  # noqa: BLE001 - a schedule that cannot be called on a plain step is not judged
        return None
    return float(run_values.max()), max(best, float(run_values.max()))


def _rates(schedule, steps):
    """The schedule's rates at `steps`: one call on all of them where its ops take a vector (most
    of Keras' schedules), else one call per step (a warm-up branches with a cond)."""
    steps = np.asarray(steps, dtype=np.float32)
    try:
        values = np.asarray(keras.ops.convert_to_numpy(schedule(keras.ops.convert_to_tensor(steps))), dtype=float)
        if values.shape == steps.shape:
            return values
    except Exception:  # noqa: BLE001 - the per-step calls below say whether it can be called at all
        pass
    return np.array([float(keras.ops.convert_to_numpy(schedule(step))) for step in steps])


def detect_unreached_peak(run_peak, later_peak, planned_steps=None):
    """A `suspicious_config` when the schedule's rate stays under `UNREACHED_SHARE` of the peak it
    reaches after the run: the schedule was set up for another run length (a warm-up counted in
    samples). A hypothesis until the run shows slow learning (`NEEDS_CONSEQUENCE`).

    Args:
        run_peak, later_peak: `schedule_peaks`, or None (nothing is judged).
        planned_steps: the run's optimizer steps, for the message.

    Returns:
        list with at most one `Finding`, at epoch 0.

    Example:

    >>> [f.kind for f in detect_unreached_peak(0.005, 0.05, 640)]
    ['suspicious_config']
    """
    if run_peak is None or later_peak is None or not np.isfinite([run_peak, later_peak]).all() or later_peak <= 0:
        return []
    if run_peak >= UNREACHED_SHARE * later_peak:
        return []
    steps = f" {int(planned_steps):,} steps" if planned_steps else ""
    return [Finding(
        "suspicious_config", "warning", 0, None,
        f"The learning-rate schedule peaks at {later_peak:.3g}, but over this run's{steps} it never gets above "
        f"{run_peak:.3g}, {run_peak / later_peak:.0%} of it: it was set up for a longer run (a warm-up or "
        "boundaries counted in samples instead of optimizer steps?).",
        {"unreached_peak": float(later_peak), "run_peak_learning_rate": float(run_peak),
         **({"planned_steps": int(planned_steps)} if planned_steps else {}), NEEDS_CONSEQUENCE: True})]


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
