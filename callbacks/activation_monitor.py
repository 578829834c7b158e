"""`ActivationMonitor`: dead and saturated units per layer, from a fixed probe batch.

Without `probe_data`, the probe batch is the first `probe_size` training inputs, gathered across
batches inside the training step by the shared `callbacks._batch_probe.BatchProbe` (under XLA,
several replicas and any batch size). A model without its own `call()` (a GAN that holds a
generator and a discriminator and trains them in its own `train_step`) is probed through the
sub-models it holds: each gets the probe inputs when their shape fits its input, and otherwise,
for a float input such as a generator's latent vector, standard normal noise.

Example:

>>> monitor = ActivationMonitor()
>>> model.fit(x, y, epochs=5, callbacks=[monitor])          # doctest: +SKIP
>>> monitor.history["dead_frac/dense"]                      # doctest: +SKIP
[0.03, 0.03, 0.06, 0.06, 0.06]
"""

import math
import warnings

import numpy as np
import tensorflow as tf

import keras

from callbacks._arguments import Arrays, Verbosity, keep_checked
from callbacks._batch_probe import DEFAULT_PROBE_ROWS, Kept, shared_probe
from callbacks._guard import NotJudgedWarning
from callbacks._monitor import Monitor
from callbacks._probe_schedule import ProbeSchedule
from callbacks._random_state import random_state_kept
from diagnostics import activations
from zoo._keras_internals import all_layers, patch_method, producing_layer, unpatch_method
from zoo._serialization import register_serializable
from zoo._validation import Boolean, Integer, Optional

# Seed of the standard normal inputs given to a sub-model whose input is not the data (the
# latent vector of a GAN generator): fixed, so that every epoch probes the same points.
LATENT_SEED = 0
# The probe batch goes through in chunks whose probed activations take at most this much memory
# (all 256 rows at once held ~80 MB of convolution outputs on a 1M-weight 32x32 CNN); per-unit
# counts of chunks add up. A dense network's 256 rows take a few hundred KB: one call.
PROBE_CHUNK_BYTES = 4 * 2**20
# Rows per chunk at least (fewer, larger calls cost less time; the CNN's 32 rows hold ~12 MB), and
# where the activation sizes are not known before the first pass (a subclassed model).
PROBE_CHUNK_ROWS = 32

_CONSTRAINTS = {"probe_data": Optional(Arrays()), "probe_size": Integer(minimum=1), "log_layers": Boolean(),
                "verbose": Verbosity()}


@register_serializable(legacy_package="callbacks")
class ActivationMonitor(Monitor):
    """Measures, at epoch ends, the share of dead and of saturated units in every hidden layer
    with a ReLU-family or sigmoid-family activation (activation layers and layers with a built-in
    activation, in nested models too; not the output layer, whose sigmoid is meant to saturate),
    on a fixed probe batch; diagnoses `dead_relu` and `saturation` with `diagnostics.activations`.

    Logs `dead_frac/<layer>` (ReLU, ReLU6) and `saturated_frac/<layer>` (sigmoid, hard sigmoid,
    tanh, softsign) from epoch 0 (NaN until the probe batch is known, at the epochs the probe
    skips to stay within its share of training (see `probed_epochs`), and for layers of a
    sub-model that could not be given an input).

    Args:
        probe_data: inputs to probe with (an array or tensor, or the list or dict of them for a
            model with several inputs; the first `probe_size` rows are used). Default: the first
            `probe_size` training inputs of each `fit`, gathered across batches in the step.
        probe_size: number of probe samples.
        log_layers: put the per-layer values into `logs` (False keeps a progress bar short).
        verbose: 0 silent, 1 prints each new finding when it first appears.

    Attributes:
        findings: list of `diagnostics.Finding` over the series so far (judged when read).
        history: `{key: [value per epoch]}` of the per-layer fractions.
        layers: `{layer name: activation name}` of the probed layers.
        not_judged: what could not be judged and why (all units, or some layers), or None; each
            reason is also said once as a `callbacks._guard.NotJudgedWarning`.
        probed_epochs: the epochs (of this `fit`, from 0) whose end the probe ran at: the first
            16, the last, and between them every k-th, with k the smallest period that keeps the
            probe's share of training within 2% as estimated from counts (probe rows against
            the epoch's steps; `callbacks._probe_schedule`), so that a run probes the same epochs
            on any machine. The epochs between are NaN in `history` (and in `logs`); a `fit`
            stopped early is probed once more at its end, into its last epoch's `history`.
    """

    def __init__(self, probe_data=None, probe_size=DEFAULT_PROBE_ROWS, log_layers=True, verbose=0):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, probe_data=probe_data, probe_size=probe_size, log_layers=log_layers,
                     verbose=verbose)
        self._batch_probe = None
        self._reset()

    def _reset(self):
        self.history = {}
        self.layers = {}
        self._probed = []
        self._networks = []
        self._forward = None
        self._probe = None
        self._epochs = 0
        self._losses = []
        self._announced = set()
        self.not_judged = None
        self._off = False  # set once nothing more can be judged in this `fit`
        self._schedule = ProbeSchedule()
        self._iterations_at_begin = None
        self.probed_epochs = []

    def get_config(self):
        return {"probe_data": None, "probe_size": self.probe_size, "log_layers": self.log_layers,
                "verbose": self.verbose}

    def on_train_begin(self, logs=None):
        self._reset()
        self._probed = _activation_layers(self.model)
        self.layers = {name: activation for name, _, activation in self._probed}
        self._networks = _probed_networks(self.model)
        if self.probe_data is not None:
            self._probe = _first_rows(self.probe_data, self.probe_size)
        elif self._probed:
            self._batch_probe = shared_probe(self.model)
            self._batch_probe.attach()
            self._batch_probe.request(self.probe_size)

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        if not self._params_steps():  # the data's length is unknown: count the optimizer's steps
            self._iterations_at_begin = _iterations(self.model)

    def on_epoch_end(self, epoch, logs=None):
        probe = self._probe if self._probe is not None else self._captured_probe()
        # The last epoch: the planned one, or one after which a callback before this one stops.
        last = epoch == (self.params or {}).get("epochs", 0) - 1 or bool(getattr(self.model, "stop_training", False))
        due = probe is not None and self._schedule.due(self._epochs, _rows(probe), self._epoch_steps(), last)
        self._losses.append(float((logs or {}).get("loss", math.nan)))
        values = self._probed_values(probe if due else None, self._epochs)
        for key, value in values.items():
            self.history.setdefault(key, [math.nan] * self._epochs).append(value)
        self._epochs += 1
        if logs is not None and self.log_layers:
            logs.update(values)
        self._announce()

    def record(self):
        """The run record (`Monitor.record`) with the training loss: saturation matters when
        learning suffers, and the loss against chance tells."""
        record = super().record()
        record["history"]["loss"] = list(self._losses)
        return record

    def on_train_end(self, logs=None):
        if self._epochs and (self._epochs - 1) not in self.probed_epochs and self._probe is not None:
            # Stopped before its last planned epoch (EarlyStopping, TerminateOnNaN): the epoch it
            # ended with is probed now, so that every run's last epoch is measured.
            for key, value in self._probed_values(self._probe, self._epochs - 1).items():
                self.history[key][-1] = value
            self._announce()
        if self._probed and self._probe is None and not self._off:
            mismatch = self._batch_probe.shape_mismatch() if self._batch_probe is not None else None
            self._say_not_judged(
                f"no probe rows were kept from training: {mismatch}, and the probe keeps rows of the declared "
                "shape only; pass `probe_data` of the declared shape" if mismatch else
                "no probe inputs were kept from training (no training step ran?); pass `probe_data`")
        if self._batch_probe is not None:
            self._batch_probe.detach()
            self._batch_probe = None
        self._forward = None

    @property
    def extras(self):
        extras = {"activations": dict(self.layers)}
        if self._probed and len(self.probed_epochs) < self._epochs:
            # Some epochs were not probed, to keep the probe's share of training within its target.
            extras["probed_epochs"] = list(self.probed_epochs)
        if self.not_judged is not None:
            extras["not_judged"] = self.not_judged
        return extras

    # -- internals -------------------------------------------------------------------------------

    def _announce(self):
        """With `verbose`, prints each finding the first time it appears."""
        if not self.verbose:
            return
        for finding in self.findings:
            if (finding.kind, finding.layer) not in self._announced:
                self._announced.add((finding.kind, finding.layer))
                print(f"ActivationMonitor: {finding}")

    def _say_not_judged(self, reason, switch_off=True):
        """Says once (a `NotJudgedWarning`) what is not judged in this `fit` and why, and adds it to
        `not_judged`; with `switch_off`, nothing more is probed."""
        self._off = self._off or switch_off
        if self.not_judged is not None and reason in self.not_judged:
            return
        self.not_judged = reason if self.not_judged is None else f"{self.not_judged}; {reason}"
        what = "dead and saturated units are not judged: " if switch_off else ""
        warnings.warn(f"ActivationMonitor: {what}{reason}", NotJudgedWarning, stacklevel=3)

    def _captured_probe(self):
        if self._batch_probe is None:
            return None
        unmeasurable = self._batch_probe.unmeasurable(Kept.ROWS)
        if unmeasurable is not None and not self._off:
            # The probe said why, once (a `NotJudgedWarning`); this run's units stay unjudged.
            self._off = True
            self.not_judged = f"no probe inputs can be kept from training: {unmeasurable}"
        probe = self._batch_probe.inputs()
        if probe is not None:
            self._probe = probe  # fixed from now on
        return probe

    def _probed_values(self, probe, epoch):
        """`{key: fraction}` of every probed layer at the end of `epoch` (of this `fit`): from a
        probe run on `probe` (recorded in `probed_epochs`), or NaN where there is none. What a run
        cannot measure is said once (`_say_not_judged`)."""
        values = {f"{_signal(activation)}/{name}": math.nan for name, _, activation in self._probed}
        if probe is None or not self._probed or self._off:
            return values
        try:
            *fractions, finite = self._run(probe)
        except Exception as error:  # never break the user's training
            self._say_not_judged(f"the probe forward pass failed ({type(error).__name__}: {error})")
            return values
        if self._off:  # no network could be run
            return values
        self.probed_epochs.append(epoch)
        unmeasured = [name for (name, _, _), fraction in zip(self._probed, fractions) if math.isnan(fraction)]
        if unmeasured:
            self._say_not_judged(f"layers {', '.join(unmeasured)} are not judged: the probe's forward pass did not "
                             "reach them, or their output is not one tensor", switch_off=False)
        if not finite:
            # A network with non-finite outputs is broken: its units say nothing. Where the training
            # loss is not finite either, non_finite says so; otherwise the probe inputs are to blame.
            if math.isfinite(self._losses[epoch]):
                self._say_not_judged("the outputs on the probe inputs are not finite while the training loss is "
                                 "(non-finite probe inputs?): the units are not judged at such epochs",
                                 switch_off=False)
            return values
        for (name, _, activation), fraction in zip(self._probed, fractions):
            values[f"{_signal(activation)}/{name}"] = float(fraction)
        return values

    def _params_steps(self):
        return (self.params or {}).get("steps")

    def _epoch_steps(self):
        """Training steps in this epoch: Keras' count, or (data of unknown length) the optimizer's
        updates since the epoch began; 1 where neither is known."""
        if self._params_steps():
            return int(self._params_steps())
        now = _iterations(self.model)
        if now is None or self._iterations_at_begin is None:
            return 1
        return max(1, now - self._iterations_at_begin)

    def _run(self, probe):
        """Dead or saturated fraction of every probed layer on the probe batch, and whether the
        outputs were finite: compiled forward passes over chunks of rows (`_chunk_rows`), whose
        per-unit counts are summed."""
        if self._forward is None:
            feeds = [_network_input(network, probe, network is self.model) for network in self._networks]
            self._fed = [(network, feed) for network, feed in zip(self._networks, feeds) if feed is not None]
            if not self._fed:
                self._say_not_judged("no network that holds the probed layers could be given the probe inputs, "
                                 "nor noise for a latent input of its own")
                return [math.nan] * len(self._probed) + [True]
            self._feeds = [tf.nest.map_structure(tf.convert_to_tensor, feed) for _, feed in self._fed]
            self._forward = tf.function(self._hooked_forward, autograph=False)
        rows = int(tf.nest.flatten(self._feeds)[0].shape[0])
        step = _chunk_rows([layer for _, layer, _ in self._probed], rows)
        counts, entries, finite = None, None, True
        for start in range(0, rows, step):
            chunk = tf.nest.map_structure(lambda t: t[start:start + step], self._feeds)
            with random_state_kept(self.model):  # an LSTM's dropout draws even in inference
                chunk_counts, chunk_entries, chunk_finite = self._forward(chunk)
            chunk_counts = [c.numpy().astype(np.float64) for c in chunk_counts]
            chunk_entries = chunk_entries.numpy()
            counts = chunk_counts if counts is None else [a + b for a, b in zip(counts, chunk_counts)]
            entries = chunk_entries if entries is None else entries + chunk_entries
            finite = finite and bool(chunk_finite.numpy())
        fractions = []
        for (_, _, activation), layer_counts, layer_entries in zip(self._probed, counts, entries):
            dead, saturated = activations.health_from_counts(activation, layer_counts, layer_entries)
            flags = dead if dead is not None else saturated
            fractions.append(math.nan if flags is None else float(np.mean(flags)))
        return fractions + [finite]

    def _hooked_forward(self, feeds):
        """Per probed layer: per-unit counts of unhealthy outputs and outputs per unit (0 for a
        layer that was not reached); and whether every output was finite."""
        recorded = {}
        tokens = [patch_method(layer, "call", _recording_call(layer, activation, recorded))
                  for _, layer, activation in self._probed]
        try:
            outputs = [network(feed, training=False) for (network, _), feed in zip(self._fed, feeds)]
        finally:
            for token in reversed(tokens):
                unpatch_method(token)
        counts, entries = [], []
        for (_, layer, _) in self._probed:
            layer_counts, layer_entries = recorded.get(id(layer), (None, 0))
            counts.append(tf.zeros([0]) if layer_counts is None else tf.cast(layer_counts, tf.float32))
            entries.append(tf.cast(layer_entries, tf.float32))
        finite = [tf.reduce_all(tf.math.is_finite(tf.cast(t, tf.float32))) for t in keras.tree.flatten(outputs)]
        return counts, tf.stack(entries), tf.reduce_all(finite)


class tf_ops:
    """The few array functions `diagnostics.activations.unit_counts` needs, on tensors."""

    @staticmethod
    def reshape(x, shape):
        return tf.reshape(x, shape)

    @staticmethod
    def sum(x, axis):
        return tf.reduce_sum(tf.cast(x, tf.float32), axis=axis)


def _chunk_rows(layers, rows):
    """Rows per probe chunk: as many as keep the outputs of `layers` within `PROBE_CHUNK_BYTES`
    (float32), at least `PROBE_CHUNK_ROWS`, at most `rows`; `PROBE_CHUNK_ROWS` where an output
    shape is not known (a layer of a subclassed model)."""
    per_row = 0
    for layer in layers:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):  # never called symbolically
            return PROBE_CHUNK_ROWS
        if any(size is None for size in shape[1:]):
            return PROBE_CHUNK_ROWS
        per_row += 4 * math.prod(shape[1:])
    return max(PROBE_CHUNK_ROWS, min(rows, PROBE_CHUNK_BYTES // max(per_row, 1)))


def _rows(probe):
    """Rows of a probe batch (one array, or a list or dict of them)."""
    return int(keras.tree.flatten(probe)[0].shape[0])


def _iterations(model):
    """The optimizer's step count, or None for a model without one (or whose count cannot be
    read: it only spaces the probe out, and must never stop training)."""
    try:
        return int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    except Exception:  # noqa: BLE001 - no optimizer, or not built
        return None


def _signal(activation):
    return "dead_frac" if activations.activation_family(activation) == "dead" else "saturated_frac"


def _recording_call(layer, activation, recorded):
    """A `call` for `layer` that also records, for its first output, `unit_counts` in `recorded`:
    reduced where it is made, so that a layer's output can be freed once the next layer has read
    it, not held until every layer has run."""
    original = type(layer).call.__get__(layer)

    def call(*args, **kwargs):
        output = original(*args, **kwargs)
        if (tf.is_tensor(output) or isinstance(output, keras.KerasTensor)) and id(layer) not in recorded:
            recorded[id(layer)] = activations.unit_counts(activation, output, ops=tf_ops)
        return output

    return call


def _activation_name(layer):
    """Name of the activation a layer applies last, or None."""
    if isinstance(layer, keras.layers.ReLU):
        slope = float(getattr(layer, "negative_slope", 0.0) or 0.0)
        return "relu" if slope == 0.0 else None
    function = getattr(layer, "activation", None)
    if not callable(function):
        return None
    name = getattr(function, "__name__", None)
    return name if activations.activation_family(name) else None


def _output_layers(model):
    """Layers whose output is the output of the model or of a nested model, possibly reshaped (a
    confident sigmoid classifier, or a GAN generator's tanh, is saturated by design)."""
    found = set()
    models = [model] + [layer for layer in all_layers(model) if isinstance(layer, keras.Model)]
    for each in models:
        try:
            found |= {id(_before_reshaping(producing_layer(t))) for t in keras.tree.flatten(each.outputs)}
        except (AttributeError, ValueError, TypeError):
            continue
    return found


def _before_reshaping(layer):
    """The layer whose values `layer` passes on, if `layer` only rearranges them."""
    while isinstance(layer, (keras.layers.Reshape, keras.layers.Flatten, keras.layers.Permute)):
        layer = producing_layer(layer.input)
    return layer


def _activation_layers(model):
    """`[(unique name, layer, activation name)]` for hidden layers whose output can die or
    saturate (output layers, and the cells inside RNN layers, are left out)."""
    found, names = [], set()
    candidates = [layer for layer in all_layers(model) if not isinstance(layer, keras.Model)]
    outputs = _output_layers(model)
    if not outputs and candidates:
        outputs = {id(candidates[-1])}  # subclassed model: its last layer is taken as the output
    # An RNN's cell returns its output with its states; its units are measured on the output of
    # the RNN layer that runs it.
    cells = {id(each) for layer in candidates if isinstance(layer, keras.layers.RNN) for each in all_layers(layer)}
    for layer in candidates:
        activation = _activation_name(layer)
        if activation is None or id(layer) in outputs or id(layer) in cells:
            continue
        name, suffix = layer.name, 1
        while name in names:
            name, suffix = f"{layer.name}_{suffix}", suffix + 1
        names.add(name)
        found.append((name, layer, activation))
    return found


def _has_call(model):
    return type(model).call is not keras.Model.call


def _probed_networks(model):
    """The networks to run on the probe: `model`, or, for a model without its own `call()` (a GAN
    with its own `train_step`), the outermost sub-models it holds that have one."""
    if _has_call(model):
        return [model]
    networks, inside = [], set()
    for layer in all_layers(model):  # parents before their children
        if isinstance(layer, keras.Model) and id(layer) not in inside and _has_call(layer):
            networks.append(layer)
            inside |= {id(each) for each in all_layers(layer)}
    return networks


def _network_input(network, probe, is_model):
    """What `network` is run on: the probe inputs for the model itself or a sub-model whose one
    input has their shape; standard normal noise for another float input (a latent vector);
    None when neither fits (the network's layers then stay NaN)."""
    if is_model:
        return probe
    inputs = getattr(network, "inputs", None) or []
    if len(inputs) != 1:
        return None
    shape = tuple(inputs[0].shape[1:])
    rows = keras.tree.flatten(probe)[0].shape[0]
    if isinstance(probe, np.ndarray) and probe.shape[1:] == shape:
        return probe
    if None in shape or not keras.backend.is_float_dtype(inputs[0].dtype):
        return None
    noise = np.random.default_rng(LATENT_SEED).standard_normal((rows, *shape))
    return noise.astype(keras.backend.standardize_dtype(inputs[0].dtype))


def _first_rows(data, size):
    """The first `size` rows of every array of `data` (one array, or a list or dict of them)."""
    if isinstance(data, tuple):
        data = list(data)
    return keras.tree.map_structure(lambda array: np.asarray(keras.ops.convert_to_numpy(array))[:size], data)
