"""Overhead of `TrainingDiagnostics()` (default settings) on the wall time of `model.fit`.

Plain `fit` and `fit` with `TrainingDiagnostics()` alternate, run after run, on the zoo MLP and
CNN on the digits dataset; each run trains `--epochs` epochs. An epoch's time runs from its start
to the next epoch's start, so it includes all epoch-end work; the times of epochs after the first
(the first traces the step) are pooled per configuration; the script prints their
medians and the ratio, the median of the paired per-repeat ratios (robust to load that drifts
during the run on a shared machine), and the ratio of whole-`fit` medians (tracing included).

Usage:
    python benchmarks/overhead.py [--repeats 7] [--epochs 6] [--batch-size 32]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import zoo  # noqa: E402
from callbacks import TrainingDiagnostics  # noqa: E402


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


def _fit(build, x, y, epochs, batch_size, with_diagnostics):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy")
    timer = _EpochTimer()
    callbacks = [timer] + ([TrainingDiagnostics(verbose=0)] if with_diagnostics else [])
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start, timer.times[1:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    print(f"digits: {len(x)} samples, batch {args.batch_size}, {args.epochs} epochs, {args.repeats} repeats")
    print("model | plain s/epoch | diagnostics s/epoch | epoch ratio | paired ratio | fit ratio (with tracing)")
    for name, (build, shape) in _models().items():
        data = x.reshape((-1,) + shape)
        epochs = {False: [], True: []}
        fits = {False: [], True: []}
        paired = []
        for repeat in range(args.repeats):
            medians = {}
            order = (False, True) if repeat % 2 == 0 else (True, False)
            for with_diagnostics in order:
                total, per_epoch = _fit(build, data, y, args.epochs, args.batch_size, with_diagnostics)
                fits[with_diagnostics].append(total)
                epochs[with_diagnostics] += per_epoch
                medians[with_diagnostics] = statistics.median(per_epoch)
            paired.append(medians[True] / medians[False])
        plain, diag = statistics.median(epochs[False]), statistics.median(epochs[True])
        fit_ratio = statistics.median(fits[True]) / statistics.median(fits[False])
        print(f"{name} | {plain:.4f} | {diag:.4f} | {diag / plain:.3f} | {statistics.median(paired):.3f} "
              f"| {fit_ratio:.3f}", flush=True)


if __name__ == "__main__":
    main()
