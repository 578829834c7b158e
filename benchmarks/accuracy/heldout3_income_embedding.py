"""Held out (third split): raw income-scale features beside an Embedding, no scaling.

The fault. A user builds a functional model with two inputs: three numeric columns of a loan
table (yearly income around 5e4, savings around 2e4, the loan asked for around 1e5, in currency
units) and a categorical region id through an `Embedding`. The two are concatenated and go
through a ReLU MLP to a default probability; nothing scales the numeric columns. The label
depends on how the numbers stand against their typical values (income and savings against
the loan) and on the region. A first-layer unit sees sums of ~1e4-1e5 that barely vary from row
to row relative to their size; its bias, which moves by ~1e-3 per Adam step, would need to
travel ~1e4 to centre it, so the units are on or off for nearly every row together and the
small differences that carry the label are drowned. The model cannot fit the data. The run must
show numeric inputs with a typical magnitude above 1e3 and a training loss above half of chance.

Expected: `unnormalized_input` (the cause: numeric features on a scale of 1e4-1e5 fed as they
are). Acceptable: `underfitting` and `plateau` (the model that cannot fit, the stalled loss),
`dead_relu` (units whose pre-activation is a large negative sum on every row are off for good),
`exploding_gradient` (the first kernel's gradient is proportional to inputs of 1e4-1e5),
`oscillation` (steps on huge pre-activations make the loss jump).

The healthy twin puts a `keras.layers.Normalization`, adapted on the training rows, on the
numeric input (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

ROWS = 1200
VALIDATION_ROWS = 400
REGIONS = 12
EPOCHS = 15
# Typical value and spread of each numeric column: income, savings, loan.
MEANS = np.array([5e4, 2e4, 1e5], dtype="float32")
SPREADS = np.array([1.5e4, 8e3, 3e4], dtype="float32")
LARGE_INPUT = 1e3
RAW_SCALE_SIDE_EFFECTS = ("underfitting", "plateau", "dead_relu", "exploding_gradient",
                          "oscillation")


def _loans(seed, rows):
    """`([numeric (rows, 3), region id (rows, 1)], default (rows,))`: the label is 1 when the
    loan is large against income and savings, shifted by the region's risk."""
    rng = np.random.default_rng(seed)
    standard = rng.normal(size=(rows, 3)).astype("float32")
    numeric = MEANS + SPREADS * standard
    region = rng.integers(0, REGIONS, size=(rows, 1))
    region_risk = np.linspace(-1.0, 1.0, REGIONS)[region[:, 0]]
    score = 1.5 * standard[:, 2] - standard[:, 0] - 0.7 * standard[:, 1] + region_risk
    return [numeric, region.astype("int64")], (score > 0).astype("float32")


def _model(normalize, numeric_rows):
    numeric = keras.Input((3,), name="numeric")
    region = keras.Input((1,), dtype="int64", name="region")
    tensor = numeric
    if normalize:
        normalization = layers.Normalization()
        normalization.adapt(numeric_rows)
        tensor = normalization(tensor)
    embedded = layers.Flatten()(layers.Embedding(REGIONS, 4)(region))
    tensor = layers.Concatenate()([tensor, embedded])
    tensor = layers.Dense(32, activation="relu")(tensor)
    tensor = layers.Dense(32, activation="relu")(tensor)
    outputs = layers.Dense(1, activation="sigmoid")(tensor)
    return keras.Model([numeric, region], outputs)


def _run(normalize, seed):
    x, y = _loans(seed, ROWS)
    x_val, y_val = _loans(seed + 10_000, VALIDATION_ROWS)
    return Run(_model(normalize, x[0]), optimizers.Adam(1e-3), "binary_crossentropy", x, y,
               epochs=EPOCHS, validation_data=(x_val, y_val))


def raw_scale_fails(trained):
    """Typical magnitude of the numeric inputs, and the final loss against chance."""
    run = trained.run
    magnitude = float(np.median(np.abs(run.x[0])))
    share = trained.history["loss"][-1] / measure.chance_loss(run)
    holds = magnitude > LARGE_INPUT and share > measure.FAILING_LOSS_SHARE
    return holds, f"median numeric input {magnitude:.0f}, final loss / chance {share:.2f}"


@scenario("two_input", expected=("unnormalized_input",), acceptable=RAW_SCALE_SIDE_EFFECTS,
          heldout=True, verify=raw_scale_fails)
def heldout3_raw_income_with_region_embedding(seed):
    return _run(False, seed)


@scenario("two_input", heldout=True,
          verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_normalized_income_with_region_embedding(seed):
    return _run(True, seed)
