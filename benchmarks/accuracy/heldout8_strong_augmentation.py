"""Held out (eighth split): augmentation layers far too strong for 8x8 digits.

The fault. A user puts `RandomRotation(0.5)`, `RandomZoom(0.5)` and `RandomTranslation(0.4,
0.4)` at the start of a small CNN on 8x8 digits (the strengths of a tutorial on large photos).
A rotation factor of 0.5 turns an image by up to 180 degrees (a 6 becomes a 9), a zoom of 50%
and a shift of 40% of the side push most of an 8-pixel digit out of the frame. Each training
image is a different, mostly unrecognizable picture at every epoch: the model cannot fit its
training data, and what it learns transfers poorly to the clean validation images, so both
losses stay high. The run must show final training and validation losses both above half of
chance.

Expected: `underfitting` (the training task is too hard: the training loss stays high).
Acceptable:
- `plateau`: the training loss levels off early at a high value;
- `suspicious_config`: the cause is a setup value, augmentation strengths far beyond the image
  size.

The healthy twin drops the augmentation layers (the fix). It must train well.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
HARD_TASK_SIDE_EFFECTS = ("plateau", "suspicious_config")


def _run(augmentation, seed):
    (x, y), val = data.digits(seed, image=True)
    model = keras.Sequential([keras.Input((8, 8, 1)), *augmentation,
                              layers.Conv2D(16, 3, padding="same", activation="relu"),
                              layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(), layers.Flatten(),
                              layers.Dense(64, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val, metrics=("accuracy",))


def both_losses_high(trained):
    """The final training and validation losses both stay above half of chance."""
    chance = measure.chance_loss(trained.run)
    train, val = (loss / chance for loss in measure.final_losses(trained))
    return min(train, val) > measure.FAILING_LOSS_SHARE, \
        f"final loss / chance {train:.2f}, val loss / chance {val:.2f}"


@scenario("cnn", expected=("underfitting",), acceptable=HARD_TASK_SIDE_EFFECTS, heldout=True,
          verify=both_losses_high)
def heldout8_cnn_rotation_0_5_zoom_0_5_translation_0_4(seed):
    return _run([layers.RandomRotation(0.5, seed=seed), layers.RandomZoom(0.5, seed=seed),
                 layers.RandomTranslation(0.4, 0.4, seed=seed)], seed)


@scenario("cnn", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout8_healthy_cnn_no_augmentation(seed):
    return _run([], seed)
