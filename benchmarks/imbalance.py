"""Imbalance benchmarks, side by side in one run (alternating, repeats, median, ratio).

1. `zoo.data.SMOTE` against `imblearn.over_sampling.SMOTE` on n x 32 float32 data with 10%
   minority (default sizes 200,000 and 1,000,000; the 1M case takes about a minute per repeat
   for imbalanced-learn on 2 cores).
2. `zoo.data.balanced_dataset` throughput (samples/s of class-balanced batches) against a plain
   shuffled `tf.data` pipeline over the same arrays, and against imbalanced-learn's
   `BalancedBatchGenerator` (imblearn.keras) as `model.fit` consumes it (Keras's PyDataset
   adapter); its raw Python indexing speed is printed too.

Usage:

    python benchmarks/imbalance.py                       # everything
    python benchmarks/imbalance.py --sizes 200000 --repeats 3
    python benchmarks/imbalance.py --skip-smote          # only the pipelines
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from imblearn.keras import BalancedBatchGenerator  # noqa: E402
from imblearn.over_sampling import SMOTE as ImblearnSMOTE  # noqa: E402
from imblearn.over_sampling import RandomOverSampler as ImblearnRandomOverSampler  # noqa: E402

from zoo.data import SMOTE, balanced_dataset  # noqa: E402


def make_data(n, features=32, minority=0.1, seed=0):
    rng = np.random.RandomState(seed)
    y = (rng.rand(n) < minority).astype(np.int64)
    X = rng.normal(size=(n, features)).astype(np.float32) + y[:, None]
    return X, y


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def device_name():
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)} (x{len(gpus)})"
    return f"CPU only ({os.cpu_count()} logical cores visible)"


def bench_smote(n, repeats):
    X, y = make_data(n)
    SMOTE(random_state=0).fit_resample(X[:5000], y[:5000])  # trace the TF functions once
    ours, theirs = [], []
    for repeat in range(repeats):
        order = [("ours", SMOTE), ("imblearn", ImblearnSMOTE)]
        for name, sampler in order if repeat % 2 == 0 else order[::-1]:
            seconds, (_, y_res) = timed(lambda: sampler(random_state=repeat).fit_resample(X, y))
            (ours if name == "ours" else theirs).append(seconds)
            print(f"  SMOTE n={n:,} repeat {repeat} {name:8s} {seconds:7.2f} s  ({len(y_res):,} rows out)", flush=True)
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    print(f"SMOTE n={n:,} x 32, 10% minority: zoo {ours_s:.2f} s, imblearn {theirs_s:.2f} s, "
          f"speed-up {theirs_s / ours_s:.2f}x (median of {repeats})", flush=True)
    return ours_s, theirs_s


def consume(dataset):
    """Samples produced by one pass over a dataset, counted in the graph (no Python per batch)."""
    return int(dataset.reduce(np.int64(0), lambda total, batch: total + tf.shape(batch[1], out_type=tf.int64)[0]))


def keras_adapter_dataset(generator):
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    return PyDatasetAdapter(generator, shuffle=False).get_tf_dataset()


def python_indexing(generator):
    return sum(len(generator[i][1]) for i in range(len(generator)))


def bench_pipelines(n, batch_size, repeats):
    """Samples per second over one epoch of an already built pipeline (build time printed apart)."""
    X, y = make_data(n)
    steps = int(np.ceil(n / batch_size))

    def generator():
        sampler = ImblearnRandomOverSampler()
        return BalancedBatchGenerator(X, y, sampler=sampler, batch_size=batch_size, random_state=0)

    builders = {
        "balanced_dataset": lambda: balanced_dataset(X, y, batch_size=batch_size, seed=0),
        "plain tf.data": lambda: tf.data.Dataset.from_tensor_slices((X, y))
        .shuffle(n, seed=0)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE),
        "BalancedBatchGenerator (fit adapter)": lambda: keras_adapter_dataset(generator()),
        "BalancedBatchGenerator (Python indexing)": generator,
    }
    built, build_seconds = {}, {}
    for name, build in builders.items():
        build_seconds[name], built[name] = timed(build)
    epoch = {name: (python_indexing if "Python" in name else consume) for name in builders}
    for name in builders:  # warm-up: traces the reduce functions
        epoch[name](built[name])
    rates = {name: [] for name in builders}
    names = list(builders)
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            seconds, samples = timed(lambda: epoch[name](built[name]))
            rates[name].append(samples / seconds)
            print(f"  pipelines repeat {repeat} {name:42s} {samples / seconds:12,.0f} samples/s", flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"Pipelines, n={n:,} x 32, 10% minority, batch {batch_size} ({steps} zoo steps per epoch); "
          f"one epoch of a built pipeline, median of {repeats}:")
    for name, rate in medians.items():
        print(f"  {name:42s} {rate:12,.0f} samples/s  (built in {build_seconds[name]:.2f} s)  "
              f"balanced_dataset/this = {medians['balanced_dataset'] / rate:.2f}x")
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200000,1000000", help="comma-separated SMOTE sizes")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smote-repeats-large", type=int, default=1, help="repeats for sizes >= 1,000,000")
    parser.add_argument("--pipeline-size", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--skip-smote", action="store_true")
    parser.add_argument("--skip-pipelines", action="store_true")
    args = parser.parse_args()
    print(f"Device: {device_name()}; TensorFlow {tf.__version__}", flush=True)
    if not args.skip_smote:
        for n in [int(size) for size in args.sizes.split(",") if size]:
            bench_smote(n, args.repeats if n < 1_000_000 else args.smote_repeats_large)
    if not args.skip_pipelines:
        bench_pipelines(args.pipeline_size, args.batch_size, args.repeats)


if __name__ == "__main__":
    main()
