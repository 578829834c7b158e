"""`class_imbalance` findings: a skewed label distribution, and classes the model never predicts.

Pure detectors:

- from the label counts the model trains on: the ratio of the largest to the smallest class;
- from per-class recall on validation data, per epoch (history keys `val_recall/<class>`, as
  `callbacks.ImbalanceMonitor` logs them): a class whose recall stays at (or below) `min_recall`
  up to the last epoch: the model never predicts it;
- `detect_imbalance_from_counts`, over the class histograms counted inside the training and
  validation steps, one dict per epoch (`train_labels`, `train_predicted`, `val_labels`,
  `val_correct`): the label skew, and for a skewed run the classes never predicted and the
  per-class validation recall. Those two alone are not imbalance: a model that has not learned
  yet (or cannot) also leaves balanced classes unpredicted, which other detectors name.

Example:

>>> findings = detect_class_imbalance(class_counts={0: 950, 1: 50})
>>> findings[0].kind, findings[0].evidence["imbalance_ratio"]
('class_imbalance', 19.0)
"""

import math

import numpy as np

from diagnostics.findings import Finding

RECALL_PREFIX = "val_recall/"
# A largest class 3x the smallest shifts a classifier's decisions visibly toward it (the prior
# term of the log-odds moves by log 3 ~ 1.1), and is where the imbalance literature starts to
# recommend re-weighting; milder skews (wine: 71/48) train well as they are.
SKEW_RATIO = 3.0
# Judged from the class counts of the default run (the user gave no `y`), a skew from SKEW_RATIO
# up to this is reported only when it hurts (a class never predicted or never recalled): many
# healthy data sets are 3:1 and train well. From this skew on, about one minority sample per
# batch of 32 at most, it is reported whatever the model does.
STRONG_SKEW_RATIO = 10.0
# A class predicted at less than this share of its label frequency in the last epoch is pushed
# aside by the majority: a model that learned the class predicts it about as often as it occurs.
UNDERPREDICTED_SHARE = 0.25
# A class counts as never predicted when its recall is at most this: no sample found at all.
MIN_RECALL = 0.0
# Epochs at the end of the run over which a class must go unpredicted: the first epochs of any
# run predict few classes.
RECENT_EPOCHS = 2

ADVICE = [
    "Train on class-balanced batches: zoo.data.balanced_dataset(x, y, batch_size=...) "
    "(optionally with smote_fraction > 0).",
    "Resample the training set: over-sample the minority classes (zoo.data.RandomOverSampler, "
    "or zoo.data.SMOTE / BorderlineSMOTE for synthetic samples) or under-sample the majority "
    "(zoo.data.RandomUnderSampler).",
    "Weight the loss by class, with weights by effective number: "
    "model.fit(..., class_weight=zoo.losses.effective_number_class_weights(y)).",
    "Adjust the logits by the class priors: loss=zoo.losses.LogitAdjustedLoss(class_counts) "
    "(balanced softmax).",
    "Use LDAM with deferred re-weighting: loss=zoo.losses.LDAMLoss(class_counts) and "
    "callbacks.DeferredReweighting(start_epoch=...).",
    "Use a focal loss: keras.losses.CategoricalFocalCrossentropy (or BinaryFocalCrossentropy).",
    "Judge the model by per-class recall or balanced accuracy, not accuracy.",
]


def is_multi_hot(y):
    """Whether the targets `y` are multi-label rows: 2-D, several columns of 0/1 values, and some
    row with other than exactly one 1 (a one-hot row has one). Their columns are separate yes/no
    questions, not competing classes: counting a row as the class of its first 1 (the argmax)
    invents an imbalance.

    Example:

    >>> is_multi_hot(np.array([[1, 0, 1], [0, 1, 0]])), is_multi_hot(np.eye(3))
    (True, False)
    """
    labels = np.asarray(y)
    if labels.ndim != 2 or labels.shape[1] < 2 or labels.size == 0:
        return False
    if not np.all((labels == 0) | (labels == 1)):
        return False  # soft labels or scores: not a 0/1 matrix
    return bool(np.any(labels.sum(axis=1) != 1))


def label_counts(y, num_classes=None):
    """{class: count} of integer or string labels (1-D) or one-hot rows."""
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] > 1:
        counts = labels.sum(axis=0)
        return {c: int(n) for c, n in enumerate(counts)}
    labels = labels.reshape(-1)
    classes, counts = np.unique(labels, return_counts=True)
    result = {_plain(c): int(n) for c, n in zip(classes, counts)}
    if num_classes is not None:
        result = {c: result.get(c, 0) for c in range(num_classes)} | result
    return result


def per_class_recall(y_true, y_pred, classes):
    """{class: recall} for `classes` (NaN for a class absent from `y_true`)."""
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    recall = {}
    for c in classes:
        actual = y_true == c
        recall[_plain(c)] = float((y_pred[actual] == c).mean()) if actual.any() else math.nan
    return recall


def detect_label_skew(class_counts, ratio_threshold=SKEW_RATIO):
    """A warning when the largest class outnumbers the smallest by `ratio_threshold` or more.

    Args:
        class_counts: {class: number of training samples}.
        ratio_threshold: smallest largest/smallest ratio reported.

    Returns:
        list with at most one `Finding`.
    """
    counts = {c: int(n) for c, n in class_counts.items()}
    if len(counts) < 2:
        return []
    minority = min(counts, key=counts.get)
    majority = max(counts, key=counts.get)
    ratio = counts[majority] / counts[minority] if counts[minority] > 0 else math.inf
    if ratio < ratio_threshold:
        return []
    total = sum(counts.values())
    if total == 0:
        return []
    empty = [c for c, n in counts.items() if n == 0]
    severity = "error" if empty else "warning"
    what = (
        f"class(es) {empty} have no training samples"
        if empty
        else f"class {minority!r} has {counts[minority]} samples, {ratio:.1f}x fewer than class {majority!r}"
    )
    return [
        Finding(
            kind="class_imbalance",
            severity=severity,
            epoch=0,
            layer=None,
            message=(
                f"The training labels are imbalanced: {what} ({counts[minority] / total:.1%} of "
                f"{total} samples). Accuracy and the loss favour the majority."
            ),
            evidence={
                "imbalance_ratio": ratio,
                "minority_count": counts[minority],
                "majority_count": counts[majority],
                "minority_fraction": counts[minority] / total,
                "num_classes": len(counts),
            },
            advice=list(ADVICE),
        )
    ]


def detect_unpredicted_classes(history, class_counts=None, min_recall=MIN_RECALL):
    """An error for each class whose validation recall stays <= `min_recall` to the last epoch.

    Args:
        history: {key: [value per epoch]}; reads keys `val_recall/<class>`.
        class_counts: optional training counts, for the evidence and the message.
        min_recall: recall at or below which a class counts as not predicted.

    Returns:
        list of `Finding`, one per such class, with the first epoch of its final run.
    """
    findings = []
    for key, series in sorted(history.items()):
        if not key.startswith(RECALL_PREFIX):
            continue
        values = np.asarray(series, dtype=float)
        finite = np.isfinite(values)
        if not finite.any() or not finite[-1] or values[-1] > min_recall:
            continue
        start = len(values) - 1
        while start > 0 and (not finite[start - 1] or values[start - 1] <= min_recall):
            start -= 1
        while not finite[start]:
            start += 1
        label = key[len(RECALL_PREFIX):]
        evidence = {
            f"recall/{label}": float(values[-1]),
            f"epochs_unpredicted/{label}": int(len(values) - start),
        }
        share = ""
        if class_counts:
            count = _lookup(class_counts, label)
            if count is not None:
                total = sum(class_counts.values())
                evidence[f"train_count/{label}"] = int(count)
                evidence[f"train_fraction/{label}"] = count / total
                share = f" It is {count / total:.1%} of the training labels."
        findings.append(
            Finding(
                kind="class_imbalance",
                severity="error",
                epoch=int(start),
                layer=None,
                message=(
                    f"The model never predicts class {label} correctly: its validation recall is "
                    f"{values[-1]:.2f} from epoch {start} to the last epoch.{share}"
                ),
                evidence=evidence,
                advice=list(ADVICE),
            )
        )
    return findings


def detect_class_imbalance(history=None, class_counts=None, ratio_threshold=SKEW_RATIO, min_recall=MIN_RECALL):
    """All `class_imbalance` findings from label counts and/or a history with per-class recall.

    Findings that start at the same epoch are merged into one (a run has at most one
    `class_imbalance` finding per epoch, the key by which `TrainingDiagnostics` removes
    duplicates); their evidence keys never collide.

    Args:
        history: {key: [value per epoch]} with keys `val_recall/<class>`, or None.
        class_counts: {class: training count}, or None.
        ratio_threshold: see `detect_label_skew`.
        min_recall: see `detect_unpredicted_classes`.

    Returns:
        list of `Finding`.
    """
    findings = []
    if class_counts:
        findings += detect_label_skew(class_counts, ratio_threshold)
    if history:
        findings += detect_unpredicted_classes(history, class_counts, min_recall)
    return merge_same_epoch(findings)


def detect_imbalance_from_counts(epoch_counts, ratio_threshold=SKEW_RATIO, min_recall=MIN_RECALL):
    """`class_imbalance` from class histograms counted in the training (and validation) steps.

    The label skew is judged on the last measured epoch's training labels (one pass over the
    data), over the classes that have labels (all output units if only one has). A skew of
    `STRONG_SKEW_RATIO` or more is reported; a milder one from `ratio_threshold` on only when a
    class with labels was never predicted in the last `RECENT_EPOCHS` measured epochs, or its
    validation recall there is at most `min_recall`, or the last epoch predicted it at less than
    `UNDERPREDICTED_SHARE` of its label count; the finding names those classes.

    Args:
        epoch_counts: one entry per epoch, each None (not measured) or a dict with int arrays
            (one count per class) `train_labels`, `train_predicted`, and `val_labels`,
            `val_correct` (these two may be None).
        ratio_threshold: see `detect_label_skew`.
        min_recall: see `detect_unpredicted_classes`.

    Returns:
        list with at most one `Finding` (epoch 0: the labels are skewed from the start).

    Example:

    >>> counts = {"train_labels": np.array([860, 140]), "train_predicted": np.array([1000, 0]),
    ...           "val_labels": None, "val_correct": None}
    >>> [finding] = detect_imbalance_from_counts([counts, counts])
    >>> finding.evidence["never_predicted"]
    1
    """
    # An epoch whose steps counted no label (none ran instrumented) says nothing about the classes.
    measured = [c for c in epoch_counts if c is not None and c.get("train_labels") is not None
                and np.sum(c["train_labels"]) > 0]
    if not measured:
        return []
    labels = np.asarray(measured[-1]["train_labels"], dtype=np.int64)
    # An output unit no label ever names is a spare unit, not a class; unless only one class is
    # left, which is the worst imbalance of all.
    judged = [k for k in range(labels.size) if labels[k] > 0]
    judged = judged if len(judged) >= 2 else list(range(labels.size))
    skew = detect_label_skew({k: int(labels[k]) for k in judged}, ratio_threshold)
    if not skew:
        return []
    recent = measured[-RECENT_EPOCHS:]
    predicted = _total(recent, "train_predicted")
    never = [] if predicted is None else [k for k in judged if labels[k] > 0 and predicted[k] == 0]
    recall = _recall(recent)
    missed = [] if recall is None else [k for k in judged if k < recall.size and recall[k] <= min_recall]
    last_predicted = measured[-1].get("train_predicted")
    under = [] if last_predicted is None else [
        k for k in judged if labels[k] > 0 and last_predicted[k] < UNDERPREDICTED_SHARE * labels[k]]
    finding = skew[0]
    strong = (finding.evidence["imbalance_ratio"] >= STRONG_SKEW_RATIO
              and not weights_rebalance(measured, ratio_threshold))
    if not strong and not (never or missed or under):
        return []
    evidence = dict(finding.evidence)
    message = finding.message
    if never:
        evidence["never_predicted"] = len(never)
        message += f" The model never predicts class(es) {never} in its last {len(recent)} epoch(s)."
    elif under:
        evidence["underpredicted"] = len(under)
        message += (f" The model predicts class(es) {under} at less than {UNDERPREDICTED_SHARE:.0%} of "
                    "their share of the labels.")
    if missed:
        evidence["zero_recall_classes"] = len(missed)
        evidence.update({f"val_recall/{k}": float(recall[k]) for k in missed})
        message += f" Validation recall of class(es) {missed} is {min_recall:g} or less."
    severity = "error" if never or missed else finding.severity
    return [Finding("class_imbalance", severity, 0, None, message, evidence, list(ADVICE))]


def weights_rebalance(epoch_counts, ratio_threshold=SKEW_RATIO):
    """Whether the sample weights (`class_weight`) of the last measured epoch even its classes out:
    the summed weights of the classes with labels are skewed less than `ratio_threshold`. A skew
    so weighted is already treated, and is reported only where the model still neglects a class.

    Example:

    >>> counts = {"train_labels": np.array([900, 100]), "train_weighted_labels": np.array([500.0, 500.0])}
    >>> weights_rebalance([counts]), weights_rebalance([dict(counts, train_weighted_labels=[900.0, 100.0])])
    (True, False)
    """
    measured = [c for c in epoch_counts or [] if c is not None and c.get("train_labels") is not None
                and c.get("train_weighted_labels") is not None and np.sum(c["train_labels"]) > 0]
    if not measured:
        return False
    labels = np.asarray(measured[-1]["train_labels"])
    weighted = np.asarray(measured[-1]["train_weighted_labels"], dtype=np.float64)
    totals = [weighted[k] for k in range(min(labels.size, weighted.size)) if labels[k] > 0]
    return bool(len(totals) >= 2 and min(totals) > 0 and max(totals) / min(totals) < ratio_threshold)


def _total(epoch_counts, key):
    """Sum of `key` over the epochs that have it, or None."""
    present = [np.asarray(c[key], dtype=np.int64) for c in epoch_counts if c.get(key) is not None]
    return np.sum(present, axis=0) if present else None


def _recall(epoch_counts):
    """Per-class validation recall over the epochs, NaN for classes without samples; or None."""
    labels, correct = _total(epoch_counts, "val_labels"), _total(epoch_counts, "val_correct")
    if labels is None or correct is None:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(labels > 0, correct / np.maximum(labels, 1), np.nan)


def merge_same_epoch(findings):
    by_epoch = {}
    for finding in findings:
        by_epoch.setdefault(finding.epoch, []).append(finding)
    merged = []
    for epoch, group in sorted(by_epoch.items()):
        if len(group) == 1:
            merged.append(group[0])
            continue
        evidence = {}
        for finding in group:
            evidence.update(finding.evidence)
        merged.append(
            Finding(
                kind="class_imbalance",
                severity="error" if any(f.severity == "error" for f in group) else "warning",
                epoch=epoch,
                layer=None,
                message=" ".join(f.message for f in group),
                evidence=evidence,
                advice=list(ADVICE),
            )
        )
    return merged


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _lookup(class_counts, label):
    for key, count in class_counts.items():
        if str(key) == label:
            return count
    return None
