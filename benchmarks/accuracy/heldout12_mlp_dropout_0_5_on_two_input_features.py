"""Held out (twelfth split): `Dropout(0.5)` on the two input features of a small table.

The fault. A user separates two noisy concentric circles (2-D points, `make_circles`) with an MLP
(`Dense(32, "relu")` twice, softmax head, Adam(3e-3), 12 epochs) and, following a "dropout on
the inputs regularizes" recipe made for hundreds of pixels, puts `Dropout(0.5)` right after the
input. With only two features, each coordinate is zeroed half the time and doubled otherwise:
in half the training rows one coordinate is missing and in a quarter both are, and a point on
the ring and one in the disc become the same training input, so even the best model is wrong on
a large share of its training rows. Worse, the network learns for
inputs that are either doubled or missing, and in inference, where both coordinates come in at
their own size, it meets inputs it never saw: it classifies the validation points barely better
than a coin, and its training rows no better. The run must show a final training loss above 0.4
of chance (the twin ends near 0) and an inference-mode accuracy below 0.65 on the training rows
and on the validation rows.

Expected: `underfitting` (the model fits neither its training rows nor the rest).
Acceptable:
- `overfitting`: the validation loss rises while the training loss falls, which is how the
  mismatch between dropped and whole inputs shows in the curves;
- `plateau`: the training loss stays near its early value.

The healthy twin has no input dropout (the fix). It must reach 0.9 validation accuracy and
generalize.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import heldout11_mlp_leaky_relu_slope_1, heldout11_parts, heldout12_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

POOR_ACCURACY = 0.65
HIGH_LOSS_SHARE = 0.4
DROPPED_FEATURE_SIDE_EFFECTS = ("overfitting", "plateau")


def _run(input_dropout, seed):
    (x, y), val = heldout11_mlp_leaky_relu_slope_1.circles(seed)
    first = [layers.Dropout(input_dropout)] if input_dropout else []
    model = keras.Sequential([keras.Input((2,)), *first, layers.Dense(32, activation="relu"),
                              layers.Dense(32, activation="relu"), layers.Dense(2, activation="softmax")])
    return Run(model, optimizers.Adam(3e-3), "sparse_categorical_crossentropy", x, y, epochs=12,
               validation_data=val, metrics=("accuracy",))


def fits_no_rows(trained):
    """The final training loss is above `HIGH_LOSS_SHARE` of chance, and the model in inference
    mode classifies fewer than `POOR_ACCURACY` of the training rows right."""
    run = trained.run
    share = trained.history["loss"][-1] / measure.chance_loss(run)
    accuracy = heldout12_parts.accuracy_on(run.model, run.x, run.y)
    return share > HIGH_LOSS_SHARE and accuracy < POOR_ACCURACY, \
        f"final loss / chance {share:.2f}, training accuracy in inference {accuracy:.3f}"


@scenario("mlp", expected=("underfitting",), acceptable=DROPPED_FEATURE_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(fits_no_rows, heldout11_parts.less_accurate_than(POOR_ACCURACY)))
def heldout12_mlp_dropout_0_5_on_two_input_features(seed):
    return _run(0.5, seed)


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_mlp_no_input_dropout_two_features(seed):
    return _run(0.0, seed)
