"""Overhead of `TrainingDiagnostics()` (default settings) on the wall time of `model.fit`.

Plain `fit`, `fit` with `TrainingDiagnostics()` (defaults: every monitor in DEFAULT_MONITORS) and
`fit` with only the core `GradientMonitor` and `ActivationMonitor` take turns (the order rotates
every repeat), on the zoo MLP and CNN on the digits dataset; each run trains `--epochs` epochs. An epoch's time runs from its start
to the next epoch's start, so it includes all epoch-end work; the times of epochs after the first
(the first traces the step) are pooled per configuration; the script prints their
medians and the ratio, the median of the paired per-repeat ratios (robust to load that drifts
during the run on a shared machine), and the ratio of whole-`fit` medians (tracing included).

`--steps N` measures instead the in-graph cost alone: the compiled training step is called N
times in a loop, plain and instrumented by the telemetry (default sampling), alternating, and the
script prints microseconds per step. On a shared machine this is far steadier than epoch times.

Usage:
    python benchmarks/overhead.py [--repeats 7] [--epochs 6] [--batch-size 32] [--steps 0]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import zoo  # noqa: E402
from callbacks import ActivationMonitor, GradientMonitor, TrainingDiagnostics  # noqa: E402

# What runs besides plain `fit`: the defaults (every monitor in DEFAULT_MONITORS, other teams'
# included) and the core gradient and activation monitors alone.
CONFIGS = {
    "defaults": lambda: TrainingDiagnostics(verbose=0),
    "core": lambda: TrainingDiagnostics(monitors=[GradientMonitor, ActivationMonitor], verbose=0),
}


class _EpochTimer(keras.callbacks.Callback):
    """Time from one epoch's start to the next one's: it includes every callback's epoch-end work."""

    def on_train_begin(self, logs=None):
        self.starts = []

    def on_epoch_begin(self, epoch, logs=None):
        self.starts.append(time.perf_counter())

    @property
    def times(self):
        return [b - a for a, b in zip(self.starts, self.starts[1:])]


def _models():
    return {
        "mlp": (lambda: zoo.build_mlp(input_shape=(64,), num_classes=10, hidden_units=(64, 64)), (64,)),
        "cnn": (
            lambda: zoo.build_cnn(input_shape=(8, 8, 1), num_classes=10, filters=(16, 32), dense_units=(64,)),
            (8, 8, 1),
        ),
    }


def _fit(build, x, y, epochs, batch_size, config):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy")
    timer = _EpochTimer()
    callbacks = [timer] + ([CONFIGS[config]()] if config else [])
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start, timer.times[1:]


def _step_times(build, x, y, batch_size, steps, repeats):
    """Microseconds per compiled training step: plain, and with the telemetry attached."""
    import tensorflow as tf

    from callbacks._telemetry import GradientTelemetry

    functions = {}
    for instrumented in (False, True):
        keras.utils.set_random_seed(0)
        model = build()
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x[:batch_size], y[:batch_size], epochs=1, verbose=0)
        if instrumented:
            telemetry = GradientTelemetry(model, every=16)
            telemetry.attach()
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size, drop_remainder=True)
        iterator = iter(dataset.repeat())
        model.train_function(iterator)  # trace
        functions[instrumented] = (model.train_function, iterator)
    times = {False: [], True: []}
    for _ in range(repeats):
        for instrumented, (function, iterator) in functions.items():
            start = time.perf_counter()
            for _ in range(steps):
                logs = function(iterator)
            float(logs["loss"])
            times[instrumented].append((time.perf_counter() - start) / steps * 1e6)
    return statistics.median(times[False]), statistics.median(times[True])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=0)
    args = parser.parse_args()
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    if args.steps:
        print(f"compiled step, batch {args.batch_size}, {args.steps} steps x {args.repeats} repeats")
        print("model | plain us/step | telemetry us/step | ratio")
        for name, (build, shape) in _models().items():
            plain, instrumented = _step_times(
                build, x.reshape((-1,) + shape), y, args.batch_size, args.steps, args.repeats
            )
            print(f"{name} | {plain:.0f} | {instrumented:.0f} | {instrumented / plain:.3f}", flush=True)
        return
    print(f"digits: {len(x)} samples, batch {args.batch_size}, {args.epochs} epochs, {args.repeats} repeats")
    print("model | config | plain s/epoch | with s/epoch | epoch ratio | paired ratio | fit ratio (with tracing)")
    for name, (build, shape) in _models().items():
        data = x.reshape((-1,) + shape)
        names = [None] + list(CONFIGS)
        epochs = {config: [] for config in names}
        fits = {config: [] for config in names}
        paired = {config: [] for config in CONFIGS}
        for repeat in range(args.repeats):
            medians = {}
            order = names[repeat % len(names):] + names[: repeat % len(names)]  # rotate the order
            for config in order:
                total, per_epoch = _fit(build, data, y, args.epochs, args.batch_size, config)
                fits[config].append(total)
                epochs[config] += per_epoch
                medians[config] = statistics.median(per_epoch)
            for config in CONFIGS:
                paired[config].append(medians[config] / medians[None])
        plain = statistics.median(epochs[None])
        for config in CONFIGS:
            with_config = statistics.median(epochs[config])
            fit_ratio = statistics.median(fits[config]) / statistics.median(fits[None])
            print(f"{name} | {config} | {plain:.4f} | {with_config:.4f} | {with_config / plain:.3f} "
                  f"| {statistics.median(paired[config]):.3f} | {fit_ratio:.3f}", flush=True)


if __name__ == "__main__":
    main()
