"""Held out (fourth split): every hidden tanh unit starts with a bias of 8.

The fault. A user sets `bias_initializer=Constant(8.0)` on the three hidden `Dense(64, "tanh")`
layers of a digits MLP (perhaps meaning a forget-gate style "open" bias). tanh(8) = 0.9999998:
every hidden unit starts in the flat tail, its derivative 1 - tanh^2 is about 5e-7, so almost no
gradient passes below the top hidden layer and the hidden layers output the same vector for
every image; the output layer can then learn only the class prior, and learning crawls. The
run must show (`measure.units_saturated`) 40% or more of some hidden layer's units within 5% of
a bound on 90% of the images at the end, and a training loss above half of chance.

Expected: `saturation` (the cause: units parked in the flat tail of tanh). Acceptable:
`vanishing_gradient` (the near-zero derivative stops the gradient below the top layer),
`zero_gradient` (in float32 tanh rounds to exactly 1 a little past 8, where the derivative is
exactly 0), `plateau` and `underfitting` (the loss that stays near the prior).

The healthy twin uses zero biases (the fix, Keras' default). It must train well.
"""

from keras import initializers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 8
LEARNING_RATE = 1e-3
TAIL_SIDE_EFFECTS = ("vanishing_gradient", "zero_gradient", "plateau", "underfitting")


def _run(bias, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64] * 3, "tanh",
                               hidden_kwargs={"bias_initializer": initializers.Constant(bias)})
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


@scenario("mlp", expected=("saturation",), acceptable=TAIL_SIDE_EFFECTS, heldout=True,
          verify=measure.units_saturated())
def heldout4_mlp_tanh_bias_init_8(seed):
    return _run(8.0, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_tanh_bias_init_0(seed):
    return _run(0.0, seed)
