"""Catch the bug before the first epoch: `check_setup`.

`check_setup(model, x, y, validation_data)` runs every setup check on a model and (optionally)
its data, before `fit`: the structural ones of `diagnostics.setup_model` and the data ones of
`diagnostics.setup_data`. `callbacks.SetupMonitor` runs the same checks during `fit`.

Which behaviour each setup cause explains (zero gradients from a one-unit softmax, NaN from a
ReLU output under cross-entropy, a plateau from labels divided by 255) is `diagnostics.judge`'s
relation table.

Example:

>>> import keras, numpy as np
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax",
...                                                                 name="out")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy")
>>> x, y = np.random.default_rng(0).normal(size=(8, 4)), np.ones(8)
>>> [(f.kind, f.layer) for f in check_setup(model, x, y)]
[('output_loss_mismatch', 'out')]
"""

import numpy as np

from diagnostics import setup_data, setup_model
from diagnostics.findings import NEEDS_CONSEQUENCE
from diagnostics._arguments import Data, KerasModel, ValidationData
from zoo._validation import Optional, validate_arguments

# Rows of each input the input checks judge: extremes and moments over 10,000 rows spread over the
# data are as telling as over all, and their float64 copy stays small (63 MB of MNIST images).
INPUT_SAMPLE_ROWS = 10_000

# What each argument of `check_setup` must be: arrays, not datasets (the checks read rows).
_CONSTRAINTS = {
    "model": KerasModel(),
    "x": Data(streams=False),
    "y": Data(streams=False),
    "validation_data": Optional(ValidationData(lengths=(1, 2, 3), streams=False)),
}


@validate_arguments(_CONSTRAINTS)
def check_setup(model, x=None, y=None, validation_data=None):
    """Checks a model, its loss and optimizer, and its data before training.

    Args:
        model: a `keras.Model`, compiled or not (losses and optimizer are judged once compiled).
        x: training inputs as `fit` takes them (an array, or a list/dict of arrays per model
            input), or None. Not a dataset: pass its first batches as arrays.
        y: training targets (an array, or a list/dict per model output), or None.
        validation_data: `(x_val,)`, `(x_val, y_val)` or `(x_val, y_val, sample_weight)`, or
            None. Its inputs are compared with `x` (scale, copies), its targets with `y`
            (classes that only the validation data holds).

    Returns:
        A list of `diagnostics.Finding`s of kinds `output_loss_mismatch`, `label_mismatch`,
        `unnormalized_input` and `suspicious_config`, at epoch 0; one per cause.

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    >>> check_setup(model, x=np.array([[0.1, 0.5], [0.3, -0.2]]))
    []
    """
    inputs, outputs = setup_model.describe_model(model)
    x_val = None if validation_data is None else validation_data[0]
    y_val = None if validation_data is None or len(validation_data) < 2 else validation_data[1]
    findings = setup_model.check_model(model) + check_data(inputs, outputs, x, y, x_val, y_val=y_val)
    # Before training no consequence can confirm what stands only beside one (a moderate input scale).
    return [f for f in findings if not f.evidence.get(NEEDS_CONSEQUENCE)]


def check_data(inputs, outputs, x=None, y=None, x_val=None, class_counts=None,
               first_loss_over_chance=None, y_val=None, validation_class_counts=None):
    """The data checks of `check_setup`, on rows already in hand.

    Args:
        inputs, outputs: the model's `InputSetup`s and `OutputSetup`s (`describe_model`).
        x, y, x_val: training inputs, targets and validation inputs, as `fit` takes them, or None.
        class_counts: label counts per class over many rows (single-output models), or None.
        first_loss_over_chance: the first epoch's training loss over the chance loss, once
            trained (moderately large inputs are judged only with it), or None.
        y_val: validation targets, as `fit` takes them, or None.
        validation_class_counts: validation label counts per class (single-output models), or
            None.

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
    output_names = [o.name for o in outputs]
    labels = None if y is None else per_slot(y, output_names, "y")
    label_findings = [] if labels is None else setup_data.check_labels(outputs, labels, class_counts)
    findings += label_findings
    if labels is not None:
        findings += setup_data.check_class_targets_under_regression_loss(outputs, labels)
        findings += setup_data.check_target_scale(outputs, labels)
        findings += setup_data.check_broadcast_targets(outputs, labels)
    validation_labels = None if y_val is None else per_slot(y_val, output_names, "validation_data")
    if (labels is not None or class_counts is not None) and (
            validation_labels is not None or validation_class_counts is not None):
        # Labels already found wrong (one class, scaled) explain whatever validation holds.
        wrong = {finding.layer for finding in label_findings}
        keep = [i for i, output in enumerate(outputs) if output.layer not in wrong]
        findings += setup_data.check_validation_labels(
            [outputs[i] for i in keep],
            None if labels is None else [labels[i] for i in keep],
            None if validation_labels is None else [validation_labels[i] for i in keep],
            *((class_counts, validation_class_counts) if len(outputs) == 1 else (None, None)))
    if labels is not None and validation_labels is not None:
        findings += setup_data.check_validation_target_scale(outputs, labels, validation_labels)
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


def _as_array(value):
    if value is None:
        return None
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _spread_rows(array):
    """At most `INPUT_SAMPLE_ROWS` rows of `array`, evenly spread over it."""
    if array is None or array.ndim == 0 or len(array) <= INPUT_SAMPLE_ROWS:
        return array
    return array[:: -(-len(array) // INPUT_SAMPLE_ROWS)]
