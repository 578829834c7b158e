"""Recomputes batch-norm statistics after stochastic weight averaging swaps the averages in."""

import keras

from callbacks._arguments import Arrays, Verbosity, keep_checked
from zoo._validation import Integer
from zoo.optimizers.swa import update_batch_norm_statistics

_CONSTRAINTS = {"x": Arrays(datasets=True), "batch_size": Integer(minimum=1), "verbose": Verbosity()}


class SWABatchNormUpdate(keras.callbacks.Callback):
    """At the end of `fit`, after `zoo.optimizers.SWA` has swapped in the averaged weights,
    recomputes every BatchNormalization layer's moving statistics on `x`.

    Keras finalises the optimizer (the swap) before `on_train_end`, so this sees the averages.

    Args:
        x: training inputs: an array, or a `tf.data.Dataset` of inputs or `(inputs, targets)`.
        batch_size: batch size for arrays. Defaults to 32.
        verbose: 1 prints a line when done. Defaults to 0.

    Example:

    >>> model.compile(optimizer=zoo.optimizers.SWA("sgd"), loss="mse")      # doctest: +SKIP
    >>> model.fit(x, y, epochs=10, callbacks=[SWABatchNormUpdate(x)])       # doctest: +SKIP
    """

    def __init__(self, x, batch_size=32, verbose=0):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, x=x, batch_size=batch_size, verbose=verbose)
        self.batches = 0

    def on_train_end(self, logs=None):
        self.batches = update_batch_norm_statistics(
            self.model, self.x, batch_size=self.batch_size, verbose=self.verbose
        )
