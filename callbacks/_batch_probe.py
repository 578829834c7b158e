"""Probe batches and class counts, gathered inside the real training and validation steps.

Monitors that look at the network itself (`ActivationMonitor`: dead and saturated units;
`StallMonitor`: Hessian curvature) need a fixed batch of real inputs, and an imbalance check needs
the labels and predictions the model trains on. A callback never sees either: Keras feeds the
batches to a compiled step. `BatchProbe` wraps the model's `train_step`, `test_step` and
`compute_loss` on the instance (through `zoo._keras_internals.patch_method`) and retraces the
steps, so that inside them:

- `request(size)` keeps the first `size` rows seen, gathered ACROSS batches (a batch size of 1
  still gives `size` rows), in fixed-shape buffers: variables created when the step is traced,
  shaped from the static feature shape of each input, written with one static-shape gather and
  select per step until full, then skipped. That works under XLA
  (`jit_compile=True`, which cannot give a variable the shape of an unseen batch), inside the
  `tf.while_loop` of `steps_per_execution > 1`, and under `MirroredStrategy`: each replica keeps
  its share of the rows in its own copy of the buffers (sync-on-read variables), and `inputs()`
  joins the copies.
- `request_class_counts()` adds, per step, the counts of the labels and of the predicted classes
  (train), or of the labels and of the correct predictions (validation): one bincount of the
  batch's (label, predicted class) pairs into a confusion matrix (up to `MAX_CONFUSION_CLASSES`
  classes, else into two histograms), accumulated in a small int64 variable and read once per
  epoch. The predicted classes are read off the logits when Keras kept them, so the step computes
  no softmax for them.
- `request_fingerprints(rows, validation_rows)` keeps one int32 fingerprint per input row: of
  every training row seen until `rows` are kept (65,536 rows are 256 KB), and of the first
  `validation_rows` validation rows, so that a validation set that copies the training set shows
  whatever order `fit` shuffles the rows into. A fingerprint is a wrap-around int64 sum over the
  row's features of their bits (floats cast to float32 and bitcast) times fixed odd multipliers,
  folded to int32 (`row_fingerprints`): integer sums modulo 2**64 are exact in any order, so a row
  gives the same fingerprint in the train and the test step whatever the batch size, kernel or
  device. A step fingerprints its batch and scatters the fingerprints into the buffer (one small
  write); it computes nothing once the buffer is full or `stop_fingerprints()` was called.
- `request_label_pairs(recheck_rows)` has the training fingerprints keep, beside each row's, the
  fingerprint of its targets; `recheck_label_pairs()` then keeps the same pairs for the next
  `recheck_rows` training rows (the next epoch's), so that a row whose label changed between
  passes over the data shows (features and labels shuffled apart by two `tf.data` pipelines).

The rows and the fingerprints of a step are written behind one `tf.cond` on one flag variable,
which the written branch clears once every store is full (or closed): from then on a step pays
one variable read and one skipped `If` op (`zoo._keras_internals.skippable_cond`), whatever the
stores hold.

Where something cannot be kept (a string input, a ragged tensor, a feature shape only known at
run time, several outputs for class counts), the probe warns once naming the reason, and the
corresponding reader returns None. Models with their own `train_step` that never call
`compute_loss` (a GAN) simply get no class counts; their probe batch is still kept.

One `BatchProbe` per model is shared by all monitors of a `fit` (`shared_probe`); `attach` and
`detach` nest, and the last `detach` takes the wrappers off and retraces.

A `fit` that ends in an exception (Ctrl-C, another callback raising) never calls `on_train_end`,
so its monitors never detach. Every attach of a `fit` comes before its first step, so an
`attach` that finds the steps already traced with the probe on is a new `fit`'s: the probe is
`release`d first (wrappers off, everything kept forgotten), and the new `fit` starts clean. A
monitor can also `release` at `set_model` (see `release_left_over`), which Keras calls when a
`fit` starts, before any `on_train_begin`.

Example:

>>> probe = shared_probe(model)                        # doctest: +SKIP
>>> probe.attach()                                     # doctest: +SKIP
>>> probe.request(256, targets=True)                   # doctest: +SKIP
>>> probe.request_class_counts()                       # doctest: +SKIP
>>> probe.request_fingerprints()                       # doctest: +SKIP
>>> model.fit(x, y, batch_size=1, epochs=1)            # doctest: +SKIP
>>> probe.inputs().shape, probe.class_counts()["train_labels"]    # doctest: +SKIP
((256, 8), array([412, 388]))
>>> probe.detach()                                     # doctest: +SKIP
"""

import enum
import math
import threading
import typing
import warnings
import weakref

import numpy as np
import tensorflow as tf

import keras

from callbacks._arguments import Instance, keep_checked
from callbacks._guard import NotJudgedWarning
from callbacks._model_shapes import declared_and_seen, with_model_shapes
from callbacks._step_switch import instrumentation_paused
from callbacks._trace_once import build_optimizer_before_trace
from zoo._keras_internals import activation_logits, patch_method, skippable_cond, unpatch_method

# Rows a monitor's probe batch holds by default: enough that a unit silent on all of them is dead
# rather than unlucky, and that a Hessian on them is the loss surface, not one batch's noise;
# small enough for one cheap forward pass (and a few dozen HVPs) per epoch.
DEFAULT_PROBE_ROWS = 256

# Fragments of the names of losses that train a classifier (Keras' and the zoo's).
CLASSIFICATION_LOSSES = ("crossentropy", "hinge", "focal", "logit_adjusted", "balanced_softmax", "ldam")

# Fragments of the names of losses that treat every output unit as its own binary question: with
# several units, the targets are multi-hot (multi-label), not one-hot classes.
PER_UNIT_LOSSES = ("binary",)

# A single sigmoid unit predicts class 1 above this probability (above logit 0 with from_logits).
BINARY_THRESHOLD = 0.5
# Classes up to which a step counts its labels and predictions as one confusion matrix (64 x 64
# int64 is 32 KB a step); above, as two histograms (labels, predictions or correct ones).
MAX_CONFUSION_CLASSES = 64

# Training rows fingerprinted by default: 256 KB of int32, every row of an epoch of most datasets
# that fit in memory (MNIST's 60,000 included).
DEFAULT_FINGERPRINT_ROWS = 65_536
# Validation rows fingerprinted by default: the share of them found in training is then known to a
# few percent, and 2 KB.
DEFAULT_VALIDATION_FINGERPRINT_ROWS = 512
# Training rows of the second pass of (row, label) pairs: 32 KB; rows seen in both passes number
# about recheck_rows x (the first pass's share of the data): thousands for most in-memory datasets.
DEFAULT_RECHECK_ROWS = 4096
# Seed of the fingerprint multipliers: fixed, so that fingerprints of one row agree across runs.
FINGERPRINT_SEED = 20_261_201

_SHARED = weakref.WeakKeyDictionary()


def shared_probe(model):
    """The one `BatchProbe` of `model`, shared by every monitor of the same `fit`."""
    probe = _SHARED.get(model)
    if probe is None:
        probe = _SHARED[model] = BatchProbe(model)
    return probe


def _forget(probe):
    """Drops `probe` from the registry once no `fit` uses it. The probe holds its model, so a
    registry entry kept after the `fit` would keep the model alive after the user let it go."""
    if _SHARED.get(probe.model) is probe:
        del _SHARED[probe.model]


def release_left_over(model):
    """Releases the probe of `model` if one is still attached (see `BatchProbe.release`). Call
    it when a new `fit` starts (a monitor's `set_model`): a probe attached then is left over
    from a `fit` that ended in an exception."""
    probe = _SHARED.get(model)
    if probe is not None and probe.attached:
        probe.release()


class Unmeasurable(Exception):
    """What a step gives cannot be kept; the message says why."""


class NotApplicable(Unmeasurable):
    """What the probe would keep does not apply to this run (a regression has no classes): noted
    in `unmeasurable`, like any other, but no warning, since nothing asked for was withheld."""


class Kept(str, enum.Enum):
    """What the probe keeps from the steps. A member equals its value (`Kept.ROWS == "rows"`)."""

    ROWS = "rows"
    FINGERPRINTS = "fingerprints"
    CLASS_COUNTS = "counts"
    LABEL_PAIRS = "label_pairs"

    @property
    def description(self):
        """What a user reads: "probe rows", "row fingerprints", "class counts" or "row-label pairs"."""
        return {"rows": "probe rows", "fingerprints": "row fingerprints", "counts": "class counts",
                "label_pairs": "row-label pairs"}[self.value]


class ProbeKey(typing.NamedTuple):
    """One store of the probe: what it keeps, from the training or the validation steps (the
    class counts are one store for both: `validation` False).

    Example:

    >>> str(ProbeKey(Kept.ROWS, validation=True))
    'probe rows of the validation steps'
    """

    kept: Kept
    validation: bool = False

    def __str__(self):
        return self.kept.description + (" of the validation steps" if self.validation else "")


CLASS_COUNTS = ProbeKey(Kept.CLASS_COUNTS)
LABEL_PAIRS = ProbeKey(Kept.LABEL_PAIRS)

_CONSTRAINTS = {"model": Instance(keras.Model, "a keras.Model")}


class BatchProbe:
    """Keeps probe rows and class counts from inside a model's training and validation steps.

    Args:
        model: a compiled `keras.Model` of any kind (Sequential, functional with several or dict
            inputs, subclassed, with its own `train_step`).

    Call `attach()` (for example in `on_train_begin`), then `request(...)` and
    `request_class_counts()` before the first step; read at epoch ends; `detach()` at train end.
    """

    def __init__(self, model):
        keep_checked(self, _CONSTRAINTS, model=model)
        self._users = 0
        self._tokens = []
        # Whether a step was traced since the first `attach` of the current users: an `attach`
        # after that is a new `fit`'s, and the current users are left over from one interrupted.
        self._traced = False
        self._reset()

    def _reset(self):
        self._rows = {False: 0, True: 0}
        self._targets = {False: False, True: False}
        self._stores = {}
        self._count_classes = False
        self._counts = {}
        # Targets strictly between 0 and 1 and all targets seen, of a sigmoid output (a variable
        # under key False), and whether they told yet if the targets are labels (`_settle_targets`).
        self._graded = {}
        # Per training step, in one variable under key False (`_count_batch`): the rows of the
        # batch's most common label, its rows with a label in range, one step, the sum of its
        # sample weights, and its rows (`class_counts()["train_majority"]`, `["train_weight"]`).
        self._batch = {}
        self._targets_settled = False
        self._classes = None
        self._fingerprint_rows = {False: 0, True: 0}
        self._fingerprints = {}
        # Rows of the second pass of (row, label) fingerprint pairs (0: no pairs), and its store.
        self._recheck_rows = 0
        self._recheck = {}
        # Per step kind: a flag variable, 1 while a store of that kind still fills.
        self._filling = {}
        # While a step is traced: whether it is a validation step, and whether its classes were
        # counted. Per thread: MirroredStrategy traces each replica's step in its own thread.
        self._trace = threading.local()
        # What was found unmeasurable, and why: {ProbeKey: reason}.
        self._off = {}
        # Training batches without the input shape the model declares: the declared shapes, and
        # {"count": batches, "seen": the last one's sizes} as variables (`shape_mismatch`).
        self._declared = []
        self._mismatch = {}

    @property
    def attached(self):
        return self._users > 0

    # -- lifecycle -------------------------------------------------------------------------------

    def attach(self):
        """Wraps the model's steps and retraces them. Calls nest: each needs one `detach`.

        Attach before the first step of a `fit` (in `on_train_begin`): the users of a probe whose
        steps were traced since they attached are taken to be left over from an interrupted
        `fit`, and are `release`d first.
        """
        if self._users and self._traced:
            self.release()
        self._users += 1
        if self._users > 1:
            return
        self._traced = False
        self._reset()
        model = self.model
        build_optimizer_before_trace(model)  # one trace of the step, not two
        self._tokens = [
            patch_method(model, "train_step", self._step_wrapper(model.train_step, validation=False)),
            patch_method(model, "test_step", self._step_wrapper(model.test_step, validation=True)),
            patch_method(model, "compute_loss", self._compute_loss_wrapper(model.compute_loss)),
        ]
        self._retrace()

    def detach(self):
        """The last call takes the wrappers off and retraces: the model is as before `attach`."""
        self._users = max(0, self._users - 1)
        if self._users > 0:
            return
        _forget(self)
        if not self._tokens:
            return
        for token in reversed(self._tokens):
            instance, name, _ = token
            # Only take off our own wrapper: one patched over it restores it later, and it
            # then passes straight through (it checks `attached` when traced).
            if getattr(instance.__dict__.get(name), "_batch_probe", None) is self:
                unpatch_method(token)
        self._tokens = []
        self._retrace()

    def release(self):
        """Detaches every user at once and forgets what was kept: for a probe left attached by a
        `fit` that ended in an exception. The model is as before the first `attach`."""
        if self._users:
            self._users = 1
            self.detach()
        self._traced = False
        self._reset()

    def _retrace(self):
        if self.model.train_function is not None:
            self.model.make_train_function(force=True)
        if self.model.test_function is not None:
            self.model.make_test_function(force=True)

    # -- requests --------------------------------------------------------------------------------

    def request(self, size, targets=False, validation=False):
        """Keeps the first `size` rows seen, across batches, of the training batches (or, with
        `validation=True`, of the validation batches): inputs, and with `targets=True` also
        targets and sample weights. Call after `attach`, before the first step; the largest
        request wins.

        Args:
            size: rows to keep (positive integer).
            targets: keep the targets and sample weights too, for `batch()`.
            validation: gather from the validation steps instead of the training steps.
        """
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"`size` must be a positive integer. Received: size={size!r}")
        if not self.attached:
            raise RuntimeError("Call `attach()` before `request()`.")
        more_rows = size > self._rows[validation]
        more_parts = targets and not self._targets[validation]
        self._rows[validation] = max(self._rows[validation], size)
        self._targets[validation] = self._targets[validation] or bool(targets)
        if (more_rows or more_parts) and validation in self._stores:
            del self._stores[validation]  # traced too small: trace again
            self._retrace()

    def request_class_counts(self):
        """Counts, on every step, the classes of the labels and of the predictions (see
        `class_counts`). Call after `attach`, before the first step."""
        if not self.attached:
            raise RuntimeError("Call `attach()` before `request_class_counts()`.")
        if not self._count_classes:
            self._count_classes = True
            self._retrace()

    def request_fingerprints(self, rows=DEFAULT_FINGERPRINT_ROWS,
                             validation_rows=DEFAULT_VALIDATION_FINGERPRINT_ROWS):
        """Fingerprints every training row seen until `rows` are kept, and the first
        `validation_rows` validation rows (see `fingerprints`). Call after `attach`, before the
        first step; the largest request wins.

        Args:
            rows: training rows to fingerprint (positive integer).
            validation_rows: validation rows to fingerprint (positive integer).
        """
        for name, value in (("rows", rows), ("validation_rows", validation_rows)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        if not self.attached:
            raise RuntimeError("Call `attach()` before `request_fingerprints()`.")
        traced_too_small = False
        for validation, size in ((False, rows), (True, validation_rows)):
            if size > self._fingerprint_rows[validation]:
                self._fingerprint_rows[validation] = size
                traced_too_small |= self._fingerprints.pop(validation, None) is not None
        if traced_too_small:
            self._retrace()

    def request_label_pairs(self, recheck_rows=DEFAULT_RECHECK_ROWS):
        """Has the training fingerprints keep the fingerprint of each row's targets beside the
        row's, and prepares a second pass: after `recheck_label_pairs()`, the next `recheck_rows`
        training rows are kept the same way (see `label_pairs`). Call after `attach` and
        `request_fingerprints`, before the first step.

        Args:
            recheck_rows: training rows of the second pass (positive integer).
        """
        if isinstance(recheck_rows, bool) or not isinstance(recheck_rows, int) or recheck_rows < 1:
            raise ValueError(f"`recheck_rows` must be a positive integer. Received: recheck_rows={recheck_rows!r}")
        if not self.attached or not self._fingerprint_rows[False]:
            raise RuntimeError("Call `attach()` and `request_fingerprints()` before `request_label_pairs()`.")
        if recheck_rows > self._recheck_rows:
            self._recheck_rows = recheck_rows
            if self._fingerprints.pop(False, None) is not None or self._recheck:
                self._recheck = {}
                self._retrace()

    def recheck_label_pairs(self):
        """Starts the second pass of `request_label_pairs`: from the next training step on, the
        probe keeps the (row, label) fingerprint pairs of `recheck_rows` more rows. Call between
        epochs (after `stop_fingerprints`, for example)."""
        store = self._recheck.get(False)
        if store is None or LABEL_PAIRS in self._off:
            return
        store.open()
        flag = self._filling.get(False)
        if flag is not None:  # the steps had stopped writing: arm them again
            for copy in self.model.distribute_strategy.experimental_local_results(flag):
                copy.assign(1)

    # -- readers ---------------------------------------------------------------------------------

    def inputs(self, validation=False):
        """The kept inputs as NumPy, in the model's input structure (one array, or a list or dict
        of arrays), or None if no row was kept (yet, or because they cannot be)."""
        parts = self._read(validation)
        return None if parts is None else parts["x"]

    def batch(self, validation=False):
        """`(x, y)` or `(x, y, sample_weight)` of the kept rows as NumPy, or None if targets were
        not requested, the batches have none, or no row was kept."""
        parts = self._read(validation)
        if parts is None or not self._targets[validation] or parts.get("y") is None:
            return None
        if parts.get("sample_weight") is None:
            return parts["x"], parts["y"]
        return parts["x"], parts["y"], parts["sample_weight"]

    def class_counts(self, reset=True):
        """Class histograms counted in the steps since the last reset.

        Returns:
            `{"train_labels", "train_predicted", "val_labels", "val_correct"}`: int64 arrays with
            one count per class (the validation ones None when no validation batch was counted),
            `"val_confusion"` (up to `MAX_CONFUSION_CLASSES` classes, where validation was counted):
            the validation labels x predicted classes,
            `"train_majority"`: `[rows of each batch's most common label, rows, steps]`,
            `"train_weight"`: `[sum of the sample weights, rows]` and `"train_weighted_labels"`:
            each class's summed sample weight (its rows where there are none), summed over the
            training steps; or None when not requested, not measured yet, or the targets are not classification
            targets. Predicted classes are the argmax of a softmax (or one-hot) output, or for a
            single sigmoid unit the output above 0.5 (logit 0 with `from_logits`).
        """
        self._settle_targets()
        if not self._count_classes or CLASS_COUNTS in self._off or False not in self._counts:
            return None
        strategy = self.model.distribute_strategy
        result = {"val_labels": None, "val_correct": None}
        for validation, names in ((False, ("train_labels", "train_predicted")),
                                  (True, ("val_labels", "val_correct"))):
            variable = self._counts.get(validation)
            if variable is None:
                continue
            total = _replica_sum(variable, strategy, reset).astype(np.int64)
            classes = self._classes.count
            matrix = None
            if classes <= MAX_CONFUSION_CLASSES:  # a confusion matrix: labels x predicted classes (`_count`)
                matrix = total.reshape(classes, classes)
                second = np.diag(matrix).copy() if validation else matrix.sum(axis=0)
                total = np.stack([matrix.sum(axis=1), second])
            else:
                total = total.reshape(2, classes)
            if validation and total[0].sum() == 0:
                continue
            result.update(zip(names, total))
            if validation and matrix is not None:
                result["val_confusion"] = matrix
        batch = self._batch.get(False)
        if batch is not None:
            batch = _replica_sum(batch, strategy, reset)
            result["train_majority"], result["train_weight"] = batch[:3].astype(np.int64), batch[3:5]
            result["train_weighted_labels"] = batch[5:]
        return result

    def reset_class_counts(self):
        """Sets the class counts to zero: the steps from here on are counted afresh. Reading them
        (`class_counts(reset=False)`) never changes them, so every reader of an epoch gets the
        same numbers, whatever the order of the callbacks."""
        if not self._count_classes or CLASS_COUNTS in self._off:
            return
        strategy = self.model.distribute_strategy
        for variable in [*self._counts.values(), *self._batch.values()]:
            if variable is not None:
                for copy in strategy.experimental_local_results(variable):
                    copy.assign(tf.zeros_like(copy))

    def unmeasurable(self, what):
        """Why `what` cannot be kept in this run, or None (nothing found wrong with it so far).

        Args:
            what: a `ProbeKey`, or a `Kept` (or its value, `"rows"`, `"fingerprints"` or
                `"counts"`) for the training steps' store.

        Example:

        >>> probe.unmeasurable(Kept.CLASS_COUNTS)             # doctest: +SKIP
        'multi-label targets (5 units with the loss binary_crossentropy): ...'
        """
        key = what if isinstance(what, ProbeKey) else ProbeKey(Kept(what))
        if key == CLASS_COUNTS:
            self._settle_targets()
        return self._off.get(key)

    def _settle_targets(self):
        """Tells, once the steps saw some targets, whether the targets of a sigmoid output (or
        several under a per-unit loss) are labels at all. Targets with values strictly between 0
        and 1 (an autoencoder's pixels, a probability regressed, soft targets) are no labels, so
        class balance is not a question for this run: a note in `unmeasurable`, no warning.
        Multi-hot 0/1 rows over several units are multi-label: no competing classes to count,
        said as a warning (a check the run asked for is withheld). 0/1 targets of one unit are
        two classes, counted on."""
        if self._targets_settled or self._classes is None or CLASS_COUNTS in self._off:
            return
        variable = self._graded.get(False)
        if variable is None:
            return
        graded, seen = _replica_sum(variable, self.model.distribute_strategy)
        if not seen:
            return
        self._targets_settled = True
        if graded:
            error = NotApplicable(
                f"class balance does not apply: the targets are not labels ({graded / seen:.0%} of the "
                f"{int(seen):,} target values seen lie strictly between 0 and 1)")
        elif self._classes.per_unit:
            error = Unmeasurable(
                f"multi-label targets ({self._classes.count} units with the loss {self._classes.loss!r}, each "
                "unit its own yes/no question): labels are not competing classes, so class imbalance is not judged")
        else:
            return

        def settle():
            raise error

        self._guarded(CLASS_COUNTS, settle)

    def shape_mismatch(self):
        """Why no probe rows may have been kept from training: a sentence naming the input shape
        the model declares and the one the training batches had instead, when a batch lacked it
        (the probe keeps rows of the declared shape only); None when none did.

        Example:

        >>> probe.shape_mismatch()                          # doctest: +SKIP
        'the model declares inputs of shape (16, 1), but the training batches had shape (20, 1)'
        """
        count, seen = self._mismatch.get("count"), self._mismatch.get("seen")
        if count is None or seen is None:
            return None
        strategy = self.model.distribute_strategy
        for replica_count, replica_seen in zip(strategy.experimental_local_results(count),
                                               strategy.experimental_local_results(seen)):
            if int(replica_count.numpy()) > 0:
                sizes = [int(size) for size in replica_seen.numpy()]
                break
        else:
            return None
        shapes = []
        for declared in self._declared:
            shapes.append(tuple(sizes[:len(declared)]))
            sizes = sizes[len(declared):]
        return (f"the model declares inputs of shape {', '.join(map(str, self._declared))}, but the training "
                f"batches had shape {', '.join(map(str, shapes))}")

    def fingerprints(self, validation=False):
        """The kept fingerprints (`row_fingerprints` of the model inputs) as an int32 NumPy array,
        every replica's joined, in no particular order; None if none were requested or kept (yet,
        or because the inputs cannot be fingerprinted)."""
        store = self._fingerprints.get(validation)
        if store is None or ProbeKey(Kept.FINGERPRINTS, validation) in self._off:
            return None
        kept = store.read()
        return kept if kept is None or kept.ndim == 1 else kept[:, 0]

    def label_pairs(self, recheck=False):
        """The (row, label) fingerprint pairs of the training rows as an int32 array of shape
        `(rows, 2)`: of the first pass (the rows of `fingerprints()`) or, with `recheck=True`, of
        the second (`recheck_label_pairs`); None if not requested or not kept (the batches have no
        targets, or targets that cannot be fingerprinted)."""
        store = (self._recheck if recheck else self._fingerprints).get(False)
        if store is None or not store.labelled or LABEL_PAIRS in self._off:
            return None
        return store.read()

    def fingerprint_coverage(self, steps):
        """The share of the rows of the first `steps` training steps that the kept training
        fingerprints cover.

        Args:
            steps: training steps run since `attach` (an epoch's, for example), or None if unknown.

        Returns:
            1.0 while the buffer is not full (every row seen is kept); once full, the kept rows
            over `steps` times the rows per step seen while it filled (at most 1.0). None when no
            fingerprint was kept, or when the buffer is full and `steps` is None.
        """
        store = self._fingerprints.get(False)
        if store is None or ProbeKey(Kept.FINGERPRINTS) in self._off:
            return None
        return store.coverage(steps)

    def stop_fingerprints(self):
        """Stops fingerprinting: from now on the steps skip it (as once the buffer is full), while
        the probe stays attached for other monitors. What was kept can still be read."""
        for store in self._fingerprints.values():
            store.close()

    # -- in the step -----------------------------------------------------------------------------

    def _step_wrapper(self, original, validation):
        def step(data):
            if not self.attached or instrumentation_paused():
                return original(data)
            self._traced = True
            self._trace.validation, self._trace.counted = validation, False
            try:
                self._keep(data, validation)
                return original(data)
            finally:
                self._trace.validation = None

        step._batch_probe = self
        return step

    def _compute_loss_wrapper(self, original):
        def compute_loss(x=None, y=None, y_pred=None, sample_weight=None, *args, **kwargs):
            validation = getattr(self._trace, "validation", None)
            if validation is not None and self._count_classes and not self._trace.counted:
                self._trace.counted = True  # a custom step may compute several losses: count one
                self._guarded(CLASS_COUNTS, lambda: self._count(y, y_pred, validation, sample_weight))
            return original(x, y, y_pred, sample_weight, *args, **kwargs)

        compute_loss._batch_probe = self
        return compute_loss

    def _keep(self, data, validation):
        """Writes the batch into the stores that still fill, behind one cond on one flag: once
        every store is full (or closed), a step pays a variable read and a skipped `If`. Inputs
        whose feature shape the batch leaves open get the model's (`with_model_shapes`); a batch
        of another shape is not kept."""
        x, y, weights = keras.utils.unpack_x_y_sample_weight(data)
        given = x
        x, conforms = with_model_shapes(x, self.model)
        if conforms is not None:
            data = keras.utils.pack_x_y_sample_weight(x, y, weights)
        writes = [write for write in (self._row_write(data, validation),
                                      self._fingerprint_write(data, validation),
                                      self._recheck_write(data, validation)) if write is not None]
        if not writes:
            return
        if conforms is not None and not validation:
            self._note_shape_mismatch(given, conforms)
        strategy = self.model.distribute_strategy
        # Made anew with every new store (see `request`): 1 until the branch finds none filling.
        filling = _create_once(self._filling, validation, lambda: _variable(np.int32(1), strategy, "probe_filling"))

        def write_all():
            still = []
            for what, store, batch in writes:
                self._guarded(what, lambda: store.write(batch))
                if what not in self._off:
                    still.append(store.filling())
            filling.assign(tf.cast(tf.reduce_any(tf.stack(still)), tf.int32) if still else 0)

        keep = filling.read_value() > 0
        skippable_cond(keep if conforms is None else keep & conforms, write_all)

    def _note_shape_mismatch(self, x, conforms):
        """Counts the training batches whose inputs lack the declared shape, and keeps the sizes
        of the last one, for `shape_mismatch` (a batch with the declared shape costs one op)."""
        self._declared, seen = declared_and_seen(x, self.model)
        strategy = self.model.distribute_strategy
        count = _create_once(self._mismatch, "count", lambda: _variable(np.int64(0), strategy, "shape_mismatches"))
        sizes = _create_once(self._mismatch, "seen", lambda: _variable(
            np.zeros(seen.shape[0], np.int64), strategy, "mismatched_shape"))

        def note():
            count.assign_add(tf.constant(1, tf.int64), read_value=False)
            sizes.assign(tf.cast(seen, tf.int64), read_value=False)

        skippable_cond(tf.logical_not(conforms), note)

    def _row_write(self, data, validation):
        """`(what, store, parts)` for the probe rows of this step, or None."""
        size = self._rows[validation]
        if not size:
            return None
        x, y, weights = keras.utils.unpack_x_y_sample_weight(data)
        parts = {"x": x}
        if self._targets[validation]:
            parts.update({name: value for name, value in (("y", y), ("sample_weight", weights))
                          if value is not None})

        def store():
            for leaf in keras.tree.flatten(parts):
                _check_storable(leaf)
            strategy = self.model.distribute_strategy
            return self._new_store(self._stores, validation, lambda: _RowStore(parts, size, strategy))

        return self._store_write(ProbeKey(Kept.ROWS, validation), store, parts)

    def _fingerprint_write(self, data, validation):
        """`(what, store, (x, y))` for the row fingerprints of this step, or None (`y` is None
        unless the training rows' label pairs are kept)."""
        size = self._fingerprint_rows[validation]
        if not size:
            return None
        x, y = keras.utils.unpack_x_y_sample_weight(data)[:2]
        y = self._pairable_targets(y) if self._recheck_rows and not validation else None

        def store():
            for leaf in keras.tree.flatten(x):
                _check_storable(leaf)
            strategy = self.model.distribute_strategy
            return self._new_store(self._fingerprints, validation,
                                   lambda: _FingerprintStore(size, strategy, labelled=y is not None))

        return self._store_write(ProbeKey(Kept.FINGERPRINTS, validation), store, (x, y))

    def _recheck_write(self, data, validation):
        """`(what, store, (x, y))` for the second pass of label pairs, or None."""
        if validation or not self._recheck_rows:
            return None
        x, y = keras.utils.unpack_x_y_sample_weight(data)[:2]
        y = self._pairable_targets(y)
        if y is None:
            return None

        def store():
            for leaf in keras.tree.flatten(x):
                _check_storable(leaf)
            strategy = self.model.distribute_strategy
            return _create_once(self._recheck, False, lambda: _FingerprintStore(
                self._recheck_rows, strategy, labelled=True, opened=False))

        return self._store_write(LABEL_PAIRS, store, (x, y))

    def _pairable_targets(self, y):
        """`y` if its rows can be fingerprinted, else None, with the reason noted once."""
        def check():
            if y is None:
                raise NotApplicable("the batches hold no targets")
            for leaf in keras.tree.flatten(y):
                _check_storable(leaf)
            return y

        return self._guarded(LABEL_PAIRS, check)

    def _store_write(self, what, make_store, batch):
        store = self._guarded(what, make_store)
        return None if store is None else (what, store, batch)

    def _new_store(self, stores, validation, make):
        """`stores[validation]`, made by `make` if missing; a new store re-arms the filling flag."""
        if validation not in stores:
            self._filling.pop(validation, None)
        return _create_once(stores, validation, make)

    def _count(self, y, y_pred, validation, sample_weight=None):
        if self._classes is None:
            self._classes = _classification(self.model, y, y_pred)
        if not validation and (self._classes.per_unit or self._classes.binary):
            self._count_graded_targets(y)
        if self._classes.per_unit:
            return
        labels, predicted = _classes_of(y, y_pred, self._classes)
        classes = self._classes.count
        # One bincount a step (few ops: this runs at every step). A row whose label is outside
        # [0, classes) (one the loss ignores) falls beyond the last cell: it is not counted.
        if classes <= MAX_CONFUSION_CLASSES:
            cells, size = labels * classes + predicted, classes * classes
        else:
            kept = tf.equal(labels, predicted) if validation else labels < classes
            second = tf.where(kept, labels if validation else predicted, classes)
            cells, size = tf.concat([labels, second + classes], 0), 2 * classes
        strategy = self.model.distribute_strategy
        variable = _create_once(self._counts, validation,
                                lambda: _variable(np.zeros(size, np.int64), strategy, "class_counts"))
        counts = tf.raw_ops.DenseBincount(input=cells, size=tf.constant(size, tf.int64),
                                          weights=tf.zeros([0], tf.int64), binary_output=False)
        variable.assign_add(counts, read_value=False)
        if not validation:
            self._count_batch(labels, classes, sample_weight)

    def _count_batch(self, labels, classes, sample_weight):
        """Adds five numbers and a weight per class a training step, in one variable: the rows of
        the batch's most common label, its rows with a label in range and one step (batches of
        one class, from data fed in label order, show against their shuffled expectation:
        `diagnostics.batch_order`); the sum of its sample weights (`class_weight` arrives as them)
        and its rows (Keras averages the weighted losses over the rows, so a guess scores the
        chance loss times the mean weight); and each class's summed sample weight (its row count
        when there are none, or when they are not one per row), which tells weights that
        rebalance the classes."""
        per_class = tf.raw_ops.DenseBincount(input=labels, size=tf.constant(classes, labels.dtype),
                                             weights=tf.zeros([0], tf.int64), binary_output=False)
        rows = tf.cast(tf.size(labels), tf.float64)
        weights = keras.tree.flatten(sample_weight)[0] if sample_weight is not None else None
        weight = rows if weights is None else tf.reduce_sum(tf.cast(weights, tf.float64))
        weighted = tf.cast(per_class, tf.float64)
        if weights is not None and weights.shape.rank in (1, 2):
            row_weights = tf.reshape(tf.cast(weights, tf.float64), [-1])
            counted = weighted
            weighted = tf.cond(  # per-timestep weights (one per row and step) keep the row counts
                tf.equal(tf.size(row_weights), tf.size(labels)),
                lambda: tf.raw_ops.DenseBincount(input=labels, size=tf.constant(classes, labels.dtype),
                                                 weights=tf.reshape(row_weights, tf.shape(labels)),
                                                 binary_output=False),
                lambda: counted)
        variable = _create_once(self._batch, False, lambda: _variable(
            np.zeros(5 + classes, np.float64), self.model.distribute_strategy, "batch_statistics"))
        counts = tf.cast(tf.stack([tf.reduce_max(per_class), tf.reduce_sum(per_class)]), tf.float64)
        variable.assign_add(tf.concat([counts, tf.constant([1.0], tf.float64), tf.stack([weight, rows]), weighted], 0),
                            read_value=False)

    def _count_graded_targets(self, y):
        """Counts the training targets that lie strictly between 0 and 1, beside all of them, for
        `_settle_targets`: two numbers a step."""
        y = tf.cast(keras.tree.flatten(y)[0], tf.float32)
        graded = tf.reduce_sum(tf.cast((y > 0.0) & (y < 1.0), tf.int64))
        variable = _create_once(self._graded, False, lambda: _variable(
            np.zeros(2, np.int64), self.model.distribute_strategy, "graded_targets"))
        variable.assign_add(tf.stack([graded, tf.size(y, out_type=tf.int64)]), read_value=False)

    def _guarded(self, what, function):
        """Runs `function` at trace time (or when a reader settles what the steps saw) and returns
        what it returns; what cannot be measured is said once and switched off (and gives None)."""
        if what in self._off:
            return None
        try:
            return function()
        except Exception as error:  # never break the user's training: say it, switch it off
            cause = str(error) if isinstance(error, Unmeasurable) else f"{type(error).__name__}: {error}"
            self._off[what] = cause
            stores = {Kept.ROWS: self._stores, Kept.FINGERPRINTS: self._fingerprints,
                      Kept.LABEL_PAIRS: self._recheck}.get(what.kept, {})
            stores.pop(what.validation, None)
            if not isinstance(error, NotApplicable):
                warnings.warn(f"BatchProbe: no {what} for model {self.model.name!r}: {cause}", NotJudgedWarning,
                              stacklevel=2)
            return None

    def _read(self, validation):
        store = self._stores.get(validation)
        if store is None or ProbeKey(Kept.ROWS, validation) in self._off:
            return None
        return store.read(self._rows[validation])


def _append_rows(buffers, updates, rows, kept, size):
    """Writes the `rows` rows of each of `updates` after the `kept` rows of its buffer, and
    advances `kept` (at most `size`). A buffer holds `size` rows and one spare: the rows past the
    end all land in the spare one, so that every write has the batch's static shape (XLA)."""
    start = kept.read_value()
    slots = tf.minimum(start + tf.range(rows), size)[:, None]
    for buffer, update in zip(buffers, updates):
        # Through the handle: this replica's copy (a sync-on-read variable has no scatter).
        tf.raw_ops.ResourceScatterNdUpdate(ref=buffer.handle, indices=slots, updates=update)
    kept.assign(tf.minimum(start + rows, size))


class _RowStore:
    """Fixed-shape buffers for the first rows of every tensor of a batch structure, per replica.

    Like `_FingerprintStore`, each buffer holds one spare row past its end, where the rows of the
    step that fills it past its end are written: a step scatters its batch into the buffers (a
    write of the batch's size, with the batch's static shape), never a copy of the buffers.
    """

    def __init__(self, parts, size, strategy):
        self.structure = parts
        self.strategy = strategy
        leaves = keras.tree.flatten(parts)
        # Each replica sees its share of every batch, so keeps its share of the rows.
        self.size = math.ceil(size / strategy.num_replicas_in_sync)
        self.buffers = [
            _variable(np.zeros((self.size + 1, *leaf.shape[1:]), leaf.dtype.as_numpy_dtype), strategy, "probe_rows")
            for leaf in leaves
        ]
        self.kept = _variable(np.int32(0), strategy, "probe_rows_kept")
        self._full_read = None  # `read`'s result once every replica's buffers are full: fixed

    def write(self, parts):
        """Writes the first rows of `parts` into the buffers, unless they are full."""
        leaves = keras.tree.flatten(parts)
        rows = tf.shape(leaves[0])[0]

        def write():
            _append_rows(self.buffers, leaves, rows, self.kept, self.size)

        skippable_cond(self.filling() & (rows > 0), write)

    def filling(self):
        """Whether rows are still to be kept (a boolean tensor)."""
        return self.kept.read_value() < self.size

    def read(self, size):
        """The kept rows of every replica joined, at most `size`, in the batch's structure.

        Once the buffers are full, every call returns the same read-only arrays: the monitors that
        read them share one copy."""
        if self._full_read is not None and self._full_read[0] == size:
            return self._full_read[1]
        local = self.strategy.experimental_local_results
        counts = [int(copy.numpy()) for copy in local(self.kept)]
        if sum(counts) == 0:
            return None
        leaves = [
            np.concatenate([copy.numpy()[:count] for copy, count in zip(local(buffer), counts)])[:size]
            for buffer in self.buffers
        ]
        parts = keras.tree.pack_sequence_as(self.structure, leaves)
        if isinstance(parts["x"], tuple):
            parts["x"] = list(parts["x"])
        if all(count == self.size for count in counts):
            for leaf in leaves:
                leaf.flags.writeable = False
            self._full_read = (size, parts)
        return parts


class _FingerprintStore:
    """A fixed-shape buffer of row fingerprints per replica, filled by a scatter of each batch's.

    The buffer holds one spare slot past its end: the rows of the step that fills it past its end
    are written there, so that every write has the batch's static shape (XLA) and no branch
    depends on the batch size. It also counts the rows and steps seen while filling, from which
    `coverage` tells what share of an epoch it holds once full. A `labelled` store keeps two
    columns: the row's fingerprint and its targets'. One made with `opened=False` keeps nothing
    until `open()`.
    """

    def __init__(self, size, strategy, labelled=False, opened=True):
        self.strategy = strategy
        self.labelled = labelled
        # Each replica sees its share of every batch, so keeps its share of the rows.
        self.size = math.ceil(size / strategy.num_replicas_in_sync)
        shape = (self.size + 1, 2) if labelled else (self.size + 1,)
        self.buffer = _variable(np.zeros(shape, np.int32), strategy, "fingerprints")
        self.kept = _variable(np.int32(0), strategy, "fingerprints_kept")
        # The steps write while fewer than this many rows are kept: `size`, or 0 while closed.
        self.limit = _variable(np.int32(self.size if opened else 0), strategy, "fingerprints_limit")
        self.rows_seen = _variable(np.int32(0), strategy, "fingerprints_rows_seen")
        self.steps = _variable(np.int32(0), strategy, "fingerprints_steps")

    def write(self, batch):
        """Fingerprints the rows of `(x, y)` (the model inputs and, for a labelled store, their
        targets) into the buffer, unless it is full."""
        x, y = batch
        rows = tf.shape(keras.tree.flatten(x)[0])[0]

        def write():
            fingerprints = row_fingerprints(x)  # in the branch: nothing is computed once full
            if self.labelled:
                fingerprints = tf.stack([fingerprints, row_fingerprints(y)], axis=1)
            _append_rows([self.buffer], [fingerprints], rows, self.kept, self.size)
            self.rows_seen.assign_add(rows)
            self.steps.assign_add(1)

        skippable_cond(self.filling(), write)

    def filling(self):
        """Whether fingerprints are still to be kept (a boolean tensor)."""
        return self.kept.read_value() < self.limit.read_value()

    def close(self):
        """From now on the steps skip the fingerprints, as when the buffer is full."""
        for copy in self.strategy.experimental_local_results(self.limit):
            copy.assign(0)

    def open(self):
        """From now on the steps keep fingerprints until the buffer is full."""
        for copy in self.strategy.experimental_local_results(self.limit):
            copy.assign(self.size)

    def read(self):
        """The kept fingerprints of every replica joined, or None if none was kept."""
        copies = zip(self._local(self.buffer), self._local(self.kept))
        kept = [buffer[:count] for buffer, count in copies]
        return np.concatenate(kept) if sum(map(len, kept)) else None

    def coverage(self, steps):
        """See `BatchProbe.fingerprint_coverage`: per replica, then over all."""
        kept, seen = sum(self._local(self.kept)), sum(self._local(self.rows_seen))
        if kept == 0:
            return None
        if max(self._local(self.kept)) < self.size:
            return 1.0
        if steps is None:
            return None
        rows_per_step = seen / max(self._local(self.steps))
        return min(1.0, kept / (rows_per_step * steps))

    def _local(self, variable):
        return [copy.numpy() for copy in self.strategy.experimental_local_results(variable)]


def row_fingerprints(x):
    """One int32 fingerprint per row of the model inputs `x`, computed in the graph.

    Each input's row is flattened to its bits (floats cast to float32 and bitcast to int32,
    integers and booleans cast), each feature's bits as int64 are multiplied by that feature's
    `fingerprint_multipliers`, and the products are summed with wrap-around (several inputs' sums
    added); the sum's two 32-bit halves, XORed, are the fingerprint. Integer arithmetic modulo
    2**64 is exact in any order, so a row has the same fingerprint in any batch, step or kernel.
    The 64-bit products matter: float32 values on a coarse grid (pixels / 16) have their low 19
    bits zero, so a product modulo 2**32 keeps only 13 bits of them; modulo 2**64 it keeps 45,
    and the high half, which depends on every bit, mixes them into the fingerprint.

    Args:
        x: a tensor, or a list or dict of tensors, with a static feature shape.

    Returns:
        An int32 tensor of shape `(rows,)`.

    Raises:
        Unmeasurable: for a string, ragged or sparse input, or one with no static feature shape.

    Example:

    >>> row_fingerprints(tf.constant([[1.0, 2.0], [1.0, 2.0]])).numpy()   # doctest: +SKIP
    array([-2124013964, -2124013964], dtype=int32)
    """
    total = None
    for position, leaf in enumerate(keras.tree.flatten(x)):
        _check_storable(leaf)
        features = leaf.shape[1:].num_elements()
        bits = tf.bitcast(tf.cast(leaf, tf.float32), tf.int32) if leaf.dtype.is_floating else leaf
        bits = tf.reshape(tf.cast(bits, tf.int64), [tf.shape(bits)[0], features])
        term = tf.reduce_sum(bits * tf.constant(fingerprint_multipliers(features, position)), axis=1)
        total = term if total is None else total + term
    return tf.bitwise.bitwise_xor(tf.cast(tf.bitwise.right_shift(total, 32), tf.int32), tf.cast(total, tf.int32))


def fingerprint_multipliers(features, position=0):
    """The fixed odd int64 multipliers of the `features` flat features of model input number
    `position` (odd: multiplying by one is a bijection modulo 2**64, so no bit is lost)."""
    rng = np.random.default_rng([FINGERPRINT_SEED, position])
    return (rng.integers(0, 2**64, size=features, dtype=np.uint64) | np.uint64(1)).view(np.int64)


def _check_storable(leaf):
    if isinstance(leaf, (tf.RaggedTensor, tf.SparseTensor)):
        raise Unmeasurable(f"a {type(leaf).__name__} in the batch has no fixed row shape")
    if not tf.is_tensor(leaf):
        raise Unmeasurable(f"the batch holds a {type(leaf).__name__}, not a tensor")
    if not (leaf.dtype.is_floating or leaf.dtype.is_integer or leaf.dtype.is_bool):
        raise Unmeasurable(f"a {leaf.dtype.name} tensor in the batch is not numeric")
    if leaf.shape.rank is None or leaf.shape.rank == 0 or not leaf.shape[1:].is_fully_defined():
        raise Unmeasurable(
            f"a tensor of shape {leaf.shape} in the batch has no static feature shape; "
            "pass `probe_data` to the monitor")


def _create_once(table, key, make):
    """`table[key]`, made by `make()` if missing. Variables are made at trace time, out of the
    step's graph; in a replica's step that needs the cross-replica context of a `merge_call`,
    which every replica reaches and which runs `make` once for all."""

    def create(*_):
        if key not in table:
            table[key] = make()

    context = tf.distribute.get_replica_context()
    if tf.distribute.has_strategy() and context is not None:
        context.merge_call(create)
    else:
        create()
    return table[key]


def _replica_sum(variable, strategy, reset=False):
    """The sum of `variable`'s per-replica copies as a NumPy array; `reset` zeroes them after."""
    copies = strategy.experimental_local_results(variable)
    total = np.sum([copy.numpy() for copy in copies], axis=0)
    if reset:
        for copy in copies:
            copy.assign(tf.zeros_like(copy))
    return total


def _variable(initial, strategy, name):
    """A non-trainable variable with one copy per replica, each written by its own replica.

    Made outside the step's graph and not lifted: a `tf.function` whose trace creates a (lifted)
    variable traces itself a second time, and the stores are made while the step is traced.
    """
    with tf.init_scope(), strategy.scope():
        return tf.Variable(
            initial, trainable=False, name=name,
            synchronization=tf.VariableSynchronization.ON_READ,
            aggregation=tf.VariableAggregation.SUM,
            experimental_enable_variable_lifting=False,
        )


class _Classes:
    """How to read classes from a model's targets and outputs. `per_unit`: several units under a
    per-unit loss (`loss` names it), whose targets are multi-hot labels or no labels at all: no
    classes are counted, the steps only tell which (`BatchProbe._settle_targets`)."""

    def __init__(self, count, binary, threshold, per_unit=False, loss=None):
        self.count, self.binary, self.threshold = count, binary, threshold
        self.per_unit, self.loss = per_unit, loss


def _classification(model, y, y_pred):
    """The `_Classes` of a single-output classifier; raises `Unmeasurable` otherwise."""
    if len(keras.tree.flatten(y_pred)) != 1 or y is None or len(keras.tree.flatten(y)) != 1:
        raise Unmeasurable("class counts need one target and one output")
    y, y_pred = keras.tree.flatten(y)[0], keras.tree.flatten(y_pred)[0]
    loss = model.loss
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", "")
    is_classifier = any(part in str(name).lower() for part in CLASSIFICATION_LOSSES)
    if not (is_classifier or y.dtype.is_integer or y.dtype.is_bool):
        raise NotApplicable(f"the loss {name!r} with {y.dtype.name} targets is not a classification loss")
    units = 1 if y_pred.shape.rank < 2 else y_pred.shape[-1]
    if units is None:
        raise Unmeasurable("the output has no static number of classes")
    if units > 1 and any(part in str(name).lower() for part in PER_UNIT_LOSSES):
        return _Classes(int(units), False, None, per_unit=True, loss=str(name))
    from_logits = bool(getattr(loss, "from_logits", False))
    return _Classes(2 if units == 1 else int(units), units == 1, 0.0 if from_logits else BINARY_THRESHOLD)


def _classes_of(y, y_pred, classes):
    """Flat int64 `(labels, predicted classes)` of one batch; a negative label becomes one at or
    beyond 2**31, outside every class, so that it is not counted."""
    y, y_pred = keras.tree.flatten(y)[0], keras.tree.flatten(y_pred)[0]
    # Read off the logits where Keras kept them (same classes; see `activation_logits`).
    logits = activation_logits(y_pred)
    if classes.binary:
        if logits is not None and classes.threshold == BINARY_THRESHOLD:
            predicted = logits > 0.0
        else:
            predicted = tf.cast(y_pred, tf.float32) > classes.threshold
        labels = tf.cast(y, tf.float32) > BINARY_THRESHOLD
        return _flat(tf.cast(labels, tf.int64)), _flat(tf.cast(predicted, tf.int64))
    scores = logits if logits is not None and y_pred.shape.rank == 2 else y_pred
    predicted = tf.argmax(scores, axis=-1, output_type=tf.int64)
    if y.shape.rank == y_pred.shape.rank and y.shape[-1] == classes.count:
        labels = tf.argmax(y, axis=-1, output_type=tf.int64)  # one-hot
    else:
        # Sparse: float labels are truncated, as the loss does; negative ones wrap to 2**32 - n.
        labels = tf.cast(y, tf.int64) if y.dtype.is_floating else y
        labels = tf.cast(tf.cast(labels, tf.uint32), tf.int64)
    return _flat(labels), _flat(predicted)


def _flat(tensor):
    return tensor if tensor.shape.rank == 1 else tf.reshape(tensor, [-1])
