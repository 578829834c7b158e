"""Held out (third split): a Conv2D digits classifier under `SGD(learning_rate=5.0)`.

The fault. A user types a learning rate of 5.0 (meaning 5e-2, or copying a value from a
normalized-gradient optimizer) into plain `SGD` for a small Conv2D classifier of the 8x8 digits
with LeakyReLU activations. The first steps move the kernels by several times their own size,
each larger activation makes the next update larger, and the weights and the loss overflow to
NaN within the first epoch; nothing trains after that. (With plain ReLU the same blow-up kills
every unit instead: the network outputs a constant and the loss stays finite at chance, a
different fault, measured at seeds 0-2; LeakyReLU units cannot die, so the divergence runs on.)
The run must show a non-finite training loss or weight (`measure.becomes_non_finite`).

Expected: `non_finite` (the fault the run shows, and the one that ends training; the learning
rate behind it is scored as a right lead when the non_finite finding names it as its cause).
Acceptable: `exploding_gradient` (the divergence the NaN comes through), `suspicious_config`
(the learning rate of 5.0, the cause).

The healthy twin uses `SGD(0.05)` (the fix). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 8
DIVERGENCE_SIDE_EFFECTS = ("exploding_gradient", "suspicious_config")


def _run(learning_rate, seed):
    (x, y), val = data.digits(seed, image=True)
    return Run(models.conv_stack([16, 32], "leaky_relu"), optimizers.SGD(learning_rate),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)


@scenario("cnn", expected=("non_finite",), acceptable=DIVERGENCE_SIDE_EFFECTS, heldout=True,
          verify=measure.becomes_non_finite())
def heldout3_conv_digits_sgd_learning_rate_5(seed):
    return _run(5.0, seed)


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_conv_digits_sgd_learning_rate_005(seed):
    return _run(0.05, seed)
