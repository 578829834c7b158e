"""Pieces the twelfth held-out split shares: a small ReLU digits MLP, and the accuracy of a
model on any rows. Not a scenario module (it registers nothing, and `benchmarks.accuracy` does
not import it as one).
"""

import keras
import numpy as np
from keras import layers

from benchmarks.accuracy import heldout9_parts


def digits_mlp(first_layers=(), width=64):
    """`keras.Sequential`: 64 pixel inputs, `first_layers` (built by the caller), one
    `Dense(width, "relu")` and a 10-way softmax head."""
    return keras.Sequential([keras.Input((64,)), *first_layers, layers.Dense(width, activation="relu"),
                             layers.Dense(10, activation="softmax")])


def accuracy_on(model, x, labels):
    """The share of rows of `x` whose predicted class (`heldout9_parts.predicted_classes`, the
    model in inference mode) is their integer label."""
    return float(np.mean(heldout9_parts.predicted_classes(model, x) == np.asarray(labels).reshape(-1)))
