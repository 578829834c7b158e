"""Held out (thirteenth split): class weights keyed by one-based class numbers on a 19:1 table.

The fault. A user trains a ReLU MLP (two `Dense(32, "relu")` layers, one sigmoid output,
binary cross-entropy, Adam(1e-3), 15 epochs) on a binary table where only 5% of the rows are
positive (scikit-learn's `make_classification` with `weights=[0.95, 0.05]`, features
standardized). To make the rare class count they pass `class_weight={1: 1.0, 2: 19.0}`,
numbering the classes from 1 as their report does. Keras looks each row's label up in the dict
and gives a missing key the weight 1: label 0 is missing (weight 1), label 1 finds the weight
meant for the majority (1.0), and the key 2 matches no row. Every row counts once, exactly as
with no weights at all, and the model learns what a 19:1 table teaches: say "negative". The
run must show that the dict gives both labels that occur the same weight, and a validation
recall of the positive class below 0.35 (the twin finds 0.55 or more).

Expected: `class_imbalance` (the rare class is swamped; the weights meant to lift it apply to
no row).
Acceptable:
- `underfitting`: the loss is low, but the positives are fitted poorly; a reading of the
  per-class error as underfitting is a true consequence.

The healthy twin passes `class_weight={0: 1.0, 1: 19.0}` (the fix: keys that are the labels).
It must find at least 0.55 of the validation positives and not overfit.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import heldout13_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

SWAMPED_RECALL = 0.35
TWIN_RECALL = 0.55


def _run(class_weight, seed):
    (x, y), val = heldout13_parts.skewed_binary(seed)
    model = keras.Sequential([keras.Input((10,)), layers.Dense(32, activation="relu"),
                              layers.Dense(32, activation="relu"), layers.Dense(1, activation="sigmoid")])
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x, y, epochs=15,
               validation_data=val, metrics=("accuracy",), class_weight=class_weight)


def _recall(trained):
    x_val, y_val = trained.run.validation_data
    return heldout13_parts.positive_recall(trained.run.model, x_val, y_val)


def weights_never_apply(trained):
    """Every label that occurs in the training data gets the same weight from the dict (missing
    keys count 1, as Keras counts them)."""
    labels = np.unique(np.asarray(trained.run.y).reshape(-1).astype("int64"))
    weights = {int(label): trained.run.class_weight.get(int(label), 1.0) for label in labels}
    return len(set(weights.values())) == 1, f"weights per label {weights}"


def positives_swamped(trained):
    recall = _recall(trained)
    return recall < SWAMPED_RECALL, f"validation recall of positives {recall:.3f}"


def positives_found(trained):
    recall = _recall(trained)
    return recall >= TWIN_RECALL, f"validation recall of positives {recall:.3f}"


@scenario("mlp", expected=("class_imbalance",), acceptable=("underfitting",), heldout=True,
          verify=measure.all_of(weights_never_apply, positives_swamped))
def heldout13_mlp_class_weight_keys_one_based_on_19_to_1_table(seed):
    return _run({1: 1.0, 2: 19.0}, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(positives_found, measure.generalizes()))
def heldout13_healthy_mlp_class_weight_keys_are_labels_on_19_to_1_table(seed):
    return _run({0: 1.0, 1: 19.0}, seed)
