"""`StallMonitor`: finds stalls, probes the curvature there, tells saddle points from plateaus.

Without `probe_data` the probe batch is the first `probe_size` training samples of each `fit`,
gathered across batches inside the training step by the shared `callbacks._batch_probe.BatchProbe`
(under XLA, several replicas and any batch size).

Example:

>>> monitor = StallMonitor(probe_data=(x_train[:256], y_train[:256]), escape="perturb")
>>> model.fit(x_train, y_train, epochs=30, callbacks=[monitor])        # doctest: +SKIP
>>> monitor.probes[0]["min_eigenvalue"], monitor.findings[0].kind      # doctest: +SKIP
(-1.7, 'saddle_point')
"""

import contextlib
import math
import time
import warnings

import keras
import numpy as np
import tensorflow as tf

from callbacks._arguments import Batch, Verbosity, keep_checked
from callbacks._batch_probe import DEFAULT_PROBE_ROWS, shared_probe
from callbacks._random_state import random_state_kept
from callbacks._guard import NotJudgedWarning
from callbacks._monitor import GLOBAL_GRAD_NORM, Monitor
from callbacks._telemetry import attached_telemetry, model_optimizers
from diagnostics.generalization import model_chance_loss
from diagnostics import hessian, stall
from diagnostics.schedule import LEARNING_RATE_KEY as LEARNING_RATE
from diagnostics.schedule import schedule_peaks
from diagnostics.setup_model import ADAPTIVE_STEP_OPTIMIZERS, innermost_optimizer
from zoo._keras_internals import producing_layer
from zoo._serialization import register_serializable
from zoo._validation import Integer, Optional, Options, Real

ESCAPES = (None, "perturb", "lr")

_CONSTRAINTS = {"probe_data": Optional(Batch(weights=True)), "probe_size": Integer(minimum=1),
                "window": Integer(minimum=1), "max_iter": Integer(minimum=1), "max_probes": Integer(minimum=1),
                "escape": Options(ESCAPES), "lr_factor": Real(minimum=0.0, min_inclusive=False),
                "every_steps": Optional(Integer(minimum=1)), "verbose": Verbosity()}


@register_serializable(legacy_package="callbacks")
class StallMonitor(Monitor):
    """Detects stalls of the training loss and classifies each one from the Hessian spectrum.

    At every epoch end the monitor records the training loss and the global gradient norm. The
    norm comes from the model's gradient telemetry when a `GradientMonitor` measures it in the
    same `fit` (read from the shared instrument, not from `logs`), otherwise from one gradient on
    the probe batch; it is logged as `global_grad_norm` (NaN when unknown). When
    `diagnostics.stall.stall_epochs` sees a new stall, the extreme Hessian eigenvalues on the
    probe batch are computed by Lanczos (`max_iter` HVPs at most), with the loss one escape step
    along the negative direction (`escape_drop`), and the stall is recorded;
    `diagnostics.judge` decides (`diagnostics.stall.judge_stall`): `saddle_point`, `plateau`,
    or nothing (a minimum).
    Curvature is probed only at stalls where it can change the judgement (not at a classifier's
    converged loss, `diagnostics.stall.curvature_can_matter`), at most `max_probes` times per
    `fit`. While a classifier's
    loss stays at chance level, the monitor keeps a host copy of the initial weights, so that a
    stall that began there is probed there (one copy of the weights, dropped when the loss
    leaves chance: after the first epoch of a healthy run).

    Args:
        probe_data: `(x, y)` or `(x, y, sample_weight)` arrays, or a `tf.data.Dataset` of such
            batches (its first batch is used); the first `probe_size` samples form the fixed
            probe batch. Default (None): the first `probe_size` training samples (inputs,
            targets and sample weights) of each `fit`, gathered across batches inside the
            training step. A model without its own `call()` or without a compiled loss (a GAN)
            has no loss surface to probe: the monitor still finds stalls there, but cannot tell
            a saddle from a plateau.
        probe_size: samples in the probe batch.
        window: epochs over which the loss must stop improving.
        max_iter: most Hessian-vector products per curvature probe.
        max_probes: most curvature probes per `fit`.
        every_steps: None judges the loss per epoch; an integer judges it per block of this many
            optimizer steps instead (the block's mean loss, recovered from the running mean in
            the logs, and the gradient norm on the probe batch), so a stall is caught within an
            epoch. `window` then counts blocks.
        escape: None (only diagnose), `"perturb"` (at a saddle, step along the negative-curvature
            eigenvector, downhill) or `"lr"` (at a saddle or plateau, multiply the learning rate
            by `lr_factor`).
        lr_factor: learning-rate multiplier for `escape="lr"`.
        verbose: 0 silent, 1 prints each probe and finding.

    Attributes:
        findings: list of `diagnostics.Finding`, judged when read (`diagnostics.judge`). In
            `TrainingDiagnostics`, a stall that saturated units, dead units, vanishing or zero
            gradients (recorded by the other monitors) or a bounded output explain is reported
            as that, not as a saddle point or plateau (see `diagnostics.stall.judge_stall`).
        probes: one dict per curvature probe: epoch, eigenvalues, HVPs, time, action taken, and
            `weights`: `"initial"` for a stall at chance level since training began that sits
            at the initial weights' loss with a gradient not fallen since
            (`diagnostics.stall.began_at_start`), probed at the weights it began from, else
            `"current"`.
        history: `{"loss": [...], "global_grad_norm": [...]}` per epoch.
        extras: JSON-safe data for `TrainingDiagnostics` (the probes).
        not_judged: why the curvature could not be probed (stalls are then reported without
            telling a saddle from a plateau), or None.
    """

    @property
    def async_safe(self):
        """Without `every_steps` the batch hook does nothing, so Keras may run it in a thread."""
        return self.every_steps is None

    def __init__(self, probe_data=None, probe_size=DEFAULT_PROBE_ROWS, window=stall.STALL_WINDOW, max_iter=20,
                 max_probes=5, escape=None, lr_factor=2.0, every_steps=None, verbose=0):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, probe_data=probe_data, probe_size=probe_size, window=window,
                     max_iter=max_iter, max_probes=max_probes, escape=escape, lr_factor=lr_factor,
                     every_steps=every_steps, verbose=verbose)
        self._batch = _probe_batch(probe_data, probe_size) if probe_data is not None else None
        self._batch_probe = None
        self._reset()

    def _reset(self):
        self._stalls = []
        self.probes = []
        self.history = {"loss": [], "global_grad_norm": [], LEARNING_RATE: []}
        self._initial_learning_rate = None
        self._schedule_peaks = None
        self.step_history = {"loss": [], "global_grad_norm": [], "epoch": []}
        self._seen = (0, 0.0)
        self._probe = None
        self._last_spectrum = None
        self._stalls_seen = set()
        self._captured = None
        self._epoch_ended = False
        self._initial_values = None
        # Per epoch: the steps it ran, and by how much the optimizer's `iterations` advanced.
        self._updates = {"steps": [], "updates": [], "trainable_weights": None, "accumulation": None}
        self._iterations = None
        self.not_judged = None


    def get_config(self):
        return {"probe_data": None, "probe_size": self.probe_size, "window": self.window,
                "max_iter": self.max_iter, "max_probes": self.max_probes, "escape": self.escape,
                "lr_factor": self.lr_factor, "every_steps": self.every_steps, "verbose": self.verbose}

    def on_train_begin(self, logs=None):
        self._reset()
        optimizer = getattr(self.model, "optimizer", None)
        self._initial_learning_rate = _learning_rate(optimizer) if optimizer is not None else None
        if optimizer is not None:
            start = int(keras.ops.convert_to_numpy(optimizer.iterations))
            self._schedule_peaks = schedule_peaks(innermost_optimizer(optimizer), start, self._run_steps())
        self._iterations = _iterations(self.model)
        self._updates["accumulation"] = getattr(optimizer, "gradient_accumulation_steps", None)
        if model_chance_loss(self.model) is not None:
            self._initial_values = _variable_values(self.model)
        if self._batch is None and _has_loss_surface(self.model):
            self._batch_probe = shared_probe(self.model)
            self._batch_probe.attach()
            self._batch_probe.request(self.probe_size, targets=True)

    def on_train_end(self, logs=None):
        if self._batch_probe is not None:
            self._batch_probe.detach()
            self._batch_probe = None

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._seen = (0, 0.0)
        telemetry = attached_telemetry(self.model)
        if telemetry is not None:  # a new period for its reader here, whether its other readers run or not
            telemetry.begin_period()

    def on_train_batch_end(self, batch, logs=None):
        if self.every_steps is None or not logs or "loss" not in logs:
            return
        count = batch + 1
        seen_count, seen_mean = self._seen
        if count - seen_count < self.every_steps:
            return
        mean = float(logs["loss"])
        # Keras 3 logs the running mean of the epoch so far; the difference gives the block's mean.
        block_loss = (count * mean - seen_count * seen_mean) / (count - seen_count)
        self._seen = (count, mean)
        grad_norm = self._probe_grad_norm()
        series = self.step_history
        series["loss"].append(block_loss)
        series["global_grad_norm"].append(grad_norm)
        series["epoch"].append(len(self.history["loss"]))
        with random_state_kept(self.model):
            self._judge(series, series["epoch"][-1], self.window * self.every_steps)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch_ended = True
        logs = logs if logs is not None else {}
        loss = float(logs.get("loss", math.nan))
        grad_norm = self._grad_norm()
        self.history["loss"].append(loss)
        self.history["global_grad_norm"].append(grad_norm)
        optimizer = getattr(self.model, "optimizer", None)
        rate = _learning_rate(optimizer) if optimizer is not None else None
        self.history[LEARNING_RATE].append(math.nan if rate is None else rate)
        self._count_updates()
        logs[GLOBAL_GRAD_NORM] = grad_norm
        if not stall.at_chance(self.history["loss"], model_chance_loss(self.model)):
            self._initial_values = None  # a stall can no longer be the one training began in
        if self.every_steps is None:
            steps = (self.params or {}).get("steps")
            with random_state_kept(self.model):  # its probes must not move the training's dropout masks
                self._judge(self.history, len(self.history["loss"]) - 1, self.window * steps if steps else None)

    def _count_updates(self):
        """Notes the epoch's steps and the updates the optimizer applied in them."""
        now = _iterations(self.model)
        self._updates["trainable_weights"] = len(self.model.trainable_weights)  # a subclassed model is built by now
        self._updates["steps"].append((self.params or {}).get("steps"))  # None when Keras does not know
        self._updates["updates"].append(None if now is None or self._iterations is None else now - self._iterations)
        self._iterations = now

    def _judge(self, series, epoch, window_steps):
        """Looks for a new stall at the end of `series`; probes and judges it."""
        grads = series["global_grad_norm"]
        known = [g for g in grads if math.isfinite(g)]
        chance_loss = model_chance_loss(self.model)
        stalls = stall.stall_epochs(series["loss"], grads if len(known) == len(grads) else None, self.window,
                                    chance_loss=chance_loss)
        index = len(series["loss"]) - 1
        if index not in stalls or (id(series), index) in self._stalls_seen:
            return
        self._stalls_seen.add((id(series), index))
        loss = series["loss"][index]
        curvature = None
        if self._has_probe() and len(self.probes) < self.max_probes and stall.curvature_can_matter(loss, chance_loss):
            from_start = stall.at_chance(series["loss"][: index + 1], chance_loss)
            try:
                curvature = self._probe_curvature(epoch, loss, window_steps, from_start)
            except Exception as error:  # never break the user's training
                self._no_curvature(f"the curvature probe failed ({type(error).__name__}: {error})")
        learning_rate, steps = self._sgd_step_size(window_steps)
        optimizer = innermost_optimizer(getattr(self.model, "optimizer", None))  # Adam under a loss scale
        record = {"epoch": epoch, "loss": list(series["loss"][: index + 1]), "at": index,
                  "curvature": None if curvature is None else _curvature_only(curvature),
                  "learning_rate": learning_rate, "steps": steps, "run_steps": self._run_steps(),
                  "adaptive": type(optimizer).__name__ in ADAPTIVE_STEP_OPTIMIZERS}
        self._stalls.append(record)
        finding = self._judge_record(record)
        if curvature is not None:
            curvature["kind"] = finding.kind if finding is not None else _verdict_without_finding(
                series["loss"][: index + 1], loss, chance_loss)
            curvature["action"] = self._act(finding, curvature)
        if finding is not None and self.verbose:
            print(f"StallMonitor: {finding}")

    def _judge_record(self, record):
        """The stall judged on the curvature alone, as the escape actuator and the probe's label
        need it now (`findings` are the judge's, with every monitor's record)."""
        return stall.judge_stall(record["epoch"], record["loss"], record["curvature"],
                                 chance_loss=model_chance_loss(self.model),
                                 learning_rate=record["learning_rate"], steps=record["steps"],
                                 at=record["at"], output_floor=self._output_floor(), run_steps=record["run_steps"],
                                 adaptive=record["adaptive"])

    def record(self):
        """The run record (`Monitor.record`) with the loss and gradient norm per epoch."""
        record = super().record()
        record["history"] = {key: list(values) for key, values in self.history.items()}
        return record

    def _output_floor(self):
        """The lowest loss a bounded output (sigmoid, tanh...) allows on the probe targets."""
        batch = self._batch if self._batch is not None else self._captured
        outputs = getattr(self.model, "outputs", None)
        if batch is None or not outputs or len(outputs) != 1 or not isinstance(batch[1], np.ndarray):
            return None
        activation = getattr(producing_layer(outputs[0]), "activation", None)
        loss = _REGRESSION_LOSSES.get(_loss_name(self.model.loss))
        name = getattr(activation, "__name__", None)
        return stall.bounded_output_floor(batch[1], name, loss) if name and loss else None

    # -- signals ---------------------------------------------------------------------------------

    def _has_probe(self):
        if self.not_judged is not None:  # the curvature was found not to be measurable
            return False
        batch = self._batch if self._batch is not None else self._captured_batch()
        if batch is None:
            reason = None if self._batch_probe is None else self._batch_probe.unmeasurable("rows")
            if reason is not None:  # the rows can never be kept in this run: say so once
                self._no_curvature(reason)
            return False
        if self._probe is None:
            x, y, weights = batch
            try:
                self._probe = hessian.HessianProbe(self.model, x, y, sample_weight=weights)
            except (TypeError, ValueError) as error:
                self._no_curvature(str(error))
                return False
        return True

    def _no_curvature(self, reason):
        """Says once why the curvature cannot be probed, and stops probing it."""
        self.not_judged = f"saddle points are not told from plateaus: {reason}"
        warnings.warn(f"StallMonitor: {self.not_judged}", NotJudgedWarning, stacklevel=3)
        self._probe = None

    def _captured_batch(self):
        """The batch gathered in this `fit` (fixed once known), or None: within the first epoch
        only once it holds `probe_size` rows, after it whatever the data had."""
        if self._captured is None and self._batch_probe is not None:
            batch = self._batch_probe.batch()
            if batch is not None and (self._epoch_ended or len(keras.tree.flatten(batch[0])[0]) >= self.probe_size):
                self._captured = (batch[0], batch[1], batch[2] if len(batch) == 3 else None)
        return self._captured

    def _grad_norm(self):
        """The epoch's global gradient norm: from the telemetry when a `GradientMonitor` measures
        the same `fit`, else one gradient on the probe batch."""
        telemetry = attached_telemetry(self.model)
        if telemetry is not None:
            layer_norms = list(telemetry.period_values().get("grad_norm", {}).values())
            if layer_norms and all(math.isfinite(v) for v in layer_norms):
                return math.sqrt(sum(v * v for v in layer_norms))
        return self._probe_grad_norm()

    def _probe_grad_norm(self):
        if self._has_probe():
            try:
                with random_state_kept(self.model):
                    _, grad = self._probe.loss_and_gradient()
            except Exception as error:  # never break the user's training
                self._no_curvature(f"the gradient on the probe batch failed ({type(error).__name__}: {error})")
                return math.nan
            return float(np.linalg.norm(grad))
        return math.nan

    def _probe_curvature(self, epoch, loss, window_steps, from_start=False):
        """Extreme eigenvalues at the stall; a stall that began at the initial weights is probed
        there (later in it, units may have died or saturated)."""
        start, count = time.perf_counter(), self._probe.hvp_count
        at_initial = from_start and self._initial_values is not None and self._began_at_initial_weights()
        with self._probe.at_weights(self._initial_values) if at_initial else contextlib.nullcontext():
            spectrum = hessian.lanczos_extremes(self._probe, max_iter=self.max_iter, seed=len(self.probes))
            weights = self._probe.weights()
            escape = self._escape_drop(spectrum, float(np.linalg.norm(weights)))
        record = {
            "epoch": int(epoch),
            "max_eigenvalue": spectrum.max_eigenvalue,
            "min_eigenvalue": spectrum.min_eigenvalue,
            "hvps": int(self._probe.hvp_count - count),
            "converged": bool(spectrum.converged),
            "weight_norm": float(np.linalg.norm(weights)),
            "probe_ms": 1000.0 * (time.perf_counter() - start),
            "loss": loss,
            "weights": "initial" if at_initial else "current",
        }
        if escape is not None:
            record["escape_drop"], record["escape_predicted"] = escape
        learning_rate, steps = self._sgd_step_size(window_steps)
        if learning_rate is not None:
            record["learning_rate"], record["steps"], record["run_steps"] = learning_rate, steps, self._run_steps()
        self.probes.append(record)
        self._last_spectrum = spectrum
        if self.verbose:
            print(f"StallMonitor: stall at epoch {self.first_epoch + epoch}; Hessian eigenvalues in "
                  f"[{spectrum.min_eigenvalue:.4g}, {spectrum.max_eigenvalue:.4g}] "
                  f"({record['hvps']} HVPs, {record['probe_ms']:.0f} ms)")
        return record

    def _escape_drop(self, spectrum, weight_norm):
        """`(measured, predicted)` relative drops of the probe loss one escape step
        (`diagnostics.stall.escape_step`) along the negative-curvature eigenvector, the better of
        its two signs, and what the quadratic model predicts (|lambda| t^2 / 2); None without
        negative curvature. The weights are restored exactly."""
        vector = spectrum.min_eigenvector
        if vector is None or not spectrum.min_eigenvalue < 0:
            return None
        base, _ = self._probe.loss_and_gradient()
        length = stall.escape_step(spectrum.min_eigenvalue, base, weight_norm)
        values = self._probe.variable_values()
        sizes = np.cumsum([value.size for value in values])[:-1]
        best = base
        for sign in (1.0, -1.0):
            parts = np.split(sign * length * vector, sizes)
            moved = [value + part.reshape(value.shape).astype(value.dtype) for value, part in zip(values, parts)]
            with self._probe.at_weights(moved):
                best = min(best, self._probe.loss_and_gradient()[0])
        scale = max(abs(base), 1e-12)
        return float((base - best) / scale), float(0.5 * -spectrum.min_eigenvalue * length**2 / scale)

    def _began_at_initial_weights(self):
        """Whether the stall began at the initial weights (`diagnostics.stall.began_at_start`),
        from the loss and gradient on the probe batch there and here."""
        shapes = [tuple(variable.shape) for variable in self._probe.variables]
        if [np.shape(value) for value in self._initial_values] != shapes:
            return False  # the trainable variables changed since (a layer frozen or unfrozen)
        loss, grad = self._probe.loss_and_gradient()
        with self._probe.at_weights(self._initial_values):
            initial_loss, initial_grad = self._probe.loss_and_gradient()
        return stall.began_at_start(initial_loss, loss, float(np.linalg.norm(initial_grad)),
                                    float(np.linalg.norm(grad)))

    def _sgd_step_size(self, window_steps):
        """`(effective learning rate, window_steps)` for plain/momentum SGD, else (None, None): for
        adaptive optimizers the step along an eigenvector does not scale with the learning rate."""
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or type(optimizer).__name__ != "SGD" or not window_steps:
            return None, None
        learning_rate = _learning_rate(optimizer)
        if learning_rate is None:
            return None, None
        momentum = float(getattr(optimizer, "momentum", 0.0) or 0.0)
        return learning_rate / max(1.0 - momentum, 1e-3), int(window_steps)

    def _run_steps(self):
        """Optimizer steps the whole `fit` is planned to take, or None if unknown."""
        params = self.params or {}
        epochs, steps = params.get("epochs"), params.get("steps")
        return int(epochs) * int(steps) if epochs and steps else None

    # -- actions ---------------------------------------------------------------------------------

    def _act(self, finding, record):
        if finding is None or self.escape is None:
            return None
        if self.escape == "perturb" and finding.kind == "saddle_point":
            vector = self._last_spectrum.min_eigenvector
            _, grad = self._probe.loss_and_gradient()
            direction = -1.0 if float(grad @ vector) > 0 else 1.0  # downhill along the eigenvector
            length = stall.escape_step(record["min_eigenvalue"], record["loss"], record["weight_norm"])
            self._probe.add_to_weights(direction * length * vector)
            record["perturbation"] = length
            return "perturb"
        if self.escape == "lr":
            optimizer = getattr(self.model, "optimizer", None)
            old = _learning_rate(optimizer) if optimizer is not None else None
            if old is None or not hasattr(optimizer.learning_rate, "assign"):
                return None
            optimizer.learning_rate.assign(old * self.lr_factor)
            record["new_learning_rate"] = old * self.lr_factor
            return "lr"
        return None

    @property
    def extras(self):
        extras = {"probes": [{k: v for k, v in p.items() if v is not None} for p in self.probes],
                  "window": self.window, "stalls": [dict(record) for record in self._stalls],
                  "output_floor": self._output_floor(), "initial_learning_rate": self._initial_learning_rate,
                  "updates": dict(self._updates)}
        if self._schedule_peaks is not None:  # the run's and the schedule's highest rates
            extras["schedule_peaks"] = list(self._schedule_peaks)
            extras["planned_steps"] = self._run_steps()
        if self.not_judged is not None:
            extras["not_judged"] = self.not_judged
        return extras


def _iterations(model):
    """The updates applied by all of `model`'s optimizers (a GAN's two included), or None
    without one."""
    counts = [getattr(optimizer, "iterations", None) for optimizer in model_optimizers(model)]
    try:
        return sum(int(keras.ops.convert_to_numpy(c)) for c in counts if c is not None) if counts else None
    except (TypeError, ValueError):
        return None


def _verdict_without_finding(losses, stall_loss, chance_loss):
    """The probe's label for a stall with no curvature finding: a minimum only at a loss well
    below where training started (or below chance); a stall still that high is not a minimum,
    whatever the curvature says: another finding names its cause."""
    return "stall (not a minimum)" if stall.loss_is_high(losses, stall_loss, chance_loss) else "minimum"


def _has_loss_surface(model):
    """Whether the model has a `call()` and a compiled loss, so that a Hessian of its loss exists."""
    return type(model).call is not keras.Model.call and (model.loss is not None or bool(model.losses))


_REGRESSION_LOSSES = {"mse": "mse", "mean_squared_error": "mse", "MeanSquaredError": "mse",
                      "mae": "mae", "mean_absolute_error": "mae", "MeanAbsoluteError": "mae"}


def _loss_name(loss):
    if isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__


def _variable_values(model):
    """Copies of the model's trainable variables (for a probe at the initial weights), or None."""
    try:
        return [np.array(keras.ops.convert_to_numpy(v)) for v in model.trainable_variables]
    except Exception:  # a variable that cannot be read back here: no probe at the initial weights
        return None


def _curvature_only(record):
    return {k: record[k] for k in ("max_eigenvalue", "min_eigenvalue", "hvps", "weight_norm", "escape_drop",
                                   "escape_predicted", "weights") if k in record}


def _learning_rate(optimizer):
    value = getattr(optimizer, "learning_rate", None)
    try:
        return float(keras.ops.convert_to_numpy(value))
    except (TypeError, ValueError):
        return None


def _probe_batch(data, size):
    """`(x, y, sample_weight)` of the first `size` samples of `data`."""
    if isinstance(data, tf.data.Dataset):
        data = next(iter(data))
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise TypeError("`probe_data` must be (x, y), (x, y, sample_weight) or a tf.data.Dataset of them. "
                        f"Received: probe_data of type {type(data).__name__}")

    def head(value):
        return tf.nest.map_structure(lambda a: np.asarray(keras.ops.convert_to_numpy(a))[:size], value)

    x, y = head(data[0]), head(data[1])
    weights = head(data[2]) if len(data) == 3 and data[2] is not None else None
    return x, y, weights
