"""Held out (eighth split): `ReduceLROnPlateau(monitor="loss", factor=0.01, patience=0, min_lr=0)`.

The fault. A user adds `keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.01,
patience=0, min_lr=0)` to a digits MLP (two `Dense(64, "relu")` layers) trained with
`SGD(learning_rate=0.1, momentum=0.9)`, misreading a recipe's `factor=0.1, patience=10`. With
patience 0, the first epoch whose training loss does not improve (SGD with momentum at this
rate has such noisy epochs within the first ten) divides the learning rate by 100, and so does
every following epoch, since a model that no longer moves does not improve either: the rate
falls to 1e-5 and then towards 0 within a few epochs, and the training loss freezes wherever
it was, often above the best it had already reached. The run must show a final learning rate
below 1e-4 of the initial one and a training loss that does not move (within 0.1%) over the
last 5 epochs.

Expected: `plateau` (the loss stops moving because the step has collapsed to zero).
Acceptable:
- `underfitting`: frozen early, the model stays short of what it can fit;
- `suspicious_config`: the cause is a setup value, the callback's factor and patience.

The healthy twin uses `factor=0.5, patience=5` (the fix). It must train well: both losses end
below half of chance. (Its validation loss bounces by up to 2x from epoch to epoch, the noise of
SGD at 0.1 with momentum that also triggers the fault, so it is not asked to end at its
minimum.)
"""

import numpy as np
from keras import callbacks, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 20
LEARNING_RATE = 0.1
# A rate 1e4 times smaller than the initial one moves nothing in the epochs left.
COLLAPSED_SHARE = 1e-4
FROZEN_EPOCHS = 5
FROZEN_CHANGE = 1e-3
COLLAPSED_RATE_SIDE_EFFECTS = ("underfitting", "suspicious_config")


def _run(factor, patience, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64, 64], "relu")
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=factor, patience=patience, min_lr=0)
    return Run(model, optimizers.SGD(learning_rate=LEARNING_RATE, momentum=0.9),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val,
               callbacks=(reduce,))


def rate_collapses_and_loss_freezes(trained):
    """The final learning rate is below `COLLAPSED_SHARE` of the initial one, and the training
    loss moves by less than `FROZEN_CHANGE` (relative) over the last `FROZEN_EPOCHS` epochs."""
    rate = float(np.asarray(trained.run.optimizer.learning_rate))
    tail = np.asarray(trained.history["loss"][-FROZEN_EPOCHS:], dtype="float64")
    change = float((tail.max() - tail.min()) / tail.mean())
    best, last = min(trained.history["loss"]), tail[-1]
    return rate < COLLAPSED_SHARE * LEARNING_RATE and change < FROZEN_CHANGE, \
        f"final learning rate {rate:.1e}, last {FROZEN_EPOCHS} epochs move {change:.1e}, " \
        f"final loss {last:.3f} (best {best:.3f})"


@scenario("mlp", expected=("plateau",), acceptable=COLLAPSED_RATE_SIDE_EFFECTS, heldout=True,
          verify=rate_collapses_and_loss_freezes)
def heldout8_mlp_reduce_lr_on_plateau_factor_0_01_patience_0(seed):
    return _run(0.01, 0, seed)


@scenario("mlp", heldout=True, verify=measure.trains_and_validates_well())
def heldout8_healthy_mlp_reduce_lr_on_plateau_factor_0_5_patience_5(seed):
    return _run(0.5, 5, seed)
