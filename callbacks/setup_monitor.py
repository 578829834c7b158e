"""`SetupMonitor`: the setup checks of `diagnostics.setup_checks`, run inside the user's `fit`.

Example:

>>> monitor = SetupMonitor()
>>> model.fit(x, y, validation_data=(x_val, y_val), callbacks=[monitor])   # doctest: +SKIP
>>> [f.kind for f in monitor.findings]                                     # doctest: +SKIP
['output_loss_mismatch']
"""

import math
import warnings

from callbacks import _batch_probe
from callbacks._arguments import Verbosity, keep_checked
from callbacks._guard import NotJudgedWarning
from callbacks._monitor import Monitor
from diagnostics.generalization import model_chance_loss, regression_chance_loss
from diagnostics import setup_checks, setup_data, setup_model
from zoo._serialization import register_serializable
from zoo._validation import Integer

_CONSTRAINTS = {"rows": Integer(minimum=1), "verbose": Verbosity()}


@register_serializable(legacy_package="callbacks")
class SetupMonitor(Monitor):
    """Reports a model, loss, optimizer or data that do not fit together, from the first epoch.

    At `on_train_begin` it judges the structure: output activations against losses, the learning
    rate, dropout rates, stacked linear layers (`diagnostics.setup_model`). The data checks
    (labels against outputs and loss, input scales, validation inputs) judge rows that the
    shared batch probe keeps from the first training and validation steps, inside the step that
    runs anyway, and the label counts of the first epoch (training and validation: a validation
    class that training never shows is found on them, when that epoch ran a whole pass over the
    training data; an epoch cut short by `steps_per_epoch` can miss a rare class by chance, and
    that check is then skipped and noted); they run once, at the end of the first epoch. A validation set that copies the training set (shuffled or not) is found from one
    fingerprint per row of the first epoch's training rows and of the first validation rows,
    also computed inside those steps. Labels shuffled apart from their rows (two `tf.data`
    pipelines zipped) are found from a fingerprint of each row's labels, kept beside the row's in
    the first epoch and again for some rows of the second: a row seen again must come with its
    label. From the same first epoch it also judges a pipeline that repeats a few rows (the
    fingerprints' distinct share), BatchNormalization trained on batches of one row and sample
    weights that are all 0 (the class counts and the kept rows), and records a regression's
    chance loss (the loss of its kept targets' best constant, `extras["regression_chance_loss"]`);
    at `on_train_begin`, epochs of one or two steps. Nothing reads the user's data a second time.

    A check it cannot run (a model it cannot read, a step the probe cannot capture) warns once,
    is skipped, and is listed in `extras["not_judged"]`: the monitor never stops `fit`.

    Args:
        rows: training and validation rows to keep for the data checks (int >= 1).
        verbose: 0 silent, 1 prints the findings at the end of training.

    Attributes:
        findings: list of `diagnostics.Finding` (all at epoch 0).
        not_judged: what it could not judge, and why.
    """

    async_safe = True  # no batch hooks

    def __init__(self, rows=_batch_probe.DEFAULT_PROBE_ROWS, verbose=0):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, rows=rows, verbose=verbose)
        self._reset()

    def _reset(self):
        self._observe([])
        self.not_judged = []
        self._regression_chance = None
        self._inputs, self._outputs = [], []
        self._probe = None
        # Whether the probe keeps the second pass of (row, label) pairs in this epoch.
        self._rechecking = False

    def get_config(self):
        return {"rows": self.rows, "verbose": self.verbose}

    def on_train_begin(self, logs=None):
        self._reset()
        self._guarded("the model, its loss and optimizer", self._check_model)
        self._guarded("the data (no batch probe)", self._attach_probe)

    def on_epoch_end(self, epoch, logs=None):
        if self._probe is None:  # judged already (the probe is released after), or no probe
            return
        if self._rechecking:
            self._guarded("the labels of the rows seen twice", self._check_label_pairs)
            self._release_probe()
            return
        self._guarded("the data", lambda: self._check_data(logs or {}))
        self._rechecking = self._probe.label_pairs() is not None
        if not self._rechecking:
            self._release_probe()
            return
        self._probe.stop_fingerprints()  # the first pass ends with the first epoch
        self._probe.recheck_label_pairs()

    def on_train_end(self, logs=None):
        self._release_probe()
        if self.verbose:
            for finding in self.findings:
                print(f"SetupMonitor: {finding}")

    @property
    def extras(self):
        extras = {"not_judged": list(self.not_judged)} if self.not_judged else {}
        if self._regression_chance is not None:
            extras["regression_chance_loss"] = self._regression_chance
        return extras

    # -- checks ------------------------------------------------------------------------------------

    def _check_model(self):
        self._inputs, self._outputs = setup_model.describe_model(self.model)
        params = self.params or {}
        self._observe(self._observations + setup_model.check_model(self.model)
                      + setup_data.check_steps_per_epoch(params.get("steps"), params.get("epochs")))
        if not self._outputs and getattr(self.model, "loss", None) is not None:
            self._skip("the outputs against the loss: a subclassed model has no graph to read")

    def _attach_probe(self):
        probe = _shared_probe(self.model)
        probe.attach()
        self._probe = probe
        probe.request(self.rows, targets=True)
        probe.request(self.rows, targets=True, validation=True)
        probe.request_class_counts()
        # Every row of the first epoch of most in-memory datasets, and the first validation rows.
        probe.request_fingerprints(_batch_probe.DEFAULT_FINGERPRINT_ROWS,
                                   _batch_probe.DEFAULT_VALIDATION_FINGERPRINT_ROWS)
        probe.request_label_pairs(_batch_probe.DEFAULT_RECHECK_ROWS)

    def _check_data(self, logs):
        batch = self._probe.batch()
        if batch is None:
            self._skip(f"the data: {self._probe.shape_mismatch() or 'the probe captured no training batch'}")
            return
        x, y = batch[0], batch[1]
        counts = self._probe.class_counts(reset=False) or {}  # other monitors read them too
        self._observe(self._observations + setup_checks.check_data(
            self._inputs, self._outputs, x, y, self._probe.inputs(validation=True),
            counts.get("train_labels"), _loss_over_chance(self.model, logs.get("loss")),
            # Validation classes absent from training are judged on the whole first epoch's
            # label counts: the first rows of an unshuffled fit can lack any class.
            validation_class_counts=counts.get("val_labels"), y_val=_targets(self._probe.batch(validation=True)),
        ))

        self._drop_classes_absent_by_chance(counts.get("train_labels"))
        self._regression_chance = self._baseline_of_regression(y)
        self._observe(self._observations + setup_model.check_batchnorm_batch_size(
            self.model, _batch_size(counts.get("train_majority")))
            + setup_data.check_sample_weights(batch[2] if len(batch) > 2 else None))

        copy = self._copy_from_fingerprints()
        if copy is not None:  # judged on the whole epoch: it replaces the judgement on 256 rows
            self._observe([f for f in self._observations if not setup_data.is_validation_copy(f)] + copy)
        self._observe(self._observations + setup_data.check_repeated_rows(
            self._probe.fingerprints(), self._probe.fingerprints(validation=True)))

    def _check_label_pairs(self):
        output = self._outputs[0].layer if len(self._outputs) == 1 else None
        self._observe(self._observations + setup_data.check_label_pairs(
            self._probe.label_pairs(), self._probe.label_pairs(recheck=True), output))

    def _drop_classes_absent_by_chance(self, train_labels):
        """Withdraws the validation classes found absent from training when the first epoch may
        not have seen every training row (`setup_data.first_epoch_covered_data`): a rare class
        can then be missing from its rows by chance. Says so in `not_judged`."""
        absent = [f for f in self._observations if "validation_only_classes" in f.evidence]
        if not absent:
            return
        rows = None if train_labels is None else int(sum(train_labels))
        steps = (self.params or {}).get("steps")
        if setup_data.first_epoch_covered_data(rows, steps):
            return
        self._observe([f for f in self._observations if f not in absent])
        self._skip(f"the validation classes absent from training: the first epoch's {rows} rows came in "
                   f"{steps} batches of one size, so it may not have covered the training data "
                   "(steps_per_epoch, a repeated dataset), and a rare class can be missing from them by chance")

    def _observe(self, findings):
        """Sets the findings the checks observed, as they are: `findings` (the judged view) is
        never read back here, so the judge's choices (a finding it withdraws without a
        consequence, the remedies it attaches) are not stored as observations."""
        self.findings = findings

    @property
    def _observations(self):
        return list(self.__dict__.get("_observed", []))

    def _copy_from_fingerprints(self):
        """The findings of `check_validation_fingerprints` on the first epoch's fingerprints, or
        None when they cannot be judged (no validation pass, or too few training rows covered)."""
        validation = self._probe.fingerprints(validation=True)
        coverage = self._probe.fingerprint_coverage((self.params or {}).get("steps"))
        if validation is None or coverage is None or coverage < setup_data.MIN_COPY_COVERAGE:
            return None
        return setup_data.check_validation_fingerprints(self._probe.fingerprints(), validation, coverage)

    def _release_probe(self):
        probe, self._probe, self._rechecking = self._probe, None, False
        if probe is not None:
            self._guarded("the data (detaching the probe)", lambda: _release(probe))

    def _guarded(self, what, check):
        try:
            check()
        except Exception as error:  # noqa: BLE001 - never break the user's training
            self._skip(f"{what}: {type(error).__name__}: {error}")

    def _baseline_of_regression(self, y):
        """The loss of the kept targets' best constant (`regression_chance_loss`) for one output
        under a regression loss, where no chance loss is known from the model alone; else None."""
        regression = len(self._outputs) == 1 and self._outputs[0].loss is not None \
            and self._outputs[0].loss.family == "regression"
        if not regression or model_chance_loss(self.model) is not None or isinstance(y, (list, tuple, dict)):
            return None
        return regression_chance_loss(self.model.loss, y)

    def _skip(self, reason):
        self.not_judged.append(reason)
        warnings.warn(f"SetupMonitor could not judge {reason}. It skips that check.", NotJudgedWarning,
                      stacklevel=3)


def _batch_size(majority):
    """The rows of every training batch when the first epoch's batches all held as many (the
    class counts' `[majority rows, rows, steps]`), else None."""
    if majority is None or len(majority) < 3 or majority[2] <= 0 or majority[1] % majority[2]:
        return None
    return int(majority[1] // majority[2])


def _targets(batch):
    """The targets of a kept `(x, y[, sample_weight])` batch, or None without one."""
    return None if batch is None else batch[1]


def _loss_over_chance(model, loss):
    """`loss` divided by the model's chance loss, or None when either is unknown."""
    chance = model_chance_loss(model)
    if loss is None or not chance or not math.isfinite(chance):
        return None
    return float(loss) / chance


def _shared_probe(model):
    return _batch_probe.shared_probe(model)


def _release(probe):
    probe.stop_fingerprints()  # judged: the steps skip them, also while other monitors hold the probe
    probe.detach()
