"""Held out (tenth split): `EarlyStopping` on the validation loss with `mode="max"`.

The fault. A user trains a digits MLP (`Dense(64, "relu")`, `Dense(10, "softmax")`, SGD(0.02),
up to 30 epochs) with `EarlyStopping(monitor="val_loss", mode="max", patience=2,
restore_best_weights=True)`, the `mode` copied from a callback that watched `val_accuracy`.
With `mode="max"` a falling validation loss counts as getting worse: the first epoch is the
"best", the next two are "no improvement", and training stops after three epochs while the
loss is still falling fast; then the weights of the first epoch are restored. The model ends
far from what it could reach. The run must show the fit stopped within 4 of its 30 epochs, the
validation loss still falling at the stop (the last epoch's at least 10% below the first's),
and the restored model's validation loss above half of chance.

Expected: `underfitting` (the model is left at a loss far above what it reaches when trained on).
Acceptable:
- `suspicious_config`: the cause is a callback's setting.

The healthy twin uses `mode="min"` (the fix). It must train well and generalize.
"""

import keras
import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 30
STOPPED_BY = 4
STILL_FALLING = 0.9
EARLY_STOP_SIDE_EFFECTS = ("suspicious_config",)


def _run(mode, seed):
    (x, y), val = data.digits(seed)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", mode=mode, patience=2,
                                         restore_best_weights=True)
    return Run(models.dense_stack(64, [64], "relu"), optimizers.SGD(0.02),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val,
               metrics=("accuracy",), callbacks=(stop,))


def stopped_while_improving(trained):
    """The fit ran at most `STOPPED_BY` epochs, its last validation loss is below
    `STILL_FALLING` times its first, and the model after `fit` (the restored weights) has a
    validation loss above half of chance."""
    val = trained.history["val_loss"]
    now = heldout8_parts.validation_loss_now(trained)
    chance = measure.label_entropy(np.asarray(trained.run.validation_data[1]))
    stopped = len(val) <= STOPPED_BY and val[-1] < STILL_FALLING * val[0]
    return stopped and now > 0.5 * chance, \
        f"{len(val)} epochs; val loss {val[0]:.3f} -> {val[-1]:.3f}; after fit {now:.3f} (chance {chance:.3f})"


@scenario("mlp", expected=("underfitting",), acceptable=EARLY_STOP_SIDE_EFFECTS, heldout=True,
          verify=stopped_while_improving)
def heldout10_mlp_early_stopping_val_loss_mode_max(seed):
    return _run("max", seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout10_healthy_mlp_early_stopping_val_loss_mode_min(seed):
    return _run("min", seed)
