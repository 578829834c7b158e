"""Held out (fifth split): a `tf.data` pipeline over digits sorted by label, never shuffled.

The fault. A user's digits arrive sorted by label (as files exported class by class often are)
and go into `tf.data.Dataset.from_tensor_slices((x, y)).batch(32)` with no `.shuffle`; `fit`
does not shuffle a dataset, so every epoch feeds all the 0s, then all the 1s, ..., then the
9s, and almost every batch holds one class. A ReLU MLP under Adam(1e-2) learns whichever class
it is fed and forgets the others: each epoch ends on the 9s, and the model ends up calling the
validation digits 9 at a loss near chance. (With Adam at 1e-3 to 5e-3 the same order only slows
learning, to two to six times the twin's validation loss after 15 epochs.) The run must show most batches (70% or more) holding a single class, and at
the end 30% or more of the validation rows predicted as the last batch's class (three times its
share) with a validation loss above half of chance.

Expected: `suspicious_config` (the cause is the setup: a pipeline that feeds the classes in
order). Acceptable: `class_imbalance` (every batch is one class: each update sees a 100:0
split), `oscillation` (the loss jumps at each change of class as the model unlearns the last),
`overfitting` (the running training loss, measured on the class just learnt, sits far below the
validation loss: a real gap the order makes), `underfitting` (the validation loss it never gets
down).

The healthy twin adds `.shuffle(len(x))` before `.batch` (the fix). It must train well.
"""

import math

import numpy as np
import tensorflow as tf
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
LEARNING_RATE = 1e-2
BATCH = 32
# Most batches one class: the order, not chance (shuffled, a batch of 32 is never one class).
ONE_CLASS_BATCHES = 0.7
# Three times a class's true share (0.1) of the validation rows called the last class fed.
LAST_CLASS_SHARE = 0.3
ORDER_SIDE_EFFECTS = ("class_imbalance", "oscillation", "overfitting", "underfitting")


def _run(shuffle, seed):
    (x, y), val = data.digits(seed)
    order = np.argsort(y, kind="stable")
    dataset = tf.data.Dataset.from_tensor_slices((x[order], y[order]))
    if shuffle:
        dataset = dataset.shuffle(len(x))
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy",
               dataset.batch(BATCH), None, epochs=EPOCHS, batch_size=None, validation_data=val)


def _batch_labels(dataset):
    return [np.asarray(labels) for _, labels in dataset]


def last_class_takes_over(trained):
    """Share of single-class batches, share of validation rows predicted as the last batch's
    class, and the final validation loss against chance (the training labels' entropy)."""
    run = trained.run
    batches = _batch_labels(run.x)
    one_class = float(np.mean([len(np.unique(b)) == 1 for b in batches]))
    last_class = int(np.bincount(batches[-1]).argmax())
    x_val, _ = run.validation_data
    predicted = np.asarray(run.model.predict(x_val, verbose=0)).argmax(-1)
    taken = float(np.mean(predicted == last_class))
    ratio = trained.history["val_loss"][-1] / _chance(batches)
    holds = (one_class >= ONE_CLASS_BATCHES and taken >= LAST_CLASS_SHARE
             and ratio > measure.FAILING_LOSS_SHARE)
    return holds, (f"one-class batches {one_class:.2f}, validation rows called {last_class} "
                   f"{taken:.2f}, final val loss / chance {ratio:.2f}")


def _chance(batches):
    return measure.label_entropy(np.concatenate(batches))


def trains_well(trained):
    """Training and validation losses end below half of chance, and finite."""
    chance = _chance(_batch_labels(trained.run.x))
    train, val = measure.final_losses(trained)
    holds = math.isfinite(train) and max(train, val) < measure.FAILING_LOSS_SHARE * chance
    return holds, f"final loss / chance {train / chance:.2f}, val loss / chance {val / chance:.2f}"


@scenario("mlp", expected=("suspicious_config",), acceptable=ORDER_SIDE_EFFECTS, heldout=True,
          verify=last_class_takes_over)
def heldout5_mlp_tf_data_sorted_by_label_no_shuffle(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=trains_well)
def heldout5_healthy_mlp_tf_data_shuffled(seed):
    return _run(True, seed)
