"""Held out: Adam at a learning rate meant for SGD, and the loss bounces.

The fault. A user switches a small tabular classifier (breast-cancer features, standardized; a
tanh MLP with a sigmoid output) from SGD to Adam and keeps SGD's learning rate of 1.0. Adam's
step is about the learning rate per weight whatever the gradient's size, so every step moves each
weight by ~1: the run overshoots the minimum again and again, and the epoch loss goes up and
down instead of settling. The run must show the epoch loss changing direction at 40% of the epochs
or more, by 10% of its size or more on average, and ending above half of the chance loss.
Expected: `oscillation`.
"""

from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

# Steps of ~1 per weight: tanh units pinned at +-1, weights that grow, a run that fails.
HIGH_LR_SIDE_EFFECTS = ("saturation", "exploding_gradient", "underfitting", "suspicious_config")


@scenario("mlp", expected=("oscillation",), acceptable=HIGH_LR_SIDE_EFFECTS, heldout=True,
          verify=measure.oscillates(min_turns=0.4, min_swing=0.1, above_chance=0.5))
def heldout_tabular_tanh_mlp_adam_lr_1(seed):
    (x, y), (x_val, y_val) = data.standardized("breast_cancer", seed)
    model = models.dense_stack(30, [32, 32], "tanh", output_units=1, output_activation="sigmoid")
    return Run(model, optimizers.Adam(1.0), "binary_crossentropy", x, y.astype("float32")[:, None],
               epochs=15, batch_size=16, validation_data=(x_val, y_val.astype("float32")[:, None]))
