"""Held out (second split): one positive in fifty, and the classifier never says "positive".

The fault. A user trains a binary classifier (a small ReLU MLP, one sigmoid unit, binary
cross-entropy, SGD) for a rare event: one sample in fifty is positive. The data (generated) has
ten features: a 0/1 flag that is set on 95% of the positives and 5% of the negatives, and nine
standard-normal features that carry nothing. At this prior a flagged sample is positive with
probability 0.02 * 0.95 / (0.02 * 0.95 + 0.98 * 0.05) = 0.28: the loss is lowest when the model
answers below 0.5 for every sample, so it never says "positive". Accuracy looks great (98%);
the positive class is never recalled. The run must show at most 1 positive in 40 in the training
labels, a training accuracy of 95% or more, and a recall of 0 on the training positives
(threshold 0.5).

Expected: `class_imbalance`. Acceptable: `underfitting` and `plateau` (the loss that stops near
the prior's entropy).

The healthy twin draws the same classes in equal numbers (the fix: balanced data); there the flag
decides 95% of the samples. It must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import Run, scenario

FEATURES = 10
SAMPLES = 2500
VALIDATION = 500
RARE_SHARE = 1 / 50
FLAG_ON_POSITIVE = 0.95
FLAG_ON_NEGATIVE = 0.05
RARE_AT_MOST = 1 / 40
ACCURACY_LOOKS_GREAT = 0.95
PRIOR_SIDE_EFFECTS = ("underfitting", "plateau")


def events(seed, positive_share):
    """`(x, y), (x_val, y_val)`: features `(n, FEATURES)` (the first a 0/1 flag, the rest noise),
    labels `(n, 1)` float32, with `positive_share` of positives."""
    rng = np.random.default_rng(seed)
    total = SAMPLES + VALIDATION
    y = (rng.random(total) < positive_share).astype("float32")
    flag_rate = np.where(y > 0, FLAG_ON_POSITIVE, FLAG_ON_NEGATIVE)
    x = rng.normal(size=(total, FEATURES))
    x[:, 0] = rng.random(total) < flag_rate
    x, y = x.astype("float32"), y[:, None]
    return (x[:SAMPLES], y[:SAMPLES]), (x[SAMPLES:], y[SAMPLES:])


def _classifier():
    return models.dense_stack(FEATURES, [16], "relu", output_units=1, output_activation="sigmoid")


def positives_never_recalled(trained):
    """Rare labels, high accuracy, and no training positive predicted above 0.5."""
    run = trained.run
    y = np.asarray(run.y).reshape(-1)
    predicted = np.asarray(run.model.predict(run.x, verbose=0)).reshape(-1) > 0.5
    share = float(y.mean())
    accuracy = float(np.mean(predicted == (y > 0.5)))
    recall = float(np.mean(predicted[y > 0.5])) if np.any(y > 0.5) else float("nan")
    holds = share <= RARE_AT_MOST and accuracy >= ACCURACY_LOOKS_GREAT and recall == 0.0
    return holds, f"positives {share:.3f}, accuracy {accuracy:.3f}, recall {recall:.2f}"


@scenario("mlp", expected=("class_imbalance",), acceptable=PRIOR_SIDE_EFFECTS, heldout=True,
          verify=positives_never_recalled)
def heldout2_rare_positive_one_in_fifty(seed):
    (x, y), val = events(seed, RARE_SHARE)
    return Run(_classifier(), optimizers.SGD(0.05), "binary_crossentropy", x, y, epochs=10,
               validation_data=val, metrics=("accuracy",))


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_balanced_positive_and_negative(seed):
    (x, y), val = events(seed, 0.5)
    return Run(_classifier(), optimizers.SGD(0.05), "binary_crossentropy", x, y, epochs=10,
               validation_data=val, metrics=("accuracy",))
