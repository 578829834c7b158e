"""Held out (sixth split): a `tf.data` pipeline that takes one batch and repeats it.

The fault. A user checks that a digits MLP (two hidden `Dense(64, "relu")` layers) can overfit
one batch, the usual sanity check, with `ds.batch(32).take(1).repeat()` and `steps_per_epoch=40`,
then starts the real training and forgets to take the `take(1)` out. Every step of every epoch
sees the same 32 images: the model memorizes them (training loss near 0) while the validation
loss, measured on the real distribution, bottoms out in the first epoch and stays far above
it (measured at seeds 0-2: validation loss 0.87 to 1.55 at the end, 6-15% above its minimum,
against training losses near 0.002; the twin ends near 0.15). (The benchmark's `Run` has no
`steps_per_epoch`; the pipeline ends with `.take(40)`, which gives `fit` the same 40 steps per
epoch.) The run must show every training step of an epoch on the same 32 rows, a final training
loss below 1% of chance (memorized), and a final validation loss at least 20 times the training
loss (not generalized).

Expected: `overfitting` (the model memorizes its one batch; the validation loss climbs).
Acceptable:
- `suspicious_config`: the cause is the setup, a pipeline that feeds one batch again and again;
- `class_imbalance`: one batch of 32 holds the ten classes unevenly, some 0 to 2 times;
- `label_mismatch`: validation classes the one batch never holds are never trained.

The healthy twin feeds the whole shuffled data, `ds.shuffle(len(x)).batch(32).repeat()` with
the same 40 steps per epoch (the fix). It must train well.
"""

import numpy as np
import tensorflow as tf
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

BATCH = 32
STEPS_PER_EPOCH = 40
EPOCHS = 10
# Memorized: the training loss below 1% of chance; not generalized: validation 20 times above.
MEMORIZED_SHARE = 0.01
GAP = 20
LEARNING_RATE = 1e-3
MEMORIZING_SIDE_EFFECTS = ("suspicious_config", "class_imbalance", "label_mismatch")


def one_batch_repeated(x, y):
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH).take(1).repeat()


def whole_data_shuffled(x, y):
    return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x)).batch(BATCH).repeat()


def _run(pipeline, seed):
    (x, y), val = data.digits(seed)
    dataset = pipeline(x, y).take(STEPS_PER_EPOCH)
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", dataset,
               None, epochs=EPOCHS, batch_size=None, validation_data=val)


def _epoch_rows(dataset):
    """The distinct training rows one epoch of the pipeline feeds, and all its labels."""
    images, labels = zip(*[(np.asarray(bx), np.asarray(by)) for bx, by in dataset])
    images = np.concatenate(images)
    return np.unique(images, axis=0), np.concatenate(labels)


def memorizes_one_batch(trained):
    """The distinct rows of one epoch, the final training loss against chance, and the final
    validation loss against the training loss."""
    rows, labels = _epoch_rows(trained.run.x)
    train, val = measure.final_losses(trained)
    memorized = train < MEMORIZED_SHARE * measure.label_entropy(labels)
    return len(rows) <= BATCH and memorized and val > GAP * train, \
        f"distinct rows per epoch {len(rows)}, final loss {train:.4f}, val loss {val:.3f}"


def trains_well(trained):
    """Training and validation losses end below half of chance (the labels one epoch feeds)."""
    _, labels = _epoch_rows(trained.run.x)
    chance = measure.label_entropy(labels)
    train, val = measure.final_losses(trained)
    generalizes, note = measure.generalizes()(trained)
    holds = max(train, val) < measure.FAILING_LOSS_SHARE * chance and generalizes
    return holds, (f"final loss / chance {train / chance:.2f}, "
                   f"val loss / chance {val / chance:.2f}; {note}")


@scenario("mlp", expected=("overfitting",), acceptable=MEMORIZING_SIDE_EFFECTS, heldout=True,
          verify=memorizes_one_batch)
def heldout6_mlp_tf_data_take_1_repeat(seed):
    return _run(one_batch_repeated, seed)


@scenario("mlp", heldout=True, verify=trains_well)
def heldout6_healthy_mlp_tf_data_shuffle_repeat(seed):
    return _run(whole_data_shuffled, seed)
