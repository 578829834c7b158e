"""Held out (sixth split): a Conv1D network on time series with every kernel initialized to zero.

The fault. A user classifies generated sensor traces (64 steps, one channel: a noisy sine, square
or sawtooth wave of random frequency and phase) with three `Conv1D(16, 5, "relu")` layers,
global average pooling and a softmax head, and passes `kernel_initializer="zeros"` to every
Conv1D, to "start from a neutral point". Biases start at zero too (Keras' default). Every
convolution then outputs exactly 0 on every input, and so does its ReLU; the ReLU's derivative at
0 is 0 and each layer's input from below is 0, so every convolution kernel and bias receives an
exactly zero gradient. The start is perfectly symmetric and nothing breaks the symmetry: the
convolutions never move, the head sees zeros and can only learn the class prior. The run must
show, at the end, every Conv1D kernel still exactly zero, and a training loss within 5% of chance.

Expected: `suspicious_config` (the cause is a setup value: an all-zero initializer on layers
that need their symmetry broken).
Acceptable:
- `zero_gradient`: every convolution weight gets an exactly zero gradient;
- `dead_relu`: every ReLU unit outputs 0 on every input;
- `underfitting`: the loss stays at chance;
- `plateau`: the loss stalls at the class prior from the first epoch.

The healthy twin uses `kernel_initializer="he_normal"` (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

STEPS = 64
CLASSES = 3
TRAIN, VALIDATION = 1500, 300
FILTERS = 16
KERNEL = 5
EPOCHS = 8
LEARNING_RATE = 1e-3
NOISE = 0.3
# Stuck at the prior: within 5% of the labels' entropy.
NEAR_CHANCE = 0.05
SYMMETRY_SIDE_EFFECTS = ("zero_gradient", "dead_relu", "underfitting", "plateau")


def waves(seed, n):
    """`n` traces of shape `(STEPS, 1)` and their class: 0 sine, 1 square, 2 sawtooth, each of a
    random period (8 to 32 steps), phase and amplitude (0.5 to 1.5), plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, size=n)
    period = rng.uniform(8, 32, size=(n, 1))
    phase = rng.uniform(0, 1, size=(n, 1))
    amplitude = rng.uniform(0.5, 1.5, size=(n, 1))
    cycles = np.arange(STEPS)[None, :] / period + phase
    sine = np.sin(2 * np.pi * cycles)
    square = np.sign(sine)
    sawtooth = 2 * (cycles % 1.0) - 1
    x = np.select([y[:, None] == 0, y[:, None] == 1], [sine, square], sawtooth) * amplitude
    x = x + rng.normal(0, NOISE, size=x.shape)
    return x[..., None].astype("float32"), y.astype("int64")


def _run(kernel_initializer, seed):
    x, y = waves(seed, TRAIN)
    val = waves(seed + 10_000, VALIDATION)
    convs = [layers.Conv1D(FILTERS, KERNEL, padding="same", activation="relu",
                           kernel_initializer=kernel_initializer) for _ in range(3)]
    model = keras.Sequential([keras.Input((STEPS, 1)), *convs, layers.GlobalAveragePooling1D(),
                              layers.Dense(CLASSES, activation="softmax")])
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def convolutions_stay_zero(trained):
    """Every Conv1D kernel is exactly zero at the end, and the loss sits at chance."""
    model = trained.run.model
    kernels = [layer.kernel for layer in model.layers if isinstance(layer, layers.Conv1D)]
    zero = all(not np.any(np.asarray(kernel)) for kernel in kernels)
    ratio = trained.history["loss"][-1] / measure.label_entropy(trained.run.y)
    return zero and abs(ratio - 1) <= NEAR_CHANCE, \
        f"Conv1D kernels all zero {zero}, final loss / chance {ratio:.2f}"


@scenario("cnn", expected=("suspicious_config",), acceptable=SYMMETRY_SIDE_EFFECTS, heldout=True,
          verify=convolutions_stay_zero)
def heldout6_cnn_conv1d_zeros_kernel_init(seed):
    return _run("zeros", seed)


@scenario("cnn", heldout=True, verify=measure.trains_and_validates_well())
def heldout6_healthy_cnn_conv1d_he_normal_init(seed):
    return _run("he_normal", seed)
