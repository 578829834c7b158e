"""Cost of one curvature probe (StallMonitor at a stall) against one training epoch.

For the zoo MLP and CNN on the digits dataset (1,797 images, batch 32, Adam), the script
alternates, `--repeats` times: one training epoch (`model.fit(epochs=1)` after a warm-up epoch
that traces the step) and one curvature probe (`lanczos_extremes` with `--max-iter` HVPs on a
fixed batch of `--probe-size` samples, the `StallMonitor` defaults). It also times a single
gradient on the probe batch (what `StallMonitor` spends per epoch when no `GradientMonitor` gives
it the gradient norm) and a single HVP. It prints medians and the probe/epoch ratio.

Usage:
    python benchmarks/curvature.py [--repeats 5] [--max-iter 20] [--probe-size 256]
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import _timing  # noqa: E402
import zoo  # noqa: E402
from diagnostics.hessian import HessianProbe, lanczos_extremes  # noqa: E402


def _models():
    return {
        "mlp": (lambda: zoo.build_mlp(input_shape=(64,), num_classes=10, hidden_units=(64, 64)), (64,)),
        "mlp-wide": (lambda: zoo.build_mlp(input_shape=(64,), num_classes=10, hidden_units=(256, 256)), (64,)),
        "cnn": (
            lambda: zoo.build_cnn(input_shape=(8, 8, 1), num_classes=10, filters=(16, 32), dense_units=(64,)),
            (8, 8, 1),
        ),
    }


def _time(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main():
    parser = _timing.benchmark_parser(__doc__, repeats=5)
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--probe-size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    data = load_digits()
    x_flat, y = (data.data / 16.0).astype("float32"), data.target
    print(f"{'model':9} {'params':>7} {'epoch ms':>9} {'probe ms':>9} {'HVPs':>5} {'HVP ms':>7} "
          f"{'grad ms':>8} {'probe/epoch':>12}")
    for name, (build, shape) in _models().items():
        keras.utils.set_random_seed(0)
        x = x_flat.reshape((-1,) + shape)
        model = build()
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=args.batch_size, verbose=0)  # trace the step
        probe = HessianProbe(model, x[: args.probe_size], y[: args.probe_size])
        lanczos_extremes(probe, max_iter=2)  # trace the HVP
        probe.loss_and_gradient()  # trace the gradient
        epochs, probes, hvps, grads, single = [], [], [], [], []
        for repeat in range(args.repeats):
            seconds, _ = _time(lambda: model.fit(x, y, epochs=1, batch_size=args.batch_size, verbose=0))
            epochs.append(seconds)
            before = probe.hvp_count
            seconds, spectrum = _time(lambda: lanczos_extremes(probe, max_iter=args.max_iter, seed=repeat))
            probes.append(seconds)
            hvps.append(probe.hvp_count - before)
            grads.append(_time(probe.loss_and_gradient)[0])
            vector = np.random.default_rng(repeat).standard_normal(probe.size)
            single.append(_time(lambda: probe.hvp(vector))[0])
        epoch_ms = 1000 * statistics.median(epochs)
        probe_ms = 1000 * statistics.median(probes)
        print(f"{name:9} {probe.size:7d} {epoch_ms:9.1f} {probe_ms:9.1f} {statistics.median(hvps):5.0f} "
              f"{1000 * statistics.median(single):7.2f} {1000 * statistics.median(grads):8.2f} "
              f"{probe_ms / epoch_ms:12.2f}")


if __name__ == "__main__":
    main()
