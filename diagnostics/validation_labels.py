"""Validation labels that name other classes than the training labels.

A model that learned its training set cannot score far below chance on validation rows drawn
like them, unless the two sets spell the classes differently: an encoder fitted on each split
apart, a label list shifted by one, a binary target inverted in one file. Then the model's
predictions still sort the validation rows well, only under other names: matched one to one
(`matched_accuracy`, each predicted class paired with the validation label it meets most,
greedily, each used once), the predictions agree with the labels far more often than as they
stand. `ImbalanceMonitor` keeps the validation confusion matrix of the latest epoch that counted
one (the training step's validation counts, or its own `validation_data` recall);
a run whose matched accuracy is `MIN_MATCHED_ACCURACY` or more while the plain accuracy is below
`MISMATCH_SHARE` of it is a `label_mismatch` (its validation loss rising from the first epoch
is that, not overfitting).

Example:

>>> shifted = [[0, 48, 2], [1, 0, 49], [50, 0, 0]]   # label i predicted as class i + 1
>>> [(f.kind, f.evidence["matched_accuracy"]) for f in detect_relabelled_validation(shifted)]
[('label_mismatch', 0.98)]
"""

import numpy as np

from diagnostics.findings import Finding

# The matched predictions must classify most validation rows: a model that sorts them that well
# has learned the task, and what disagrees is the naming.
MIN_MATCHED_ACCURACY = 0.5
# ... and the labels as they stand agree with under half as many: a model that learned the
# training labels' names scores at least that on any like-drawn data.
MISMATCH_SHARE = 0.5
# Pairs of the one-to-one matching shown in the message.
SHOWN_PAIRS = 5


def matched_accuracy(confusion):
    """`(accuracy, matched accuracy, pairs)` of a confusion matrix (rows: labels, columns:
    predicted classes): the share on the diagonal, and the share a one-to-one renaming of the
    predicted classes reaches, made greedily from the largest cell (each label and each predicted
    class used once); `pairs` are `(label, predicted class, rows)`, largest first.

    Example:

    >>> matched_accuracy([[5, 45], [40, 10]])
    (0.15, 0.85, [(0, 1, 45), (1, 0, 40)])
    """
    matrix = np.asarray(confusion, dtype=np.int64)
    total = int(matrix.sum())
    if total == 0 or matrix.ndim != 2:
        return 0.0, 0.0, []
    remaining = matrix.astype(np.float64)
    pairs = []
    for _ in range(min(matrix.shape)):
        label, predicted = np.unravel_index(int(np.argmax(remaining)), remaining.shape)
        if remaining[label, predicted] <= 0:
            break
        pairs.append((int(label), int(predicted), int(matrix[label, predicted])))
        remaining[label, :] = -1.0
        remaining[:, predicted] = -1.0
    matched = sum(rows for _, _, rows in pairs) / total
    diagonal = float(np.trace(matrix[: min(matrix.shape), : min(matrix.shape)])) / total
    return diagonal, matched, pairs


def detect_relabelled_validation(confusion, epoch=0):
    """`label_mismatch` when the validation predictions agree with the labels under a renaming
    of the classes (`matched_accuracy`) and far less as the labels stand.

    Args:
        confusion: the validation confusion matrix (labels x predicted classes), or None.
        epoch: the epoch it was measured at.

    Returns:
        list with at most one `Finding`.
    """
    if confusion is None:
        return []
    accuracy, matched, pairs = matched_accuracy(confusion)
    if matched < MIN_MATCHED_ACCURACY or accuracy >= MISMATCH_SHARE * matched:
        return []
    renamed = [(label, predicted, rows) for label, predicted, rows in pairs if label != predicted]
    shown = ", ".join(f"label {label} as class {predicted}" for label, predicted, _ in renamed[:SHOWN_PAIRS])
    message = (f"The validation labels name other classes than the training labels: the model's predictions "
               f"match {matched:.0%} of the validation rows once its classes are renamed ({shown}), but only "
               f"{accuracy:.0%} as the labels stand. Encode both splits with one encoder fitted once.")
    evidence = {"validation_accuracy": float(accuracy), "matched_accuracy": float(matched),
                "renamed_classes": len(renamed)}
    return [Finding("label_mismatch", "error", int(epoch), None, message, evidence)]
