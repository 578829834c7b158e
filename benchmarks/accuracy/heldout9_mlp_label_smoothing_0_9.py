"""Held out (ninth split): `CategoricalCrossentropy(label_smoothing=0.9)`.

The fault. A user wants "90% confident" targets for a digits MLP (two `Dense(64, "relu")`
layers, softmax head, one-hot labels, Adam(1e-3)) and writes
`keras.losses.CategoricalCrossentropy(label_smoothing=0.9)`. Keras mixes each one-hot row with
the uniform distribution by that share: the target becomes 0.19 for the true class and 0.09 for
each of the nine others, almost uniform. The best the model can do is to predict that target,
whose cross-entropy is 2.27 nats against a chance loss of 2.30: the loss starts at chance and
can only fall by about 1% of it, so the curve looks as if nothing is learned, while the argmax
still ranks the true class first; the probabilities the model outputs are useless as
confidences (top probability near 0.18). The run must show a validation accuracy of at least
0.85, a mean top probability on the validation set below 0.3, and a final training loss above
0.9 of chance.

Expected: `suspicious_config` (the cause is one setup value, the smoothing share, and the
diagnosis must point at it).
Acceptable:
- `underfitting`: the loss stays near chance and the outputs stay near uniform, which is what
  underfitting looks like;
- `plateau`: the loss barely moves after the first epoch.

The healthy twin uses `label_smoothing=0.1` (the fix). It must train well (its loss floor, the
entropy of the smoothed target, is 0.5 nats, under half of chance) and generalize.
"""

import numpy as np
from keras import losses, optimizers

from benchmarks.accuracy import data, heldout8_parts, heldout9_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
ACCURATE = 0.85
UNDERCONFIDENT = 0.3
NEAR_CHANCE = 0.9
SMOOTHING_SIDE_EFFECTS = ("underfitting", "plateau")


def _run(smoothing, seed):
    (x, y), val = heldout8_parts.one_hot(data.digits(seed))
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.Adam(1e-3), losses.CategoricalCrossentropy(label_smoothing=smoothing),
               x, y, epochs=EPOCHS, validation_data=val, metrics=("accuracy",))


def accurate_but_near_uniform(trained):
    """Validation accuracy at least `ACCURATE`, mean top probability below `UNDERCONFIDENT`, and
    a final training loss above `NEAR_CHANCE` of chance."""
    accuracy = heldout9_parts.validation_accuracy(trained)
    top = float(np.mean(np.asarray(trained.run.model(trained.run.validation_data[0])).max(-1)))
    ratio = trained.history["loss"][-1] / measure.chance_loss(trained.run)
    return accuracy >= ACCURATE and top < UNDERCONFIDENT and ratio > NEAR_CHANCE, \
        f"validation accuracy {accuracy:.3f}, mean top probability {top:.3f}, final loss / chance {ratio:.3f}"


@scenario("mlp", expected=("suspicious_config",), acceptable=SMOOTHING_SIDE_EFFECTS, heldout=True,
          verify=accurate_but_near_uniform)
def heldout9_mlp_label_smoothing_0_9(seed):
    return _run(0.9, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout9_healthy_mlp_label_smoothing_0_1(seed):
    return _run(0.1, seed)
