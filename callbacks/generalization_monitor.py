"""`GeneralizationMonitor`: overfitting and underfitting from the train-validation gap.

Example:

>>> monitor = GeneralizationMonitor(monitor="val_loss", patience=3)
>>> model.fit(x, y, validation_split=0.2, epochs=30, callbacks=[monitor])   # doctest: +SKIP
>>> [str(f) for f in monitor.findings]                                       # doctest: +SKIP
['[warning] overfitting from epoch 7: ... Restore the weights of epoch 6.']
"""

import math
import warnings

import keras
import numpy as np
import tensorflow as tf

from callbacks._arguments import Text, Verbosity, keep_checked
from callbacks._batch_probe import DEFAULT_PROBE_ROWS, Kept, shared_probe
from callbacks._guard import NotJudgedWarning
from callbacks._monitor import Monitor, is_monitor_signal
from callbacks._random_state import random_state_kept
from diagnostics import generalization
from diagnostics.generalization import model_chance_loss
from diagnostics.setup_model import reads_model_input
from diagnostics._format import to_float
from zoo._keras_internals import all_layers
from zoo._serialization import register_serializable
from zoo._validation import Integer, Optional, Options, Real

# Reads of the penalty inside each epoch (besides its start and end): a penalty that falls
# geometrically (halving within an epoch) is then averaged to within about 1%; two reads at the
# ends alone overstate it by a third, and hide a data loss still at chance.
PENALTY_READS = 8
# Training rows an activity penalty is read on (a forward pass at inference, at each read): the
# mean of a row's summed |activations| over 64 rows is within a few percent, at a quarter of the
# probe's cost.
ACTIVITY_ROWS = 64

_CONSTRAINTS = {"monitor": Text(), "mode": Options(("auto", "min", "max")), "patience": Integer(minimum=1),
                "min_delta": Real(minimum=0.0), "chance_loss": Optional(Real(minimum=0.0, min_inclusive=False)),
                "verbose": Verbosity()}


def inference_scale(layer, received):
    """How far a `BatchNormalization` layer's moving statistics are from those of `received`
    (what it is given at inference): the largest, over its channels, root mean square of
    `(received - moving_mean) / sqrt(moving_variance + epsilon)`. Training normalizes each batch
    by its own statistics, to 1; moving statistics that caught up with the data give about 1 too.

    Example:

    >>> bn = keras.layers.BatchNormalization(); bn.build((None, 2))   # moving mean 0, variance 1
    >>> round(inference_scale(bn, np.array([[3.0, 0.0], [5.0, 0.0]])), 2)   # sqrt(mean of 9 and 25)
    4.12
    """
    values = np.asarray(received, dtype=np.float64)
    axes = [layer.axis] if isinstance(layer.axis, int) else list(layer.axis)
    axes = [axis % values.ndim for axis in axes]
    values = np.moveaxis(values, axes, list(range(values.ndim - len(axes), values.ndim)))
    values = values.reshape(-1, int(np.prod(values.shape[values.ndim - len(axes):])))
    mean = keras.ops.convert_to_numpy(layer.moving_mean).astype(np.float64).reshape(-1)
    variance = keras.ops.convert_to_numpy(layer.moving_variance).astype(np.float64).reshape(-1)
    squares = np.mean((values - mean) ** 2, axis=0) / (variance + layer.epsilon)
    return float(np.sqrt(np.max(squares)))


def _received_at_inference(model, layers, rows):
    """What each of `layers` (top-level layers of `model`) receives when `model` runs on `rows` at
    inference: through the layers in turn for a `Sequential` (built or not), through its graph for
    a functional model; a subclassed model has no graph to read it from (an error)."""
    if isinstance(model, keras.Sequential):
        received, tensor = {}, rows
        for layer in model.layers:
            received[id(layer)] = tensor
            tensor = layer(tensor, training=False)
        return [received[id(layer)] for layer in layers]
    reader = keras.Model(model.input, [layer.input for layer in layers])
    return keras.tree.flatten(reader(rows, training=False))


@register_serializable(legacy_package="callbacks")
class GeneralizationMonitor(Monitor):
    """Records the training and validation curves; `diagnostics.judge` diagnoses overfitting and
    underfitting on them (`diagnostics.generalization`).

    Without validation data (no `monitor` key in any epoch's logs) it warns at the end of
    training (a `NotJudgedWarning`, which Python shows once), says so in `not_judged`, and
    underfitting is still judged. The chance-level loss is worked out from the compiled loss and the number of
    output units (cross-entropy losses), unless given.

    Args:
        monitor: validation metric to watch, `"val_loss"` or e.g. `"val_accuracy"`.
        mode: `"auto"`, `"min"` or `"max"`, as in `keras.callbacks.EarlyStopping`.
        patience: epochs without improvement on the best `monitor` value before overfitting
            can be called.
        min_delta: smallest change of `monitor` that counts as an improvement.
        chance_loss: training loss of guessing; default: derived from the model when possible.
        verbose: 0 silent, 1 prints each new finding when it first appears.

    Attributes:
        findings: list of `diagnostics.Finding`.
        history: `{key: [value per epoch]}` of the logs.
        penalties: the regularization penalty in each epoch's training loss: the mean over the
            epoch's steps of `model.losses`, read at its start, its end and `PENALTY_READS` steps
            between (a heavy penalty can halve within one epoch); underfitting is judged on the
            loss without it. An activity regularizer's penalty depends on the batch: it is read on
            `ACTIVITY_ROWS` training rows the shared batch probe keeps, by a forward pass at
            inference. None when it could not be read.
        best_epoch: epoch of the best `monitor` value so far, as Keras numbers it (None without
            validation data).
        batch_norm_scales: at the end of `fit`, for each top-level `BatchNormalization` layer,
            `{"inference_scale": inference_scale(...), "on_input": bool}` on the probe's kept
            training rows (`diagnostics.batch_norm_statistics`); None when its inputs could not be
            read (a subclassed model), said in `not_judged`.
        extras: JSON-safe data for `TrainingDiagnostics` (monitor, mode, chance loss).
    """

    # The batch hook only reads the penalty at the weights of about that step, in order: Keras
    # may run it in its callback thread.
    async_safe = True

    def __init__(self, monitor="val_loss", mode="auto", patience=generalization.PATIENCE, min_delta=0.0,
                 chance_loss=None, verbose=0):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, monitor=monitor, mode=mode, patience=patience, min_delta=min_delta,
                     chance_loss=chance_loss, verbose=verbose)
        self._mode_arg = mode
        self.mode = generalization.resolve_mode(monitor, mode)
        self._reset()

    def _reset(self):
        self.history = {}
        self.penalties = []
        self._penalty_reads = []  # (steps into the epoch, penalty) of the epoch so far
        self._read_every = None   # steps between reads inside an epoch; None: at its ends only
        self._next_read = None
        self.best_epoch = None
        self.validated_epochs = []  # epochs (from the fit's first) whose logs held validation results
        self.stopped_early = False  # the run ended before its planned epochs (an EarlyStopping)
        self._activity = False      # the model has activity regularizers: the penalty is read on probe rows
        self._batch_norms = []      # its BatchNormalization layers: their inference statistics are read at the end
        self.batch_norm_scales = {}
        self._batch_probe = None
        self._chance = self.chance_loss
        self.not_judged = None
        self._announced = set()

    def get_config(self):
        return {"monitor": self.monitor, "mode": self._mode_arg, "patience": self.patience,
                "min_delta": self.min_delta, "chance_loss": self.chance_loss, "verbose": self.verbose}

    def on_train_begin(self, logs=None):
        self._reset()
        if self._chance is None:
            self._chance = model_chance_loss(self.model)
        self._activity = any(getattr(layer, "activity_regularizer", None) is not None
                             for layer in all_layers(self.model))
        self._batch_norms = [layer for layer in getattr(self.model, "layers", [])
                             if isinstance(layer, keras.layers.BatchNormalization)]
        if self._activity or self._batch_norms:  # rows are kept by the first steps
            self._batch_probe = shared_probe(self.model)
            self._batch_probe.attach()
            self._batch_probe.request(DEFAULT_PROBE_ROWS)
        if not self._activity:
            penalty = self._read_penalty()
            self._penalty_reads = [(0, penalty)] if penalty is not None else []
        steps = (self.params or {}).get("steps")
        if (self._activity or self.model.losses) and steps:
            self._read_every = max(1, steps // (PENALTY_READS + 1))

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._next_read = self._read_every

    def on_train_batch_end(self, batch, logs=None):
        if self._next_read is None or batch + 1 < self._next_read or not (self._penalty_reads or self._activity):
            return
        self._next_read = batch + 1 + self._read_every
        if self._activity and self._batch_probe.inputs() is None:
            return  # the first epoch's first steps: no rows kept yet
        penalty = self._read_penalty()
        if penalty is not None:
            self._penalty_reads.append((batch + 1, penalty))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        epochs_so_far = len(self.history.get("loss", []))
        for key, value in logs.items():
            if not is_monitor_signal(key):  # Keras' metrics; the rest is other monitors' record
                self.history.setdefault(key, [math.nan] * epochs_so_far).append(to_float(value))
        for series in self.history.values():
            if len(series) < epochs_so_far + 1:
                series.append(math.nan)
        self._record_penalty()
        if any(key.startswith("val_") for key in logs):  # an epoch `validation_freq` skipped has none
            self.validated_epochs.append(epochs_so_far)
        if self.monitor in logs:
            best = generalization.best_epoch(
                [(v if self.mode == "min" else -v) if math.isfinite(v) else math.inf
                 for v in self.history[self.monitor]], "min", self.min_delta)
            self.best_epoch = None if best is None else self.first_epoch + best
        if self.verbose:
            for finding in self.findings:
                if finding.kind not in self._announced:
                    self._announced.add(finding.kind)
                    print(f"GeneralizationMonitor: {finding}")

    def _record_penalty(self):
        """Appends the regularization penalty the epoch's training loss holds: the mean over the
        epoch's steps (the loss is one) of `model.losses`, by the trapezoid rule over its reads.
        The judge takes it off to see what the data loss did."""
        reads, self._penalty_reads = self._penalty_reads, []
        penalty = self._read_penalty()
        if self.penalties is None or penalty is None:
            return
        if not reads:  # an activity penalty's first epoch, too short for a read inside it
            self.penalties.append(penalty)
            self._penalty_reads = [(0, penalty)]
            return
        steps = (self.params or {}).get("steps") or reads[-1][0] + 1
        reads.append((max(steps, reads[-1][0] + 1), penalty))
        positions, values = np.array(reads, dtype=float).T
        self.penalties.append(float(np.trapezoid(values, positions) / (positions[-1] - positions[0])))
        self._penalty_reads = [(0, penalty)]

    def _read_penalty(self):
        """The sum of `model.losses` at the current weights; None, said once, when Keras cannot
        evaluate them outside the step."""
        if self.penalties is None:
            return None
        try:
            if self._activity:
                return self._read_activity_penalty()
            losses = self.model.losses
            if any(tf.is_symbolic_tensor(loss) for loss in losses):
                raise ValueError("an activity regularizer or a loss added inside a layer's call depends on the "
                                 "batch and exists only inside the training step")
            return sum(float(keras.ops.convert_to_numpy(loss)) for loss in losses)
        except Exception as error:  # e.g. a loss only defined inside a traced call
            self.penalties = None
            cause = str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
            self.not_judged = (f"underfitting of the data loss: the regularization penalty could not be read "
                               f"({cause}); the training loss is judged with it")
            warnings.warn(f"GeneralizationMonitor: {self.not_judged}.", NotJudgedWarning, stacklevel=2)
            return None

    def on_train_end(self, logs=None):
        if self._batch_norms:
            self._read_batch_norm_scales()
        if self._batch_probe is not None:
            self._batch_probe.detach()
            self._batch_probe = None
        # EarlyStopping ends a fit by `stop_training`; TerminateOnNaN too, on a non-finite loss.
        loss, planned = self.history.get("loss", []), (self.params or {}).get("epochs")
        self.stopped_early = bool(getattr(self.model, "stop_training", False) and planned is not None
                                  and self.first_epoch + len(loss) < planned
                                  and loss and all(math.isfinite(v) for v in loss))
        if self.monitor not in self.history and self.history:
            # Said once, at the end: with `validation_freq > 1` the first epochs have no `monitor`.
            missing = (f"overfitting: `{self.monitor}` was in no epoch's logs (no validation data); "
                       "pass `validation_data` or `validation_split` to `fit`")
            self.not_judged = missing if self.not_judged is None else f"{self.not_judged}; {missing}"
            warnings.warn(f"GeneralizationMonitor: {missing}. Underfitting is still judged.",
                          NotJudgedWarning, stacklevel=2)

    def _read_activity_penalty(self):
        """`model.losses` after a forward pass at inference over the first `ACTIVITY_ROWS` of the
        probe's kept training rows, which Keras makes the activity penalty of (per row, as in the
        step) and the weights'."""
        rows = self._batch_probe.inputs()
        if rows is None:
            unmeasurable = self._batch_probe.unmeasurable(Kept.ROWS)
            raise ValueError(f"no training rows could be kept for the activity regularizers' penalty "
                             f"({unmeasurable or 'no training step ran'})")
        rows = keras.tree.map_structure(lambda array: array[:ACTIVITY_ROWS], rows)
        with random_state_kept(self.model):
            self.model(rows, training=False)
        return sum(float(keras.ops.convert_to_numpy(loss)) for loss in self.model.losses)

    def _read_batch_norm_scales(self):
        """Fills `batch_norm_scales`: for each top-level `BatchNormalization`, how far its moving
        statistics are from the ones of what it receives at inference (on the probe's kept training
        rows), as `inference_scale`; None, said in `not_judged`, where they cannot be read."""
        rows = self._batch_probe.inputs() if self._batch_probe is not None else None
        try:
            if rows is None:
                why = self._batch_probe.unmeasurable(Kept.ROWS) if self._batch_probe is not None else None
                raise ValueError(f"no training rows were kept ({why or 'no training step ran'})")
            with random_state_kept(self.model):
                received = _received_at_inference(self.model, self._batch_norms, rows)
            self.batch_norm_scales = {
                layer.name: {"inference_scale": inference_scale(layer, np.asarray(value)),
                             "on_input": reads_model_input(self.model, layer)}
                for layer, value in zip(self._batch_norms, received)}
        except Exception as error:  # a subclassed model has no graph to read the layers' inputs from
            self.batch_norm_scales = None
            missing = f"stale BatchNormalization statistics: the layers' inputs could not be read ({error})"
            self.not_judged = missing if self.not_judged is None else f"{self.not_judged}; {missing}"
            warnings.warn(f"GeneralizationMonitor: {missing}.", NotJudgedWarning, stacklevel=2)

    @property
    def extras(self):
        extras = {"monitor": self.monitor, "mode": self.mode, "patience": self.patience, "min_delta": self.min_delta,
                  "chance_loss": self._chance, "best_epoch": self.best_epoch,
                  "validated_epochs": list(self.validated_epochs), "stopped_early": self.stopped_early}
        if self.batch_norm_scales:
            extras["batch_norm_scales"] = self.batch_norm_scales
        if self.penalties and any(self.penalties):
            extras["regularization_loss"] = list(self.penalties)
            extras["activity_penalty"] = self._activity
        return extras

    def record(self):
        """The run record (`Monitor.record`) with the chance loss this monitor was given."""
        record = super().record()
        record["meta"]["chance_loss"] = self._chance
        return record
