"""`GradientMonitor`: per-layer gradient health from the real training step.

Example:

>>> monitor = GradientMonitor()
>>> model.fit(x, y, epochs=5, callbacks=[monitor])          # doctest: +SKIP
>>> monitor.history["grad_norm/dense"]                      # doctest: +SKIP
[0.41, 0.37, 0.35, 0.33, 0.31]
>>> [str(f) for f in monitor.findings]                      # doctest: +SKIP
"""

import math
import warnings

import keras

from callbacks._arguments import Verbosity, keep_checked
from callbacks._batch_probe import Kept, shared_probe
from callbacks._guard import NotJudgedWarning
from callbacks._monitor import Monitor, is_monitor_signal
from callbacks._telemetry import automatic_every, shared_telemetry
from callbacks._time_gradient import TimeGradientProbe, recurrent_layers
from diagnostics._format import to_float
from zoo._serialization import register_serializable
from zoo._validation import Boolean, Integer, Optional

LOGGED_SIGNALS = (
    "grad_norm",
    "weight_norm",
    "update_ratio",
    "grad_zero_frac",
    "nonfinite",
    "grad_max",
    "grad_first",
)
# Per recurrent layer, the gradient through time (`callbacks._time_gradient`): growth from the last
# informative step back to the first, and the share of the gradient that informative steps get.
TIME_SIGNALS = {"time_grad_growth": "growth", "time_grad_share": "informative_share"}
# Rows the gradient through time is measured on: enough to tell informative steps (which differ
# between rows) from padding, and one forward and backward pass of a small batch per epoch.
TIME_PROBE_ROWS = 64

_CONSTRAINTS = {"every": Optional(Integer(minimum=1)), "log_layers": Boolean(), "stop_on_nonfinite": Boolean(),
                "verbose": Verbosity()}


@register_serializable(legacy_package="callbacks")
class GradientMonitor(Monitor):
    """Records per-layer gradient statistics in-graph and diagnoses vanishing, exploding and
    non-finite gradients.

    At every epoch end it adds `grad_norm/<layer>`, `weight_norm/<layer>`, `update_ratio/<layer>`,
    `grad_zero_frac/<layer>`, `nonfinite/<layer>`, `grad_max/<layer>` and `grad_first/<layer>`
    (see `callbacks._telemetry`) to `logs`, so `History`, `CSVLogger` and `TensorBoard` record
    them. A model with recurrent layers also gets, per recurrent layer, the gradient through time
    on `TIME_PROBE_ROWS` rows kept from the first training batches (`callbacks._time_gradient`):
    `time_grad_growth/<layer>` and `time_grad_share/<layer>`. `diagnostics.judge` decides on the
    series (`findings`).

    Args:
        every: measure every this many optimizer steps (and always the first steps of training
            and the first step of each epoch). None (default): the telemetry's automatic period,
            `callbacks._telemetry.automatic_every`, 16 to 64 steps by parameter count and epoch
            length, about 1% of a step's cost. 1 measures every step: exact epoch means, at a higher cost.
        log_layers: put the per-layer values into `logs`. Set False to keep a progress bar short;
            the values are still in `.history`.
        stop_on_nonfinite: stop training, like `keras.callbacks.TerminateOnNaN`, when the loss
            or a measured gradient is not finite, and report where it first appeared.
        verbose: 0 silent, 1 prints each new finding when it first appears.

    Attributes:
        findings: list of `diagnostics.Finding`: `diagnostics.judge` on the series so far
            (judged when read, so an epoch end costs nothing when nobody asks; `verbose` and
            `stop_on_nonfinite` ask every epoch).
        history: `{key: [value per epoch]}` with the per-layer series and the `logs` metrics.
        layers: trainable layer names, input side first.
        first_nonfinite_step: `{layer: optimizer step}` of each layer's first measured
            non-finite gradient.
        extras: JSON-safe extra data for `TrainingDiagnostics` (layers, first non-finite steps,
            and per recurrent layer its time steps and first and last informative steps).
        not_judged: why the gradient through time of a recurrent model was not measured, or None.
    """

    @property
    def async_safe(self):
        """Keras may run the batch hooks in a thread, unless they must stop training at once."""
        return not self.stop_on_nonfinite

    def __init__(self, every=None, log_layers=True, stop_on_nonfinite=False, verbose=0):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, every=every, log_layers=log_layers, stop_on_nonfinite=stop_on_nonfinite,
                     verbose=verbose)
        self._telemetry = None
        self._batch_probe = None
        self._reset()

    def _reset(self):
        self.history = {}
        self.layers = []
        self.trainable_weights = None
        self.stopped_at = None
        self.first_nonfinite_step = {}
        self.recurrent = {}
        self.not_judged = None
        self._time_probe = None
        self._epochs = 0
        self._announced = set()

    def get_config(self):
        return {
            "every": self.every,
            "log_layers": self.log_layers,
            "stop_on_nonfinite": self.stop_on_nonfinite,
            "verbose": self.verbose,
        }

    def on_train_begin(self, logs=None):
        self._reset()
        steps = (self.params or {}).get("steps")
        self._telemetry = shared_telemetry(self.model, every=self.every or automatic_every(self.model, steps))
        self._telemetry.attach()
        self.layers = list(self._telemetry.layers)
        if recurrent_layers(self.model):
            self._batch_probe = shared_probe(self.model)
            self._batch_probe.attach()
            self._batch_probe.request(TIME_PROBE_ROWS, targets=True)

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        if self._telemetry is not None:
            self._telemetry.begin_period()

    def on_train_batch_end(self, batch, logs=None):
        if not self.stop_on_nonfinite or not logs or "loss" not in logs:
            return
        loss = float(logs["loss"])
        if not math.isfinite(loss):
            self.stopped_at = {"epoch": self.first_epoch + self._epochs, "batch": int(batch), "loss": loss}
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self._telemetry is None:
            return
        values = self._telemetry.period_values()
        self.layers = list(self._telemetry.layers)  # a subclassed model is built by its first step
        if self.trainable_weights is None:  # fixed for the fit (a change needs a new compile)
            self.trainable_weights = len(self.model.trainable_weights)
        epoch_values = {}
        for signal in LOGGED_SIGNALS:
            for layer in self.layers:
                epoch_values[f"{signal}/{layer}"] = values[signal][layer]
        for layer, step in values["first_nonfinite_step"].items():
            if step >= 0 and layer not in self.first_nonfinite_step:
                self.first_nonfinite_step[layer] = int(step)
        epoch_values.update(self._time_gradient())
        self._record(logs or {}, epoch_values)
        if logs is not None and self.log_layers:
            logs.update(epoch_values)
        if self.verbose:
            self._announce()
        if self.stop_on_nonfinite and any(f.kind == "non_finite" for f in self.findings):
            self.model.stop_training = True
            if self.stopped_at is None:
                loss = to_float((logs or {}).get("loss"))
                self.stopped_at = {"epoch": int(epoch), "batch": None, "loss": loss}

    @property
    def extras(self):
        extras = {"layers": list(self.layers), "first_nonfinite_step": dict(self.first_nonfinite_step)}
        if self.trainable_weights is not None:
            extras["trainable_weights"] = self.trainable_weights
        if self.recurrent:
            extras["recurrent"] = {layer: dict(steps) for layer, steps in self.recurrent.items()}
        if self.not_judged is not None:
            extras["not_judged"] = self.not_judged
        return extras

    def on_train_end(self, logs=None):
        if self._telemetry is not None:
            self._telemetry.detach()
            self._telemetry = None
        if self._batch_probe is not None:
            self._batch_probe.detach()
            self._batch_probe = None

    # -- internals -------------------------------------------------------------------------------

    def _record(self, logs, epoch_values):
        merged = {key: value for key, value in logs.items() if not is_monitor_signal(key)}
        merged.update(epoch_values)
        for key, value in merged.items():
            series = self.history.setdefault(key, [float("nan")] * self._epochs)
            series.append(to_float(value))
        self._epochs += 1
        for series in self.history.values():
            if len(series) < self._epochs:
                series.append(float("nan"))

    def _time_gradient(self):
        """This epoch's gradient through time of every recurrent layer, as series values (NaN
        for a layer not measured); empty for a model without recurrent layers."""
        if self._batch_probe is None:
            return {}
        if self._time_probe is None:  # the model is built by now
            self._time_probe = TimeGradientProbe(self.model)
            if self._time_probe.unmeasurable:
                self._not_measured(self._time_probe.unmeasurable)
        batch = self._batch_probe.batch()
        if batch is None:
            self._not_measured(self._batch_probe.unmeasurable(Kept.ROWS) or self._batch_probe.shape_mismatch()
                               or "no probe rows were kept")
        summaries = {} if batch is None else self._time_probe.measure(
            *(keras.tree.map_structure(lambda rows: rows[:TIME_PROBE_ROWS], part) for part in batch))
        values = {}
        for layer in self._time_probe.layers:
            summary = summaries.get(layer, {})
            for key, field in TIME_SIGNALS.items():
                values[f"{key}/{layer}"] = summary.get(field, float("nan"))
            if summary:
                self.recurrent[layer] = {key: summary[key] for key in
                                         ("timesteps", "first_informative", "last_informative",
                                          "read_first", "read_last")}
        return values

    def _not_measured(self, reason):
        """Notes (and warns, once) why the gradient through time is not measured."""
        if self.not_judged is None:
            self.not_judged = f"the gradient through time of the recurrent layers is not measured: {reason}"
            warnings.warn(f"GradientMonitor: {self.not_judged}", NotJudgedWarning, stacklevel=3)

    def _announce(self):
        for finding in self.findings:
            key = (finding.kind, finding.layer)
            if key not in self._announced:
                self._announced.add(key)
                print(f"GradientMonitor: {finding}")
