"""Held out (second split): a CNN memorizes digit labels that were shuffled apart from the images.

The fault. A data-loading bug shuffles the label array on its own (`rng.permutation(y)`), so each
8x8 digit image carries the label of another, random image; validation labels are shuffled the
same way. Nothing in an image predicts its label. A Conv2D classifier with a wide dense head,
trained long enough, memorizes the training pairs (the training loss falls far below chance)
while the validation loss, which can never fall below chance, rises as the model grows confident
on noise. The run must show a training loss below half of chance and a validation loss that ends
10% or more above its minimum while the training loss sits below that minimum.

Expected: `overfitting` (what the run shows: a training fit that does not carry to validation;
nothing in the vocabulary names "labels unrelated to the inputs" better). Acceptable:
`plateau` and `underfitting` (the loss sits at chance for the first epochs before memorizing
starts), `label_mismatch` (labels that do not match their inputs names the true data bug).

Both runs decay the learning rate to zero over the run (`CosineDecay`), as long runs usually do.

The healthy twin keeps each label with its image (the fix). It must train well and generalize:
its validation accuracy ends at 90% or more and within one point of its best. (A classifier
trained to a training loss of ~0 grows more confident, and its validation loss creeps up by a few
hundredths while its accuracy holds; that creep is not the fault here.)
"""

import math

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

MEMORIZED_SIDE_EFFECTS = ("plateau", "underfitting", "label_mismatch")
EPOCHS = 25
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
GOOD_ACCURACY = 0.9
ACCURACY_HELD = 0.01


def _optimizer(samples):
    steps = EPOCHS * math.ceil(samples / BATCH_SIZE)
    return optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps))


def accuracy_generalizes(trained):
    """Validation accuracy ends at `GOOD_ACCURACY` or more, within `ACCURACY_HELD` of its best."""
    accuracy = trained.history["val_accuracy"]
    holds = accuracy[-1] >= GOOD_ACCURACY and accuracy[-1] >= max(accuracy) - ACCURACY_HELD
    return holds, f"val accuracy best {max(accuracy):.3f}, last {accuracy[-1]:.3f}"


def _cnn():
    return keras.Sequential([keras.Input((8, 8, 1)),
                             layers.Conv2D(32, 3, padding="same", activation="relu"),
                             layers.Conv2D(32, 3, padding="same", activation="relu"),
                             layers.Flatten(), layers.Dense(256, activation="relu"),
                             layers.Dense(10, activation="softmax")])


@scenario("cnn", expected=("overfitting",), acceptable=MEMORIZED_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(measure.trains_well(), measure.overfits()))
def heldout2_cnn_memorizes_shuffled_digit_labels(seed):
    (x, y), (x_val, y_val) = data.digits(seed, image=True)
    rng = np.random.default_rng(seed + 1000)
    y, y_val = rng.permutation(y), rng.permutation(y_val)
    return Run(_cnn(), _optimizer(len(x)), "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               batch_size=BATCH_SIZE, validation_data=(x_val, y_val), metrics=("accuracy",))


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), accuracy_generalizes))
def heldout2_healthy_cnn_on_digit_labels(seed):
    (x, y), val = data.digits(seed, image=True)
    return Run(_cnn(), _optimizer(len(x)), "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               batch_size=BATCH_SIZE, validation_data=val, metrics=("accuracy",))
