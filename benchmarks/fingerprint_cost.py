"""Cost of the batch probe's row fingerprints per training step, against the step itself.

One MLP on MNIST-shaped rows (784 features, 128 hidden units, 10 classes) gets three compiled
training steps: plain, with the batch probe attached but asked for nothing, with fingerprints
being kept (a buffer that never fills), and with the buffer full (the work skipped). Each is called `--calls` times per repeat through
`train_on_batch`, the three in turn (reversed every other repeat), medians of `--repeats`; wall
and process CPU time. A second plain step timed as its own candidate is the control: its ratio
to the plain step should read about 1.0.

Usage:
    python benchmarks/fingerprint_cost.py [--batch-size 128] [--calls 50] [--repeats 15] [--quick]
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# This checkout's packages, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import keras  # noqa: E402
import _timing  # noqa: E402
from callbacks._batch_probe import shared_probe  # noqa: E402

FEATURES = 784
# A buffer larger than every row the timed calls feed it: it keeps writing to the end.
NEVER_FULL = 2**22


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _train_function(model, x, y, fingerprint_rows=None):
    """The model's compiled training step, traced plain (`fingerprint_rows` None), with the
    probe attached but asked for nothing (0), or with fingerprints of `fingerprint_rows` rows;
    after the calls that fill a small buffer."""
    probe = shared_probe(model)
    if fingerprint_rows is not None:
        probe.attach()
    if fingerprint_rows:
        probe.request_fingerprints(fingerprint_rows, 8)
    function = _timing.traced_train_function(model, x, y, 2)
    if fingerprint_rows is not None:
        probe.detach()
    return function


def main():
    parser = _timing.benchmark_parser(__doc__, repeats=15, calls=50, quick="few calls (smoke run)")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    if args.quick:
        args.calls, args.repeats = 5, 3
    rng = np.random.default_rng(0)
    x = rng.random((args.batch_size, FEATURES), dtype=np.float32)
    y = rng.integers(0, 10, args.batch_size)
    model = _model()
    functions = {
        "plain step": _train_function(model, x, y),
        "plain step again (control)": _train_function(model, x, y),
        "probe attached, nothing asked": _train_function(model, x, y, 0),
        "fingerprints kept": _train_function(model, x, y, NEVER_FULL),
        "fingerprints full (skipped)": _train_function(model, x, y, args.batch_size),
    }

    print(f"{_timing.device_name()}; {_timing.load_average()}")
    times = _timing.compare({name: _timing.train_on_batch_calls(model, f, x, y, args.calls)
                             for name, f in functions.items()}, args.repeats)
    _timing.report(f"train_on_batch, MLP 784-128-10, batch {args.batch_size}, per call",
                   times, reference="plain step", per_call=args.calls / 1e6, unit="us")


if __name__ == "__main__":
    main()
