"""Held out: mixed precision on raw physical measurements beyond float16's range.

The fault. A user turns on `keras.mixed_precision.set_global_policy("mixed_float16")` for speed
and trains a small weather classifier ("rain tomorrow?") on raw station readings: air pressure in
pascals (~101,000), temperature in kelvin, humidity in percent, wind in m/s. Under the policy
the first Dense layer casts its inputs to float16, whose largest finite value is 65,504: every
pressure reading becomes +inf, the first layer's outputs inf or NaN, and the loss NaN from the
first step (loss scaling cannot help: the forward pass itself overflows). The same data in float32
would only be badly scaled. The run must show inputs that overflow float16 (beyond
`np.finfo(np.float16).max`) and a non-finite training loss. Expected: `non_finite` and
`unnormalized_input` (the NaN and its cause, the input scale); the findings should name both.

The healthy twin is the fix the mixed-precision guide and the data ask for: standardized features
and a float32 output layer (`dtype="float32"`), still under `mixed_float16`. It must train well.
Both scenarios restore the global policy after building their model.
"""

import contextlib

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

SAMPLES = 1200
VALIDATION = 300
FLOAT16_MAX = float(np.finfo(np.float16).max)
NAN_SIDE_EFFECTS = ("dead_relu", "underfitting", "exploding_gradient")


@contextlib.contextmanager
def global_policy(name):
    """Sets Keras' global dtype policy to `name` inside the block and restores the previous one."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def station_readings(seed):
    """`(x, y), (x_val, y_val)`: raw readings (pressure Pa, temperature K, humidity %, wind m/s)
    and whether it rains tomorrow (more likely at low pressure and high humidity)."""
    rng = np.random.default_rng(seed)
    n = SAMPLES + VALIDATION
    pressure = rng.normal(101_325, 1_200, n)
    temperature = rng.normal(288, 8, n)
    humidity = np.clip(rng.normal(70, 15, n), 5, 100)
    wind = np.abs(rng.normal(4, 2.5, n))
    score = -(pressure - 101_325) / 1_200 + (humidity - 70) / 15 + 0.3 * rng.normal(size=n)
    x = np.stack([pressure, temperature, humidity, wind], axis=1).astype("float32")
    y = (score > 0).astype("float32")[:, None]
    return (x[:SAMPLES], y[:SAMPLES]), (x[SAMPLES:], y[SAMPLES:])


def _classifier(output_dtype=None):
    return keras.Sequential([keras.Input((4,)), layers.Dense(32, activation="relu"),
                             layers.Dense(32, activation="relu"),
                             layers.Dense(1, activation="sigmoid", dtype=output_dtype)])


def overflows_float16():
    """Some input is beyond float16's range (it would cast to inf), and the training loss is not
    finite."""
    def verify(trained):
        overflow = bool(np.any(np.abs(np.asarray(trained.run.x)) > FLOAT16_MAX))
        finite = measure.finite(trained.history["loss"])
        return overflow and not finite, \
            f"largest input {float(np.max(np.abs(trained.run.x))):.0f} (float16 max {FLOAT16_MAX:.0f}), " \
            f"loss {'finite' if finite else 'not finite'}"
    return verify


@scenario("mixed_precision", expected=("non_finite", "unnormalized_input"), acceptable=NAN_SIDE_EFFECTS,
          heldout=True, verify=overflows_float16())
def heldout_mixed_float16_raw_pressure_in_pascals(seed):
    (x, y), val = station_readings(seed)
    with global_policy("mixed_float16"):
        model = _classifier()
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x, y, epochs=5, validation_data=val)


@scenario("mixed_precision", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout_healthy_mixed_float16_standardized_float32_output(seed):
    (x, y), (x_val, y_val) = station_readings(seed)
    mean, std = x.mean(0), x.std(0)
    with global_policy("mixed_float16"):
        model = _classifier(output_dtype="float32")
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", (x - mean) / std, y, epochs=8,
               validation_data=((x_val - mean) / std, y_val))
