"""Stochastic weight averaging (Izmailov, Podoprikhin, Garipov, Vetrov and Wilson 2018,
"Averaging Weights Leads to Wider Optima and Better Generalization")."""

import keras
import numpy as np
from keras import ops

from zoo._keras_internals import all_layers, variable_index
from zoo._serialization import register_serializable
from zoo._validation import check_bool, check_int
from zoo.optimizers._wrapper import OptimizerWrapper, update_each


@register_serializable(legacy_package="zoo")
class SWA(OptimizerWrapper):
    """Wraps any optimizer and keeps a running average of the weights along its trajectory.

    After `start_averaging` steps, every `average_period` steps the current weights are added to
    an equal-weight running average, `avg += (w - avg) / (n + 1)`. At the end of `fit` (Keras
    calls `finalize_variable_values`) the averages replace the trained weights, if
    `swap_on_end`. Batch-norm moving statistics belong to the old weights: recompute them with
    `update_batch_norm_statistics(model, x)` or the callback
    `callbacks.SWABatchNormUpdate(x)`, which runs right after the swap.

    A second `fit` continues from the swapped-in averages, and keeps averaging.

    Args:
        optimizer: the inner optimizer: an instance, a name ("sgd") or a config dict; the paper
            uses SGD with a constant or cyclical learning rate. Defaults to "sgd".
        start_averaging: steps before the first average, >= 0. Defaults to 0.
        average_period: steps between averages, >= 1. Defaults to 10.
        swap_on_end: swap the averages in at the end of `fit`. Defaults to True.
        name: optimizer name. Defaults to "swa".

    Example:

    >>> model.compile(optimizer=zoo.optimizers.SWA(keras.optimizers.SGD(0.05)), loss="mse")  # doctest: +SKIP
    >>> model.fit(x, y, epochs=20, callbacks=[callbacks.SWABatchNormUpdate(x)])              # doctest: +SKIP
    """

    config_arguments = OptimizerWrapper.config_arguments + (
        "start_averaging", "average_period", "swap_on_end",
    )

    def __init__(
        self, optimizer="sgd", start_averaging=0, average_period=10, swap_on_end=True, name="swa",
        **kwargs,
    ):
        start_averaging = check_int("start_averaging", start_averaging, minimum=0)
        average_period = check_int("average_period", average_period, minimum=1)
        swap_on_end = check_bool("swap_on_end", swap_on_end)
        super().__init__(optimizer, name=name, **kwargs)
        self.start_averaging = start_averaging
        self.average_period = average_period
        self.swap_on_end = swap_on_end

    def build_wrapper(self, var_list):
        self._averages = self.add_optimizer_variables(var_list, "average")
        self.num_averaged = self.add_variable(
            (), initializer="zeros", dtype="int64", aggregation="only_first_replica",
            name="num_averaged",
        )

    def after_apply(self, trainable_variables):
        steps_in = ops.cast(self.iterations, "int64") - self.start_averaging
        take = ops.logical_and(steps_in >= 0, ops.equal(steps_in % self.average_period, 0))
        count = ops.cast(self.num_averaged, "float32")
        averages = [self._averages[variable_index(self, v)] for v in trainable_variables]

        def accumulate(variable, average):
            def add():
                weight = ops.cast(1.0 / (count + 1.0), variable.dtype)
                average.assign(average + (variable - average) * weight)

            ops.cond(take, add, lambda: None)

        update_each(trainable_variables, accumulate, averages)
        self.num_averaged.assign(self.num_averaged + ops.cast(take, "int64"))

    def assign_average_weights(self, var_list):
        """Overwrites `var_list` (the model's trainable weights) with their averages, if any."""
        if int(ops.convert_to_numpy(self.num_averaged)) == 0:
            return
        averages = [self._averages[variable_index(self, v)] for v in var_list]
        update_each(var_list, lambda variable, average: variable.assign(average), averages)

    def finalize_variable_values(self, var_list):
        super().finalize_variable_values(var_list)
        if self.swap_on_end:
            self.assign_average_weights(var_list)


def update_batch_norm_statistics(model, x, batch_size=32, verbose=0):
    """Recomputes every BatchNormalization layer's moving statistics on `x` for the current weights.

    After weights are averaged, the running statistics no longer describe the activations.
    This resets them and runs `x` through the model in training mode once, with each layer's
    momentum set per batch so that the moving statistics become the plain average of the batch
    statistics (the cumulative average that SWA prescribes), then restores the momenta.

    Args:
        model: a built `keras.Model`.
        x: inputs: an array (or a dict of arrays), or a `tf.data.Dataset` of input batches or
            of `(inputs, targets[, sample_weights])` tuples.
        batch_size: batch size for arrays, >= 1. Defaults to 32.
        verbose: 1 prints one line per batch count. Defaults to 0.

    Returns:
        The number of batches used (0 if the model has no BatchNormalization layer).
    """
    batch_size = check_int("batch_size", batch_size, minimum=1)
    layers = [layer for layer in all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]
    if not layers:
        return 0
    import tensorflow as tf

    from_dataset = isinstance(x, tf.data.Dataset)
    dataset = x if from_dataset else tf.data.Dataset.from_tensor_slices(x).batch(batch_size)
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.moving_mean.assign(np.zeros(layer.moving_mean.shape, layer.moving_mean.dtype))
        layer.moving_variance.assign(np.ones(layer.moving_variance.shape, layer.moving_variance.dtype))
    batches = 0
    try:
        for batch in dataset:
            if from_dataset and isinstance(batch, tuple):
                batch = batch[0]  # (inputs, targets[, sample_weights])
            # Momentum n/(n+1) on the n-th batch (from 0) makes the moving value the plain mean.
            for layer in layers:
                layer.momentum = batches / (batches + 1.0)
            model(batch, training=True)
            batches += 1
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    if verbose:
        print(f"update_batch_norm_statistics: {len(layers)} layer(s), {batches} batch(es)")
    return batches

