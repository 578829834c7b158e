"""`class_imbalance` findings: a skewed label distribution, and classes the model never predicts.

Two pure detectors, one entry point:

- from the label counts the model trains on: the ratio of the largest to the smallest class;
- from per-class recall on validation data, per epoch (history keys `val_recall/<class>`, as
  `callbacks.ImbalanceMonitor` logs them): a class whose recall stays at (or below) `min_recall`
  up to the last epoch: the model never predicts it.

Example:

>>> findings = detect_class_imbalance(class_counts={0: 950, 1: 50})
>>> findings[0].kind, findings[0].evidence["imbalance_ratio"]
('class_imbalance', 19.0)
"""

import math

import numpy as np

from diagnostics.findings import Finding

RECALL_PREFIX = "val_recall/"

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


def detect_label_skew(class_counts, ratio_threshold=3.0):
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


def detect_unpredicted_classes(history, class_counts=None, min_recall=0.0):
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


def detect_class_imbalance(history=None, class_counts=None, ratio_threshold=3.0, min_recall=0.0):
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
    return _merge_same_epoch(findings)


def _merge_same_epoch(findings):
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
