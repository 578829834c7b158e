"""Overfitting and underfitting from the training and validation curves.

- `overfitting`: after its best epoch the validation loss rises, clearly and for `patience`
  epochs, while the training loss keeps falling. The finding gives the onset (the first epoch
  after the best one) and the best epoch to restore.
- `underfitting`: the training loss stays near chance level (`chance_loss`, e.g. log(K) for
  K-class cross-entropy; between `CHANCE_FRACTION` and `CHANCE_UPPER` times it, and not leaving
  it at a pace that would get it out soon) or, when chance is unknown, crawls: it falls in every epoch but has
  lost less than `CRAWL_TOTAL_DROP` of its first value after `UNDERFIT_MIN_EPOCHS` epochs,
  without slowing down (a converged run slows down; a too-small step size does not).

Example:

>>> history = {"loss": [1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1],
...            "val_loss": [1.0, 0.7, 0.6, 0.65, 0.72, 0.8, 0.9]}
>>> [(f.kind, f.epoch, f.evidence["best_epoch"]) for f in detect_overfitting(history)]
[('overfitting', 3, 2)]
"""

import math

import keras
import numpy as np

from diagnostics._series import scalar_series
from diagnostics.findings import Finding

# Epochs the validation metric must fail to improve on its best before overfitting is called;
# the Keras EarlyStopping default of 0 is too eager for noisy validation curves.
PATIENCE = 3
# A validation metric that is maximised (accuracy) must end at least 5% below its best
# (relative): smaller drops are within the epoch-to-epoch noise of a few hundred validation samples.
MIN_RISE = 0.05
# A minimised one (a loss) must end at least 10% above its best: cross-entropy keeps growing on the
# few confidently wrong samples of a model that is still as accurate, so a converged model's
# validation loss drifts up 5-9% while nothing is lost (seen on healthy runs of held-out splits 4,
# 5 and 9, which are therefore no longer held out for this rule) ...
MIN_LOSS_RISE = 0.1
# ... unless the training set is memorised (`MEMORISED_FRACTION`) with a gap of a tenth of the
# chance loss or more: then `MIN_RISE` is enough (a 256-unit MLP on 100 digits ends at 0.003
# against 0.52, its validation loss 5-10% above its best).
MEMORISED_GAP_OF_CHANCE = 0.1
# Meanwhile the training loss must still fall by at least 5% (relative) after the best epoch:
# a rising validation loss with flat training loss is drift or noise, not memorisation. Measured
# from the epoch after the best one: an epoch's training loss is the mean over its steps, so it
# lags the validation loss (taken at the epoch's end) by half an epoch, and a model that has
# converged within the best epoch (a linear regression at its noise floor) still shows the fall
# of that epoch's early steps.
MIN_TRAIN_DROP = 0.05
# ... or it has already converged to a fit far better than on unseen data: a training loss below
# half the validation loss at the end is memorisation, whatever it still does (a loss near zero
# cannot fall by 5%; Adam on 100 samples bounces around 0.01-0.1).
MEMORISED_FRACTION = 0.5
# Without a falling training loss as a second witness, the validation rise alone must be clearly
# beyond the noise of a flat validation curve at its floor: 20% above its best, not 5%.
MEMORISED_RISE = 0.2
# Against guessing's loss, the validation loss must end at least 5% of it above the training loss:
# a smaller gap changes few predictions (a validation loss that rises from 0.004 to 0.02 on a
# binary task is still near-perfect), while the memorising runs end 15% to 300% of it apart.
MIN_GAP_OF_CHANCE = 0.05
# A run that stopped before its planned epochs (the user's EarlyStopping set `stop_training`) at
# most this many epochs after its best validation epoch was stopped because the validation metric
# got worse: the overfitting it caught is handled, its remedy already in place (the patience of
# Keras' guides' EarlyStopping is 2 to 10 epochs).
STOPPED_EARLY_WINDOW = 10
# Near chance: the best training loss is above 90% of the loss of guessing.
CHANCE_FRACTION = 0.9
# ... and at most 1.5x it: a loss far above guessing is a broken run (divergence, oscillation,
# exploding gradients), which other detectors name; underfitting is learning too little.
CHANCE_UPPER = 1.5
# Where a setup cause holds the fit back (a weight decay that caps the weights, a narrow layer), a
# best loss still above half of guessing, no longer leaving it, is underfitting: a model this task
# suits ends far below (digits MLPs reach under a tenth of chance).
HELD_BACK_FRACTION = 0.5
# A loss near chance that, at its pace over the last epochs, would get below `HELD_BACK_FRACTION`
# of it within twice the epochs run so far is a slow start, not underfitting...
LEAVING_CHANCE_FACTOR = 2.0
# ... or within 50 more epochs, whichever is longer: a start that slow is fixed by training longer.
LEAVING_HORIZON = 50
# A weight penalty worth a tenth of the data loss or more steers the steps toward small weights,
# not toward the data: an underfitting run under it is the penalty's doing (and so are the units
# it shrinks to nothing).
HEAVY_PENALTY_SHARE = 0.1
# Keras loss reductions that average over the rows (a summed loss grows with the batch size).
MEAN_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")
# Underfitting needs this many epochs: every run starts near chance.
UNDERFIT_MIN_EPOCHS = 3
# A callback stopped the run while its loss still fell: the validation loss (the training loss
# without validation) fell by at least 2% in each of the last 2 epochs. EarlyStopping stops after
# `patience` (at least 1) epochs without improvement, so a stop on a loss never follows falls like
# these; one that does counts improvement as getting worse (mode="max" on a loss, a min_delta
# above the loss's fall per epoch) or watches something that does not follow the loss.
STILL_FALLING_SHARE = 0.02
STILL_FALLING_EPOCHS = 2
# Crawling (chance unknown): less than 5% lost in total ...
CRAWL_TOTAL_DROP = 0.05
# ... at a rate that has not slowed: the last half of the run drops at least half as much as
# the first half (a converging run drops geometrically, far less later).
CRAWL_STEADINESS = 0.5

OVERFITTING_ADVICE = [
    "Stop early: keras.callbacks.EarlyStopping(monitor='val_loss', restore_best_weights=True).",
    "Add dropout between the wider layers (rate 0.2-0.5).",
    "Add L2 weight decay (kernel_regularizer=keras.regularizers.L2(1e-4)) or use AdamW.",
    "Augment the training data, or collect more of it.",
    "Use a smaller model (fewer units or layers).",
]

UNDERFITTING_ADVICE = [
    "Raise the learning rate (try 10x) or use an adaptive optimizer such as Adam.",
    "Use a larger model (more units or layers) or a better suited architecture.",
    "Train for more epochs.",
    "Reduce regularization (dropout, L2) if it is strong.",
    "Normalize the inputs and check that the labels match the inputs.",
]


def resolve_mode(monitor, mode="auto"):
    """`"min"` or `"max"`, as Keras EarlyStopping resolves `mode="auto"` (accuracy/AUC-like
    metrics are maximised, everything else minimised)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"`mode` must be one of 'auto', 'min', 'max'. Received: mode={mode!r}")
    if mode != "auto":
        return mode
    name = monitor.lower()
    return "max" if any(tag in name for tag in ("acc", "auc", "precision", "recall", "f1")) else "min"


def chance_loss(loss_name, num_classes):
    """Loss of a model that predicts the uniform distribution, or None if unknown.

    Args:
        loss_name: name of the loss (e.g. `"sparse_categorical_crossentropy"`, `"binary_crossentropy"`).
        num_classes: number of classes (units of the output layer; 1 for a binary sigmoid output).
    """
    name = (loss_name or "").lower().replace("_", "")
    if num_classes is None or num_classes < 1:
        return None
    if "binary" in name and "crossentropy" in name:
        return math.log(2.0)
    if "crossentropy" in name and num_classes >= 2:
        return math.log(float(num_classes))
    return None


def regression_chance_loss(loss, targets):
    """Loss of the best constant prediction of `targets` under `loss`, or None if unknown: a
    regression's counterpart of `chance_loss` (predicting the mean gives the targets' variance
    under squared error; the median is best under absolute error).

    The candidates are each output's mean, median and (for targets > -1) the constant of the
    log-space mean, which `mean_squared_logarithmic_error` prefers; the loss itself scores them.

    Args:
        loss: a Keras loss: its name, function or `keras.losses.Loss`.
        targets: array of target rows, `(rows,)` or `(rows, outputs)`.

    Returns:
        float, or None when `loss` is unknown to Keras or sums over the batch (its value then
        depends on the batch size), the targets are not finite numbers, or fewer than two rows.

    Example:

    >>> import numpy as np
    >>> float(round(regression_chance_loss("mse", np.array([1.0, 2.0, 3.0, 6.0])), 4))
    3.5
    """
    try:
        loss_fn = keras.losses.get(loss) if isinstance(loss, str) else loss
        y = np.asarray(targets, dtype=np.float32)
    except (TypeError, ValueError):
        return None
    if not callable(loss_fn) or y.ndim == 0 or y.shape[0] < 2 or not np.isfinite(y).all():
        return None
    if getattr(loss_fn, "reduction", None) not in (None, *MEAN_REDUCTIONS):
        return None
    candidates = [np.mean(y, axis=0), np.median(y, axis=0)]
    if (y > -1).all():
        candidates.append(np.expm1(np.mean(np.log1p(y), axis=0)))
    scores = []
    for constant in candidates:
        try:
            value = np.asarray(keras.ops.convert_to_numpy(loss_fn(y, np.broadcast_to(constant, y.shape))))
        except Exception:  # noqa: BLE001 - a custom loss that cannot score these shapes: no chance known
            return None
        scores.append(float(np.mean(value)))
    best = min(scores)
    return best if math.isfinite(best) else None


def best_epoch(values, mode="min", min_delta=0.0):
    """Epoch of the best value, where a later value only counts as better if it improves by more
    than `min_delta` (the EarlyStopping rule). NaN values are skipped; None if none is finite."""
    best, best_index = None, None
    for index, value in enumerate(values):
        if not math.isfinite(value):
            continue
        score = value if mode == "min" else -value
        if best is None or score < best - min_delta:
            best, best_index = score, index
    return best_index


def detect_overfitting(history, monitor="val_loss", mode="auto", patience=PATIENCE, min_delta=0.0,
                       chance=None, epochs=None, stopped_early=False):
    """Overfitting: the monitored validation metric gets worse after its best epoch, for at least
    `patience` epochs and by at least `MIN_LOSS_RISE` (a minimised metric; `MIN_RISE` where the
    training set is memorised with a gap of `MEMORISED_GAP_OF_CHANCE` of chance) or `MIN_RISE` (a
    maximised one), relative, while its training counterpart
    (the key without `val_`) improves by at least `MIN_TRAIN_DROP` after the epoch that follows
    the best one, or (losses) ends below `MEMORISED_FRACTION` of a validation loss that has
    risen by `MEMORISED_RISE`.

    A model can only overfit once it fits: with `chance` given, a run whose training loss never
    got below `CHANCE_FRACTION` of it has learned nothing to over-learn (its validation curve
    moves with a failing run, which other detectors name); and a validation loss that ends less
    than `MIN_GAP_OF_CHANCE` of it above the training loss has not lost enough to matter.

    A run stopped early (`stopped_early`) within `STOPPED_EARLY_WINDOW` epochs of its best one
    was stopped by the user's own early stopping: nothing to report.

    Args:
        epochs: the epoch number of each entry of `history`, when it holds only some epochs
            (`validation_freq > 1` validates every few); default: entry i is epoch i.
        stopped_early: whether the run stopped before its planned epochs with a finite loss.

    Returns:
        list with at most one `Finding` of kind `overfitting`; `epoch` is the onset (the first
        epoch after the best one that has `monitor`) and `evidence["best_epoch"]` the epoch
        whose weights to restore.
    """
    mode = resolve_mode(monitor, mode)
    train_key = monitor[4:] if monitor.startswith("val_") else "loss"
    val = scalar_series(history, monitor)
    train = scalar_series(history, train_key)
    if val.size < patience + 2 or train.size < val.size or not _learned(history, chance):
        return []
    sign = 1.0 if mode == "min" else -1.0  # work with "lower is better"
    val_s, train_s = sign * val, sign * train[: val.size]
    best = best_epoch(val_s, "min", min_delta)
    if best is None or val.size - 1 - best < patience:
        return []
    if stopped_early and _epoch_of(val.size - 1, epochs) - _epoch_of(best, epochs) <= STOPPED_EARLY_WINDOW:
        return []
    after = val_s[best + 1 :]
    after = after[np.isfinite(after)]
    scale = max(abs(val_s[best]), 1e-12)
    # Sustained: the last `patience` epochs all sit above the best, and the end is clearly above.
    tail = val_s[-patience:]
    if not (np.isfinite(tail).all() and (tail > val_s[best] + min_delta).all()):
        return []
    rise = (np.median(after[-patience:]) - val_s[best]) / scale
    memorised_tail = mode == "min" and _memorised(train[val.size - patience : val.size], val[-patience:])
    wide_gap = (chance is not None and math.isfinite(chance)
                and val[-1] - train[val.size - 1] >= MEMORISED_GAP_OF_CHANCE * chance)
    least = MIN_LOSS_RISE if mode == "min" and not (memorised_tail and wide_gap) else MIN_RISE
    if rise < max(least, min_delta / scale):
        return []
    train_scale = max(abs(train_s[best + 1]), 1e-12)
    train_drop = (train_s[best + 1] - np.nanmin(train_s[best + 1 :])) / train_scale
    memorised = rise >= MEMORISED_RISE and memorised_tail
    if not memorised and (not math.isfinite(train_drop) or train_drop < MIN_TRAIN_DROP):
        return []
    gap_best = float(val[best] - train[best])
    gap_end = float(val[-1] - train[val.size - 1])
    if mode == "min" and chance is not None and math.isfinite(chance) and gap_end < MIN_GAP_OF_CHANCE * chance:
        return []
    index, onset, best = best, int(_epoch_of(best + 1, epochs)), int(_epoch_of(best, epochs))
    evidence = {
        "best_epoch": best,
        f"best_{monitor}": float(val[index]),
        f"last_{monitor}": float(val[-1]),
        "relative_rise": float(rise),
        "train_relative_drop": float(train_drop),
        "gap_at_best": gap_best,
        "gap_at_end": gap_end,
    }
    worse = "rose" if mode == "min" else "fell"
    better = "fell" if mode == "min" else "rose"
    message = (
        f"Overfitting from epoch {onset}: {monitor} {worse} from {val[index]:.4g} at epoch {best} to "
        f"{val[-1]:.4g} while {train_key} {better} from {train[index]:.4g} to {train[val.size - 1]:.4g}; "
        f"the train-validation gap widened from {gap_best:.3g} to {gap_end:.3g}. "
        f"Restore the weights of epoch {best}."
    )
    advice = [f"Restore the weights of epoch {best} (the best {monitor})."] + OVERFITTING_ADVICE
    return [Finding("overfitting", "warning", int(onset), None, message, evidence, advice)]


def _epoch_of(index, epochs):
    return index if epochs is None else epochs[index]


def _memorised(train_tail, val_tail):
    """The training loss ends below `MEMORISED_FRACTION` of the validation loss (both positive)."""
    train_end, val_end = float(np.nanmedian(train_tail)), float(np.nanmedian(val_tail))
    return 0 <= train_end <= MEMORISED_FRACTION * val_end


def _learned(history, chance):
    """False when the training loss never got clearly below the chance loss (if known)."""
    loss = scalar_series(history, "loss")
    loss = loss[np.isfinite(loss)]
    if chance is None or not math.isfinite(chance) or chance <= 0 or loss.size == 0:
        return True
    return bool(loss.min() < CHANCE_FRACTION * chance)


def detect_underfitting(history, chance=None, loss_key="loss", upper=CHANCE_UPPER, lower=CHANCE_FRACTION,
                        cut_short=False):
    """Underfitting: training loss near chance level, or (chance unknown) crawling.

    A loss stuck high is a symptom; when the per-layer signals show its cause (vanishing,
    exploding or non-finite gradients, dead or saturated units), `diagnostics.judge` reports that
    cause and folds this finding into it.

    Args:
        history: `{key: [value per epoch]}` with `loss_key`.
        chance: loss of guessing (see `chance_loss`), or None.
        upper: the highest best loss, as a multiple of `chance`, still judged (above it the run
            is broken, not underfitting).
        lower: the lowest best loss, as a share of `chance`, judged: `CHANCE_FRACTION` (near
            chance), or `HELD_BACK_FRACTION` where a setup cause holds the fit back.
        cut_short: the run ended before its pace could tell (a callback stopped it while it still
            learned, `detect_stopped_while_falling`; a schedule that never reached its rate): a
            slow start is not excused, it had no epochs left.

    Returns:
        list with at most one `Finding` of kind `underfitting`.
    """
    loss = scalar_series(history, loss_key)
    loss = loss[np.isfinite(loss)]
    if loss.size < UNDERFIT_MIN_EPOCHS:
        return []
    best = float(loss.min())
    if chance is not None and math.isfinite(chance) and chance > 0:
        if not lower * chance <= best <= upper * chance:
            return []
        # Still leaving chance level at a useful pace (slow starts are common): not yet a finding.
        # Useful: at that pace it gets to half of chance (a loss that has learned something), not
        # just past 90% of it (a one-unit autoencoder creeps there and no further).
        # Only the fall below chance counts: a loss that comes down to chance from above (large
        # initial logits, a penalty's share misread) converges to guessing, it does not leave it.
        below = np.minimum(loss, chance)
        recent = float(below[-UNDERFIT_MIN_EPOCHS] - below[-1]) / (UNDERFIT_MIN_EPOCHS - 1)
        pace = max(float(below[-2] - below[-1]), recent)
        useful = min(lower, HELD_BACK_FRACTION) * chance
        settles_above = _settling_level(below) > useful
        if not cut_short and pace > 0 and not settles_above and (best - useful) / pace <= max(
                LEAVING_CHANCE_FACTOR * loss.size, LEAVING_HORIZON):
            return []
        evidence = {"best_loss": best, "chance_loss": float(chance), "ratio_to_chance": best / chance,
                    "epochs": int(loss.size)}
        message = (
            f"Underfitting: after {loss.size} epochs the best training loss is {best:.4g}, "
            f"{best / chance:.0%} of the {chance:.4g} that guessing gets; the model has learned "
            + ("almost nothing." if best >= CHANCE_FRACTION * chance
               else "little, and the run ended while it still learned." if cut_short
               else "little, and is no longer learning more.")
        )
        return [Finding("underfitting", "warning", 0, None, message, evidence, list(UNDERFITTING_ADVICE))]
    if loss.size < 2 * UNDERFIT_MIN_EPOCHS or loss[0] <= 0:
        return []
    drops = -np.diff(loss)
    total = (loss[0] - loss[-1]) / loss[0]
    half = drops.size // 2
    early, late = drops[:half].sum(), drops[-half:].sum()
    crawling = (drops > 0).all() and total < CRAWL_TOTAL_DROP and late >= CRAWL_STEADINESS * early
    if not crawling:
        return []
    evidence = {"first_loss": float(loss[0]), "last_loss": float(loss[-1]), "relative_drop": float(total),
                "epochs": int(loss.size)}
    message = (
        f"Underfitting: the training loss falls in every epoch but only by {total:.1%} in {loss.size} "
        "epochs, at a steady rate that does not slow down: the steps are far too small to get anywhere."
    )
    return [Finding("underfitting", "warning", 0, None, message, evidence, list(UNDERFITTING_ADVICE))]


def detect_stopped_while_falling(history, chance, stopped_early, loss_key="val_loss"):
    """A `suspicious_config` finding when a callback stopped the run (`stopped_early`) while its
    loss still fell by `STILL_FALLING_SHARE` or more in each of its last `STILL_FALLING_EPOCHS`
    epochs, at a level above `HELD_BACK_FRACTION` of chance: the model is left far from a fit that
    the next epochs were reaching. An EarlyStopping that watches a loss with `mode="max"` does
    this (every fall is "no improvement"), and so does a `min_delta` larger than the loss's falls.
    A stop far below chance may be the user's target reached, and is not judged.

    Args:
        history: `{key: [value per epoch]}` with `loss`, and `loss_key` where validated.
        chance: loss of guessing, or None (then nothing is judged: how far from a fit is unknown).
        stopped_early: whether a callback stopped the run before its planned epochs.
        loss_key: the validation loss's key; without finite values of it, the training loss is read.

    Returns:
        list with at most one `Finding`, at the last epoch, with evidence `stopped_while_falling`
        (the smallest relative fall of the last epochs) and `validation_watched` (1 when that was
        the validation loss, 0 the training loss).
    """
    if not stopped_early or chance is None or not math.isfinite(chance) or chance <= 0:
        return []
    key = loss_key if np.isfinite(scalar_series(history, loss_key)).any() else "loss"
    loss = scalar_series(history, key)
    tail = loss[-(STILL_FALLING_EPOCHS + 1):]
    train = scalar_series(history, "loss")
    if tail.size < STILL_FALLING_EPOCHS + 1 or not np.isfinite(tail).all() or not np.isfinite(train).all():
        return []
    falls = (tail[:-1] - tail[1:]) / np.abs(tail[:-1])
    if falls.min() < STILL_FALLING_SHARE or tail[-1] < HELD_BACK_FRACTION * chance:
        return []
    epochs = int(loss.size)
    message = (f"A callback stopped training after {epochs} epochs while the {key.replace('_', ' ')} still fell "
               f"by {falls.min():.0%} or more in each of the last {STILL_FALLING_EPOCHS} "
               f"({tail[0]:.4g} -> {tail[-1]:.4g}, {tail[-1] / chance:.0%} of guessing's {chance:.4g}). "
               "An EarlyStopping that watches a loss with mode='max' (or a min_delta larger than the "
               "loss's fall per epoch) counts every improvement as getting worse.")
    evidence = {"stopped_while_falling": float(falls.min()), "validation_watched": int(key == loss_key),
                "stopped_loss": float(tail[-1]), "chance_loss": float(chance), "epochs": epochs}
    return [Finding("suspicious_config", "warning", epochs - 1, None, message, evidence)]


def _settling_level(loss):
    """Where a loss whose drops shrink settles: the last two epochs' drop against the two before
    gives the shrink factor r per two epochs, and the drops still to come add up to the last
    two's times r / (1 - r). -inf when the drops do not shrink (or fewer than four are known):
    then only the pace says where the loss goes."""
    drops = -np.diff(np.asarray(loss, dtype=float))
    if drops.size < 4:
        return -math.inf
    recent, before = float(drops[-2:].sum()), float(drops[-4:-2].sum())
    if not (0 < recent < before):
        return -math.inf
    shrink = recent / before
    return float(loss[-1]) - recent * shrink / (1 - shrink)


def detect_non_finite_validation(history, validated_epochs, loss_key="val_loss"):
    """A `non_finite` finding when the validation loss is NaN or inf at an epoch that validated
    while the training loss is finite: the validation data hold NaN or inf (or values the model
    turns into them, such as a class id the output lacks), and every validation score, early
    stop or checkpoint on it is meaningless. A training loss gone non-finite is the training
    detectors' finding, not this one.

    Args:
        history: `{key: [value per epoch]}` with `loss` and `loss_key`.
        validated_epochs: the epochs whose logs held validation results (`validation_freq` skips
            others), or None when unknown (nothing is judged).
        loss_key: the validation loss's key.

    Returns:
        list with at most one `Finding`, at the first such epoch.

    Example:

    >>> history = {"loss": [0.9, 0.5, 0.3], "val_loss": [float("nan")] * 3}
    >>> [(f.kind, f.epoch) for f in detect_non_finite_validation(history, [0, 1, 2])]
    [('non_finite', 0)]
    """
    loss, val_loss = scalar_series(history, "loss"), scalar_series(history, loss_key)
    for epoch in validated_epochs or []:
        if epoch >= min(loss.size, val_loss.size) or not math.isfinite(loss[epoch]):
            continue
        if not math.isfinite(val_loss[epoch]):
            return [Finding(
                "non_finite", "error", int(epoch), None,
                f"The validation loss is {val_loss[epoch]} from epoch {epoch} while the training loss is finite "
                f"({loss[epoch]:.4g}): the validation data hold NaN or inf, or values the model turns into "
                "them, so every validation score, early stop and checkpoint on it is meaningless.",
                {"non_finite_validation_loss": 1, "epoch_loss": float(loss[epoch])},
                ["Find the rows: `np.isfinite(x_val).reshape(len(x_val), -1).all(axis=1)` (and the same for "
                 "y_val); drop or impute them, as for the training data."],
            )]
    return []


def model_chance_loss(model):
    """Chance-level loss of a compiled Keras model, from its loss's name and its output units;
    None for several outputs or losses, or a loss whose chance level is unknown (`chance_loss`).

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="softmax")])
    >>> model.compile(loss="sparse_categorical_crossentropy")
    >>> round(model_chance_loss(model), 4)
    1.3863
    """
    loss = getattr(model, "loss", None)
    if isinstance(loss, (list, tuple, dict)) or loss is None:
        return None
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", "")
    outputs = getattr(model, "outputs", None)
    if not outputs or len(outputs) != 1:
        return None
    units = outputs[0].shape[-1]
    return chance_loss(name, units if isinstance(units, int) else None)

