"""`HistogramWriter`: per-layer histograms of gradients and activations for TensorBoard.

Keras' `TensorBoard` callback shows the per-layer signals of the monitors as scalars already (they
are in `logs`). What it has not written since TF2 is what `write_grads=True` gave: the gradient
of every weight, as a histogram. This callback writes, at every epoch end, into `log_dir/train`
(the folder where `keras.callbacks.TensorBoard(log_dir)` writes its training scalars):

- `gradients/<variable path>`: the gradient of the compiled loss (regularisation included, the
  model in inference mode) with respect to each trainable variable (`dense/kernel`, ...);
- `activations/<layer name>`: the outputs of each layer that has weights;

both on the probe rows that the training step kept (`callbacks._batch_probe.shared_probe`): the
same fixed rows at every epoch, so that the histograms of two epochs differ by the weights only.
Nothing else is computed in the training step, and the callback reads no data of its own.

The activations need each layer's symbolic output, which functional and `Sequential` models have
(a layer called more than once, a shared encoder, gives the output of its first call); for a
subclassed model they are not written, and `not_judged` says so. The callback never breaks `fit`:
whatever fails warns once and is noted in `not_judged` (TensorBoard not installed, rows that
cannot be kept, a failing measurement).

Example:

>>> writer = HistogramWriter("logs/run1")                                           # doctest: +SKIP
>>> board = keras.callbacks.TensorBoard("logs/run1")                                 # doctest: +SKIP
>>> model.fit(x, y, epochs=5, callbacks=[writer, board])                            # doctest: +SKIP
>>> # tensorboard --logdir logs: Histograms and Distributions tabs
"""

import importlib.util
import os
import warnings

import tensorflow as tf

import keras

from callbacks._arguments import Path, keep_checked
from callbacks._batch_probe import DEFAULT_PROBE_ROWS, shared_probe
from callbacks._guard import NotJudgedWarning, describe
from callbacks._monitor import Monitor
from zoo._serialization import register_serializable
from zoo._validation import Integer

# The sub-folder of `log_dir` the histograms go to: the one where Keras' TensorBoard callback
# writes its epoch scalars, so that TensorBoard shows both under one run.
TRAIN_FOLDER = "train"

_CONSTRAINTS = {"log_dir": Path(), "probe_size": Integer(minimum=1)}


@register_serializable(legacy_package="callbacks")
class HistogramWriter(Monitor):
    """Writes per-layer histograms of gradients and activations, at every epoch end, for TensorBoard.

    Args:
        log_dir: the folder of the TensorBoard logs; histograms go to `log_dir/train`.
        probe_size: training rows to measure on (the first ones the training step sees).

    Attributes:
        not_judged: what was not written, and why (a sentence), or None.
        written_epochs: the epochs whose end the histograms were written at.
    """

    async_safe = True  # no batch hooks

    def __init__(self, log_dir, probe_size=DEFAULT_PROBE_ROWS):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, log_dir=log_dir, probe_size=probe_size)
        self._probe = None
        self._writer = None
        self._reset()

    def _reset(self):
        self.not_judged = None
        self.written_epochs = []
        self._measure = None
        self._activation_layers = None

    def get_config(self):
        return {"log_dir": self.log_dir, "probe_size": self.probe_size}

    # -- hooks -----------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._release()  # a fit that an exception ended never reached on_train_end
        self._reset()
        if importlib.util.find_spec("tensorboard") is None:
            self._give_up("TensorBoard is not installed (pip install tensorboard)")
            return
        self._guarded(self._start)

    def on_epoch_end(self, epoch, logs=None):
        if self._probe is not None:  # released once it gave up
            self._guarded(lambda: self._write(epoch))

    def on_train_end(self, logs=None):
        if self._probe is not None and not self.written_epochs:
            self._give_up("no probe rows with targets could be kept from the training steps")
        self._release()

    # -- internals -------------------------------------------------------------------------------

    def _start(self):
        self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, TRAIN_FOLDER))
        self._probe = shared_probe(self.model)
        self._probe.attach()
        self._probe.request(self.probe_size, targets=True)

    def _write(self, epoch):
        batch = self._probe.batch()
        if batch is None:  # no rows kept yet
            return
        if self._measure is None:
            self._measure = self._measurement()
        x, y, *weights = batch
        gradients, activations = self._measure(x, y, weights[0] if weights else None)
        variables = self.model.trainable_variables
        with self._writer.as_default(step=epoch):
            for variable, gradient in zip(variables, gradients):
                tf.summary.histogram(f"gradients/{variable.path}", gradient)
            for layer, activation in zip(self._activation_layers, activations):
                tf.summary.histogram(f"activations/{layer.name}", activation)
        self._writer.flush()
        self.written_epochs.append(epoch)

    def _measurement(self):
        """A compiled `(x, y, sample_weight) -> (gradients, activations)`, all float32."""
        model = self.model
        outputs = self._activation_model()

        def measure(x, y, sample_weight):
            with tf.GradientTape() as tape:
                y_pred = model(x, training=False)
                loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
            gradients = tape.gradient(loss, model.trainable_variables,
                                      unconnected_gradients=tf.UnconnectedGradients.ZERO)
            activations = [] if outputs is None else keras.tree.flatten(outputs(x, training=False))
            return ([tf.cast(gradient, tf.float32) for gradient in gradients],
                    [tf.cast(activation, tf.float32) for activation in activations])

        return tf.function(measure, reduce_retracing=True)

    def _activation_model(self):
        """A model from the inputs to the outputs of every layer with weights, or None; the
        layers left out are noted in `not_judged`."""
        self._activation_layers = []
        try:
            inputs = self.model.inputs
            layers = [layer for layer in self.model.layers if layer.weights]
        except (AttributeError, ValueError):
            inputs = None
        if not inputs:
            self._note("activations are not written: the model is not functional or Sequential "
                       "(its layers have no symbolic outputs)")
            return None
        outputs, unreadable = [], []
        for layer in layers:
            try:
                outputs.append(layer.output)  # of the first call, for a layer called more than once
                self._activation_layers.append(layer)
            except (AttributeError, ValueError):  # never called symbolically
                unreadable.append(layer.name)
        if unreadable:
            self._note(f"activations of layers without a symbolic output are not written: {', '.join(unreadable)}")
        return keras.Model(inputs, outputs) if outputs else None

    def _guarded(self, function):
        try:
            function()
        except Exception as error:  # never break the user's training: say it, stop writing
            self._give_up(describe(error))

    def _give_up(self, reason):
        self._note(f"no histograms written: {reason}")
        warnings.warn(f"HistogramWriter: {self.not_judged}", NotJudgedWarning, stacklevel=3)
        self._release()

    def _note(self, reason):
        self.not_judged = reason if self.not_judged is None else f"{self.not_judged}; {reason}"

    def _release(self):
        if self._probe is not None:
            self._probe.detach()
            self._probe = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
