"""Catch the bug before the first epoch: `check_setup`, and `lead_with_causes` for reports.

`check_setup(model, x, y, validation_data)` runs every setup check on a model and (optionally)
its data, before `fit`: the structural ones of `diagnostics.setup_model` and the data ones of
`diagnostics.setup_data`. `callbacks.SetupMonitor` runs the same checks during `fit`.

`lead_with_causes(findings)` puts a setup finding that explains a behavioural one (zero
gradients from a one-unit softmax, NaN from a ReLU output under cross-entropy, a plateau from
labels divided by 255) first, and says so in the behavioural finding's message.

Example:

>>> import keras, numpy as np
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax",
...                                                                 name="out")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy")
>>> x, y = np.random.default_rng(0).normal(size=(8, 4)), np.ones(8)
>>> [(f.kind, f.layer) for f in check_setup(model, x, y)]
[('output_loss_mismatch', 'out')]
"""

import dataclasses

import keras
import numpy as np

from diagnostics import setup_data, setup_model

# Rows of each input the input checks judge: extremes and moments over 10,000 rows spread over the
# data are as telling as over all, and their float64 copy stays small (63 MB of MNIST images).
INPUT_SAMPLE_ROWS = 10_000

# Which behaviour each setup cause explains: (cause kind, an evidence key only that cause sets,
# the behavioural kinds it explains).
CAUSES = (
    # A one-unit softmax outputs 1.0: zero gradients everywhere, so nothing moves.
    ("output_loss_mismatch", "softmax_units", ("vanishing_gradient", "plateau", "underfitting",
                                              "saddle_point", "dead_relu")),
    # ReLU or linear outputs under a probability cross-entropy: log of 0 or of a negative number.
    ("output_loss_mismatch", "relu_output_units", ("non_finite", "plateau", "underfitting")),
    ("output_loss_mismatch", "linear_output_units", ("non_finite", "plateau", "underfitting")),
    ("output_loss_mismatch", "class_loss_units", ("plateau", "underfitting", "vanishing_gradient")),
    # Labels divided by 255: fractional class ids, or all one class once cast.
    ("label_mismatch", "fractional_labels", ("plateau", "underfitting")),
    ("label_mismatch", "distinct_labels", ("plateau", "underfitting", "overfitting")),
    ("label_mismatch", "labels_out_of_range", ("non_finite",)),
    ("label_mismatch", "output_max", ("plateau", "underfitting")),
    ("unnormalized_input", "non_finite_inputs", ("non_finite",)),
    # Huge inputs saturate or blow up the first layers; tiny ones starve their gradients.
    ("unnormalized_input", "max_input_scale", ("exploding_gradient", "non_finite", "saturation",
                                              "dead_relu", "oscillation")),
    ("unnormalized_input", "moderate_input_scale", ("exploding_gradient", "non_finite", "saturation",
                                                   "dead_relu", "oscillation", "underfitting")),
    ("unnormalized_input", "min_input_scale", ("vanishing_gradient", "plateau", "underfitting")),
    ("suspicious_config", "stable_max", ("exploding_gradient", "oscillation", "non_finite")),
    ("suspicious_config", "stable_min", ("plateau", "underfitting")),
)

# Behavioural findings that only restate a setup cause: (cause kind, the cause's evidence key, the
# evidence key of the restatement). A stall at the lowest loss a bounded output allows
# (`diagnostics.stall`, evidence `output_floor`) is the targets outside that output's range that
# the label check already named; one message per cause.
RESTATED = (("label_mismatch", "output_max", "output_floor"),)


def check_setup(model, x=None, y=None, validation_data=None):
    """Checks a model, its loss and optimizer, and its data before training.

    Args:
        model: a `keras.Model`, compiled or not (losses and optimizer are judged once compiled).
        x: training inputs as `fit` takes them (an array, or a list/dict of arrays per model
            input), or None. Not a dataset: pass its first batches as arrays.
        y: training targets (an array, or a list/dict per model output), or None.
        validation_data: `(x_val,)`, `(x_val, y_val)` or `(x_val, y_val, sample_weight)`, or
            None.

    Returns:
        A list of `diagnostics.Finding`s of kinds `output_loss_mismatch`, `label_mismatch`,
        `unnormalized_input` and `suspicious_config`, at epoch 0; one per cause.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    >>> check_setup(model, x=np.array([[0.1, 0.5], [0.3, -0.2]]))
    []
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model. Received: model={type(model).__name__}")
    for name, value in (("x", x), ("y", y)):
        if hasattr(value, "element_spec"):
            raise TypeError(f"`{name}` must be arrays, not a dataset: pass a few batches "
                            f"(np.concatenate over dataset.take(8)). Received: {name}={value!r}")
    if validation_data is not None and not (
        isinstance(validation_data, (tuple, list)) and len(validation_data) in (1, 2, 3)
    ):
        raise ValueError(
            "`validation_data` must be (x_val,), (x_val, y_val) or (x_val, y_val, sample_weight). "
            f"Received: validation_data={type(validation_data).__name__}"
        )
    inputs, outputs = setup_model.describe_model(model)
    x_val = None if validation_data is None else validation_data[0]
    return setup_model.check_model(model) + check_data(inputs, outputs, x, y, x_val)


def check_data(inputs, outputs, x=None, y=None, x_val=None, class_counts=None,
               first_loss_over_chance=None):
    """The data checks of `check_setup`, on rows already in hand.

    Args:
        inputs, outputs: the model's `InputSetup`s and `OutputSetup`s (`describe_model`).
        x, y, x_val: training inputs, targets and validation inputs, as `fit` takes them, or None.
        class_counts: label counts per class over many rows (single-output models), or None.
        first_loss_over_chance: the first epoch's training loss over the chance loss, once
            trained (moderately large inputs are judged only with it), or None.

    Returns:
        A list of `Finding`s.
    """
    findings = []
    train_arrays = per_slot(x, [setup.name for setup in inputs], "x")
    validation_arrays = None if x_val is None else per_slot(
        x_val, [setup.name for setup in inputs], "validation_data")
    if x is not None:
        findings += setup_data.check_inputs(
            inputs, [_spread_rows(a) for a in train_arrays],
            None if validation_arrays is None else [_spread_rows(a) for a in validation_arrays],
            first_loss_over_chance)
    if y is not None:
        findings += setup_data.check_labels(outputs, per_slot(y, [o.name for o in outputs], "y"),
                                            class_counts)
    if x is not None and x_val is not None:  # every row: a shuffled copy shows in no sample
        findings += setup_data.check_validation_copy(train_arrays[0], validation_arrays[0])
    return findings


def per_slot(data, names, argument):
    """Arrays of `data` (one array, a list, or a dict by name) in the order of `names`.

    Raises:
        ValueError: when a list has another length than `names`.
    """
    if isinstance(data, dict):
        return [_as_array(data.get(name)) for name in names]
    if isinstance(data, (list, tuple)) and len(names) > 1:
        if len(data) != len(names):
            raise ValueError(f"`{argument}` must hold one array per model slot ({len(names)}). "
                             f"Received: {argument} with {len(data)} arrays")
        return [_as_array(item) for item in data]
    if isinstance(data, (list, tuple)) and len(data) == 1 and not np.isscalar(data[0]):
        data = data[0]
    return [_as_array(data)] + [None] * (len(names) - 1)


def lead_with_causes(findings):
    """Puts setup findings that explain behavioural findings first, and says so in the latter.

    Args:
        findings: a list of `diagnostics.Finding`s (from several monitors).

    Returns:
        A new list: the setup findings that explain another one first, then the others, each
        group in its order; a behavioural finding explained by one ends its message with
        "Explained by <kind> in layer <layer>: <its first sentence>". A finding that only
        restates a setup cause (`RESTATED`) is left out.

    Example:

    >>> from diagnostics.findings import Finding
    >>> plateau = Finding("plateau", "warning", 3, None, "Loss flat.")
    >>> cause = Finding("output_loss_mismatch", "error", 0, "out", "Softmax on one unit. More.",
    ...                 {"softmax_units": 1})
    >>> [f.kind for f in lead_with_causes([plateau, cause])]
    ['output_loss_mismatch', 'plateau']
    """
    restated = {restatement for kind, key, restatement in RESTATED
                for finding in findings if finding.kind == kind and key in finding.evidence}
    findings = [f for f in findings if not restated.intersection(f.evidence)]
    causes = [(finding, explained) for finding in findings for kind, key, explained in CAUSES
              if finding.kind == kind and key in finding.evidence]
    explained_by = {}  # id(behavioural finding) -> the setup finding that explains it
    for finding in findings:
        cause = next((cause for cause, kinds in causes if finding.kind in kinds), None)
        if cause is not None:
            explained_by[id(finding)] = cause
    leading = [f for f in findings if any(f is cause for cause in explained_by.values())]
    rest = []
    for finding in findings:
        if any(finding is cause for cause in leading):
            continue
        cause = explained_by.get(id(finding))
        if cause is not None:
            where = f" in layer {cause.layer!r}" if cause.layer else ""
            first_sentence = cause.message.split(". ")[0].rstrip(".")
            finding = dataclasses.replace(
                finding, message=f"{finding.message} Explained by {cause.kind}{where}: {first_sentence}."
            )
        rest.append(finding)
    return leading + rest


def _as_array(value):
    if value is None:
        return None
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _spread_rows(array):
    """At most `INPUT_SAMPLE_ROWS` rows of `array`, evenly spread over it."""
    if array is None or array.ndim == 0 or len(array) <= INPUT_SAMPLE_ROWS:
        return array
    return array[:: -(-len(array) // INPUT_SAMPLE_ROWS)]
