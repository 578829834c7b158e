"""Held out (seventh split): a relu CNN whose every layer is initialized with
`RandomNormal(stddev=1.0)`.

The fault. A user sets `kernel_initializer=keras.initializers.RandomNormal(stddev=1.0)` on the
three `Conv2D(32, 3, "relu")` layers and the dense head of a digits CNN, thinking "unit normal"
is the standard choice. He initialization would draw with stddev sqrt(2 / fan_in): 0.47 for the
first layer (fan-in 9) and 0.083 for the others (fan-in 288), so the later layers' weights are
12x too large and each of them multiplies the activations' scale by about 8.5. The logits reach
the thousands, the softmax is one-hot and wrong for most samples, and the gradients grow layer
by layer on the way back. The run must show, at the initial weights, a backward signal (the
loss's gradient with respect to a layer's pre-activations) at the first convolution above 1e3
of the head's, or a non-finite loss. (The kernel gradients' ratio hides it: each kernel's
gradient is its growing backward signal times its shrinking input, and they cancel.)

Expected: `exploding_gradient` (the gradients grow layer by layer from an initialization far
too large).
Acceptable:
- `non_finite`: the huge activations can overflow;
- `dead_relu`: huge updates switch relu units off for good;
- `saturation`: the softmax head sits at its bounds;
- `oscillation`: steps on such a loss surface overshoot;
- `suspicious_config`: the cause is a setup choice, a unit-variance initializer.

The healthy twin uses `kernel_initializer="he_normal"` (the fix). It must train well.
"""

from keras import initializers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 6
LEARNING_RATE = 1e-3
FILTERS = (32, 32, 32)
LARGE_INIT_SIDE_EFFECTS = ("non_finite", "dead_relu", "saturation", "oscillation",
                           "suspicious_config")


def _run(initializer, seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack(list(FILTERS), "relu", kernel_initializer=initializer())
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


@scenario("cnn", expected=("exploding_gradient",), acceptable=LARGE_INIT_SIDE_EFFECTS,
          heldout=True, verify=measure.backward_signal_explodes())
def heldout7_cnn_three_relu_convs_random_normal_stddev_1(seed):
    return _run(lambda: initializers.RandomNormal(stddev=1.0), seed)


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_cnn_three_relu_convs_he_normal(seed):
    return _run(lambda: "he_normal", seed)
