"""In-graph cost of the gradient telemetry per optimizer step, against the parameter count.

For each size, a 4-layer MLP whose weights add up to about that many parameters gets constant
gradients, and a compiled function applies them with SGD. Three versions of that function run in
turn (interleaved, median of the repeats): plain, with the telemetry attached but the step
skipped (a huge `every`), and with every step measured (`every=1`), timed in wall and in process
CPU time. The differences are the cost
of a skipped and of a measured step, the second compared with the cost of a whole training step
(forward and backward pass on a batch of 32 rows, with SGD) of the same model.

Usage:
    python benchmarks/telemetry_cost.py [--sizes 50000 500000 2000000 10000000] [--calls 50]
        [--repeats 15] [--quick]
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# This checkout's packages, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras  # noqa: E402
from callbacks._telemetry import GradientTelemetry  # noqa: E402

SIZES = (50_000, 500_000, 2_000_000, 10_000_000)
BATCH_SIZE = 32
NEVER = 2**62  # a sampling period that no run reaches: every step after the first is skipped


def _mlp(parameters):
    """Four Dense layers of equal width (in, 3 hidden, out) with about `parameters` weights."""
    width = int(np.sqrt(parameters / 3.0))
    model = keras.Sequential(
        [keras.Input((width,))] + [keras.layers.Dense(width) for _ in range(3)] + [keras.layers.Dense(10)]
    )
    model.compile(keras.optimizers.SGD(1e-6), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, width


def _apply_function(model, grads):
    """A compiled function that applies `grads` once (through the optimizer's, maybe wrapped, apply)."""
    variables = model.trainable_variables

    @tf.function
    def apply():
        model.optimizer.apply(grads, variables)

    apply()  # trace (and build the optimizer)
    return apply


def _time(function, calls):
    """Microseconds of wall and of process CPU time per call."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        function()
    return (time.perf_counter() - wall) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


def measure(parameters, calls, repeats):
    """Microseconds per apply (plain, skipped and measured) and per plain training step: a
    `(wall, cpu)` pair of medians for each."""
    keras.utils.set_random_seed(0)
    model, width = _mlp(parameters)
    count = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    grads = [tf.random.normal(v.shape) * 1e-3 for v in model.trainable_variables]
    x = np.random.default_rng(0).normal(size=(BATCH_SIZE, width)).astype("float32")
    y = np.zeros(BATCH_SIZE, "int32")
    model.train_on_batch(x, y)  # builds the optimizer and the plain training step
    functions = {"plain": _apply_function(model, grads), "train step": lambda: model.train_on_batch(x, y)}
    for name, every in (("skipped", NEVER), ("measured", 1)):
        telemetry = GradientTelemetry(model, every=every, warmup=0)
        telemetry.attach()
        functions[name] = _apply_function(model, grads)  # traced while attached
        telemetry.detach()
        functions[name]()  # the forced first step of the period is measured: start skipping
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            times[name].append(_time(function, calls))
    return count, {name: tuple(map(statistics.median, zip(*values))) for name, values in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="two small sizes, few calls (smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.calls, args.repeats = [50_000, 200_000], 5, 3
    print(f"SGD apply of constant gradients, {args.calls} calls x {args.repeats} interleaved repeats (median)")
    print("parameters | clock | plain apply us | skipped step +us | measured step +us | train step us "
          "| measured / train step")
    for size in args.sizes:
        count, t = measure(size, args.calls, args.repeats)
        for clock, i in (("wall", 0), ("CPU", 1)):
            skipped, measured = t["skipped"][i] - t["plain"][i], t["measured"][i] - t["plain"][i]
            print(f"{count:,} | {clock} | {t['plain'][i]:.0f} | {skipped:+.0f} | {measured:+.0f} "
                  f"| {t['train step'][i]:.0f} | {measured / t['train step'][i]:.3f}", flush=True)


if __name__ == "__main__":
    main()
