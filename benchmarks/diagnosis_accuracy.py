"""Diagnosis accuracy: how often `TrainingDiagnostics()` names the fault of a plain-Keras run,
and how often it raises a finding on a healthy one.

Every scenario (`benchmarks/accuracy/`) is a small plain-Keras run with a known fault, or none;
its `verify` measures with plain TensorFlow whether the fault really happened in that run. The
script runs each scenario at several seeds and jit modes, in one process, with the default
`TrainingDiagnostics(verbose=0)`, and prints a confusion table (true kind x found kinds), recall
per kind, false alarms, lead precision (the first finding is of an expected kind), findings
per faulty run and faulty runs with a finding outside their expected and explained set. The
held-out families (`benchmarks/accuracy/heldout_*.py`) are scored in a block of their own.

With `--check-cli`, every run's `run.json` is also judged offline (`diagnostics.judge`) and its
(kind, layer, epoch, severity) list compared with the live findings; the script prints the
mismatches per scenario and exits with status 1 if there is any. With `--check-invariance`,
every run is repeated with `TrainingDiagnostics(log_layers=False)` and with the monitors in the
reverse order of `DEFAULT_MONITORS` (same seed, same data); each variant's (kind, layer, epoch,
severity) list and loss history must equal the default run's. Mismatches are printed per
scenario and kept in the JSON (`invariance_mismatches`, `invariance_note`); any exits with 1.

Usage:

    python benchmarks/diagnosis_accuracy.py                      # 5 seeds x jit False/True
    python benchmarks/diagnosis_accuracy.py --quick              # 1 seed, no jit: smoke test
    python benchmarks/diagnosis_accuracy.py --only mlp_sgd_lr_10,healthy_cnn --seeds 3
    python benchmarks/diagnosis_accuracy.py --heldout --seeds 1 --jit false --check-cli
    python benchmarks/diagnosis_accuracy.py --seeds 1 --first-seed 21 --jit false --check-cli --check-invariance
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/diagnosis_accuracy.py --replicas 2 --json out/accuracy.json
    python benchmarks/diagnosis_accuracy.py --tables out/jit_false.json out/jit_true.json
"""

import argparse
import dataclasses
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

JIT_MODES = {"false": [False], "true": [True], "both": [False, True]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per scenario")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds run from here (to split a run over processes)")
    parser.add_argument("--jit", choices=sorted(JIT_MODES), default="both",
                        help="compile with jit_compile False, True or both")
    parser.add_argument("--replicas", type=int, default=1,
                        help="2: MirroredStrategy over 2 logical CPUs")
    parser.add_argument("--only", default=None, help="comma-separated scenario names")
    parser.add_argument("--heldout", action="store_true", help="only the held-out families")
    parser.add_argument("--check-cli", action="store_true",
                        help="judge each run's run.json offline and compare with the live findings; "
                             "exit 1 on any mismatch")
    parser.add_argument("--check-invariance", action="store_true",
                        help="repeat each run with log_layers=False and with the monitors reversed; "
                             "compare findings and losses with the default run; exit 1 on any mismatch")
    parser.add_argument("--quick", action="store_true", help="1 seed, no jit (smoke test)")
    parser.add_argument("--json", default=None, help="save the raw results to this path")
    parser.add_argument("--tables", nargs="+", default=None, metavar="JSON",
                        help="print the tables of saved results (several files are merged); run nothing")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1. Received: seeds={args.seeds}")
    if args.replicas not in (1, 2):
        parser.error(f"--replicas must be 1 or 2. Received: replicas={args.replicas}")
    if args.replicas == 2 and os.environ.get("TF_ENABLE_ONEDNN_OPTS") != "0":
        # TF's oneDNN Conv2D fails on the second logical CPU replica ("input depth must be evenly
        # divisible by filter depth: 1 vs 16") in plain Keras fit, with or without diagnostics.
        parser.error("--replicas 2 needs TF_ENABLE_ONEDNN_OPTS=0 in the environment (TF's oneDNN "
                     "convolutions fail under MirroredStrategy over logical CPUs, with plain fit too)")
    if args.quick:
        args.seeds, args.jit = 1, "false"
    return args


def make_strategy(replicas):
    """None for one replica; else a MirroredStrategy over `replicas` logical CPUs, configured
    before TensorFlow initialises."""
    import tensorflow as tf

    if replicas == 1:
        return None
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    devices = [device.name for device in tf.config.list_logical_devices("CPU")][:replicas]
    return tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())


def select(scenarios, only, heldout=False):
    if heldout:
        scenarios = {name: s for name, s in scenarios.items() if s.heldout}
    if only is None:
        return list(scenarios.values())
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in scenarios]
    if unknown:
        raise SystemExit(f"Unknown scenario(s) {unknown}; known: {sorted(scenarios)}. Received: only={only!r}")
    return [scenarios[name] for name in names]


def print_saved(paths):
    """Prints the tables of saved results. The expected and acceptable kinds are read from the
    scenarios as they are now, so that a saved run is scored by the corrected declaration."""
    from benchmarks.accuracy import SCENARIOS, scoring
    from benchmarks.repair import EXPECTED_FIX
    from diagnostics import KINDS

    results = []
    for path in paths:
        with open(path) as stream:
            results += json.load(stream)["results"]
    for result in results:
        if result["scenario"] in SCENARIOS:
            declared = SCENARIOS[result["scenario"]]
            result["expected"], result["acceptable"] = list(declared.expected), list(declared.acceptable)
            result["heldout"] = declared.heldout
    print(scoring.markdown(results, KINDS, EXPECTED_FIX))


def main(argv=None):
    args = parse_args(argv)
    if args.tables:
        return print_saved(args.tables)
    strategy = make_strategy(args.replicas)
    import keras

    from benchmarks.accuracy import SCENARIOS, harness, scoring
    from benchmarks.repair import EXPECTED_FIX
    from diagnostics import KINDS

    chosen = select(SCENARIOS, args.only, args.heldout)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    # Seed by seed, so that a run stopped early has every scenario at its first seeds.
    plan = [(s, seed, jit) for seed in seeds for jit in JIT_MODES[args.jit] for s in chosen]
    print(f"diagnosis accuracy: {len(chosen)} scenarios x {args.seeds} seeds x jit {args.jit} "
          f"x {args.replicas} replica(s) = {len(plan)} runs; Keras {keras.__version__}", flush=True)
    results, start = [], time.perf_counter()
    for index, (scenario, seed, jit) in enumerate(plan, 1):
        result = harness.run_scenario(scenario, seed, jit, strategy, check_cli=args.check_cli,
                                      check_invariance=args.check_invariance)
        results.append(dataclasses.asdict(result))
        shown = "error" if result.error else ("shown" if result.fault_shown else "NOT SHOWN")
        lead = result.findings[0]["kind"] if result.findings else "-"
        cli = f"; cli mismatches {result.cli_mismatches}" if args.check_cli else ""
        if args.check_invariance:
            cli += f"; variants differing {result.invariance_mismatches}"
        print(f"[{index}/{len(plan)}] {scenario.name} seed={seed} jit={jit}: found {result.found or '-'} "
              f"lead {lead} (expected {list(scenario.expected) or 'nothing'}); fault {shown}: "
              f"{result.error or result.note}{cli}; {result.seconds:.1f}s", flush=True)
        if args.json:  # after every run, so that a run stopped early keeps what it measured
            save(args.json, args, time.perf_counter() - start, results)
    elapsed = time.perf_counter() - start
    print()
    print(scoring.markdown(results, KINDS, EXPECTED_FIX))
    print(f"\ntotal runtime {elapsed / 60:.1f} min")
    differing = 0
    if args.check_cli:
        differing += report_mismatches(results, "cli", "runs whose offline judgement differs",
                                       "runs whose run.json judged offline differs from the live findings")
    if args.check_invariance:
        differing += report_mismatches(results, "invariance", "runs where a variant differs",
                                       "runs where log_layers=False or the reversed monitors change the "
                                       "findings or the losses")
    return 1 if differing else 0


def report_mismatches(results, check, column, summary):
    """Prints one check's mismatches per scenario (`check`: "cli" or "invariance", the prefix of
    the result's `<check>_mismatches` and `<check>_note`); returns how many runs differ."""
    rows = {}
    for result in results:
        if result.get(f"{check}_mismatches") is None:
            continue
        checked, differing = rows.get(result["scenario"], (0, 0))
        rows[result["scenario"]] = (checked + 1, differing + (result[f"{check}_mismatches"] > 0))
    print(f"\n| scenario | runs checked | {column} |\n|---|---|---|")
    for name, (checked, differing) in rows.items():
        print(f"| {name} | {checked} | {differing} |")
    for result in results:
        if result.get(f"{check}_mismatches"):
            print(f"- {result['scenario']} seed={result['seed']} jit={result['jit']}: {result[f'{check}_note']}")
    differing = sum(d for _, d in rows.values())
    print(f"\n{summary}: {differing} of {sum(c for c, _ in rows.values())}")
    return differing


def save(path, args, seconds, results):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as stream:
        json.dump({"args": vars(args), "seconds": seconds, "results": results}, stream, indent=1)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
