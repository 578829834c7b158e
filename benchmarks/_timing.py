"""Side-by-side timing for the benchmarks: alternating repeats, medians, ratios, a control.

Every comparison runs its candidates in turn, in reversed order every other repeat, and keeps
the wall time and the process CPU time (all threads) of each call. A control, the same fixed
NumPy work timed under two names, shows how far two identical things read apart on this
machine at this moment: its ratio should be about 1.0.

Example:

>>> times = compare({"ours": lambda: None, "peer": lambda: None}, repeats=3)   # doctest: +SKIP
>>> report("Empty calls", times, reference="peer")                              # doctest: +SKIP
"""

import argparse
import os
import statistics
import time

import numpy as np
import tensorflow as tf

CONTROL = ("control A", "control B")
# Size of the control's fixed work (a matrix product), about 0.1-0.3 s on a 2-core CPU.
CONTROL_SIZE = 1500


def device_name():
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)} (x{len(gpus)})"
    return f"CPU only ({os.cpu_count()} logical cores visible)"


def _control_work():
    matrix = np.random.RandomState(0).normal(size=(CONTROL_SIZE, CONTROL_SIZE))
    return float((matrix @ matrix).trace())


def compare(candidates, repeats, control=True):
    """Times each callable `repeats` times, alternating; returns {name: {"wall": [...], "cpu": [...]}}."""
    candidates = dict(candidates)
    if control:
        candidates.update({name: _control_work for name in CONTROL})
    times = {name: {"wall": [], "cpu": []} for name in candidates}
    names = list(candidates)
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            candidates[name]()
            times[name]["wall"].append(time.perf_counter() - wall)
            times[name]["cpu"].append(time.process_time() - cpu)
    return times


def benchmark_parser(doc, *, repeats=None, calls=None, quick=None, threads=False):
    """An argument parser with the options the timing benchmarks share, each with one meaning.

    Args:
        doc: the script's docstring; its first line becomes the description.
        repeats: default of `--repeats` (turns of every candidate, alternating; the figures are
            medians over them), or None for no such option.
        calls: default of `--calls` (calls of a candidate in one turn), or None.
        quick: help text of `--quick` (what the smoke run makes small), or None.
        threads: whether to add `--threads` (for `set_tf_threads`).

    Returns:
        An `argparse.ArgumentParser`, to which the script adds its own options.

    Example:

    >>> benchmark_parser("Empty calls.", repeats=5, calls=100).parse_args([]).calls
    100
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if repeats is not None:
        parser.add_argument("--repeats", type=int, default=repeats,
                            help="turns of every candidate, alternating (medians over them)")
    if calls is not None:
        parser.add_argument("--calls", type=int, default=calls, help="calls of a candidate per turn")
    if quick is not None:
        parser.add_argument("--quick", action="store_true", help=quick)
    if threads:
        parser.add_argument("--threads", type=int, default=None,
                            help="TensorFlow intra- and inter-op threads (1: all ops on one thread)")
    return parser


def traced_train_function(model, x, y, calls):
    """The model's training step traced anew with what is attached to it now, after `calls`
    calls of `train_on_batch(x, y)` (the trace, warm-up, buffers filled).

    The function keeps what it was traced with: detach the instrumentation afterwards and time
    it with `train_on_batch_calls`, beside other traces of the same model.
    """
    model.make_train_function(force=True)
    for _ in range(calls):
        model.train_on_batch(x, y)
    return model.train_function


def train_on_batch_calls(model, train_function, x, y, calls):
    """A candidate for `compare`: `calls` training steps of `model` on `(x, y)` through
    `train_on_batch`, run by `train_function` (one of several traces of the model's step)."""

    def run():
        model.train_function = train_function
        for _ in range(calls):
            model.train_on_batch(x, y)

    return run


def report(title, times, reference, per_call=1.0, unit="s"):
    """Prints median wall and CPU time (divided by `per_call`) and each one's ratio to `reference`."""
    medians = {name: {kind: statistics.median(values) for kind, values in t.items()} for name, t in times.items()}
    print(f"\n{title}")
    print(f"  {'':44s} {'wall ' + unit:>12s} {'cpu ' + unit:>12s} {'wall ratio':>11s} {'cpu ratio':>10s}")
    for name, m in medians.items():
        row = f"  {name:44s} {m['wall'] / per_call:12.4g} {m['cpu'] / per_call:12.4g}"
        if name != CONTROL[1]:
            base = medians[CONTROL[1]] if name == CONTROL[0] else medians[reference]
            row += f" {m['wall'] / base['wall']:11.2f} {m['cpu'] / base['cpu']:10.2f}"
        print(row)
    print(f"  (ratio = this / {reference}; the control row is A / B)", flush=True)
    return medians


def set_tf_threads(threads):
    """Runs TensorFlow's ops on `threads` intra-op and `threads` inter-op threads (None: its
    defaults). At 1, every op runs on the calling thread: in-graph work shows in full, not spread
    over a second core, and the noise of handing ops between threads goes. Call it before
    TensorFlow runs anything."""
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def load_average():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
