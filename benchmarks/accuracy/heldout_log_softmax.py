"""Held out: a hand-written cross-entropy, `log(softmax(logits))`, that turns the loss to NaN.

The fault. A user writes their own loss on a logits model: `-sum(one_hot(y) * log(softmax(z)))`.
It is correct on paper. In float32, once the model grows confident and some logit trails the
largest by more than ~104, its softmax underflows to exactly 0, `log(0)` is -inf, and the
one-hot zero times -inf is NaN: the loss and then every weight turn NaN. Keras' own
`SparseCategoricalCrossentropy(from_logits=True)` computes the same value through a stable
log-softmax. The run (a wide ReLU MLP on the digits at Adam 1e-2) must show a non-finite training
loss or weight. Expected: `non_finite`, leading (dead units or anything measured after the NaN
are its consequence, not the cause).

The healthy twin uses `SparseCategoricalCrossentropy(from_logits=True)` on the same model (the
fix) at Adam's default learning rate, 1e-3, for 8 epochs: at the fault's 1e-2 the fixed wide
net's validation loss bounces up within 5 epochs (measured at seeds 1-3: 0.13 -> 0.19-0.32), and
an overfitting finding there is true. It must train well and not overfit.
"""

import keras
from keras import ops, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

CLASSES = 10
NAN_SIDE_EFFECTS = ("dead_relu", "exploding_gradient", "underfitting", "overfitting")


def handwritten_cross_entropy(y_true, logits):
    """`-sum(one_hot(y) * log(softmax(logits)))`, as written from the formula."""
    one_hot = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), CLASSES)
    return -ops.sum(one_hot * ops.log(ops.softmax(logits)), axis=-1)


def _run(seed, loss, learning_rate, epochs):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [256, 256], "relu", output_activation=None)
    return Run(model, optimizers.Adam(learning_rate), loss, x, y, epochs=epochs, validation_data=val)


@scenario("mlp", expected=("non_finite",), acceptable=NAN_SIDE_EFFECTS, heldout=True,
          verify=measure.becomes_non_finite())
def heldout_mlp_handwritten_log_softmax_loss(seed):
    return _run(seed, handwritten_cross_entropy, learning_rate=1e-2, epochs=15)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout_healthy_mlp_keras_cross_entropy_from_logits(seed):
    return _run(seed, keras.losses.SparseCategoricalCrossentropy(from_logits=True), learning_rate=1e-3,
                epochs=8)
