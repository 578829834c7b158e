"""Step time of each single-pass optimizer of `zoo.optimizers` against Keras' Adam, in one run.

Each optimizer updates the same set of variables (an MLP's weights, 784-512-512-10 by default,
about 670k floats) with fixed gradients, `--steps` updates per `tf.function` call, so that the
figure is the optimizer's own update cost, not data loading or the forward/backward pass (which
dominate a real training step and are the same for every optimizer). Optimizers are timed in
turn, in reversed order every other repeat (`benchmarks/_timing.py`), and the script prints
each one's median wall and process CPU time per update and their ratios to Adam, beside a
control (identical work under two names) that reads about 1.0 when the comparison is fair.
SAM is not single-pass (two gradient evaluations per step) and is left out.

Usage:
    python benchmarks/optimizers.py [--repeats 15] [--steps 50] [--width 512]
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from zoo.optimizers import LARS, SWA, AdaBelief, AdaptiveClipping, Lookahead, PerturbedSGD, RAdam, Yogi  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, device_name, load_average, report  # noqa: E402

CANDIDATES = {
    "keras Adam (peer)": lambda: keras.optimizers.Adam(1e-3),
    "RAdam": lambda: RAdam(1e-3),
    "RAdam + gradient centralization": lambda: RAdam(1e-3, gradient_centralization=True),
    "Yogi": lambda: Yogi(1e-3),
    "AdaBelief": lambda: AdaBelief(1e-3),
    "LARS": lambda: LARS(0.1),
    "PerturbedSGD": lambda: PerturbedSGD(1e-3),
    "AdaptiveClipping(Adam)": lambda: AdaptiveClipping(keras.optimizers.Adam(1e-3)),
    # Not ours: Keras' own per-variable clipping, the nearest peer of AGC's extra work.
    "keras Adam(clipnorm=1)": lambda: keras.optimizers.Adam(1e-3, clipnorm=1.0),
    "Lookahead(Adam)": lambda: Lookahead(keras.optimizers.Adam(1e-3)),
    "SWA(Adam)": lambda: SWA(keras.optimizers.Adam(1e-3)),
}
PEER = "keras Adam (peer)"


def make_runner(make_optimizer, shapes, steps):
    rng = np.random.default_rng(0)
    variables = [keras.Variable(rng.normal(size=s).astype("float32") * 0.05) for s in shapes]
    gradients = [tf.constant(rng.normal(size=s).astype("float32") * 1e-2) for s in shapes]
    optimizer = make_optimizer()
    optimizer.build(variables)

    @tf.function
    def run():
        for _ in tf.range(steps):
            optimizer.apply(gradients, variables)
        return optimizer.iterations

    run()  # trace and warm up
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--width", type=int, default=512)
    args = parser.parse_args(argv)
    w = args.width
    shapes = [(784, w), (w,), (w, w), (w,), (w, 10), (10,)]
    print(f"{sum(int(np.prod(s)) for s in shapes)} weights, {args.steps} updates per call, "
          f"{args.repeats} repeats, TF {tf.__version__}, Keras {keras.__version__}; {device_name()}; "
          f"{load_average()}")
    runners = {name: make_runner(make, shapes, args.steps) for name, make in CANDIDATES.items()}
    times = compare({name: (lambda run=run: run().numpy()) for name, run in runners.items()}, args.repeats)
    report("Optimizer update, median per update:", times, PEER, per_call=args.steps / 1e3, unit="ms")
    print(load_average())


if __name__ == "__main__":
    main()
