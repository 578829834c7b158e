"""Sharpness-aware minimisation (Foret, Kleiner, Mobahi and Neyshabur 2021, "Sharpness-Aware
Minimization for Efficiently Improving Generalization")."""

import keras
import tensorflow as tf
from keras import ops

from zoo._serialization import register_serializable
from zoo._validation import check_float
from zoo.optimizers._wrapper import update_each


@register_serializable(legacy_package="zoo")
class SAM(keras.Model):
    """Wraps a model so that `fit` takes sharpness-aware steps with the compiled optimizer.

    SAM minimises the worst loss in a ball of radius `rho` around the weights. Each step:

        g   = grad L(w)                       (first pass)
        e   = rho * g / ||g||                 (the ascent to the worst nearby point)
        g_s = grad L(w + e)                   (second pass)
        w   = w - optimizer_step(g_s)         (any optimizer, given to `compile`)

    It needs a second gradient evaluation, which no optimizer alone can do: hence a model
    wrapper with its own `train_step`. The one-line change to an existing script:

        model = zoo.optimizers.SAM(model, rho=0.05)   # then compile and fit as before

    `fit` reports the loss and metrics at `w`, the first pass (what the base optimizer reports,
    so curves compare), recorded once per step in the loss tracker; the second pass only gives
    the gradient. The norm is global over all variables. Under `tf.distribute` the first
    gradient is summed over replicas, so all replicas perturb the weights alike. With mixed
    precision, a non-finite first gradient makes `e` zero and the loss-scale optimizer then
    skips the step as usual. Batch-norm statistics are updated by both passes.

    Save the trained network with `sam.inner_model.save(...)` (a plain model), or the wrapper
    itself (it round-trips through `.keras`).

    Args:
        model: the `keras.Model` to train.
        rho: radius of the neighbourhood, > 0. Defaults to 0.05 (the paper's).
        name: model name. Defaults to "sam".

    Example:

    >>> model = zoo.optimizers.SAM(model, rho=0.05)                             # doctest: +SKIP
    >>> model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")         # doctest: +SKIP
    >>> model.fit(x, y, epochs=5)                                               # doctest: +SKIP
    """

    def __init__(self, model, rho=0.05, name="sam", **kwargs):
        if not isinstance(model, keras.Model):
            raise TypeError(f"`model` must be a keras.Model. Received: model={model!r}")
        rho = check_float("rho", rho, minimum=0.0, min_inclusive=False)
        super().__init__(name=name, **kwargs)
        self.inner_model = model
        self.rho = rho

    def call(self, inputs, training=None):
        return self.inner_model(inputs, training=training)

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        variables = self.trainable_variables

        loss, y_pred, gradients = self._loss_and_gradients(x, y, sample_weight, variables)
        self._track_loss(loss, x)
        epsilons = self._ascent(gradients, variables)
        update_each(variables, lambda v, e: v.assign_add(e), epsilons)
        _, _, sharp_gradients = self._loss_and_gradients(x, y, sample_weight, variables)
        update_each(variables, lambda v, e: v.assign_sub(e), epsilons)
        self.optimizer.apply(sharp_gradients, variables)

        return self._update_metrics(x, y, y_pred, sample_weight)

    def _loss_and_gradients(self, x, y, sample_weight, variables):
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
            scaled = self.optimizer.scale_loss(loss)
        return loss, y_pred, tape.gradient(scaled, variables)

    def _ascent(self, gradients, variables):
        """e = rho * g / ||g||, zero for a variable without gradient or a non-finite norm."""
        dense = [
            ops.zeros(v.shape, v.dtype) if g is None else ops.cast(tf.convert_to_tensor(g), v.dtype)
            for g, v in zip(gradients, variables)
        ]
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            dense = context.all_reduce(tf.distribute.ReduceOp.SUM, dense)
        norm = ops.sqrt(ops.sum(ops.stack([ops.sum(ops.square(g)) for g in dense])))
        finite = ops.isfinite(norm)
        scale = ops.where(finite, self.rho / (norm + 1e-12), 0.0)
        return [ops.where(finite, g, 0.0) * ops.cast(scale, g.dtype) for g in dense]

    def _track_loss(self, loss, x):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        batch = ops.shape(next(t for t in tf.nest.flatten(x) if t is not None))[0]
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss * replicas, sample_weight=batch)

    def _update_metrics(self, x, y, y_pred, sample_weight):
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def get_config(self):
        return {
            "name": self.name,
            "model": keras.saving.serialize_keras_object(self.inner_model),
            "rho": self.rho,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(
            config["model"], custom_objects=custom_objects
        )
        return cls(**config)
