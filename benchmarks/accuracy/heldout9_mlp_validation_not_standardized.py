"""Held out (ninth split): training features standardized, validation features left raw.

The fault. A user classifies the breast-cancer table (30 features on scales from 1e-3 to 4e3)
with an MLP (`Dense(32, "relu")`, `Dense(1, "sigmoid")`, binary cross-entropy, Adam(1e-3)). They
standardize the training features with the training mean and spread, as the tutorial says, but
pass `validation_data=(x_val, y_val)` with the raw validation features: the scaler was applied
to one array and not the other. The model learns well on what it is trained on; on the
validation set every feature is tens to thousands of standard deviations from where the model
has seen it, its outputs saturate at 0 or 1 and the validation loss is many times the training
loss from the first epoch on, and grows as the weights grow. The run must show validation
features whose mean absolute value is over 30 times the training features' (about 80), and a final
validation loss at least 5 times the training loss.

Expected: `unnormalized_input` (the inputs the model is validated on are on raw scales, far
from the standardized ones it was trained on).
Acceptable:
- `overfitting`: the validation loss is far above the training loss and rises while the
  training loss falls, which is what overfitting looks like.

The healthy twin standardizes the validation features with the training mean and spread (the
fix). It must train well and generalize.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 20
SCALE_GAP = 30.0
LOSS_GAP = 5.0
RAW_VALIDATION_SIDE_EFFECTS = ("overfitting",)


def _run(standardize_validation, seed):
    (x, y), (x_val, y_val) = data.raw("breast_cancer", seed)
    mean, std = x.mean(0), x.std(0) + 1e-7
    x = (x - mean) / std
    if standardize_validation:
        x_val = (x_val - mean) / std
    model = models.dense_stack(30, [32], "relu", output_units=1, output_activation="sigmoid")
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x, y, epochs=EPOCHS,
               validation_data=(x_val, y_val), metrics=("accuracy",))


def validation_on_another_scale(trained):
    """The validation features' mean |value| is `SCALE_GAP` times the training features', and the
    final validation loss is `LOSS_GAP` times the training loss."""
    run = trained.run
    scale = float(np.mean(np.abs(run.validation_data[0])) / np.mean(np.abs(run.x)))
    train, val = measure.final_losses(trained)
    return scale > SCALE_GAP and val > LOSS_GAP * train, \
        f"validation / training feature scale {scale:.0f}; train loss {train:.3f}, val loss {val:.3f}"


@scenario("mlp", expected=("unnormalized_input",), acceptable=RAW_VALIDATION_SIDE_EFFECTS,
          heldout=True, verify=validation_on_another_scale)
def heldout9_mlp_validation_features_not_standardized(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout9_healthy_mlp_validation_features_standardized(seed):
    return _run(True, seed)
