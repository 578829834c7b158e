"""Held out (twelfth split): `BatchNormalization(momentum=0.999)` as the first layer on a raw
table.

The fault. A user classifies the breast-cancer table as shipped (30 features on scales from
1e-3 to 4e3) with `BatchNormalization(momentum=0.999)` as the first layer, "so that it
normalizes the inputs for me", then `Dense(32, "relu")` and `Dense(1, "sigmoid")`, binary
cross-entropy, Adam(1e-3), 20 epochs. The momentum comes from an ImageNet recipe with a million
steps. In training, the layer normalizes each batch by that batch's own statistics, and the
model learns well. In inference it uses its moving averages, which start at mean 0 and
variance 1 and keep 99.9% of their value at each step: after the run's ~280 steps they have
covered only about a quarter of the way to the data's statistics, so validation rows reach the
Dense layer far from where the training rows did (a mean left in, a spread divided by the wrong
amount). The validation loss is many times the training loss from the first epoch. The run
must show the layer's moving mean of the largest feature below half of that feature's mean in
the training data, and a final validation loss above 5 times the final training loss.

Expected: `unnormalized_input` (in inference the inputs pass the layer nearly raw, on scales up
to thousands).
Acceptable:
- `overfitting`: the validation loss sits far above the training loss and rises while it falls;
- `suspicious_config`: the normalization layer's momentum, far too slow for the run's steps,
  named as the cause.

The healthy twin uses `momentum=0.9` (the fix: moving averages that catch up within the run).
It must reach 0.9 validation accuracy and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout11_parts
from benchmarks.accuracy.scenario import Run, scenario

STALE_SHARE = 0.5
VAL_OVER_TRAIN = 5.0
STALE_STATISTICS_SIDE_EFFECTS = ("overfitting", "suspicious_config")


def _run(momentum, seed):
    (x, y), val = data.raw("breast_cancer", seed)
    model = keras.Sequential([keras.Input((x.shape[1],)), layers.BatchNormalization(momentum=momentum),
                              layers.Dense(32, activation="relu"), layers.Dense(1, activation="sigmoid")])
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x, y, epochs=20, validation_data=val,
               metrics=("accuracy",))


def moving_statistics_stale(trained):
    """The normalization layer's moving mean of the feature with the largest mean is below
    `STALE_SHARE` of that mean in the training data, and the final validation loss is above
    `VAL_OVER_TRAIN` times the final training loss."""
    run = trained.run
    feature_means = run.x.mean(0)
    largest = int(np.argmax(np.abs(feature_means)))
    moving = float(np.asarray(run.model.layers[0].moving_mean)[largest])
    share = moving / float(feature_means[largest])
    ratio = trained.history["val_loss"][-1] / trained.history["loss"][-1]
    return share < STALE_SHARE and ratio > VAL_OVER_TRAIN, \
        f"moving mean / data mean of the largest feature {share:.2f}, final val / train loss {ratio:.1f}"


@scenario("mlp", expected=("unnormalized_input",), acceptable=STALE_STATISTICS_SIDE_EFFECTS, heldout=True,
          verify=moving_statistics_stale)
def heldout12_mlp_batchnorm_momentum_0_999_first_layer_raw_table(seed):
    return _run(0.999, seed)


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_mlp_batchnorm_momentum_0_9_first_layer_raw_table(seed):
    return _run(0.9, seed)
