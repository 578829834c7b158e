"""Held out (tenth split): `activity_regularizer=l1(1.0)` on every convolution of a CNN.

The fault. A user wants sparse feature maps in a digits CNN (`Conv2D(32, 3, "same", "relu")`,
`MaxPooling2D`, `Conv2D(32, 3, "same", "relu")`, `Flatten`, `Dense(10, "softmax")`, Adam(1e-3))
and adds `activity_regularizer=keras.regularizers.l1(1.0)` to both convolutions, a factor
copied from a kernel-penalty example. An activity penalty charges the sum of |activation| over
every position and filter of a sample (2,048 values in the first layer), so a factor of 1 makes
any activation far more expensive than the few nats the classification loss can save. The
fastest way down is to switch the feature maps off: the biases go negative, the ReLUs output 0
on every input, and the head sees almost nothing. The run must show at least half of the first
convolution's units (filter and position) zero on every measured sample, and a final
training loss above half of chance.

Expected: `underfitting` (the model does not fit the training labels).
Acceptable:
- `dead_relu`: the penalty switches the ReLU units off on every input;
- `suspicious_config`: the cause is a setting, a regularization factor;
- `plateau`: the loss stops moving once the maps are off.

The healthy twin uses `l1(1e-5)` (the fix: a factor on the scale of a summed activation). It
must train well and generalize.
"""

import keras
from keras import layers, optimizers, regularizers

from benchmarks.accuracy import data, heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 12
ACTIVITY_PENALTY_SIDE_EFFECTS = ("dead_relu", "suspicious_config", "plateau")


def _run(factor, seed):
    (x, y), val = data.digits(seed, image=True)
    conv = dict(padding="same", activation="relu")
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(32, 3, activity_regularizer=regularizers.l1(factor), **conv),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activity_regularizer=regularizers.l1(factor), **conv),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               validation_data=val, metrics=("accuracy",))


def first_conv_off(trained):
    """At least half of the first convolution's output units are 0 on every measured sample, and
    the final training loss is above half of chance."""
    run = trained.run
    outputs = keras.Model(run.model.inputs[0], run.model.layers[0].output)(measure.inputs_of(run.x))
    dead = float((outputs.numpy().reshape(len(outputs), -1).max(0) <= 0).mean())
    ratio = trained.history["loss"][-1] / measure.chance_loss(run)
    return dead >= measure.DEAD_SHARE and ratio > measure.FAILING_LOSS_SHARE, \
        f"first conv units off on every sample {dead:.2f}; final loss / chance {ratio:.2f}"


@scenario("cnn", expected=("underfitting",), acceptable=ACTIVITY_PENALTY_SIDE_EFFECTS, heldout=True,
          verify=first_conv_off)
def heldout10_cnn_activity_regularizer_l1_1_on_convs(seed):
    return _run(1.0, seed)


@scenario("cnn", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout10_healthy_cnn_activity_regularizer_l1_1e_5_on_convs(seed):
    return _run(1e-5, seed)
