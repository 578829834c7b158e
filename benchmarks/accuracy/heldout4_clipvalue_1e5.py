"""Held out (fourth split): gradient clipping that strangles every step.

The fault. A user adds `clipvalue=1e-5` to `SGD(learning_rate=0.05)` for a ReLU digits MLP
(perhaps meaning `clipnorm=1`, or copying a tiny value from elsewhere). Every gradient element is
cut to at most 1e-5 in size, so no weight moves by more than 5e-7 per step: over the whole run a
weight moves by at most about 2e-4, while the weights are of order 0.1. The loss barely leaves
chance. The run must show the largest change of any weight over the run below 1e-3 of the
largest weight, and a final training loss above 90% of chance.

Expected: `underfitting` (the cause as the run shows it: the model fits nothing, every step
capped). Acceptable: `suspicious_config` (the clip value named as the cause of that),
`plateau` (the flat loss it makes).

The healthy twin has no `clipvalue` (the fix). It must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 8
LEARNING_RATE = 0.05
CLIP_VALUE = 1e-5
# Weights that moved by a thousandth of their size have not been trained.
UNTRAINED_CHANGE = 1e-3
# A loss within 10% of chance: nothing learned.
NEAR_CHANCE = 0.9
STRANGLED_SIDE_EFFECTS = ("suspicious_config", "plateau")


def _run(clipvalue, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64, 64], "relu")
    optimizer = (optimizers.SGD(LEARNING_RATE, clipvalue=clipvalue) if clipvalue
                 else optimizers.SGD(LEARNING_RATE))
    return Run(model, optimizer, "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               validation_data=val)


def steps_strangled(trained):
    """Largest weight change over the run against the largest weight, and the loss against
    chance."""
    after = trained.run.model.get_weights()
    change = max(float(np.max(np.abs(a - b))) for a, b in zip(after, trained.initial_weights))
    largest = max(float(np.max(np.abs(w))) for w in trained.initial_weights)
    share = trained.history["loss"][-1] / measure.chance_loss(trained.run)
    holds = change < UNTRAINED_CHANGE * largest and share > NEAR_CHANCE
    return holds, (f"largest weight change / largest weight {change / largest:.1e}, "
                   f"final loss / chance {share:.2f}")


@scenario("mlp", expected=("underfitting",), acceptable=STRANGLED_SIDE_EFFECTS, heldout=True,
          verify=steps_strangled)
def heldout4_mlp_sgd_clipvalue_1e_5(seed):
    return _run(CLIP_VALUE, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_sgd_no_clipvalue(seed):
    return _run(None, seed)
