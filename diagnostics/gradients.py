"""Detectors for vanishing, exploding and non-finite gradients, over recorded per-layer series.

Each detector is a pure function of a history dict `{key: [value per epoch]}` with the keys
that `callbacks.GradientMonitor` logs (`grad_norm/<layer>`, `grad_max/<layer>`,
`grad_first/<layer>`, `grad_zero_frac/<layer>`, `update_ratio/<layer>`, `nonfinite/<layer>`,
plus `loss` and `val_loss`). Layers are taken in the order their keys appear (input side first)
unless `layers` is given. Every judgement is relative (layer against layer, epoch against epoch),
so it does not depend on the scale of the loss, and must hold over `SUSTAIN_EPOCHS` epochs.

Example:

>>> history = {"grad_norm/dense": [1e-9, 1e-9], "grad_norm/dense_1": [1e-5, 1e-5],
...            "grad_norm/out": [0.3, 0.2], "loss": [2.3, 2.3]}
>>> [f.kind for f in detect_vanishing_gradient(history)]
['vanishing_gradient']
"""

import math
from typing import NamedTuple

import numpy as np

from diagnostics._series import first_sustained, layer_matrix, layer_names, scalar_series, still_suffering
from diagnostics.findings import Finding

# A healthy deep net (ReLU, He init, batch norm) loses at most ~100x of gradient norm from output
# to input; 1000x leaves a 10x margin, and sigmoid stacks of 10+ layers lose far more (1e5-1e9).
VANISHING_RATIO = 1e-3
# ... and 100x, the most a healthy deep net loses, is already too much in a run whose loss is still
# above half of chance then and at its end (`learning_suffers`): its input side is not learning.
VANISHING_RATIO_STALLED = 1e-2
# Reference for the output side: the largest gradient norm among this fraction of the last layers.
OUTPUT_SIDE_FRACTION = 0.25
# One epoch can be a transient (warm-up, the first epoch of batch norm); two in a row are a trend.
SUSTAIN_EPOCHS = 2
# A layer whose gradient is (almost) all exact zeros is cut off: every unit is dead, which
# dead_relu reports. Partial zeros (unused inputs, some saturated sigmoid units) still leave the
# small non-zero gradients that vanishing is about.
BLOCKED_ZERO_FRACTION = 0.95
# Mirror of VANISHING_RATIO: input-side gradients 1000x those of the output side grow with depth.
EXPLODING_DEPTH_RATIO = 1e3
# Gradient norms of healthy runs drift by at most ~10x over training; 100x while the loss does
# not improve is a blow-up.
EXPLODING_GROWTH = 100.0
# Growth of 10,000x is a blow-up even if the loss later falls (it falls when the blow-up kills
# the units); no healthy run grows its gradients that much.
EXPLODING_GROWTH_ANYWAY = 1e4
# One optimizer step that moves a layer's weights by more than their whole norm, right before the
# run turns non-finite, is the blow-up itself: healthy steps move weights by 1e-4 to 1e-2 of it.
EXPLODING_UPDATE_RATIO = 1.0
# A cross-entropy ten times that of a uniform guess at every epoch means logits tens of units off
# on typical rows: the forward signal is blown up from the first step (weights drawn large amplify
# it layer after layer, and the gradient as much on the way back, though the per-layer weight
# gradients, input times backward signal, stay alike). No run that trains gets there.
EXPLODING_LOSS_OVER_CHANCE = 10.0

# A training loss this small a share of its first epoch's is a fit to float32 precision: its
# gradients are exactly zero because the model sits at the minimum, not because the loss is cut off.
EXACT_FIT_FRACTION = 1e-8

VANISHING_ADVICE = [
    "Use ReLU-family activations (ReLU, LeakyReLU, GELU) in hidden layers instead of sigmoid or tanh.",
    "Use He (Kaiming) initialization for ReLU-family layers, Glorot for tanh.",
    "Add batch normalization (or layer normalization) between layers.",
    "Add residual (skip) connections so that gradients can bypass the deep stack.",
    "For recurrent networks, use gated cells (LSTM, GRU) instead of simple RNN cells.",
    "Make the network shallower if the extra depth is not needed.",
]

EXPLODING_ADVICE = [
    "Clip gradients: pass `clipnorm=1.0` or `global_clipnorm=1.0` to the optimizer.",
    "Use adaptive gradient clipping (zoo.optimizers AGC), which clips relative to the weight norm.",
    "Lower the learning rate (try 10x lower) or add a learning-rate warm-up.",
    "Use a variance-preserving initialization (He for ReLU, Glorot for tanh) instead of large weights.",
    "Add batch normalization or layer normalization.",
]

ZERO_GRADIENT_ADVICE = [
    "Check that the loss depends on the weights through differentiable ops: argmax, round, "
    "casts to int, comparisons and tf.stop_gradient pass no gradient.",
    "Check that the labels fit the loss (for example one-hot rows for categorical_crossentropy, "
    "class ids for sparse_categorical_crossentropy) and that the loss is not constant.",
    "Check that the layers meant to train are trainable (`layer.trainable`) and that the model "
    "was compiled after setting it.",
    "Check the output activation: a softmax over a single unit is always 1 and passes no gradient.",
]

NON_FINITE_ADVICE = [
    "If gradients grew before the NaN, lower the learning rate or clip gradients (`clipnorm=1.0`).",
    "Check inputs and labels for NaN or inf (`np.isfinite(x).all()`).",
    "Guard log, sqrt and division against zero or negative arguments (add a small epsilon).",
    "Use losses with `from_logits=True` instead of a softmax or sigmoid followed by a log.",
    "With mixed precision, keep a LossScaleOptimizer and compute the loss in float32.",
    "Stop early with `GradientMonitor(stop_on_nonfinite=True)` or keras.callbacks.TerminateOnNaN.",
]


def detect_gradient_problems(history, layers=None, first_nonfinite_step=None, chance_loss=None):
    """Runs every gradient detector; returns their findings.

    Args:
        history: `{key: [value per epoch]}` (see module docstring).
        layers: layer names, input side first; default: the order of the `grad_norm/` keys.
        first_nonfinite_step: optional `{layer: optimizer step}` of the first non-finite gradient.
        chance_loss: the loss of a uniform guess, if known (`detect_exploding_gradient`).

    Returns:
        list of `Finding`.
    """
    zero = detect_zero_gradient(history, layers)
    return (
        detect_non_finite(history, layers, first_nonfinite_step)
        + (zero or detect_cut_gradient(history, layers))
        + detect_exploding_gradient(history, layers, chance_loss)
        + detect_vanishing_gradient(history, layers, chance_loss)
    )


def _layers(history, layers):
    return list(layers) if layers is not None else layer_names(history, "grad_norm")


def _input_side_count(layers):
    """How many layers, from the input, are judged against the output side (the rest are it)."""
    return layers - max(1, int(math.ceil(layers * OUTPUT_SIDE_FRACTION)))


def _output_side(values):
    """Largest finite positive value per epoch among the output-side layers (NaN if none): a
    layer whose gradient is exactly zero (a head with loss weight 0) is no reference."""
    count = max(1, int(math.ceil(values.shape[1] * OUTPUT_SIDE_FRACTION)))
    tail = values[:, -count:]
    with np.errstate(invalid="ignore"):
        return np.array([np.nanmax(row[row > 0]) if (np.isfinite(row) & (row > 0)).any() else np.nan
                         for row in tail])


def detect_vanishing_gradient(history, layers=None, chance_loss=None):
    """Vanishing gradients: input-side layers get a tiny fraction of the output side's gradient.

    At each epoch, every layer's mean gradient norm is divided by the largest among the last
    `OUTPUT_SIDE_FRACTION` of the layers. A layer vanishes when that ratio is below
    `VANISHING_RATIO` (or `VANISHING_RATIO_STALLED` at epochs where learning suffers, as it still
    does at the end) while its gradient is not almost all exact zeros (that is dead units). The
    finding needs the first layer (nearest the input) to vanish for `SUSTAIN_EPOCHS` epochs in a
    row; it names that layer and reports how far up the network the problem reaches.

    Args:
        history: `{key: [value per epoch]}` with `grad_norm/<layer>` (and `loss`).
        layers: layer names, input side first; default: the order of the `grad_norm/` keys.
        chance_loss: the loss of a uniform guess, if known (`learning_suffers`).

    Returns:
        list with at most one `Finding` of kind `vanishing_gradient`.
    """
    layers = _layers(history, layers)
    if len(layers) < 3:
        return []
    norms = layer_matrix(history, "grad_norm", layers)
    if norms.shape[0] == 0:
        return []
    zero_frac = layer_matrix(history, "grad_zero_frac", layers, norms.shape[0])
    reference = _output_side(norms)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = norms / reference[:, None]
    blocked = zero_frac >= BLOCKED_ZERO_FRACTION
    threshold = np.full(norms.shape[0], VANISHING_RATIO)
    loss = scalar_series(history, "loss")
    if loss.size:
        stalled = still_suffering(loss, chance_loss)
        rows = min(stalled.size, threshold.size)
        threshold[:rows][stalled[:rows]] = VANISHING_RATIO_STALLED
    vanished = (ratio < threshold[:, None]) & ~blocked & np.isfinite(ratio) & (reference[:, None] > 0)
    judged = _input_side_count(len(layers))
    first_layer = next((i for i in range(judged) if not blocked[:, i].all()), None)
    if first_layer is None:
        return []
    epoch = first_sustained(vanished[:, first_layer], SUSTAIN_EPOCHS)
    if epoch is None:
        return []
    # How far up the network it reaches at that epoch: the last consecutive vanished layer.
    reach = first_layer
    while reach + 1 < judged and (vanished[epoch, reach + 1] or blocked[epoch, reach + 1]):
        reach += 1
    affected = int(vanished[epoch, first_layer : reach + 1].sum())
    input_ratio = float(ratio[epoch, first_layer])
    evidence = {
        "grad_norm": float(norms[epoch, first_layer]),
        "output_side_grad_norm": float(reference[epoch]),
        "ratio": input_ratio,
        "threshold": float(threshold[epoch]),
        "layers_affected": affected,
        "layers_total": len(layers),
        "epochs_affected": int(vanished[epoch:, first_layer].sum()),
    }
    return [
        Finding(
            kind="vanishing_gradient",
            severity="error" if input_ratio < VANISHING_RATIO**2 else "warning",
            epoch=int(epoch),
            layer=layers[first_layer],
            message=_vanishing_message(epoch, layers[first_layer], layers[reach], evidence),
            evidence=evidence,
            advice=list(VANISHING_ADVICE),
        )
    ]


def _vanishing_message(epoch, first_layer, reach, evidence):
    """The finding's sentence: from `first_layer` (nearest the input) up to `reach`."""
    return (
        f"Gradients vanish toward the input: from epoch {epoch}, layer '{first_layer}' gets a "
        f"gradient norm of {evidence['grad_norm']:.2g}, {evidence['ratio']:.1e} of the output side's "
        f"{evidence['output_side_grad_norm']:.2g}; {evidence['layers_affected']} of {evidence['layers_total']} "
        f"layers, up to '{reach}', get less than {evidence['threshold']:g} of it, so they barely learn"
        + (" (a hundredth is already too little in a run whose loss stays above half of chance)."
           if evidence["threshold"] > VANISHING_RATIO else ".")
    )


def detect_zero_gradient(history, layers=None):
    """Zero gradients: every measured gradient of every layer is exactly zero, for
    `SUSTAIN_EPOCHS` epochs (or the whole run if shorter). No weight can change, so nothing
    learns; the loss still varies with the batches, which is no sign of learning or of
    oscillation.

    Returns:
        list with at most one `Finding` of kind `zero_gradient` (`layer` None: it is the loss's
        connection to the weights that is cut, not one layer).
    """
    layers = _layers(history, layers)
    norms = layer_matrix(history, "grad_norm", layers)
    if norms.size == 0:
        return []
    measured = np.isfinite(norms).all(axis=1)
    zero = measured & (np.where(measured[:, None], norms, 1.0) == 0.0).all(axis=1)
    epoch = first_sustained(zero[measured], SUSTAIN_EPOCHS)
    if epoch is None:
        return []
    epoch = int(np.flatnonzero(measured)[epoch])
    evidence = {"layers_total": len(layers), "epochs_zero": int(zero[epoch:].sum())}
    loss = scalar_series(history, "loss")
    if _fits_exactly(loss, epoch):
        return []
    if loss.size > epoch:
        evidence["loss"] = float(loss[epoch])
    message = (
        f"Every gradient is exactly zero from epoch {epoch}, in all {len(layers)} trainable layers: "
        "the weights cannot change and the model cannot learn. The loss is not connected to the "
        "weights by a differentiable path (or is constant)."
    )
    return [Finding("zero_gradient", "error", epoch, None, message, evidence, list(ZERO_GRADIENT_ADVICE))]


def detect_cut_gradient(history, layers=None):
    """Layers cut off from the loss: at no measured step of the run do they get a gradient
    (TensorFlow gives None through an op that has none: the layer's series stays NaN, with no
    non-finite step counted), while the layer just output-side of them gets one that has not
    vanished (at least `VANISHING_RATIO` of the largest). The loss does not depend on those layers
    through a differentiable path: an op there has no gradient (round, argmax, a cast to int, a
    comparison, `tf.stop_gradient`). (A gradient that is exactly zero comes from the units or the
    weights, not from the graph: dead or saturated units, an all-zero start. Their own findings
    name those.)

    Returns:
        list with at most one `Finding` of kind `zero_gradient`, naming the output-side-most
        layer that gets no gradient (evidence `cut_layers`: how many get none).
    """
    layers = _layers(history, layers)
    norms = layer_matrix(history, "grad_norm", layers)
    if norms.size == 0 or len(layers) < 2:
        return []
    measured = np.isfinite(norms).any(axis=1)  # epochs in which some layer got a gradient
    if measured.sum() < min(SUSTAIN_EPOCHS, norms.shape[0]):
        return []
    norms = norms[measured]
    nonfinite = np.nan_to_num(layer_matrix(history, "nonfinite", layers, epochs=measured.size)[measured], nan=0.0)
    cut = np.isnan(norms).all(axis=0) & (nonfinite == 0.0).all(axis=0)
    reached = _reached_above(norms, cut, layers)
    if reached is None:
        return []
    cut_off, above, reaching = reached
    message = (
        f"{len(cut_off)} layer(s) get no gradient at any step ({', '.join(cut_off[:5])}), while "
        f"'{above}' above them gets one: an operation between '{cut_off[-1]}' and '{above}' passes no "
        "gradient (round, argmax, a cast to int, a comparison, tf.stop_gradient), so those layers never train."
    )
    evidence = {"cut_layers": len(cut_off), "layers_total": len(layers), "gradient_above": above,
                "reaching_ratio": reaching}
    advice = ["Replace the operation by a differentiable one, or let the gradient through it "
              "(a straight-through estimator: x + tf.stop_gradient(tf.round(x) - x)).",
              "Or freeze the layers below it on purpose (trainable=False), so they are not trained for nothing."]
    return [Finding("zero_gradient", "error", 0, cut_off[-1], message, evidence, advice)]


def _reached_above(norms, held, layers):
    """For the `layers` `held` (a mask over the columns of `norms`, some but not all): `(names,
    above, reaching)`, their names input side first, the first layer above the last of them that
    is not held, and the median share of the largest gradient that layer gets; None when there is
    no such layer, its gradient is not finite, or it has vanished (under `VANISHING_RATIO`) too."""
    if not held.any() or held.all():
        return None
    last = int(np.flatnonzero(held)[-1])
    above = [index for index in range(last + 1, held.size) if not held[index]]
    if not above or not np.isfinite(norms[:, above[0]]).all():
        return None
    reaching = float(np.median(norms[:, above[0]] / np.maximum(np.nanmax(norms, axis=1), 1e-30)))
    names = [layers[index] for index in np.flatnonzero(held)]
    return None if reaching < VANISHING_RATIO else (names, layers[above[0]], reaching)


def detect_still_layers(history, layers=None):
    """Layers whose gradient is exactly zero at every measured step, while the layer just
    output-side of them gets one that has not vanished: the loss does not change with their
    outputs where the data puts them (`|a - b|` of two equal inputs, whose slope TensorFlow takes
    as 0 at 0), so they never train. Dead or saturated units and weights that start at zero make
    such zeros too; the judge leaves those to their own findings (`judgement`).

    Returns:
        list with at most one `Finding` of kind `zero_gradient`, naming the output-side-most
        still layer (evidence `still_layers`: their names).

    Example:

    >>> history = {"grad_norm/encoder": [0.0] * 4, "grad_norm/head": [0.1, 0.08, 0.09, 0.1]}
    >>> detect_still_layers(history)[0].evidence["still_layers"]
    ['encoder']
    """
    layers = _layers(history, layers)
    norms = layer_matrix(history, "grad_norm", layers)
    measured = np.isfinite(norms).all(axis=1)
    if len(layers) < 2 or measured.sum() < SUSTAIN_EPOCHS:
        return []
    norms = norms[measured]
    reached = _reached_above(norms, (norms == 0).all(axis=0), layers)
    if reached is None:
        return []
    names, above, reaching = reached
    message = (
        f"{len(names)} layer(s) get a gradient of exactly zero at every step ({', '.join(names[:5])}), while "
        f"'{above}' above them gets one: the loss does not change with their outputs where the data puts them "
        "(the difference of two equal inputs, a max or a ReLU that never selects them), so they never train."
    )
    evidence = {"still_layers": names, "gradient_above": above, "reaching_ratio": reaching}
    return [Finding("zero_gradient", "error", 0, names[-1], message, evidence,
                    ["Check the data those layers read: two inputs fed the same rows (a siamese pair of one image) "
                     "make |a - b| zero, and its slope there is zero."])]


def detect_nothing_trainable(trainable_weights):
    """A model with no trainable weight: `fit` computes the loss and changes nothing (a model
    frozen with `model.trainable = False`, often meant for its base, before `compile`).

    Args:
        trainable_weights: how many trainable weights the model had when it trained, or None.

    Returns:
        list with at most one `Finding` of kind `zero_gradient` (evidence `trainable_weights`).
    """
    if trainable_weights is None or trainable_weights > 0:
        return []
    return [Finding(
        "zero_gradient", "error", 0, None,
        "The model has no trainable weights: every step computes the loss and updates nothing, so "
        "it cannot learn (model.trainable = False, or every layer frozen, before compile).",
        {"trainable_weights": 0},
        ["Set trainable=True on the layers to train (a pretrained base may stay frozen, the new "
         "head must not), then compile again."],
    )]


def _fits_exactly(loss, epoch):
    """Whether the training loss, from `epoch` on, stays under `EXACT_FIT_FRACTION` of its first
    value (a fit to float precision)."""
    if loss.size <= epoch or not np.isfinite(loss[0]) or loss[0] <= 0:
        return False
    later = loss[epoch:]
    return bool(np.isfinite(later).all() and later.max() <= EXACT_FIT_FRACTION * loss[0])


def _loss_not_improving(loss, epoch):
    """True if the loss at `epoch` or later is non-finite, or never falls below its first value.

    Without a `loss` series (a GAN logs its own losses) there is no evidence either way: False.
    """
    if loss.size == 0:
        return False
    later = loss[epoch:]
    if not np.isfinite(later).all():
        return True
    if epoch == 0:
        return loss.size > 1 and bool(np.all(loss[1:] >= loss[0]))
    return bool(np.all(later >= loss[0]))


class _Explosion(NamedTuple):
    """A sign of exploding gradients that one criterion found. Tuples order the signs: the
    earliest epoch first, then the largest factor (stored negated), then the input-side layer."""

    epoch: int
    negative_factor: float
    index: int
    criterion: str  # "time", "depth", "update" or "loss"


def detect_exploding_gradient(history, layers=None, chance_loss=None):
    """Exploding gradients: norms blow up over time, or grow with depth toward the input, or the
    loss shows a signal blown up from the start.

    Four criteria, each in its own function:
    over time (`_exploding_over_time`): a layer's gradient norm (its epoch mean, or its largest
    finite step) reaches `EXPLODING_GROWTH` times its first measured value while the loss does
    not improve (or turns non-finite), for `SUSTAIN_EPOCHS` epochs or until the run turns
    non-finite; or it reaches `EXPLODING_GROWTH_ANYWAY` times that value at all. A first value
    below `VANISHING_RATIO` of the output side's counts as that much (growth out of a vanished
    start is no explosion), and a norm still below it never explodes.
    With depth (`_exploding_with_depth`): input-side layers get `EXPLODING_DEPTH_RATIO` times the
    output side's gradient norm for `SUSTAIN_EPOCHS` epochs.
    In one step (`_exploding_in_one_step`): a finite update moves a layer's weights by
    `EXPLODING_UPDATE_RATIO` times their norm or more, in the epoch the run turns non-finite or
    the one before (weights so large from the start that the first gradients are already huge
    leave no earlier value to grow from).
    From the start (`_exploding_from_the_start`): with `chance_loss` known, the training loss is
    `EXPLODING_LOSS_OVER_CHANCE` times it or more at every epoch (`SUSTAIN_EPOCHS` or more).
    The earliest sign leads (the largest at that epoch); `_exploding_message` words it.

    Returns:
        list with at most one `Finding` of kind `exploding_gradient`, naming the layer where the
        growth is largest.
    """
    layers = _layers(history, layers)
    if not layers:
        return []
    norms = layer_matrix(history, "grad_norm", layers)
    epochs = norms.shape[0]
    if epochs == 0:
        return []
    peaks = layer_matrix(history, "grad_max", layers, epochs)
    firsts = layer_matrix(history, "grad_first", layers, epochs)
    ratio = layer_matrix(history, "update_ratio", layers, epochs)
    loss = scalar_series(history, "loss")
    baseline = _first_grad_norms(norms, firsts)
    turns_nonfinite = _turns_nonfinite(history, layers, epochs)
    explosions = (_exploding_over_time(norms, peaks, baseline, loss, turns_nonfinite)
                  + _exploding_with_depth(norms)
                  + _exploding_in_one_step(ratio, turns_nonfinite)
                  + _exploding_from_the_start(norms, loss, chance_loss))
    if not explosions:
        return []
    lead = min(explosions)
    epoch, index = lead.epoch, lead.index
    evidence = {
        "grad_norm": float(norms[epoch, index]),
        "grad_max": float(peaks[epoch, index]) if np.isfinite(peaks[epoch, index]) else float("nan"),
        "baseline_grad_norm": float(baseline[index]),
        "factor": -lead.negative_factor,
        "threshold": {"time": EXPLODING_GROWTH, "depth": EXPLODING_DEPTH_RATIO,
                      "update": EXPLODING_UPDATE_RATIO, "loss": EXPLODING_LOSS_OVER_CHANCE}[lead.criterion],
        "layers_affected": len({explosion.index for explosion in explosions}),
    }
    if ratio.size and np.isfinite(ratio[epoch, index]):
        evidence["update_ratio"] = float(ratio[epoch, index])
    if loss.size > epoch:
        evidence["loss"] = float(loss[epoch])
    if lead.criterion == "loss":
        evidence["chance_loss"] = float(chance_loss)
    return [
        Finding(
            kind="exploding_gradient",
            severity="error",
            epoch=int(epoch),
            layer=layers[index],
            message=_exploding_message(lead, layers[index], evidence, loss, turns_nonfinite),
            evidence=evidence,
            advice=list(EXPLODING_ADVICE),
        )
    ]


def _first_grad_norms(norms, firsts):
    """Per layer, the gradient norm that growth is measured from: the first step's norm when it
    was measured (else the first epoch's mean), and never more than the first epoch's mean."""
    baseline = np.where(np.isfinite(firsts[0]) & (firsts[0] > 0), firsts[0], norms[0])
    return np.fmin(baseline, norms[0])


def _exploding_over_time(norms, peaks, baseline, loss, turns_nonfinite):
    """`_Explosion`s of the layers whose gradient norm grew from `baseline` by
    `EXPLODING_GROWTH` while the loss did not improve, or by `EXPLODING_GROWTH_ANYWAY`: from the
    first epoch of `SUSTAIN_EPOCHS` in a row, else from the first such epoch at or before the run
    turns non-finite (or one that reaches `EXPLODING_GROWTH_ANYWAY`)."""
    epochs = norms.shape[0]
    peak = np.fmax(np.where(np.isfinite(norms), norms, np.nan), peaks)
    reference = _output_side(norms)
    # Growth from a vanished start counts from the vanishing line: a layer drawn near zero that
    # wakes up to an ordinary gradient has not exploded.
    floor = VANISHING_RATIO * reference[0] if np.isfinite(reference[0]) else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = peak / np.fmax(baseline, floor)[None, :]
    growth[~np.isfinite(growth)] = np.nan
    not_improving = np.array([_loss_not_improving(loss, e) for e in range(epochs)])
    # A gradient still `VANISHING_RATIO` of the output side's has grown out of a vanished start,
    # not exploded (a stack drawn near zero wakes up); a non-finite reference blocks nothing.
    with np.errstate(invalid="ignore"):
        vanished = peak < VANISHING_RATIO * reference[:, None]
    explosions = []
    for index in range(norms.shape[1]):
        layer_growth = np.nan_to_num(growth[:, index], nan=0.0)
        grown = (layer_growth >= EXPLODING_GROWTH) & not_improving
        grown |= layer_growth >= EXPLODING_GROWTH_ANYWAY
        grown &= ~vanished[:, index]
        epoch = first_sustained(grown, SUSTAIN_EPOCHS)
        if epoch is None:
            blow_up = [
                e for e in range(epochs)
                if grown[e] and ((turns_nonfinite is not None and turns_nonfinite >= e)
                                 or layer_growth[e] >= EXPLODING_GROWTH_ANYWAY)
            ]
            epoch = blow_up[0] if blow_up else None
        if epoch is not None:
            explosions.append(_Explosion(epoch, -float(np.nanmax(growth[epoch:, index])), index, "time"))
    return explosions


def _exploding_with_depth(norms):
    """`_Explosion`s of the input-side layers whose gradient norm is `EXPLODING_DEPTH_RATIO`
    times the output side's for `SUSTAIN_EPOCHS` epochs in a row (with 3 layers or more)."""
    layers = norms.shape[1]
    if layers < 3:
        return []
    reference = _output_side(norms)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth_ratio = norms / reference[:, None]
    explosions = []
    for index in range(_input_side_count(layers)):
        grown = np.nan_to_num(depth_ratio[:, index], nan=0.0) >= EXPLODING_DEPTH_RATIO
        epoch = first_sustained(grown, SUSTAIN_EPOCHS)
        if epoch is not None:
            explosions.append(_Explosion(epoch, -float(depth_ratio[epoch, index]), index, "depth"))
    return explosions


def _exploding_in_one_step(ratio, turns_nonfinite):
    """`_Explosion`s of the layers that one step moved by `EXPLODING_UPDATE_RATIO` times their
    weight norm, in the epoch the run turns non-finite or the one before."""
    if turns_nonfinite is None or not ratio.size:
        return []
    explosions = []
    for epoch in range(max(0, turns_nonfinite - 1), turns_nonfinite + 1):
        for index in np.flatnonzero(np.nan_to_num(ratio[epoch], nan=0.0) >= EXPLODING_UPDATE_RATIO):
            explosions.append(_Explosion(epoch, -float(ratio[epoch, index]), int(index), "update"))
    return explosions


def _exploding_from_the_start(norms, loss, chance_loss):
    """An `_Explosion` at epoch 0, in the layer with the largest gradient norm then, when every
    epoch's training loss (`SUSTAIN_EPOCHS` or more, all finite) is `EXPLODING_LOSS_OVER_CHANCE`
    times `chance_loss` or more; its factor is the smallest loss over chance."""
    if chance_loss is None or not math.isfinite(chance_loss) or chance_loss <= 0:
        return []
    if loss.size < SUSTAIN_EPOCHS or not np.isfinite(loss).all() or not np.isfinite(norms[0]).any():
        return []
    over = float(loss.min()) / chance_loss
    if over < EXPLODING_LOSS_OVER_CHANCE:
        return []
    return [_Explosion(0, -over, int(np.nanargmax(norms[0])), "loss")]


def _exploding_message(lead, layer, evidence, loss, turns_nonfinite):
    """The finding's sentence for the leading `_Explosion` at `layer`, worded by its criterion."""
    factor = evidence["factor"]
    if lead.criterion == "time":
        return (
            f"Gradients explode: from epoch {lead.epoch}, the gradient norm of layer '{layer}' reaches "
            f"{factor:.2g}x its first value ({evidence['baseline_grad_norm']:.2g})"
            + (
                ", and the run turns non-finite"
                if turns_nonfinite is not None
                else " while the loss does not improve" if _loss_not_improving(loss, lead.epoch) else ""
            )
            + "."
        )
    if lead.criterion == "loss":
        return (
            f"The signal is blown up from the start: the training loss stays {factor:.3g}x or more that of "
            f"guessing ({evidence['chance_loss']:.3g}) at every epoch, so the outputs are far off scale; "
            f"layers that amplify the signal do so to its gradient on the way back (gradient norm "
            f"{evidence['grad_norm']:.3g} in layer '{layer}' at epoch 0)."
        )
    if lead.criterion == "update":
        return (
            f"Gradients explode: in epoch {lead.epoch}, one optimizer step moved the weights of layer "
            f"'{layer}' by {factor:.2g}x their own norm (gradient norm up to "
            f"{evidence['grad_max']:.2g}), and the run then turned non-finite."
        )
    return (
        f"Gradients grow toward the input: from epoch {lead.epoch}, layer '{layer}' gets "
        f"{factor:.2g}x the gradient norm of the output side; large weights amplify the "
        "backward pass layer after layer."
    )


def _nonfinite_mask(history, layers, epochs):
    """`(epochs, layers)` bool: the layer had a non-finite gradient in the epoch."""
    counts = layer_matrix(history, "nonfinite", layers, epochs)
    norms = layer_matrix(history, "grad_norm", layers, epochs)
    mask = np.zeros((epochs, len(layers)), dtype=bool)
    if counts.shape[0]:
        mask[: counts.shape[0]] |= np.nan_to_num(counts, nan=0.0) > 0
    if norms.shape[0]:
        mask[: norms.shape[0]] |= np.isinf(norms)
    return mask


def _turns_nonfinite(history, layers, epochs):
    """First epoch whose loss or gradients are non-finite, or None."""
    mask = _nonfinite_mask(history, layers, epochs).any(axis=1) if layers else np.zeros(epochs, dtype=bool)
    loss = scalar_series(history, "loss")
    for epoch in range(epochs):
        if mask[epoch] or (epoch < loss.size and not math.isfinite(loss[epoch])):
            return epoch
    return None


def detect_non_finite(history, layers=None, first_nonfinite_step=None):
    """Non-finite values: a NaN or inf gradient, or a non-finite training loss.

    The finding names where the first NaN came from, by a rule that holds whatever a kernel does
    with a NaN (ReLU maps it to 0 on some CPUs and passes it on others). Take the layers whose
    gradient went non-finite first (in step order, from `first_nonfinite_step`; else in the first
    bad epoch). A NaN made in the backward pass of a layer flows only toward the input, so when
    some layers above stayed finite it arose in the highest bad layer. When every layer went
    non-finite at once, it came in from the forward side: the inputs, the forward pass or the
    loss; the finding names the first layer, where the data enters.

    Args:
        history: `{key: [value per epoch]}`.
        layers: layer names, input side first.
        first_nonfinite_step: optional `{layer: optimizer step}` of each layer's first non-finite
            gradient; it separates layers that went bad in the same epoch.

    Returns:
        list with at most one `Finding` of kind `non_finite`.
    """
    layers = _layers(history, layers)
    loss = scalar_series(history, "loss")
    epochs = max([loss.size] + [len(v) for k, v in history.items() if k.startswith("grad_norm/")])
    if epochs == 0:
        return []
    epoch = _turns_nonfinite(history, layers, epochs)
    if epoch is None:
        return []
    bad = _first_bad_layers(history, layers, epochs, epoch, first_nonfinite_step)
    evidence = {"epoch_loss": float(loss[epoch]) if epoch < loss.size else float("nan"),
                "layers_nonfinite": len(bad), "layers_total": len(layers)}
    steps = [s for s in (first_nonfinite_step or {}).values() if s is not None and s >= 0]
    if steps:
        evidence["first_step"] = float(min(steps))
    origin, where = _non_finite_origin(layers, bad)
    return [
        Finding(
            kind="non_finite",
            severity="error",
            epoch=int(epoch),
            layer=origin,
            message=f"Non-finite values (NaN or inf) appear from epoch {epoch}. {where}",
            evidence=evidence,
            advice=list(NON_FINITE_ADVICE),
        )
    ]


def _non_finite_origin(layers, bad):
    """`(layer, sentence)`: where the first non-finite value came from, given the indices `bad`
    of the layers that went non-finite first (the rule of `detect_non_finite`); layer None when
    only the loss did."""
    if bad and len(bad) < len(layers):
        origin = layers[max(bad)]
        return origin, (
            f"It first appeared in the gradient of layer '{origin}' (and {len(bad) - 1} layer(s) below it) "
            "while the layers above stayed finite: it arose in that layer's backward pass or in its inputs"
            + (" (for the first layer: the data, check it for NaN)." if max(bad) == 0 else ".")
        )
    if bad:
        return layers[0], (
            f"All {len(layers)} layers got non-finite gradients at the same step, so it came in from the "
            f"forward side: the data entering at layer '{layers[0]}' (check it for NaN or inf first), the "
            "forward pass or the loss (log(0), 0/0, an overflow)."
        )
    return None, "The loss became non-finite; the measured gradients were still finite."


def _first_bad_layers(history, layers, epochs, epoch, first_nonfinite_step):
    """Indices of the layers whose gradient went non-finite first: at the earliest recorded
    step if steps are known, else in the first bad `epoch`."""
    mask = _nonfinite_mask(history, layers, epochs)
    bad = [i for i in range(len(layers)) if mask[epoch, i]]
    steps = {layer: s for layer, s in (first_nonfinite_step or {}).items() if s is not None and s >= 0}
    if not steps:
        return bad
    earliest = min(steps.values())
    return [i for i, layer in enumerate(layers) if steps.get(layer) == earliest] or bad
