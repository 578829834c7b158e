"""Overhead of `TrainingDiagnostics()` (default settings) on `model.fit`, over four models.

The models: the MLP of issue 13 (4 x Dense(128) on the 64 digits features, the 1,797 digits
repeated 6 times: 10,782 rows), a CNN of about 1M weights with batch normalisation on 32x32x3
images, an LSTM on sequences, and a dense network of about 10.5M weights; every run is a healthy
one (`TrainingDiagnostics` finds nothing). Every `fit` builds a fresh model (same seed), and
four configurations take turns in one process, the order rotating every round:

- `plain`: no callback;
- `control`: no callback either, an A/A control (plain against plain, interleaved), which must
  read ~1.0: it shows the noise of the measurement (a no-op callback would be no control: a
  batch hook without `async_safe` makes every step synchronous in Keras 3);
- `defaults`: `TrainingDiagnostics(verbose=0)`;
- `instrumented`: the same, with every step instrumented (`callbacks._step_switch` off): what the
  switch to the plain step saves on epochs of 256 steps or more.

Per configuration the script reports the wall and process CPU time of an epoch (from its start to
the next one's, so all epoch-end work is in; epoch 0, which traces the step, left out), as the
median over the rounds of the per-round ratio to `plain` (paired: robust to load that drifts on a
shared machine), the ratio of the median whole-`fit` wall times, tracing included, and the
median wall time from an epoch's end to the next one's start (the epoch-end work of the
callbacks: a fixed cost per epoch, which the length of the epoch dilutes), and how many times
each `fit` traced the training step (Keras traces a plain step twice: its first trace builds the
optimizer, and a `tf.function` whose first trace creates variables traces again; the
instrumented step is traced once, `callbacks._trace_once`). Peak memory
is the peak RSS of a child process that runs one `fit` of one configuration (`--memory`), plain
and defaults alternating.

`--threads 1` runs TensorFlow's ops on one thread: in-graph work then costs its full time, and the
noise of two threads sharing two cores goes (pin the process to one core with `taskset -c 1` too).

Usage:
    python benchmarks/overhead.py [--rounds 5] [--epochs 3] [--memory-rounds 2]
        [--models mlp cnn lstm dense10m] [--rows N] [--threads 1] [--quick]
    python benchmarks/overhead.py --memory-only [--memory-rounds 2]   # peak RSS only
    python benchmarks/overhead.py --memory MODEL CONFIG   # one child: prints its peak RSS in MiB
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# This checkout's packages, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
import _timing  # noqa: E402
from callbacks import TrainingDiagnostics, _step_switch  # noqa: E402

BATCH_SIZE = 32
# Size of the class templates against the unit noise of `_random_data`.
TEMPLATE_SCALE = 0.5
L = keras.layers


class _SwitchOff(keras.callbacks.Callback):
    """Keeps `StepSwitch` off for one `fit` (placed before `TrainingDiagnostics`)."""

    async_safe = True

    def on_train_begin(self, logs=None):
        self._kept, _step_switch.MIN_SWITCHED_STEPS = _step_switch.MIN_SWITCHED_STEPS, float("inf")

    def on_train_end(self, logs=None):
        _step_switch.MIN_SWITCHED_STEPS = self._kept


CONFIGS = {
    "plain": lambda: [],
    "control": lambda: [],
    "defaults": lambda: [TrainingDiagnostics(verbose=0)],
    "instrumented": lambda: [_SwitchOff(), TrainingDiagnostics(verbose=0)],
}


def _digits_mlp(rows):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    repeats = -(-rows // len(x))
    x, y = np.tile((x / 16.0).astype("float32"), (repeats, 1))[:rows], np.tile(y, repeats)[:rows]
    model = keras.Sequential([keras.Input((64,))] + [L.Dense(128, activation="relu") for _ in range(4)]
                             + [L.Dense(10)])
    return model, x, y


def _cnn(rows):
    # Batch normalisation before each ReLU: without it, Adam's first steps left most units of the
    # third convolution and the dense layer dead (and ActivationMonitor said so).
    def conv(filters):
        return [L.Conv2D(filters, 3, use_bias=False), L.BatchNormalization(), L.ReLU()]

    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        *conv(32),
        *conv(64),
        L.MaxPooling2D(),
        *conv(128),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(200, use_bias=False),
        L.BatchNormalization(),
        L.ReLU(),
        L.Dense(10),
    ])
    return model, *_random_data(rows, (32, 32, 3))


def _lstm(rows):
    model = keras.Sequential([keras.Input((30, 16)), L.LSTM(128), L.Dense(10)])
    return model, *_random_data(rows, (30, 16))


def _dense10m(rows):
    model = keras.Sequential([keras.Input((1024,))] + [L.Dense(2048, activation="relu") for _ in range(3)]
                             + [L.Dense(10)])
    return model, *_random_data(rows, (1024,))


def _random_data(rows, shape):
    """Normal noise plus a fixed random template of the row's class (one of 10): learnable in a
    few epochs, so that the run is a healthy one. (Labels from a random linear teacher of the
    raw features left the CNN at the chance loss with most of its ReLUs dead, a run diagnosed at
    a cost that a healthy one does not pay.)"""
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(10,) + shape).astype("float32")
    y = rng.integers(0, 10, size=rows)
    x = rng.normal(size=(rows,) + shape).astype("float32") + TEMPLATE_SCALE * templates[y]
    return x, y


# name: (builder, rows, rows in --quick)
MODELS = {
    "mlp": (_digits_mlp, 10_782, 1_024),
    "cnn": (_cnn, 1_024, 128),
    "lstm": (_lstm, 2_048, 256),
    "dense10m": (_dense10m, 640, 96),
}


class _EpochTimer(keras.callbacks.Callback):
    """Wall and process CPU time of every epoch but the first, start to next start (or to the end),
    and the wall time from its end hooks (this callback's comes first) to the next start: the
    other callbacks' epoch-end work."""

    def on_train_begin(self, logs=None):
        self.marks, self.ends = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.marks.append((time.perf_counter(), time.process_time()))

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(time.perf_counter())

    def on_train_end(self, logs=None):
        self.marks.append((time.perf_counter(), time.process_time()))

    def times(self):
        """`(wall, cpu, epoch_end_wall)` medians over the epochs after the first."""
        spans = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(self.marks[1:], self.marks[2:])]
        ends = [start[0] - end for end, start in zip(self.ends[1:], self.marks[2:])]
        return (statistics.median(s[0] for s in spans), statistics.median(s[1] for s in spans),
                statistics.median(ends))


def _count_traces(model):
    """A list that gets one entry each time `model.train_step` runs in Python: once per trace of
    the compiled step (wrapped on the instance, under whatever the callbacks wrap it with)."""
    traces, original = [], model.train_step

    def train_step(data):
        traces.append(1)
        return original(data)

    model.__dict__["train_step"] = train_step
    return traces


def _fit(model_name, config, epochs, rows):
    keras.utils.set_random_seed(0)
    model, x, y = MODELS[model_name][0](rows)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    timer = _EpochTimer()
    traces = _count_traces(model)
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, verbose=0, callbacks=[timer] + CONFIGS[config]())
    return time.perf_counter() - start, timer.times(), model.count_params(), len(traces)


def _peak_rss_of_this_process_mib():
    """`VmHWM` of /proc/self/status: the peak RSS since this program was loaded. (`ru_maxrss`
    would not do: Linux carries it over `fork` and `exec`, from the parent's size.)"""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024  # kB


def _peak_rss_mib(model_name, config, epochs, rows):
    """Peak RSS of a child process that runs one `fit` of `config`."""
    command = [sys.executable, os.path.abspath(__file__), "--memory", model_name, config,
               "--epochs", str(epochs), "--rows", str(rows)]
    threads = tf.config.threading.get_intra_op_parallelism_threads()
    if threads:  # set by --threads: the child runs as this process does
        command += ["--threads", str(threads)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(output.split()[-1])


def memory_ratio(model_name, epochs, rows, memory_rounds):
    """Median peak RSS of `memory_rounds` children per configuration, plain then defaults."""
    if not memory_rounds:
        return "-"
    memory = {"plain": [], "defaults": []}
    for _ in range(memory_rounds):
        for config in memory:
            memory[config].append(_peak_rss_mib(model_name, config, epochs, rows))
    plain, defaults = statistics.median(memory["plain"]), statistics.median(memory["defaults"])
    return f"{plain:.0f} / {defaults:.0f} MiB = {defaults / plain:.3f}"


def compare(model_name, rounds, epochs, rows, memory_rounds):
    """One table row per configuration other than `plain`."""
    names = list(CONFIGS)
    wall, cpu, ends, fits, traces = ({name: [] for name in names} for _ in range(5))
    for round_ in range(rounds):
        turn = round_ % len(names)
        for config in names[turn:] + names[:turn]:
            total, (epoch_wall, epoch_cpu, epoch_end), parameters, traced = _fit(model_name, config, epochs, rows)
            traces[config].append(traced)
            fits[config].append(total)
            wall[config].append(epoch_wall)
            cpu[config].append(epoch_cpu)
            ends[config].append(epoch_end)
    rows_out = []
    for config in names[1:]:
        paired_wall = statistics.median(w / p for w, p in zip(wall[config], wall["plain"]))
        paired_cpu = statistics.median(c / p for c, p in zip(cpu[config], cpu["plain"]))
        fit_ratio = statistics.median(fits[config]) / statistics.median(fits["plain"])
        rss = memory_ratio(model_name, epochs, rows, memory_rounds) if config == "defaults" else "-"
        model = f"{model_name} ({parameters:,} weights, {-(-rows // BATCH_SIZE)} steps/epoch)"
        epoch_end = f"{statistics.median(ends['plain']) * 1e3:.1f} / {statistics.median(ends[config]) * 1e3:.1f}"
        step_traces = f"{max(traces['plain'])} / {max(traces[config])}"
        rows_out.append(f"{model} | {config} | {statistics.median(wall['plain']):.3f} "
                        f"| {paired_wall:.3f} | {paired_cpu:.3f} | {fit_ratio:.3f} | {epoch_end} | {step_traces} "
                        f"| {rss}")
    return rows_out


def main():
    parser = _timing.benchmark_parser(__doc__, quick="small data, 1 round, 2 epochs (smoke run)", threads=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--memory-rounds", type=int, default=2)
    parser.add_argument("--memory-only", action="store_true", help="peak RSS only, no timing rounds")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--memory", nargs=2, metavar=("MODEL", "CONFIG"), help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=None,
                        help="training rows of every model (default: its own, see MODELS): the epoch's "
                             "length, over which the per-epoch work spreads")
    args = parser.parse_args()
    _timing.set_tf_threads(args.threads)
    if args.memory:
        model_name, config = args.memory
        _fit(model_name, config, args.epochs, args.rows)
        print(_peak_rss_of_this_process_mib())
        return
    if args.quick:
        args.rounds, args.epochs, args.memory_rounds = 1, 2, 1
    print(f"{_timing.device_name()}; {_timing.load_average()}; TensorFlow threads: {args.threads or 'default'}")
    print(f"batch {BATCH_SIZE}, {args.epochs} epochs per fit, {args.rounds} rounds, "
          f"{args.memory_rounds} memory rounds; ratios to plain fit")
    print("model | config | plain s/epoch | wall ratio/epoch | CPU ratio/epoch | whole-fit ratio "
          "| epoch-end ms plain / with | step traces plain / with | peak RSS plain / with")
    for model_name in args.models:
        builder, rows, quick_rows = MODELS[model_name]
        rows = args.rows or (quick_rows if args.quick else rows)
        if args.memory_only:
            print(f"{model_name} | peak RSS plain / defaults | "
                  f"{memory_ratio(model_name, args.epochs, rows, args.memory_rounds)}", flush=True)
            continue
        for line in compare(model_name, args.rounds, args.epochs, rows, args.memory_rounds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
