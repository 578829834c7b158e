"""Held out (eighth split): `Adam(learning_rate=1e-3, epsilon=1.0)`, an epsilon from another recipe.

The fault. A user copies `epsilon=1.0` from an Inception training recipe (where it was tuned
for a different optimizer and loss scale) into `keras.optimizers.Adam(learning_rate=1e-3,
epsilon=1.0)` for a digits MLP (two `Dense(64, "relu")` layers). Adam's step is
`lr * m / (sqrt(v) + epsilon)`; the gradients of this model are around 1e-2 per weight, so
`sqrt(v)` is far below 1 and the step becomes about `lr * m`, 1e-5 per step instead of 1e-3:
plain SGD at a learning rate of 1e-3. The loss creeps down and, after 15 epochs, is still near
chance. The run must show a final training loss above half of chance.

Expected: `underfitting` (the model barely learns: its loss stays near chance).
Acceptable:
- `plateau`: a loss that creeps down by a few percent an epoch looks flat;
- `suspicious_config`: the cause is a setup value, an epsilon of 1.0.

The healthy twin uses Adam's default epsilon (1e-7; the fix). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
TINY_STEP_SIDE_EFFECTS = ("plateau", "suspicious_config")


def _run(optimizer, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizer, "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               validation_data=val)


@scenario("mlp", expected=("underfitting",), acceptable=TINY_STEP_SIDE_EFFECTS, heldout=True,
          verify=measure.fails_to_learn())
def heldout8_mlp_adam_epsilon_1(seed):
    return _run(optimizers.Adam(learning_rate=1e-3, epsilon=1.0), seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout8_healthy_mlp_adam_default_epsilon(seed):
    return _run(optimizers.Adam(learning_rate=1e-3), seed)
