"""Held out (fourth split): a wide MLP memorizes an 80-row regression.

The fault. A user fits a `Dense(512)`-`Dense(512)` ReLU regressor with mean squared error and
`Adam(1e-3)` to 80 rows of scikit-learn `make_regression` (30 features, 10 of them informative,
noise 20; inputs and targets standardized with the training rows' statistics) for 150 epochs of
batches of 8 (1,500 steps; the description's 300 epochs of batches of 32 showed the same at
twice the time), with 200 held-out rows as validation data. 280,000 weights against 80 noisy
targets: the training loss falls to zero within a few dozen epochs, and Adam, whose steps keep
their size as the gradient shrinks, then goes on moving the weights along directions the 80 rows
do not constrain, so the validation loss, after its minimum, turns up. The run must show
(`measure.overfits`) the final validation loss 10% or more above its minimum while the training
loss ends below that minimum.

Expected: `overfitting` (the cause: capacity far beyond the data, no regularization).
Acceptable: none (a memorizing run is otherwise healthy: nothing else is a consequence).

The healthy twin adds an L2 penalty of 1e-4 on every kernel and stops after 10 epochs (the fix:
L2 with early stopping; `Run` carries no callbacks, so the stop is the epoch count at which the
validation loss of this recipe stops improving). It must train well.
"""

import keras
from keras import layers, optimizers, regularizers
from sklearn import datasets

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

TRAIN_ROWS = 80
VALIDATION_ROWS = 200
EPOCHS = 150
STOPPED_EPOCHS = 10
LEARNING_RATE = 1e-3
BATCH = 8
L2 = 1e-4


def _regression(seed):
    x, y = datasets.make_regression(n_samples=TRAIN_ROWS + VALIDATION_ROWS, n_features=30,
                                    n_informative=10, noise=20.0,
                                    random_state=seed)
    x, y = x.astype("float32"), y.astype("float32")
    x_train, y_train = x[:TRAIN_ROWS], y[:TRAIN_ROWS]
    mean, std = x_train.mean(0), x_train.std(0)
    y_mean, y_std = y_train.mean(), y_train.std()
    scaled = (x - mean) / std, (y - y_mean) / y_std
    return ((scaled[0][:TRAIN_ROWS], scaled[1][:TRAIN_ROWS]),
            (scaled[0][TRAIN_ROWS:], scaled[1][TRAIN_ROWS:]))


def _run(l2, epochs, seed):
    (x, y), val = _regression(seed)
    regularizer = regularizers.L2(l2) if l2 else None
    model = keras.Sequential([
        keras.Input((30,)),
        layers.Dense(512, activation="relu", kernel_regularizer=regularizer),
        layers.Dense(512, activation="relu", kernel_regularizer=regularizer),
        layers.Dense(1, kernel_regularizer=regularizer),
    ])
    return Run(model, optimizers.Adam(LEARNING_RATE), "mse", x, y, epochs=epochs,
               validation_data=val, batch_size=BATCH)


@scenario("mlp", expected=("overfitting",), heldout=True, verify=measure.overfits())
def heldout4_mlp_512x512_on_80_regression_rows(seed):
    return _run(None, EPOCHS, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_512x512_l2_early_stop(seed):
    return _run(L2, STOPPED_EPOCHS, seed)
