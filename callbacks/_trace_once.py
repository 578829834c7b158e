"""Keeps the instrumented training step to one trace: the optimizer is built before it.

A `tf.function` whose first trace creates a (lifted) variable traces itself a second time: the
first trace only served to create the variables. Keras builds a model's optimizer inside the
first trace of the training step when no distribution strategy is set, so a plain `fit` pays
for two traces of its step. The instrumentation makes that step larger (a few hundred ops), and
each trace of it costs more: on the 59k-weight MLP of `benchmarks/overhead.py`, a 2-step `fit`
with `TrainingDiagnostics()` took 0.63-0.74 s more process CPU time than a plain one with two
traces, and -0.05 to +0.01 s with one (2-core CPU, 2026-12-06).

`build_optimizer_before_trace` builds the optimizer as Keras itself does under a distribution
strategy (`optimizer.build(model.trainable_variables)`, before the first step), and the
instrumentation's own variables are made outside the graph and not lifted
(`experimental_enable_variable_lifting=False`), so that the instrumented step is traced once.
The optimizer's variables are the ones its first `apply` would make, with the same values.

Example:

>>> model.compile("adam", "mse")                    # doctest: +SKIP
>>> build_optimizer_before_trace(model)             # doctest: +SKIP
True
"""

import keras

from zoo._keras_internals import all_layers, build_optimizer


def build_optimizer_before_trace(model):
    """Builds `model.optimizer` for `model.trainable_variables` if Keras would build it so at the
    first training step: the model uses Keras' own `train_step` (a custom step may give its
    optimizer other variables), every layer is built, and the optimizer is not.

    Args:
        model: a compiled `keras.Model`.

    Returns:
        Whether the optimizer was built here.
    """
    optimizer = getattr(model, "optimizer", None)
    if not isinstance(optimizer, keras.optimizers.Optimizer) or optimizer.built:
        return False
    if type(model).train_step is not keras.Model.train_step or not model.built:
        return False
    if not model.trainable_variables or not all(layer.built for layer in all_layers(model)):
        return False
    # The model's strategy owns the variables (a probe may be attached outside its scope).
    with model.distribute_strategy.scope():
        build_optimizer(optimizer, model.trainable_variables)
    return True
