"""Imbalance benchmarks, side by side in one process: ours and the peers alternate, repeated.

1. `zoo.data.SMOTE` against `imblearn.over_sampling.SMOTE` on n x 32 float32 data with 10%
   minority (default sizes 200,000 and 1,000,000).
2. Pipelines through `model.fit` (a one-layer model, so the input pipeline is what is timed):
   `zoo.data.balanced_dataset` against imbalanced-learn's `BalancedBatchGenerator` and against
   the two usual plain `tf.data` pipelines (`from_tensor_slices(...).shuffle(n).batch(b)`, and
   shuffled indices batched before a vectorised `map` that gathers the rows), with
   `steps_per_execution` 1 and 32; and the floor: `fit` fed one fixed batch, repeated.

Every comparison runs the candidates in turn, in reversed order every other repeat, and reports
the median wall time and the median process CPU time (all threads) of each, the ratios to ours,
and a control: the same fixed NumPy work timed twice under two names, whose ratio reads about
1.0 when the comparison is fair. The load average is printed before and after.

Usage:

    python benchmarks/imbalance.py                       # everything
    python benchmarks/imbalance.py --sizes 200000 --repeats 3
    python benchmarks/imbalance.py --skip-smote          # only the pipelines

`smote_speedup(n)` is the function `benchmarks/gpu_check.py` calls: SMOTE on the current
default device (a GPU when one is present) against imbalanced-learn on the CPU.
"""

import argparse
import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from imblearn.keras import BalancedBatchGenerator  # noqa: E402
from imblearn.over_sampling import SMOTE as ImblearnSMOTE  # noqa: E402
from imblearn.over_sampling import RandomOverSampler as ImblearnRandomOverSampler  # noqa: E402

from zoo.data import SMOTE, balanced_dataset  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, device_name, load_average, report  # noqa: E402


def make_data(n, features=32, minority=0.1, seed=0):
    """n x features float32 Gaussian rows; label 1 (shifted by 1) with probability `minority`."""
    rng = np.random.RandomState(seed)
    y = (rng.rand(n) < minority).astype(np.int64)
    X = rng.normal(size=(n, features)).astype(np.float32) + y[:, None]
    return X, y


def _warm_up(X, y):
    """Traces SMOTE's TensorFlow functions for shapes of any size (two sizes relax the shapes)."""
    for size in (5000, 6000):
        SMOTE(random_state=0).fit_resample(X[:size], y[:size])


def smote_speedup(n, repeats=3, features=32):
    """SMOTE at n x features: imbalanced-learn's time on the CPU over ours on the default device.

    Args:
        n: rows (10% minority).
        repeats: alternating repeats; the medians are compared.
        features: columns.

    Returns:
        dict with `wall` and `cpu` (the speed-ups, imbalanced-learn / ours), `ours_s`,
        `imblearn_s` (median wall seconds) and `device`.

    Example:

    >>> smote_speedup(200_000)["wall"]   # doctest: +SKIP
    """
    X, y = make_data(n, features)
    _warm_up(X, y)

    def imblearn_on_cpu():
        with tf.device("/CPU:0"):  # imbalanced-learn is NumPy; this only pins stray TF work
            ImblearnSMOTE(random_state=0).fit_resample(X, y)

    times = compare({"zoo SMOTE": lambda: SMOTE(random_state=0).fit_resample(X, y),
                     "imblearn SMOTE": imblearn_on_cpu}, repeats, control=False)
    ours = {kind: statistics.median(v) for kind, v in times["zoo SMOTE"].items()}
    theirs = {kind: statistics.median(v) for kind, v in times["imblearn SMOTE"].items()}
    return {
        "wall": theirs["wall"] / ours["wall"],
        "cpu": theirs["cpu"] / ours["cpu"],
        "ours_s": ours["wall"],
        "imblearn_s": theirs["wall"],
        "device": device_name(),
    }


def bench_smote(n, repeats):
    X, y = make_data(n)
    _warm_up(X, y)
    times = compare(
        {
            "zoo.data.SMOTE": lambda: SMOTE(random_state=0).fit_resample(X, y),
            "imblearn SMOTE": lambda: ImblearnSMOTE(random_state=0).fit_resample(X, y),
        },
        repeats,
    )
    return report(f"SMOTE, {n:,} x 32, 10% minority, k=5, median of {repeats}:", times, "zoo.data.SMOTE")


def _tiny_model(steps_per_execution):
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", steps_per_execution=steps_per_execution)
    return model


def bench_pipelines(n, batch_size, repeats, steps_per_execution):
    """Samples per second of one `fit` epoch fed by each pipeline (built once, fitted warm)."""
    X, y = make_data(n)
    Xt, yt = tf.constant(X), tf.constant(y)

    def gather_rows(indices):
        return tf.gather(Xt, indices), tf.gather(yt, indices)

    def vectorised():
        indices = tf.data.Dataset.range(n).shuffle(n, seed=0).batch(batch_size)
        return indices.map(gather_rows).prefetch(tf.data.AUTOTUNE)

    pipelines = {
        "zoo.data.balanced_dataset": balanced_dataset(X, y, batch_size=batch_size, seed=0),
        "imblearn BalancedBatchGenerator": BalancedBatchGenerator(
            X, y, sampler=ImblearnRandomOverSampler(), batch_size=batch_size, random_state=0
        ),
        "tf.data shuffle(n).batch(b)": tf.data.Dataset.from_tensor_slices((X, y))
        .shuffle(n, seed=0)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE),
        "tf.data indices.shuffle.batch.map(gather)": vectorised(),
        # What fit costs with no input pipeline at all: the floor under every row above.
        "floor: one fixed batch, repeated": tf.data.Dataset.from_tensors((X[:batch_size], y[:batch_size]))
        .repeat(-(-n // batch_size)),
    }
    samples = {
        name: len(pipeline) * batch_size if isinstance(pipeline, BalancedBatchGenerator)
        else int(pipeline.cardinality()) * batch_size
        for name, pipeline in pipelines.items()
    }
    models = {name: _tiny_model(steps_per_execution) for name in pipelines}
    for name, pipeline in pipelines.items():  # warm-up: traces the train function
        models[name].fit(pipeline, epochs=1, verbose=0)
    times = compare(
        {name: (lambda name=name: models[name].fit(pipelines[name], epochs=1, verbose=0)) for name in pipelines},
        repeats,
    )
    # Report seconds per 100,000 samples, so that pipelines of different lengths compare.
    per_sample = {name: {kind: [v * 1e5 / samples.get(name, 1e5) for v in values] for kind, values in t.items()}
                  for name, t in times.items()}
    return report(
        f"Pipelines through fit, {n:,} x 32, batch {batch_size}, steps_per_execution={steps_per_execution}, "
        f"median of {repeats} epochs (seconds per 100,000 samples; control rows in plain seconds):",
        per_sample,
        "zoo.data.balanced_dataset",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200000,1000000", help="comma-separated SMOTE sizes")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smote-repeats-large", type=int, default=3, help="repeats for sizes >= 1,000,000")
    parser.add_argument("--pipeline-size", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps-per-execution", default="1,32", help="comma-separated values for fit")
    parser.add_argument("--skip-smote", action="store_true")
    parser.add_argument("--skip-pipelines", action="store_true")
    args = parser.parse_args()
    print(f"Device: {device_name()}; TensorFlow {tf.__version__}; {load_average()}", flush=True)
    if not args.skip_smote:
        for n in [int(size) for size in args.sizes.split(",") if size]:
            bench_smote(n, args.repeats if n < 1_000_000 else args.smote_repeats_large)
    if not args.skip_pipelines:
        for steps in [int(s) for s in args.steps_per_execution.split(",") if s]:
            bench_pipelines(args.pipeline_size, args.batch_size, args.repeats, steps)
    print(f"\n{load_average()}")


if __name__ == "__main__":
    main()
