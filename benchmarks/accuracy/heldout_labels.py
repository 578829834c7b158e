"""Held out: a preprocessing line that scales the labels with the pixels.

The fault. A user loads 8-bit images and their labels as one uint8 table, and normalizes
"the data" in one line: `x, y = x / 255.0, y / 255.0`. The labels become 0 to 0.035; the sparse
cross-entropy casts them to integers, and every label is class 0, in training and validation.
The CNN (convolutions, pooling, a dense head) learns to answer 0 at once; nothing it could learn
about the digits shows. The run must show one class in the training labels as the loss takes
them. Expected: `label_mismatch` (the labels are not class indices); the one-class imbalance it
creates is a consequence (`class_imbalance` acceptable, and it should be explained by the label
mismatch, not lead).
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

RAW_PIXEL_SCALE = 16.0  # digits are stored as 0-16; times 16 gives the 0-255 bytes of a file
ONE_CLASS_SIDE_EFFECTS = ("class_imbalance", "underfitting", "plateau", "overfitting")


@scenario("cnn", expected=("label_mismatch",), acceptable=ONE_CLASS_SIDE_EFFECTS, heldout=True,
          verify=measure.fact(lambda run: len(np.unique(np.asarray(run.y).astype("int64"))) == 1,
                              "labels / 255 truncate to class 0"))
def heldout_cnn_pooling_labels_scaled_with_pixels(seed):
    (x, y), (x_val, y_val) = data.digits(seed, scale=RAW_PIXEL_SCALE, image=True)
    x, y = x / 255.0, y / 255.0
    x_val, y_val = x_val / 255.0, y_val / 255.0
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(16, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(), layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(2e-3), "sparse_categorical_crossentropy", x, y, epochs=6,
               validation_data=(x_val, y_val))
