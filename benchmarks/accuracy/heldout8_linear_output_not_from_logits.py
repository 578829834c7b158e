"""Held out (eighth split): a linear `Dense(10)` output under `CategoricalCrossentropy()`.

The fault. A user ends a digits MLP (two `Dense(64, "relu")` layers) with a linear `Dense(10)`
(no activation) and compiles it with `keras.losses.CategoricalCrossentropy()`, whose
`from_logits=False` default says the outputs are probabilities. They are not: the raw scores
are negative as often as positive. Keras divides each row by its sum (which can be near 0 or
negative) and clips the result to [1e-7, 1 - 1e-7] before the logarithm, so negative scores
and rows whose sum changes sign give clipped, flat or wildly scaled terms, and the loss no
longer measures the fit. The run must show, at the end, that at least 10% of the outputs fed
to the probability loss are negative.

Expected: `output_loss_mismatch` (an unbounded output fed to a loss that expects
probabilities).
Acceptable:
- `underfitting`: what the mismatched loss lets the model learn stays poor;
- `plateau`: clipped terms have no gradient, so the loss can stall;
- `exploding_gradient`: dividing by a row sum near 0 gives huge gradients;
- `non_finite`: the same division can overflow.

The healthy twin uses `CategoricalCrossentropy(from_logits=True)` (the fix). It must train
well.
"""

import numpy as np
from keras import losses, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
# Probabilities are never negative; a tenth of the outputs below 0 is a loss fed raw scores.
NEGATIVE_SHARE = 0.1
RAW_SCORE_SIDE_EFFECTS = ("underfitting", "plateau", "exploding_gradient", "non_finite")


def _run(loss, seed):
    (x, y), val = heldout8_parts.one_hot(data.digits(seed))
    model = models.dense_stack(64, [64, 64], "relu", output_activation=None)
    return Run(model, optimizers.Adam(1e-3), loss, x, y, epochs=EPOCHS, validation_data=val,
               metrics=("accuracy",))


def negative_outputs(trained):
    """At least `NEGATIVE_SHARE` of the outputs on the measured rows are below 0."""
    outputs = np.asarray(trained.run.model(measure.inputs_of(trained.run.x)))
    share = float(np.mean(outputs < 0))
    return share >= NEGATIVE_SHARE, f"share of negative outputs {share:.2f}"


@scenario("mlp", expected=("output_loss_mismatch",), acceptable=RAW_SCORE_SIDE_EFFECTS,
          heldout=True, verify=negative_outputs)
def heldout8_mlp_linear_output_categorical_crossentropy(seed):
    return _run(losses.CategoricalCrossentropy(), seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout8_healthy_mlp_linear_output_from_logits(seed):
    return _run(losses.CategoricalCrossentropy(from_logits=True), seed)
