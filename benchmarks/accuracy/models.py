"""Plain-Keras building blocks the scenarios share (stacks of one layer type, two-input heads,
keras.io's model with a `train_step` of its own, a digits classifier's run)."""

import keras
import tensorflow as tf
from keras import layers

from benchmarks.accuracy import data
from benchmarks.accuracy.scenario import Run


def own(layer_kwargs):
    """`layer_kwargs` for one layer: every initializer instance in it replaced by a copy of its
    own. Keras 3 draws the same values from one unseeded instance at every call, so one instance
    shared by several layers of a shape gives them all the same kernel; a scenario that writes
    "every layer drawn from N(0, 1)" means a draw per layer, as separate instances give. (A
    seeded instance stays seeded: its copies draw what it would.)"""
    return {key: keras.initializers.deserialize(keras.initializers.serialize(value))
            if isinstance(value, keras.initializers.Initializer) else value
            for key, value in layer_kwargs.items()}


def dense_stack(input_dim, widths, activation, output_units=10, output_activation="softmax",
                first_layers=(), hidden_kwargs=None, **dense_kwargs):
    """`keras.Sequential`: `first_layers` (preprocessing such as `GaussianNoise`, built by the
    caller), `len(widths)` Dense layers and a head (`dense_kwargs` go to each Dense,
    `hidden_kwargs` to the hidden ones alone: a penalty, constraint or initializer that leaves
    the head at Keras' defaults).

    Example: `dense_stack(64, [32] * 3, "tanh", hidden_kwargs={"kernel_initializer": "zeros"})`
    is three tanh layers with zero kernels under a Glorot-initialized softmax head.
    """
    hidden = [layers.Dense(w, activation=activation, **own(dense_kwargs), **own(hidden_kwargs or {}))
              for w in widths]
    return keras.Sequential([keras.Input((input_dim,)), *first_layers, *hidden,
                             layers.Dense(output_units, activation=output_activation, **own(dense_kwargs))])


def conv_stack(filters, activation, output_units=10, output_activation="softmax", **conv_kwargs):
    """`keras.Sequential` on 8x8x1 images: a 3x3 `same` Conv2D per entry of `filters`, then a
    Dense head (`conv_kwargs`, initializers, go to every layer)."""
    convs = [layers.Conv2D(f, 3, padding="same", activation=activation, **own(conv_kwargs)) for f in filters]
    return keras.Sequential([keras.Input((8, 8, 1)), *convs, layers.Flatten(),
                             layers.Dense(output_units, activation=output_activation, **own(conv_kwargs))])


def two_input(branch_widths, activation, head_widths=(), output_units=10,
              output_activation="softmax", input_dim=32, **dense_kwargs):
    """Functional model: two inputs, a Dense branch each, concatenated, a Dense head
    (`dense_kwargs` go to every Dense layer)."""
    inputs = [keras.Input((input_dim,), name="top"), keras.Input((input_dim,), name="bottom")]
    branches = []
    for tensor in inputs:
        for width in branch_widths:
            tensor = layers.Dense(width, activation=activation, **own(dense_kwargs))(tensor)
        branches.append(tensor)
    tensor = layers.Concatenate()(branches)
    for width in head_widths:
        tensor = layers.Dense(width, activation=activation, **own(dense_kwargs))(tensor)
    outputs = layers.Dense(output_units, activation=output_activation, **own(dense_kwargs))(tensor)
    return keras.Model(inputs, outputs)


def recurrent(cell, units, timesteps=8, features=8, output_units=10, output_activation="softmax",
              **cell_kwargs):
    """`keras.Sequential`: one recurrent layer (`cell`: SimpleRNN, LSTM or GRU) and a head."""
    return keras.Sequential([keras.Input((timesteps, features)), cell(units, **own(cell_kwargs)),
                             layers.Dense(output_units, activation=output_activation)])


def digits_run(model, optimizer, seed, epochs, loss="sparse_categorical_crossentropy", **run_options):
    """A `Run` of a classifier of the 8x8 digits: `model` fitted on `data.digits(seed)` (64
    pixels in [0, 1], integer labels), validated on its held-out part.

    Args:
        model: an uncompiled model of 64 inputs and 10 classes.
        optimizer: a Keras optimizer instance.
        seed: the seed of the training/validation split.
        epochs: as in `fit`.
        loss: a Keras loss for integer labels (name or instance).
        **run_options: the other `Run` fields (`batch_size`, `metrics`, `callbacks`, ...).

    Returns:
        The `Run`.
    """
    (x, y), val = data.digits(seed)
    return Run(model, optimizer, loss, x, y, epochs=epochs, validation_data=val, **run_options)


class GuideTrainStep:
    """keras.io's "Customizing what happens in `fit()`" step, to mix into a `keras.Model`
    subclass (`class StepModel(GuideTrainStep, keras.Model)`): a `train_step` of its own that
    computes the compiled loss with `compute_loss`, applies the gradients and updates
    `self.metrics` itself.

    A mixin, not a `keras.Model` subclass: the first time a Model subclass is built functionally,
    Keras rewrites its bases (`Model` -> `Functional`), and a subclass of it with a `call` then
    fails; as a mixin, one step serves functional and subclassed models in one process.

    Attributes:
        applies_updates: False leaves out the guide's `self.optimizer.apply(...)` line (a user's
            edit that lost it): the gradients are computed and thrown away.

    Example:

    >>> class StepModel(GuideTrainStep, keras.Model):                        # doctest: +SKIP
    ...     pass
    >>> inputs = keras.Input((64,))                                          # doctest: +SKIP
    >>> model = StepModel(inputs, layers.Dense(10, activation="softmax")(inputs))
    """

    applies_updates = True

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        if self.applies_updates:
            self.optimizer.apply(gradients, self.trainable_variables)
        return self.update_metrics(loss, y, y_pred)

    def update_metrics(self, loss, y, y_pred):
        """Updates the loss tracker with `loss` and every other metric with `(y, y_pred)`;
        returns `{name: result}` as a step does."""
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {metric.name: metric.result() for metric in self.metrics}
