"""Gradients through time: how the loss's gradient spreads over the time steps a recurrent layer reads.

Backpropagation through time multiplies the gradient by one step's Jacobian per time step. Per
layer, a per-layer gradient norm cannot see it: a SimpleRNN whose gradient grows 1e7-fold from the
last step back to the first, or an LSTM whose words sit 50 pad steps before its read-out, both
have ordinary weight gradients. So `TimeGradientProbe` measures, on a batch of probe rows, the
norm of d loss / d x_t for every time step t of the sequence each recurrent layer reads (its
input tensor, through a functional view of the model), averaged over the rows, and summarizes it:

- `growth`: the gradient at the informative step the layer reads first over the one at the
  informative step it reads last (`read_first`, `read_last`; above 1: it grows backward through
  time);
- `informative_share`: the share of the gradient, summed over steps, that reaches informative steps.

A step is informative when its input differs between the probe rows: a step that every row has
the same (padding, a constant prefix) tells the model nothing about a row, so the gradient it
receives cannot teach anything. Judging is `diagnostics.time_gradients`' job.

The view needs the model's graph (a Sequential or functional model); a subclassed model has none.
A stateful layer is never probed: the probe's pass would change the state the next batch starts
from. `unmeasurable` says why in both cases.

Example:

>>> probe = TimeGradientProbe(model)                       # doctest: +SKIP
>>> probe.measure(x, y)["lstm"]["informative_share"]       # doctest: +SKIP
2.5e-05
"""

import keras
import numpy as np
import tensorflow as tf

from callbacks._arguments import Instance, keep_checked
from callbacks._random_state import random_state_kept

# Keys of one layer's summary, as `measure` returns them.
SUMMARY_KEYS = ("growth", "informative_share", "timesteps", "first_informative", "last_informative",
                "read_first", "read_last")


def recurrent_layers(model):
    """The model's recurrent layers (`keras.layers.RNN` and its subclasses, and `Bidirectional`),
    in the model's layer order."""
    return [layer for layer in model.layers if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))]


_CONSTRAINTS = {"model": Instance(keras.Model, "a keras.Model")}


class TimeGradientProbe:
    """Measures the loss's gradient per time step at the input of every recurrent layer.

    Args:
        model: a built, compiled Sequential or functional `keras.Model`.

    Attributes:
        layers: names of the measured recurrent layers.
        unmeasurable: why nothing can be measured (a sentence), or None.
    """

    def __init__(self, model):
        keep_checked(self, _CONSTRAINTS, model=model)
        self.layers = []
        self.unmeasurable = None
        self._view = None
        self._compiled = None
        rnns = recurrent_layers(model)
        if not rnns:
            self.unmeasurable = "the model has no recurrent layer"
            return
        stateful = [layer.name for layer in rnns if _stateful(layer)]
        if stateful:
            self.unmeasurable = (f"{', '.join(stateful)} keep their state between calls, and a probe's pass "
                                 f"would change it")
            return
        try:
            sequences = [keras.tree.flatten(layer.input)[0] for layer in rnns]  # a mask may follow
            self._view = keras.Model(model.inputs, [sequences, model.outputs])
        except (AttributeError, ValueError, TypeError) as error:
            self.unmeasurable = f"the model has no graph to read the recurrent layers' inputs from ({error})"
            return
        self.layers = [layer.name for layer in rnns]
        # A layer that reads its sequence backwards meets the last step first: its gradient
        # shrinks toward step 0 of the input, not toward the last one.
        self._backwards = [bool(getattr(layer, "go_backwards", False)) for layer in rnns]

    def measure(self, x, y, sample_weight=None):
        """Summaries of the gradient through time for every recurrent layer, on rows `(x, y)`.

        Args:
            x, y, sample_weight: probe rows in the model's input and target structure.

        Returns:
            `{layer name: {"growth", "informative_share", "timesteps", "first_informative",
            "last_informative"}}`; a layer whose input has no time axis, no informative step or
            no finite gradient is left out.
        """
        if self._view is None:
            return {}
        with random_state_kept(self.model):  # an LSTM's dropout draws even in inference
            sequences, gradients = self._gradients(x, y, sample_weight)
        summaries = {}
        for name, backwards, sequence, gradient in zip(self.layers, self._backwards, sequences, gradients):
            summary = summarize(np.asarray(sequence), None if gradient is None else np.asarray(gradient),
                                backwards=backwards)
            if summary is not None:
                summaries[name] = summary
        return summaries

    def _gradients(self, x, y, sample_weight):
        if self._compiled is None:
            # Traced once per probe: eagerly, a recurrent layer runs its steps op by op (0.2-0.3 s
            # for 60 LSTM steps, a quarter of a 32-step epoch); traced, a few milliseconds.
            self._compiled = tf.function(self._tape_gradients, reduce_retracing=True)
        return self._compiled(x, y, sample_weight)

    def _tape_gradients(self, x, y, sample_weight):
        x = keras.tree.map_structure(tf.convert_to_tensor, x)
        with tf.GradientTape() as tape:
            tape.watch([part for part in keras.tree.flatten(x) if part.dtype.is_floating])  # read raw by a layer
            sequences, outputs = self._view(x, training=False)
            tape.watch(sequences)
            y_pred = outputs[0] if len(outputs) == 1 else outputs
            loss = self.model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        return sequences, tape.gradient(loss, sequences)


def _stateful(layer):
    if isinstance(layer, keras.layers.Bidirectional):
        return layer.forward_layer.stateful or layer.backward_layer.stateful
    return layer.stateful


def summarize(sequence, gradient, backwards=False):
    """The summary of one layer's input `sequence` `(rows, steps, ...)` and its gradient, or None
    when there is nothing to judge (no time axis, no gradient, no informative step, non-finite).

    `growth` compares the steps in the order the layer reads them: for a layer that reads
    backwards (`go_backwards=True`), the first step it reads is the input's last. The informative
    steps are named by their position in the input either way."""
    if gradient is None or sequence.ndim < 3 or sequence.shape[1] < 2:
        return None
    rows, steps = gradient.shape[:2]
    gradient = gradient.astype(np.float64).reshape(rows, steps, -1)
    norms = np.sqrt(np.sum(np.square(gradient), axis=2)).mean(axis=0)
    # Exact comparison on purpose: a padded step is bitwise the same in every row.
    informative = np.ptp(sequence.reshape(sequence.shape[0], steps, -1), axis=0).max(axis=1) > 0
    positions = np.flatnonzero(informative)
    if positions.size == 0 or not np.all(np.isfinite(norms)) or norms.sum() <= 0:
        return None
    first, last = int(positions[0]), int(positions[-1])
    read_first, read_last = (last, first) if backwards else (first, last)
    return {
        "growth": float(norms[read_first] / norms[read_last]) if norms[read_last] > 0 else float("nan"),
        "informative_share": float(norms[informative].sum() / norms.sum()),
        "timesteps": int(steps),
        "first_informative": first,
        "last_informative": last,
        "read_first": read_first,
        "read_last": read_last,
    }
