"""Held out (third split): features and labels shuffled in two `tf.data` pipelines, then zipped.

The fault. A user builds the input pipeline from two datasets, one of the digit images and one
of their labels, shuffles each (`x_ds.shuffle(n)`, `y_ds.shuffle(n)`) and zips them:
`tf.data.Dataset.zip((x_ds.shuffle(n), y_ds.shuffle(n)))`. Each pipeline draws its own order,
so each image is paired with a random label, and a new random one at every epoch. Nothing can
be learned: the training loss stays at chance (the model can only learn the class prior), while
the validation arrays, correctly paired, are predicted at chance too. The run must show, over one
pass of the pipeline, that 20% or fewer of the (image, label) pairs are the original pairs (about
10% by chance), and a training loss within 5% of chance at the end.

Expected: `label_mismatch` (the cause: the labels the model is trained on do not belong to
their inputs). Acceptable: `underfitting` and `plateau` (the loss that stays at chance is what
the unpaired labels make).

The healthy twin shuffles one dataset of (image, label) pairs (the fix). It must train well.
"""

import numpy as np
import tensorflow as tf
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

BATCH = 32
EPOCHS = 8
PAIRED_AT_MOST = 0.2
NEAR_CHANCE = 0.05
UNPAIRED_SIDE_EFFECTS = ("underfitting", "plateau")


def _unpaired(x, y, seed):
    shuffled_x = tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed)
    shuffled_y = tf.data.Dataset.from_tensor_slices(y).shuffle(len(y), seed=seed + 1)
    return tf.data.Dataset.zip((shuffled_x, shuffled_y)).batch(BATCH)


def _paired(x, y, seed):
    return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(BATCH)


def _run(pipeline, seed):
    (x, y), val = data.digits(seed)
    return Run(models.dense_stack(64, [64, 64], "relu"), optimizers.Adam(1e-3),
               "sparse_categorical_crossentropy", pipeline(x, y, seed), None, epochs=EPOCHS,
               validation_data=val)


def _pairs(dataset):
    """`(images, labels)` of one pass of a batched `(x, y)` dataset."""
    xs, ys = zip(*[(np.asarray(bx), np.asarray(by)) for bx, by in dataset])
    return np.concatenate(xs), np.concatenate(ys)


def _own_label_share(dataset):
    """Share of one pass's (image, label) pairs whose label is the image's own (every digit
    image, train and validation of any seed, with its shipped label), and the pass's labels."""
    (x, y), (x_val, y_val) = data.digits(0)
    truth = {row.tobytes(): label for row, label in zip(np.concatenate([x, x_val]),
                                                         np.concatenate([y, y_val]))}
    images, labels = _pairs(dataset)
    own = float(np.mean([truth[row.tobytes()] == label for row, label in zip(images, labels)]))
    return own, labels


def pairs_broken(trained):
    """Share of one pass's pairs whose label is the image's own, and the loss against chance."""
    own, labels = _own_label_share(trained.run.x)
    share = trained.history["loss"][-1] / measure.label_entropy(labels)
    holds = own <= PAIRED_AT_MOST and abs(share - 1) <= NEAR_CHANCE
    return holds, f"pairs with their own label {own:.2f}, final loss / chance {share:.2f}"


def paired_and_trains_well(trained):
    """Every pair intact, the final loss below half of chance, and the validation loss ending
    within 10% of its minimum."""
    own, labels = _own_label_share(trained.run.x)
    share = trained.history["loss"][-1] / measure.label_entropy(labels)
    val = trained.history["val_loss"]
    holds = own == 1.0 and share < 0.5 and val[-1] <= 1.1 * min(val)
    return holds, (f"pairs with their own label {own:.2f}, final loss / chance {share:.2f}, "
                   f"val loss {min(val):.3f} -> {val[-1]:.3f}")


@scenario("mlp", expected=("label_mismatch",), acceptable=UNPAIRED_SIDE_EFFECTS, heldout=True,
          verify=pairs_broken)
def heldout3_tfdata_features_and_labels_shuffled_apart(seed):
    return _run(_unpaired, seed)


@scenario("mlp", heldout=True, verify=paired_and_trains_well)
def heldout3_healthy_tfdata_pairs_shuffled_together(seed):
    return _run(_paired, seed)
