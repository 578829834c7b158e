"""Activation health: which units are dead or saturated, and the detectors over its series.

`unit_health` classifies the units of one layer from its outputs on a probe batch. The detectors
are pure functions of a history dict with keys `dead_frac/<layer>` (fraction of dead ReLU-family
units) and `saturated_frac/<layer>` (fraction of saturated sigmoid/tanh/softsign units), one value
per epoch, as `callbacks.ActivationMonitor` logs them.

Example:

>>> import numpy as np
>>> dead, saturated = unit_health("relu", np.array([[0.0, 1.0], [0.0, 2.0]]))
>>> dead.tolist(), saturated
([True, False], None)
>>> history = {"dead_frac/dense": [0.9, 0.95, 0.95], "dead_frac/dense_1": [0.0, 0.0, 0.0]}
>>> [(f.kind, f.layer) for f in detect_dead_relu(history)]
[('dead_relu', 'dense')]
"""

import numpy as np

from diagnostics._series import first_sustained, layer_matrix, layer_names, learning_suffers, still_suffering
from diagnostics.findings import Finding
from diagnostics.gradients import SUSTAIN_EPOCHS

# Activations whose units can die: they output exactly zero on a whole half-line.
DEAD_CAPABLE = ("relu", "relu6")
# Activations with flat asymptotes, and the output level beyond which a unit counts as saturated:
# there the derivative is below ~2-4% of its maximum, so almost no gradient passes.
SATURATION_LEVELS = {
    "sigmoid": (0.01, 0.99),
    "hard_sigmoid": (0.0, 1.0),
    "tanh": (-0.99, 0.99),
    "softsign": (-0.9, 0.9),
}
# A unit is saturated when it sits beyond those levels for this share of probe samples (and
# positions, for convolutions): occasional saturation on some inputs is normal.
SATURATED_SAMPLE_SHARE = 0.9
# A layer is unhealthy when at least half its units are dead (or saturated): a sparse but healthy
# ReLU layer has a few units silent on a small probe batch by chance, rarely half of them.
DEAD_FRACTION = 0.5
SATURATED_FRACTION = 0.5
# ... and that half is a problem when learning suffers; a layer that learns well with half its
# units silent is sparse, not broken (a healthy CNN's dense layer sat at 47-53%). Nine in ten dead
# leave a tenth of the layer, whatever the loss says.
DEAD_FRACTION_ALONE = 0.9
# Dead units cannot come back; a layer whose silent share at its last measurement is under half
# of what it was when it was first found silent was quiet for a while (the layers below moved),
# not dead. The probe's own noise moves that share by a few points, not by half.
REVIVED_SHARE = 0.5
# Healthy sigmoid/tanh layers (Glorot init, scaled inputs) have almost no unit saturated on
# nearly every sample; a third of them is a large share, and a problem when learning suffers too.
SATURATED_FRACTION_SLOW = 0.3
# At 90% of a layer's units dead or saturated the layer passes (almost) nothing: an error.
ERROR_FRACTION = 0.9

DEAD_RELU_ADVICE = [
    "Lower the learning rate: large updates push units into the region where they never fire.",
    "Use LeakyReLU, ELU or GELU, which pass a gradient for negative inputs.",
    "Initialize biases at zero (or slightly positive) and weights with He initialization.",
    "Add batch normalization before the activation to keep pre-activations centred.",
]

SATURATION_ADVICE = [
    "Use ReLU-family activations in hidden layers; keep sigmoid/tanh for outputs and gates.",
    "Use Glorot (Xavier) initialization for sigmoid/tanh layers, and standardize the inputs.",
    "Add batch normalization before the activation to keep pre-activations near zero.",
    "Lower the learning rate: large weights drive units into saturation.",
]


def activation_family(name):
    """`"dead"` for ReLU-like activations, `"saturating"` for sigmoid-like ones, else None."""
    if name in DEAD_CAPABLE:
        return "dead"
    if name in SATURATION_LEVELS:
        return "saturating"
    return None


def unit_health(activation, outputs):
    """Classifies the units (last axis) of one layer from its outputs on a probe batch.

    Args:
        activation: name of the layer's activation (`"relu"`, `"sigmoid"`, `"tanh"`, ...).
        outputs: array `(samples, ..., units)`.

    Returns:
        `(dead, saturated)`: boolean arrays over units, or None where the activation cannot
        die or saturate. A unit is dead if it outputs exactly zero for every sample and
        position; saturated if it is beyond the activation's saturation level for at least
        `SATURATED_SAMPLE_SHARE` of them.
    """
    return health_from_counts(activation, *unit_counts(activation, outputs))


def unit_counts(activation, outputs, ops=np):
    """How many outputs of each unit are unhealthy, and how many outputs each unit has.

    Unhealthy is exactly zero for a ReLU-family unit, beyond the saturation level for a
    sigmoid-family one. Counts of chunks of a probe batch add up to those of the whole batch, so
    a large batch can be measured a chunk at a time (`health_from_counts` then classifies).

    Args:
        activation, outputs: as for `unit_health`.
        ops: array namespace with `reshape` and `sum(x, axis)`; numpy by default (a callback
            passes tensor ops to run this inside a compiled function).

    Returns:
        `(counts, entries)`: a float array over units (None where the activation cannot die or
        saturate) and the number of outputs per unit (samples times positions).

    Example:

    >>> counts, entries = unit_counts("relu", np.array([[0.0, 1.0], [0.0, 0.0]]))
    >>> counts.tolist(), entries
    ([2, 1], 2)
    """
    if ops is np:
        outputs = np.asarray(outputs, dtype=np.float32)
    units = outputs.shape[-1] if len(outputs.shape) > 1 else 1
    flat = ops.reshape(outputs, (-1, units))
    family = activation_family(activation)
    if family == "dead":
        unhealthy = flat == 0.0
    elif family == "saturating":
        low, high = SATURATION_LEVELS[activation]
        unhealthy = (flat <= low) | (flat >= high)
    else:
        return None, flat.shape[0]
    return ops.sum(unhealthy, axis=0), flat.shape[0]


def health_from_counts(activation, counts, entries):
    """`(dead, saturated)` boolean arrays over units from `unit_counts` (summed over chunks)."""
    if counts is None or not entries:
        return None, None
    counts = np.asarray(counts, dtype=np.float64)
    if activation_family(activation) == "dead":
        return counts == entries, None
    return None, counts / entries >= SATURATED_SAMPLE_SHARE


def _detect(history, signal, threshold, kind, layers, describe, advice, gate=None, gated_threshold=None,
            to_the_end=False):
    """The first layer whose `signal` is at least `threshold` for `SUSTAIN_EPOCHS` measured epochs
    in a row, or at least `gated_threshold` in epochs where `gate` (a bool per epoch) holds; with
    `to_the_end`, only a layer whose last measured value is still at least `REVIVED_SHARE` of its
    value where that run began.
    Epochs without a measurement (NaN: no probe yet, or a probe skipped to save time) neither
    break nor extend a run."""
    layers = list(layers) if layers is not None else layer_names(history, signal)
    if not layers:
        return []
    values = layer_matrix(history, signal, layers)
    if gate is not None:  # one entry per epoch of `values`; epochs it does not cover: False
        covered = min(len(gate), values.shape[0])
        gate = np.concatenate([np.asarray(gate[:covered], dtype=bool), np.zeros(values.shape[0] - covered, bool)])
    candidates = []
    for index, layer in enumerate(layers):
        column = np.nan_to_num(values[:, index], nan=0.0)
        bad = column >= threshold
        if gate is not None:
            bad |= gate & (column >= gated_threshold)
        measured = np.flatnonzero(np.isfinite(values[:, index]))
        run = first_sustained(bad[measured], SUSTAIN_EPOCHS)
        if (to_the_end and run is not None
                and values[measured[-1], index] < REVIVED_SHARE * values[measured[run], index]):
            continue  # most of them answer again at the last measurement
        if run is not None:
            candidates.append((int(measured[run]), index))
    if not candidates:
        return []
    epoch, index = min(candidates)
    affected = [layers[i] for _, i in sorted(candidates, key=lambda c: c[1])]
    fraction = float(values[epoch, index])
    measured = [values[np.isfinite(values[:, i]), i] for _, i in candidates]
    evidence = {
        signal: fraction,
        "threshold": threshold if fraction >= threshold else gated_threshold,
        "last_value": float(values[np.isfinite(values[:, index]), index][-1]),
        "layers_affected": len(affected),
        "layers_total": len(layers),
        # How much of an affected layer went that way after the first probe: units that die or
        # saturate while training, not from the start.
        "rise": float(max(column[-1] - column[0] for column in measured)),
    }
    return [
        Finding(
            kind=kind,
            severity="error" if fraction >= ERROR_FRACTION else "warning",
            epoch=int(epoch),
            layer=layers[index],
            message=describe(layers[index], epoch, fraction, affected),
            evidence=evidence,
            advice=list(advice),
        )
    ]


def _describer(state, consequence):
    """The message of a unit finding: which share of a layer is in `state` from when, and why
    that hurts (`consequence`), naming the other affected layers."""

    def describe(layer, epoch, fraction, affected):
        others = f" ({len(affected)} layers affected: {', '.join(affected)})" if len(affected) > 1 else ""
        return f"{fraction:.0%} of the units of layer '{layer}' are {state} from epoch {epoch}: {consequence}{others}."

    return describe


def detect_dead_relu(history, layers=None, loss=None, chance_loss=None):
    """Dead ReLU units: a layer's units output zero for every probe sample, for `SUSTAIN_EPOCHS`
    epochs: at least `DEAD_FRACTION_ALONE` of them, or at least `DEAD_FRACTION` of them while
    learning suffers (`learning_suffers`) then and still at the last epoch; and still at least
    `REVIVED_SHARE` of that share at the last measurement (units that answer again were not dead).
    Names the first such layer from the input side.

    Args:
        history: `{key: [value per epoch]}` with `dead_frac/<layer>` (and `loss`).
        layers: layer names, input side first; default: the order of the keys.
        loss: training loss per epoch; default `history["loss"]`. Without it only the
            `DEAD_FRACTION_ALONE` rule applies.
        chance_loss: loss of guessing, if known.

    Returns:
        list with at most one `Finding` of kind `dead_relu`.
    """

    describe = _describer("dead", "they output zero for every probe sample, so they pass no gradient and "
                                  "cannot recover")
    loss = history.get("loss") if loss is None else loss
    # Dead units cannot recover: a run that learned well anyway did without them. Units silent on
    # the probe rows for a while that answer again by the end were not dead (the layers below them
    # moved): only a layer still that silent at its last measurement is named.
    gate = still_suffering(loss, chance_loss) if loss is not None and len(loss) else None
    return _detect(history, "dead_frac", DEAD_FRACTION_ALONE, "dead_relu", layers, describe, DEAD_RELU_ADVICE,
                   gate=gate, gated_threshold=DEAD_FRACTION, to_the_end=True)


def detect_saturation(history, layers=None, loss=None, chance_loss=None):
    """Saturated units: a layer's sigmoid/tanh/softsign units sit near an asymptote for almost
    every probe sample, for `SUSTAIN_EPOCHS` epochs: at least `SATURATED_FRACTION` of them, or at
    least `SATURATED_FRACTION_SLOW` of them while learning suffers (`learning_suffers`).

    Arguments and result as `detect_dead_relu`'s, on `saturated_frac/<layer>` (without a loss only
    the `SATURATED_FRACTION` rule applies), with a `Finding` of kind `saturation`.
    """

    describe = _describer("saturated", "they sit near an asymptote of their activation, where its "
                                       "derivative is almost zero, and pass almost no gradient")

    loss = history.get("loss") if loss is None else loss
    gate = None if loss is None or len(loss) == 0 else learning_suffers(loss, chance_loss)
    return _detect(
        history, "saturated_frac", SATURATED_FRACTION, "saturation", layers, describe, SATURATION_ADVICE,
        gate=gate, gated_threshold=SATURATED_FRACTION_SLOW,
    )


def detect_activation_problems(history, layers=None, loss=None, chance_loss=None):
    """Runs `detect_dead_relu` and `detect_saturation` (see there for `loss` and `chance_loss`)."""
    return detect_dead_relu(history, layers, loss, chance_loss) + detect_saturation(history, layers, loss, chance_loss)
