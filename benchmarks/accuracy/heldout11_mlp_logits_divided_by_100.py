"""Held out (eleventh split): a digits classifier whose logits are divided by 100 before the
softmax.

The fault. A user reads about temperature scaling and builds `Dense(64, "relu")`, `Dense(10)`,
`Lambda(lambda z: z / 100)`, `Softmax()` for the digits, trained with SGD(0.05) and sparse
categorical cross-entropy for 20 epochs; the temperature (meant to be fitted after training, on
held-out data, and near 1) is in the model while it learns. Every logit reaches the softmax
100 times smaller, so the outputs start and stay near uniform, and the gradient that flows back
into the network is 100 times smaller too: the head's weights would have to grow a hundredfold
before the predictions could sharpen, and at this rate they barely move. The run must show the
validation rows' largest probability below 0.2 on average (0.1 is uniform) and a final
training loss above 0.9 of chance.

Expected: `underfitting` (the loss stays near chance).
Acceptable:
- `plateau`: the loss is flat from the first epoch;
- `vanishing_gradient`: every layer's gradient is a hundredth of what it would be.

The healthy twin leaves the division out (the fix). It must train well and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

TEMPERATURE = 100.0
NEAR_UNIFORM = 0.2
NEAR_CHANCE = 0.9
COOLED_LOGITS_SIDE_EFFECTS = ("plateau", "vanishing_gradient")


def divide_by_temperature(logits):
    """The user's Lambda: the logits over `TEMPERATURE`."""
    return logits / TEMPERATURE


def _run(with_temperature, seed):
    (x, y), val = data.digits(seed)
    scaling = [layers.Lambda(divide_by_temperature)] if with_temperature else []
    model = keras.Sequential([keras.Input((64,)), layers.Dense(64, activation="relu"), layers.Dense(10),
                              *scaling, layers.Softmax()])
    return Run(model, optimizers.SGD(0.05), "sparse_categorical_crossentropy", x, y, epochs=20,
               validation_data=val, metrics=("accuracy",))


def predictions_stay_uniform(trained):
    """The validation rows' mean largest probability is below `NEAR_UNIFORM` and the final
    training loss is above `NEAR_CHANCE` of the chance loss."""
    x_val = trained.run.validation_data[0]
    largest = float(np.mean(np.max(np.asarray(trained.run.model(x_val)), axis=-1)))
    ratio = trained.history["loss"][-1] / measure.chance_loss(trained.run)
    return largest < NEAR_UNIFORM and ratio > NEAR_CHANCE, \
        f"mean largest probability {largest:.3f}, final loss / chance {ratio:.2f}"


@scenario("mlp", expected=("underfitting",), acceptable=COOLED_LOGITS_SIDE_EFFECTS, heldout=True,
          verify=predictions_stay_uniform)
def heldout11_mlp_logits_divided_by_100_before_softmax(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout11_healthy_mlp_logits_straight_into_softmax(seed):
    return _run(False, seed)
