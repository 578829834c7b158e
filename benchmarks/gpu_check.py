"""GPU check: the default `fit` with `TrainingDiagnostics()` under XLA, and the samplers against
imbalanced-learn, in one table.

Rows:

1. `fit` with `TrainingDiagnostics()` (all default monitors) and `jit_compile=True`, the Keras
   default on a GPU: a net whose first ReLU layer is dead must get a `dead_relu` finding, and a
   healthy net none; no monitor may switch itself off.
2. `zoo.data.SMOTE` (TensorFlow, on the GPU when there is one) against imbalanced-learn's SMOTE
   (NumPy, on the CPU) on n x 32 float32 data with 10% minority: seconds, speed-up, and the
   class counts both produce (they must agree).
3. `zoo.data.balanced_dataset` against imbalanced-learn's `BalancedBatchGenerator`: samples per
   second over one epoch, and the minority share each delivers (both must be near one half).

On a machine without a GPU it prints "no GPU" and runs a small CPU version of every row (as
`--smoke` does anywhere). Exits 1 when a check fails.

Usage:

    python benchmarks/gpu_check.py             # full sizes on a GPU (SMOTE at 1,000,000 x 32)
    python benchmarks/gpu_check.py --smoke     # small sizes, about a minute on a CPU
"""

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras  # noqa: E402
from imblearn.keras import BalancedBatchGenerator  # noqa: E402
from imblearn.over_sampling import SMOTE as ImblearnSMOTE  # noqa: E402
from imblearn.over_sampling import RandomOverSampler as ImblearnRandomOverSampler  # noqa: E402

from callbacks import TrainingDiagnostics  # noqa: E402
from callbacks._guard import MonitorFailedWarning  # noqa: E402
from zoo.data import SMOTE, balanced_dataset  # noqa: E402

FULL = {"smote_rows": 1_000_000, "pipeline_rows": 200_000, "fit_rows": 4096}
SMOKE = {"smote_rows": 20_000, "pipeline_rows": 20_000, "fit_rows": 512}
FEATURES = 32
MINORITY = 0.1
BATCH = 256
# A balanced batch stream's minority share over one epoch; a fair coin over >= 20,000 draws
# stays within 0.02 of one half far beyond any plausible chance.
SHARE_TOLERANCE = 0.02
FIT_EPOCHS = 3
DEAD_BIAS = -5.0  # pushes every pre-activation of the first ReLU layer below zero


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="small sizes (the default without a GPU)")
    args = parser.parse_args(argv)
    gpus = tf.config.list_physical_devices("GPU")
    sizes = SMOKE if args.smoke or not gpus else FULL
    print(f"Device: {_device(gpus)}; TensorFlow {tf.__version__}, Keras {keras.__version__}", flush=True)
    if not gpus:
        print("no GPU: running the small CPU version", flush=True)
    rows = [
        *check_fit(sizes["fit_rows"]),
        check_smote(sizes["smote_rows"]),
        check_balanced_dataset(sizes["pipeline_rows"]),
    ]
    print_table(rows)
    return 0 if all(row["ok"] for row in rows) else 1


def _device(gpus):
    if not gpus:
        return f"CPU only ({os.cpu_count()} logical cores)"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"{details.get('device_name', gpus[0].name)} (x{len(gpus)})"


def _row(check, setting, result, seconds, ok):
    return {"check": check, "setting": setting, "result": result, "seconds": seconds, "ok": ok}


# -- 1. fit with TrainingDiagnostics() under XLA -------------------------------------------------


def _classification_data(rows, seed=0):
    """16 features; the label is the largest of the first 3 (a small net learns it in 3 epochs)."""
    x = np.random.default_rng(seed).normal(size=(rows, 16)).astype("float32")
    return x, np.argmax(x[:, :3], axis=1)


def _mlp(first_bias):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((16,)),
        keras.layers.Dense(32, activation="relu", bias_initializer=keras.initializers.Constant(first_bias),
                           name="hidden_0"),
        keras.layers.Dense(32, activation="relu", name="hidden_1"),
        keras.layers.Dense(3, name="output"),
    ])
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True)
    return model


def check_fit(rows):
    x, y = _classification_data(rows)
    results = []
    for name, bias, expected in (("dead ReLU net", DEAD_BIAS, ["dead_relu"]), ("healthy net", 0.0, [])):
        diagnostics = TrainingDiagnostics(verbose=0)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MonitorFailedWarning)
            _mlp(bias).fit(x, y, batch_size=64, epochs=FIT_EPOCHS, validation_split=0.25, verbose=0,
                           callbacks=[diagnostics])
        seconds = time.perf_counter() - start
        kinds = sorted({finding.kind for finding in diagnostics.findings})
        failed = [note.monitor for note in diagnostics.skipped]
        result = f"findings {kinds or 'none'}, expected {expected or 'none'}"
        if failed:
            result += f"; switched off: {', '.join(failed)}"
        ok = kinds == expected and not failed and not caught
        results.append(_row("fit + TrainingDiagnostics, XLA", f"{name}, {rows} rows", result, seconds, ok))
    return results


# -- 2. SMOTE -------------------------------------------------------------------------------------


def _imbalanced_data(rows, seed=0):
    rng = np.random.RandomState(seed)
    y = (rng.rand(rows) < MINORITY).astype(np.int64)
    return rng.normal(size=(rows, FEATURES)).astype(np.float32) + y[:, None], y


def check_smote(rows):
    x, y = _imbalanced_data(rows)
    SMOTE(random_state=0).fit_resample(x[:1000], y[:1000])  # traces the TensorFlow functions once
    ours_seconds, (_, ours_y) = _timed(lambda: SMOTE(random_state=0).fit_resample(x, y))
    theirs_seconds, (_, theirs_y) = _timed(lambda: ImblearnSMOTE(random_state=0).fit_resample(x, y))
    ours_counts, theirs_counts = np.bincount(ours_y).tolist(), np.bincount(theirs_y).tolist()
    result = (f"zoo {ours_seconds:.2f} s, imblearn {theirs_seconds:.2f} s, "
              f"speed-up {theirs_seconds / ours_seconds:.1f}x; class counts {ours_counts} vs {theirs_counts}")
    return _row("SMOTE vs imbalanced-learn", f"{rows:,} x {FEATURES}, 10% minority", result, ours_seconds,
                ours_counts == theirs_counts)


def _timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


# -- 3. balanced_dataset ------------------------------------------------------------------------


def _minority_share_and_rate(batches):
    """Share of class-1 labels and samples per second over one pass of `batches`."""
    start, minority, total = time.perf_counter(), 0, 0
    for _, labels in batches:
        labels = np.asarray(labels)
        minority += int(labels.sum())
        total += len(labels)
    return minority / total, total / (time.perf_counter() - start)


def check_balanced_dataset(rows):
    x, y = _imbalanced_data(rows)
    ours = balanced_dataset(x, y, batch_size=BATCH, seed=0)
    next(iter(ours))  # builds the pipeline's functions before the clock starts
    ours_share, ours_rate = _minority_share_and_rate(ours.as_numpy_iterator())
    theirs = BalancedBatchGenerator(x, y, sampler=ImblearnRandomOverSampler(), batch_size=BATCH, random_state=0)
    theirs_share, theirs_rate = _minority_share_and_rate(theirs[i] for i in range(len(theirs)))
    result = (f"zoo {ours_rate:,.0f} samples/s, imblearn {theirs_rate:,.0f} samples/s; "
              f"minority share {ours_share:.3f} vs {theirs_share:.3f}")
    ok = abs(ours_share - 0.5) <= SHARE_TOLERANCE and abs(theirs_share - 0.5) <= SHARE_TOLERANCE
    return _row("balanced_dataset vs BalancedBatchGenerator", f"{rows:,} x {FEATURES}, batch {BATCH}", result,
                rows / ours_rate, ok)


# -- the table --------------------------------------------------------------------------------------


def print_table(rows):
    headers = ("check", "setting", "result", "seconds", "ok")
    cells = [[row["check"], row["setting"], row["result"], f"{row['seconds']:.2f}", "PASS" if row["ok"] else "FAIL"]
             for row in rows]
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for line in cells:
        print("| " + " | ".join(line) + " |")


if __name__ == "__main__":
    sys.exit(main())
