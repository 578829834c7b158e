"""Held out (second split): a CNN memorizes digit labels that were shuffled apart from the images.

The fault. A data-loading bug shuffles the label array on its own (`rng.permutation(y)`), so each
8x8 digit image carries the label of another, random image; validation labels are shuffled the
same way. Nothing in an image predicts its label. A Conv2D classifier with a wide dense head,
trained long enough (25 epochs), memorizes the training pairs (the training loss falls far below
chance) while the validation loss, which can never fall below chance, rises as the model grows
confident on noise. The run must show a training loss below half of chance and a validation loss
that ends 10% or more above its minimum while the training loss sits below that minimum.

Expected: `overfitting` (what the run shows: a training fit that does not carry to validation;
nothing in the vocabulary names "labels unrelated to the inputs" better). Acceptable:
`plateau` and `underfitting` (the loss sits at chance for the first epochs before memorizing
starts), `label_mismatch` (labels that do not match their inputs names the true data bug).

The healthy twin keeps each label with its image (the fix), and trains for 4 epochs, where its
validation loss is still falling: a model wide enough to memorize noise overfits correct labels
soon after (its validation loss ended 5% to 50% above its minimum at 25 epochs, and 25% above at
6 epochs at one seed of 0-2, measured), which is a fault of its own, not a healthy twin. It must
train well and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

MEMORIZED_SIDE_EFFECTS = ("plateau", "underfitting", "label_mismatch")
EPOCHS = 25
HEALTHY_EPOCHS = 4


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
    return Run(_cnn(), optimizers.Adam(2e-3), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=(x_val, y_val))


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_cnn_on_digit_labels(seed):
    (x, y), val = data.digits(seed, image=True)
    return Run(_cnn(), optimizers.Adam(2e-3), "sparse_categorical_crossentropy", x, y,
               epochs=HEALTHY_EPOCHS, validation_data=val)
