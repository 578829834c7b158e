"""Held out (third split): `Dropout(0.9)` after every hidden layer of a small MLP.

The fault. A user reads "dropout rate" as the share of units to keep and writes `Dropout(0.9)`
after each of the two hidden `Dense(64, "relu")` layers of a digits classifier. In training,
each layer passes ~6 of its 64 units, scaled up 10x, a different 6 at every step: the next
layer sees mostly noise, and the model cannot fit even its training data. The validation loss
(no dropout at inference) stays high too, because the weights never learned a stable
representation. The run must show a training loss above half of chance and a validation loss
above a quarter of chance at the end (the healthy twin reaches ~0.05-0.1 of chance on both).

Expected: `underfitting` (what the run shows and what names the remedy class: a model that
cannot fit its training data, with too much regularization as its cause). Acceptable:
`suspicious_config` (the dropout rate itself), `plateau` (the training loss that stops high),
`oscillation` (the training loss is noisy from step to step with 90% of units dropped).

The healthy twin uses `Dropout(0.1)` (the fix). It must train well.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 12
HIGH_VALIDATION_SHARE = 0.25
DROPOUT_SIDE_EFFECTS = ("suspicious_config", "plateau", "oscillation")


def _run(rate, seed):
    (x, y), val = data.digits(seed)
    model = keras.Sequential([keras.Input((64,)),
                              layers.Dense(64, activation="relu"), layers.Dropout(rate),
                              layers.Dense(64, activation="relu"), layers.Dropout(rate),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def both_losses_high(trained):
    """Final training and validation loss against chance."""
    chance = measure.chance_loss(trained.run)
    train = trained.history["loss"][-1] / chance
    val = trained.history["val_loss"][-1] / chance
    holds = train > measure.FAILING_LOSS_SHARE and val > HIGH_VALIDATION_SHARE
    return holds, f"final loss / chance {train:.2f}, validation loss / chance {val:.2f}"


@scenario("mlp", expected=("underfitting",), acceptable=DROPOUT_SIDE_EFFECTS, heldout=True,
          verify=both_losses_high)
def heldout3_mlp_dropout_09(seed):
    return _run(0.9, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_mlp_dropout_01(seed):
    return _run(0.1, seed)
