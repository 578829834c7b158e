"""Held out (sixth split): class weights inverted on a 9:1 binary problem.

The fault. A user trains a ReLU MLP with one sigmoid output on a binary problem where only 10%
of the rows are positive (scikit-learn's `make_classification` with `weights=[0.9, 0.1]`,
features standardized). To help the rare class they pass a class weight of 10, but to the wrong
key: `class_weight={0: 10.0, 1: 1.0}`. The loss now counts each negative row 10 times and each
positive once: the effective imbalance grows from 9:1 to 90:1, and the model learns to answer
"negative" almost always: on the validation data it finds few of the positives, well below the
twin. The run must show, at the end, a validation recall
of the positive class below 0.3, and at most half of the twin's typical recall.

Expected: `class_imbalance` (the rare class is swamped; here the weights make it rarer still).
Acceptable:
- `suspicious_config`: the cause is a setup value, class weights that favour the majority;
- `underfitting`: the minority is never fitted, the weighted loss settles at the majority's;
- `plateau`: the loss settles where answering "negative" leaves it.

The healthy twin passes `class_weight={0: 1.0, 1: 10.0}` (the fix). It must train well and find
most positives.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, models
from benchmarks.accuracy.scenario import Run, scenario

SAMPLES = 4000
FEATURES = 20
EPOCHS = 10
BATCH = 32
LEARNING_RATE = 1e-3
# The twin finds most positives (recall above 0.7); below 0.3 the rare class is lost.
LOST_RECALL = 0.3
FOUND_RECALL = 0.7
INVERTED_WEIGHT_SIDE_EFFECTS = ("suspicious_config", "underfitting", "plateau")


def rare_positives(seed):
    """`make_classification` with 10% positives, split, features standardized on training."""
    (x, y), (x_val, y_val) = data.classification(seed, n_samples=SAMPLES, n_features=FEATURES, n_informative=6,
                                                 n_redundant=4, weights=[0.9, 0.1], class_sep=0.5, flip_y=0.02)
    mean, std = x.mean(0), x.std(0)
    return ((x - mean) / std, y), ((x_val - mean) / std, y_val)


def _run(class_weight, seed):
    (x, y), (x_val, y_val) = rare_positives(seed)
    model = models.dense_stack(FEATURES, [32, 32], "relu", output_units=1,
                               output_activation="sigmoid")
    return Run(model, optimizers.Adam(LEARNING_RATE), "binary_crossentropy", x,
               y.astype("float32")[:, None], epochs=EPOCHS, batch_size=BATCH,
               validation_data=(x_val, y_val.astype("float32")[:, None]), class_weight=class_weight)


def positive_recall(trained):
    """Share of the validation positives the model calls positive (probability above 0.5)."""
    x_val, y_val = trained.run.validation_data
    predicted = np.asarray(trained.run.model.predict(x_val, verbose=0)).reshape(-1) > 0.5
    positives = y_val.reshape(-1) > 0.5
    return float(np.mean(predicted[positives]))


def rare_class_lost(trained):
    recall = positive_recall(trained)
    return recall < LOST_RECALL, f"validation recall of the positives {recall:.2f}"


def rare_class_found(trained):
    recall = positive_recall(trained)
    return recall > FOUND_RECALL, f"validation recall of the positives {recall:.2f}"


@scenario("mlp", expected=("class_imbalance",), acceptable=INVERTED_WEIGHT_SIDE_EFFECTS,
          heldout=True, verify=rare_class_lost)
def heldout6_mlp_class_weight_inverted_9_to_1(seed):
    return _run({0: 10.0, 1: 1.0}, seed)


@scenario("mlp", heldout=True, verify=rare_class_found)
def heldout6_healthy_mlp_class_weight_for_rare_class(seed):
    return _run({0: 1.0, 1: 10.0}, seed)
