"""`ImbalanceMonitor`: label counts and per-class validation recall for `class_imbalance` findings."""

import logging
import math
import warnings

import numpy as np
import tensorflow as tf

from callbacks._arguments import Arrays, Batch, Verbosity, keep_checked
from callbacks._batch_probe import shared_probe
from callbacks._guard import NotJudgedWarning, describe
from callbacks._monitor import Monitor
from callbacks._random_state import random_state_kept
from diagnostics import imbalance
from zoo._serialization import register_serializable
from zoo._validation import Integer, Optional, Real

logger = logging.getLogger(__name__)

# Rows per batch when predicting the validation data: large enough to keep dispatch cheap, small
# enough for any model's activations to fit in memory.
PREDICT_BATCH_SIZE = 256
# A single output unit predicts class 1 above this probability (or above logit 0).
BINARY_THRESHOLD = 0.5

# A skew ratio is the largest class count over the smallest: below 1 it would flag every data set.
_CONSTRAINTS = {"y": Optional(Arrays(datasets=True)), "validation_data": Optional(Batch()),
                "every": Integer(minimum=1), "batch_size": Integer(minimum=1),
                "ratio_threshold": Real(minimum=1.0), "min_recall": Real(0.0, 1.0), "verbose": Verbosity()}


@register_serializable(legacy_package="callbacks")
class ImbalanceMonitor(Monitor):
    """Reports a skewed training label distribution and classes the model never predicts.

    Keras does not show a callback the data `fit` trains on, so give it what you have:

    - `y`: the training labels (array or tensor), or the training `tf.data.Dataset` of
      `(x, y)` (batched or not; read once, at the start of training, labels only). Judged once.
    - `validation_data`: `(x_val, y_val)` or a dataset of `(x, y)` batches. At the end of every
      `every`-th epoch the model predicts it, and the per-class recall goes into the logs as
      `val_recall/<class>` (NaN on the other epochs), so History and CSVLogger keep it.

    With neither, the class histograms come from inside the training and validation steps
    (`callbacks._batch_probe`: the labels trained on, the predicted classes, and per class the
    validation labels and correct predictions, counted in the graph on every step), one read per
    epoch; `diagnostics.imbalance.detect_imbalance_from_counts` judges them. Where they cannot be
    counted (a model with its own `train_step`, targets that are not classes) it warns once,
    switches itself off, and `extras["unjudged"]` says why. So it does where it cannot read the
    labels `y`, or predict or read the validation data: every reason is said once, as a
    `NotJudgedWarning`, and kept in `not_judged`. A model compiled without a loss (a GAN that
    trains its networks in its own `train_step`) has no classes: not counting them is noted in
    `not_judged`, without a warning.

    Args:
        y: training labels or dataset, or None.
        validation_data: validation data, or None.
        every: predict the validation data every `every` epochs (int >= 1).
        batch_size: for predicting the validation data.
        ratio_threshold, min_recall: thresholds of `diagnostics.imbalance.detect_class_imbalance`.
        verbose: 1 prints the findings at the end of training.

    Multi-label targets (several sigmoid units with a binary loss, or multi-hot rows given as
    `y`) are not judged: each label is its own yes/no question, not a class competing with the
    others. The monitor warns once (`NotJudgedWarning`) and says so in `not_judged`.

    Attributes:
        findings: list of `diagnostics.Finding` after `fit` (`diagnostics.judge` on its record).
        class_counts: {class: count} of the training labels, or None.
        not_judged: why class imbalance was not judged in this `fit` (also
            `extras["unjudged"]`), or None.
        validation_confusion: the validation labels x predicted classes (NumPy) of the latest
            epoch that counted them (the training step's validation counts, or `validation_data`'s
            recall), which `diagnostics.validation_labels` reads; None without validation.

    Example:

    >>> monitor = ImbalanceMonitor(y=y_train, validation_data=(x_val, y_val))   # doctest: +SKIP
    >>> model.fit(x_train, y_train, epochs=5, callbacks=[monitor])              # doctest: +SKIP
    >>> monitor.findings                                                        # doctest: +SKIP
    """

    def __init__(
        self,
        y=None,
        validation_data=None,
        every=1,
        batch_size=PREDICT_BATCH_SIZE,
        ratio_threshold=imbalance.SKEW_RATIO,
        min_recall=imbalance.MIN_RECALL,
        verbose=0,
    ):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, y=y, validation_data=validation_data, every=every, batch_size=batch_size,
                     ratio_threshold=ratio_threshold, min_recall=min_recall, verbose=verbose)
        self.class_counts = None
        self._history = {}
        self._probe = None
        self._epoch_counts = []
        self._unjudged = None
        self.validation_confusion = None

    @property
    def not_judged(self):
        return self._unjudged

    @not_judged.setter
    def not_judged(self, reason):
        self._unjudged = reason

    def on_train_begin(self, logs=None):
        self._probe = None  # left by an interrupted `fit`, and released since (`set_model`)
        self._history, self._epoch_counts, self._unjudged = {}, [], None
        self.validation_confusion = None  # labels x predicted classes at the last recall evaluation
        self._confusion_epoch = None      # its position among this fit's epochs (the record's numbering)
        self._epochs_ended = -1
        self.class_counts = None
        self._classes = None
        self._recall = self.validation_data is not None  # False once the recall cannot be measured
        if self.y is not None:
            try:
                labels = _labels(self.y)
            except Exception as error:  # noqa: BLE001 - unreadable labels must not stop training
                self._say_not_judged(f"class imbalance is not judged: the labels `y` could not be read "
                                     f"({describe(error)})")
                return
            if labels is None:
                self._say_not_judged("multi-label targets (rows with several 1s): each label is its own "
                                     "yes/no question, so class imbalance is not judged")
                return
            self.class_counts = imbalance.label_counts(labels)
            self._classes = sorted(self.class_counts)
        else:
            self._probe = self._guarded("attach the class counter", _attach_class_counter, self.model)

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        # Reset when an epoch begins, not when its counts are read: the setup checks read the
        # first epoch's counts too, before or after this monitor.
        if self._probe is not None:
            self._guarded("reset the class counts", self._probe.reset_class_counts)

    def on_epoch_end(self, epoch, logs=None):
        self._epochs_ended += 1
        if self._probe is not None:
            counts = self._guarded("read the class counts", self._probe.class_counts, False)
            confusion = None if counts is None else counts.pop("val_confusion", None)
            if confusion is not None:  # only the latest: K x K numbers an epoch would swell run.json
                self.validation_confusion, self._confusion_epoch = confusion, self._epochs_ended
            self._epoch_counts.append(counts)
            if counts is None and self._probe is not None and len(self._epoch_counts) == 1:
                self._no_counts()
        if self.validation_data is None or (self.y is not None and self.class_counts is None):
            return
        recall = self._validation_recall(epoch)
        for c, value in recall.items():
            key = f"{imbalance.RECALL_PREFIX}{c}"
            self._history.setdefault(key, []).append(value)
            if logs is not None:
                logs[key] = value

    def on_train_end(self, logs=None):
        self._switch_off()
        if self.verbose:
            for finding in self.findings:
                print(finding)

    def _say_not_judged(self, reason):
        """Says once (a `NotJudgedWarning`) what is not judged in this `fit` and why, and adds it to
        `not_judged`."""
        if self._unjudged is not None and reason in self._unjudged:
            return
        self._unjudged = reason if self._unjudged is None else f"{self._unjudged}; {reason}"
        warnings.warn(f"ImbalanceMonitor: {reason}.", NotJudgedWarning, stacklevel=3)

    def _no_counts(self):
        """The first epoch of this `fit` counted no class: notes why (the batch probe said it
        once already where it found why), and says so where the model has classes to count."""
        reason = self._probe.unmeasurable("counts")
        if reason is not None:
            self._unjudged = reason if self._unjudged is None else f"{self._unjudged}; {reason}"
        elif getattr(self.model, "loss", None) is None:  # nothing compiled to train on classes
            self._unjudged = "the model is compiled without a loss: no class labels are counted in its steps"
        else:
            self._say_not_judged("class imbalance is not judged from the training steps: none of them computed "
                                 "its loss through `compute_loss` (a `train_step` of its own?); pass the "
                                 "labels as `y`")

    def _validation_recall(self, epoch):
        """`{class: recall}` on the validation data at every `every`-th epoch, NaN at the others
        and once it cannot be measured (said once)."""
        if self._recall and self._classes is None:
            try:
                self._classes = list(range(max(2, int(self.model.outputs[0].shape[-1]))))
            except Exception as error:  # noqa: BLE001 - e.g. a subclassed model has no `outputs`
                self._stop_recall(f"its classes could not be read from the model's output ({describe(error)})")
        if not self._recall or epoch % self.every:
            return {c: math.nan for c in self._classes or []}
        try:
            with random_state_kept(self.model):  # an LSTM's dropout draws even in inference
                y_true, scores = self._predict()
        except Exception as error:  # noqa: BLE001 - the validation data must never stop training
            self._stop_recall(f"the validation data could not be predicted or read ({describe(error)})")
            return {c: math.nan for c in self._classes or []}
        if imbalance.is_multi_hot(y_true):
            self._stop_recall("the validation targets are multi-label (rows with several 1s): each label is its "
                              "own yes/no question, not a class")
            return {c: math.nan for c in self._classes}
        labels, predicted = _class_ids(y_true), _predicted_ids(scores)
        self.validation_confusion = _confusion(labels, predicted, self._classes)
        self._confusion_epoch = self._epochs_ended
        return imbalance.per_class_recall(labels, predicted, self._classes)

    def _stop_recall(self, reason):
        self._recall = False
        self._say_not_judged(f"per-class validation recall is not judged: {reason}")

    def _guarded(self, what, function, *args):
        """`function(*args)`, or None after warning once and switching the counter off: class
        counts are a diagnosis, never a reason for `fit` to fail."""
        try:
            return function(*args)
        except Exception as error:  # noqa: BLE001 - any failure here must not stop training
            self._say_not_judged(f"class imbalance is not judged from the training steps in this fit: could not "
                                 f"{what} ({describe(error)})")
            self._switch_off()
            return None

    def _switch_off(self):
        probe, self._probe = self._probe, None
        if probe is not None:
            try:
                probe.detach()
            except Exception:  # noqa: BLE001 - off already; the model keeps training
                logger.debug("ImbalanceMonitor: the batch probe could not be detached.", exc_info=True)

    @property
    def history(self):
        """`{"val_recall/<class>": [value per epoch]}`."""
        return self._history

    @property
    def extras(self):
        """What `diagnostics.judge` reads besides the recall series: the class counts of `y`, the
        per-epoch counts of the training (and validation) steps, the thresholds, and what could
        not be judged."""
        counts = [None if c is None else {key: None if value is None else np.asarray(value).tolist()
                                          for key, value in c.items()}
                  for c in self._epoch_counts]
        # [label, count] pairs: JSON keeps an int label an int (a dict's keys would become strings).
        class_counts = None if self.class_counts is None else [
            [label, int(count)] for label, count in self.class_counts.items()]
        extras = {"class_counts": class_counts, "epoch_counts": counts, "ratio_threshold": self.ratio_threshold,
                  "min_recall": self.min_recall, "unjudged": self._unjudged}
        if self.validation_confusion is not None:
            extras["validation_confusion"] = {"epoch": self._confusion_epoch,
                                              "matrix": self.validation_confusion.tolist()}
        return extras

    def _predict(self):
        """`(labels, scores)` of the validation data, as NumPy: its targets, and the model's outputs."""
        if isinstance(self.validation_data, tf.data.Dataset):
            truths, predictions = [], []
            for batch in self.validation_data:
                truths.append(_as_numpy(batch[1]))
                predictions.append(_as_numpy(self.model.predict_on_batch(batch[0])))
            y_true, scores = np.concatenate(truths), np.concatenate(predictions)
        else:
            x_val, y_true = self.validation_data
            y_true = _as_numpy(y_true)
            scores = self.model.predict(x_val, batch_size=self.batch_size, verbose=0)
        return y_true, np.asarray(scores)

    def get_config(self):
        return {
            "every": self.every,
            "batch_size": self.batch_size,
            "ratio_threshold": self.ratio_threshold,
            "min_recall": self.min_recall,
            "verbose": self.verbose,
        }


def _attach_class_counter(model):
    """The model's shared batch probe, attached and counting classes."""
    probe = shared_probe(model)
    probe.attach()
    probe.request_class_counts()
    return probe


def _as_numpy(value):
    return value.numpy() if tf.is_tensor(value) else np.asarray(value)


def _labels(y):
    """The class ids of labels `y` (an array, or a dataset of `(x, y)`), or None for multi-label
    (multi-hot) targets; raises ValueError for a dataset of something else."""
    if isinstance(y, tf.data.Dataset):
        if not isinstance(y.element_spec, (tuple, list)) or len(y.element_spec) < 2:
            raise ValueError(f"the dataset's elements are not `(x, y)` pairs. Received: y={y.element_spec}")
        # Batched or unbatched sparse labels, or batched one-hot rows.
        parts = [_as_numpy(element[1]) for element in y]
        if any(imbalance.is_multi_hot(part) for part in parts):
            return None
        return np.concatenate([_class_ids(part).reshape(-1) for part in parts])
    labels = _as_numpy(y)
    return None if imbalance.is_multi_hot(labels) else _class_ids(labels)


def _class_ids(y):
    """Integer class ids from sparse labels or one-hot rows."""
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1).reshape(-1)
    return y.reshape(-1)


def _confusion(labels, predicted, classes):
    """The confusion matrix (rows: labels, columns: predicted classes) over the integer classes
    `0..max(classes)`, or None for labels that are not integer class ids; rows whose label or
    prediction is outside that range (a label the loss ignores) are left out.

    Example:

    >>> _confusion(np.array([0, 1, 1, 2]), np.array([1, 2, 2, 0]), [0, 1, 2]).tolist()
    [[0, 1, 0], [0, 0, 2], [1, 0, 0]]
    """
    labels, predicted = np.asarray(labels).reshape(-1), np.asarray(predicted).reshape(-1)
    if not classes or not np.issubdtype(labels.dtype, np.number) or np.any(labels != np.round(labels)):
        return None
    size = int(max(classes)) + 1
    labels, predicted = labels.astype(np.int64), predicted.astype(np.int64)
    kept = (labels >= 0) & (labels < size) & (predicted >= 0) & (predicted < size)
    return np.bincount(labels[kept] * size + predicted[kept], minlength=size * size).reshape(size, size)


def _predicted_ids(scores):
    """Predicted class ids from logits/probabilities: argmax, or > 0.5 / > 0 for one output."""
    if scores.ndim >= 2 and scores.shape[-1] > 1:
        return np.argmax(scores, axis=-1).reshape(-1)
    scores = scores.reshape(-1)
    threshold = BINARY_THRESHOLD if scores.min() >= 0 and scores.max() <= 1 else 0.0
    return (scores > threshold).astype(np.int64)
