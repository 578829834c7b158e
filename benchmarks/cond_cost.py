"""What an untaken `tf.cond` costs per step, by how TensorFlow runs it.

A compiled function holds `--conds` conds whose predicate is false, each guarding a branch of
`--branch-ops` small ops on a variable (the shape of a skipped measurement), and runs them three ways:

- `lowered`: a plain `tf.cond`, which TensorFlow lowers to `Switch`/`Merge`; the executor still
  visits every op of the untaken branch to pass "dead" tensors through it;
- `functional If`: `zoo._keras_internals.skippable_cond`, kept as one `If` op that runs a branch
  function (here the empty one);
- `none`: the same function without the conds (the reference).

Each is called `--calls` times per repeat, in turn (`_timing.compare`); medians of `--repeats`,
in process CPU time.
The cost per cond is the difference to `none` divided by the number of conds.

Usage:
    python benchmarks/cond_cost.py [--conds 20] [--branch-ops 30] [--calls 2000] [--repeats 7]
"""

import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# This checkout's packages, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402

import _timing  # noqa: E402
from zoo._keras_internals import skippable_cond  # noqa: E402


def _function(kind, conds, branch_ops):
    state = tf.Variable(tf.zeros([64]))
    flag = tf.Variable(False)

    def branch():
        for _ in range(branch_ops // 3):  # a read, two element-wise ops and a write: ~3 ops
            state.assign_add(tf.sqrt(tf.abs(state.read_value()) + 1.0))

    @tf.function(autograph=False)
    def step(x):
        for _ in range(conds if kind != "none" else 0):
            if kind == "lowered":
                tf.cond(flag.read_value(), branch, lambda: None)
            else:
                skippable_cond(flag.read_value(), branch)
        return x * 2.0

    return step


def main():
    parser = _timing.benchmark_parser(__doc__, repeats=7, calls=2000)
    parser.add_argument("--conds", type=int, default=20)
    parser.add_argument("--branch-ops", type=int, default=30)
    args = parser.parse_args()
    functions = {kind: _function(kind, args.conds, args.branch_ops) for kind in ("none", "lowered", "functional If")}
    x = tf.constant(1.0)
    for function in functions.values():
        for _ in range(50):  # trace and warm up
            function(x)
    def calls(function):
        def run():
            for _ in range(args.calls):
                function(x)
        return run

    times = _timing.compare({kind: calls(function) for kind, function in functions.items()}, args.repeats,
                            control=False)
    cpu = {kind: statistics.median(t["cpu"]) / args.calls * 1e6 for kind, t in times.items()}
    print(f"{_timing.device_name()}; {_timing.load_average()}")
    print(f"{args.conds} untaken conds of ~{args.branch_ops} ops each; process CPU time, median of {args.repeats}")
    for kind, median in cpu.items():
        print(f"  {kind:15s} {median:8.1f} us per call   {(median - cpu['none']) / args.conds:6.2f} us per cond")


if __name__ == "__main__":
    main()
