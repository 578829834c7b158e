"""Held out (seventh split): a `keras.layers.Normalization()` first layer that is never adapted.

The fault. A user puts `keras.layers.Normalization()` in front of a tabular MLP, meaning it to
standardize the features, but never calls `adapt`. An un-adapted Normalization has mean 0 and
variance 1: it passes the raw values through unchanged. The features are on very different,
large scales (columns of `make_classification` multiplied by factors from 1 to 5,000 and
shifted by up to 20,000), so the first Dense layer's pre-activations reach tens of thousands,
the logits are huge and the relu units switch on or off by the columns' offsets, not by the
class signal. The run must show, at the end, the layer's mean still all 0 and variance all 1,
features whose spreads differ by more than 1,000x, and a training loss above half of chance.

Expected: `unnormalized_input` (the raw, unscaled features reach the first Dense layer).
Acceptable:
- `exploding_gradient`: the first layer's gradient scales with the raw inputs;
- `dead_relu`: shifted inputs of tens of thousands switch relu units off for good;
- `oscillation`: steps sized for unit-scale inputs overshoot on these;
- `underfitting`: the model cannot fit its training data at this scale;
- `suspicious_config`: the cause is a setup slip, a Normalization layer left un-adapted.

The healthy twin calls `normalization.adapt(x)` on the training features (the fix). It must
train well.
"""

import numpy as np
from keras import layers, optimizers
from sklearn import datasets

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.data import split
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 20
LEARNING_RATE = 1e-3
FEATURES = 12
CLASSES = 3
# Column scales from 1 to 5,000 (log-spaced) and shifts up to 20,000: raw sensor-like columns.
LARGEST_SCALE = 5000.0
LARGEST_SHIFT = 20000.0
# Spreads that differ by more than this factor are "very different scales".
SPREAD_RATIO = 1000.0
RAW_INPUT_SIDE_EFFECTS = ("exploding_gradient", "dead_relu", "oscillation", "underfitting",
                          "suspicious_config")


def scaled_features(seed):
    """`make_classification` with each column scaled by 1..5,000 and shifted."""
    x, y = datasets.make_classification(n_samples=1200, n_features=FEATURES, n_informative=6,
                                        n_redundant=2, n_classes=CLASSES, class_sep=1.5,
                                        random_state=seed)
    scales = np.logspace(0, np.log10(LARGEST_SCALE), FEATURES)
    shifts = np.linspace(0, LARGEST_SHIFT, FEATURES)
    x = x * scales + shifts
    return split(x.astype("float32"), y.astype("int64"), seed)


def _run(adapted, seed):
    (x, y), val = scaled_features(seed)
    normalization = layers.Normalization()
    if adapted:
        normalization.adapt(x)
    model = models.dense_stack(FEATURES, [64, 64], "relu", output_units=CLASSES,
                               first_layers=[normalization])
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def passes_raw_values(trained):
    """The Normalization layer is the identity (mean 0, variance 1) and the raw spreads differ
    by more than `SPREAD_RATIO`."""
    normalization = trained.run.model.layers[0]
    identity = (np.all(np.asarray(normalization.mean) == 0)
                and np.all(np.asarray(normalization.variance) == 1))
    spreads = np.asarray(trained.run.x).std(0)
    ratio = float(spreads.max() / spreads.min())
    return bool(identity) and ratio > SPREAD_RATIO, \
        f"normalization is identity: {bool(identity)}, spread ratio {ratio:.0f}"


@scenario("mlp", expected=("unnormalized_input",), acceptable=RAW_INPUT_SIDE_EFFECTS,
          heldout=True, verify=measure.all_of(passes_raw_values, measure.fails_to_learn()))
def heldout7_mlp_normalization_layer_not_adapted(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_mlp_normalization_layer_adapted(seed):
    return _run(True, seed)
