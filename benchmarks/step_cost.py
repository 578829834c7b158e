"""Per-step cost of each piece of in-graph instrumentation, on the overhead benchmark's MLP.

The MLP of `benchmarks/overhead.py` (64 inputs, 4 x Dense(128), 10 classes, 59k weights, batch 32)
gets one compiled training step per configuration, each traced with only some of what the default
`TrainingDiagnostics()` puts into the step:

- `plain`: nothing;
- `telemetry`: the gradient telemetry at its automatic period (16 for this size), after its warm-up;
- `telemetry, skipped`: the telemetry with a period no run reaches (every step after the first is
  skipped: the cost of the predicate and the untaken conds alone);
- `telemetry, every step`: the telemetry measuring every step (the cost of a measured step);
- `class counts`: the labels and predicted classes counted at every step;
- `probe stores, full`: the probe rows (256, with targets) and the row fingerprints, once full;
- `all`: telemetry, class counts and both stores, as the defaults trace them.

Each configuration is traced `--copies` times (two traces of one function can differ by several
percent in speed, from where their buffers land), and every copy is called `--calls` times through
`train_on_batch` per repeat, all in turn (reversed every other repeat). The table gives medians
over copies and repeats, in microseconds per call, with wall and process CPU time, and the ratio
to `plain`; the second trace of `plain` is the control.

Usage:
    python benchmarks/step_cost.py [--calls 200] [--repeats 9] [--copies 3] [--threads 1] [--quick]
"""

import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# This checkout's packages, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import keras  # noqa: E402
import _timing  # noqa: E402
from callbacks._batch_probe import shared_probe  # noqa: E402
from callbacks._telemetry import WARMUP_STEPS, shared_telemetry  # noqa: E402

NEVER = 2**40  # a sampling period no run reaches

CONFIGS = {
    "plain": {},
    "plain (control)": {},
    "telemetry": {"telemetry": None},
    "telemetry, skipped": {"telemetry": NEVER},
    "telemetry, every step": {"telemetry": 1},
    "class counts": {"counts": True},
    "probe stores, full": {"stores": True},
    "all": {"telemetry": None, "counts": True, "stores": True},
}


def _model():
    keras.utils.set_random_seed(0)
    layers = [keras.layers.Dense(128, activation="relu") for _ in range(4)]
    model = keras.Sequential([keras.Input((64,)), *layers, keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _traced_step(model, x, y, config):
    """The model's training step traced with the pieces of `config`, called past the telemetry's
    warm-up and the stores' filling."""
    probe, telemetry = shared_probe(model), shared_telemetry(model, every=config.get("telemetry"))
    uses_probe = config.get("counts") or config.get("stores")
    if uses_probe:
        probe.attach()
        if config.get("stores"):
            probe.request(256, targets=True)
            probe.request_fingerprints(64, 8)
        if config.get("counts"):
            probe.request_class_counts()
    if "telemetry" in config:
        telemetry.attach()
    step = _timing.traced_train_function(model, x, y, WARMUP_STEPS + 8)
    if "telemetry" in config:
        telemetry.detach()
    if uses_probe:
        probe.detach()
    return step


def main():
    parser = _timing.benchmark_parser(__doc__, repeats=9, calls=200, quick="few calls (smoke run)", threads=True)
    parser.add_argument("--copies", type=int, default=3, help="traces of every configuration")
    args = parser.parse_args()
    _timing.set_tf_threads(args.threads)
    if args.quick:
        args.calls, args.repeats, args.copies = 5, 1, 1
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 64), dtype=np.float32), rng.integers(0, 10, 32)
    model = _model()
    steps = {(name, copy): _traced_step(model, x, y, config)
             for copy in range(args.copies) for name, config in CONFIGS.items()}

    print(f"{_timing.device_name()}; {_timing.load_average()}; TensorFlow threads: {args.threads or 'default'}")
    times = _timing.compare({key: _timing.train_on_batch_calls(model, step, x, y, args.calls)
                             for key, step in steps.items()}, args.repeats, control=False)
    medians = {}
    for name in CONFIGS:
        pooled = [times[(name, copy)] for copy in range(args.copies)]
        medians[name] = {kind: statistics.median(v for t in pooled for v in t[kind]) / args.calls * 1e6
                         for kind in ("wall", "cpu")}
    plain = medians["plain"]
    print(f"\ntrain_on_batch, MLP 64-4x128-10 (59k weights), batch 32; us per call, "
          f"{args.copies} traces x {args.repeats} repeats x {args.calls} calls")
    print(f"  {'':24s} {'wall us':>9s} {'cpu us':>9s} {'wall ratio':>11s} {'cpu ratio':>10s}")
    for name, m in medians.items():
        print(f"  {name:24s} {m['wall']:9.0f} {m['cpu']:9.0f} {m['wall'] / plain['wall']:11.3f} "
              f"{m['cpu'] / plain['cpu']:10.3f}")
    print(f"  ({_timing.load_average()})", flush=True)


if __name__ == "__main__":
    main()
