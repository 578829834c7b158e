"""Runs one scenario at one seed and jit mode under `TrainingDiagnostics()` and checks its truth;
on request, also checks that the run's `run.json`, judged offline, gives the live findings, and
that the display flag and the monitors' order change neither the findings nor the training."""

import contextlib
import dataclasses
import os
import tempfile
import time
import traceback
import warnings

import keras
import numpy as np

import diagnostics
from callbacks import DEFAULT_MONITORS, TrainingDiagnostics
from diagnostics import report

# The variants that must give the default run's verdict and losses (issue 22): the display flag
# off, and the monitors in the reverse order. Built per run: monitor classes, not instances.
VARIANTS = {
    "log_layers=False": lambda: {"log_layers": False},
    "reversed monitors": lambda: {"monitors": list(reversed(DEFAULT_MONITORS))},
}


@dataclasses.dataclass
class Result:
    """The outcome of one run (JSON-safe through `dataclasses.asdict`).

    Attributes:
        found: the kinds of `TrainingDiagnostics().findings`, sorted, without repeats.
        findings: every finding in the order the diagnostics give it (the first leads), as
            `{"kind", "layer", "epoch", "severity", "explained_by"}` (`explained_by`: the
            finding's cause as the library names it, or None).
        fault_shown: what the scenario's `verify` measured (for a healthy run: that it trained
            well); None when the run failed before it could be checked.
        error: the exception text when the run itself failed, else None.
        heldout: whether the scenario is a held-out family (`Scenario.heldout`).
        cli_mismatches: with `check_cli`, how many entries of the (kind, layer, epoch, severity)
            list of the offline judgement of `run.json` differ from the live one (0: identical);
            None when not checked or the run failed.
        cli_note: what differed, or why the check could not run.
        invariance_mismatches: with `check_invariance`, how many of `VARIANTS` gave another
            (kind, layer, epoch, severity) list or another loss history than the default run
            (0: all the same); None when not checked or the run failed.
        invariance_note: what differed, per variant, or why the check could not run.
        seconds, cpu_seconds: wall time and process CPU time of the run, its checks included.
    """

    scenario: str
    family: str
    seed: int
    jit: bool
    expected: list
    acceptable: list
    found: list
    fault_shown: object
    note: str
    error: object
    seconds: float
    cpu_seconds: float
    findings: list = dataclasses.field(default_factory=list)
    heldout: bool = False
    cli_mismatches: object = None
    cli_note: str = ""
    invariance_mismatches: object = None
    invariance_note: str = ""


# Remedies of a finding the benchmark keeps: issue 21 asks whether the fix is among the first two
# remedies of the first finding ("fix named").
NAMED_REMEDIES = 2


def cause_names(explained_by):
    """`Finding.explained_by` as JSON: None, a kind, or a list of kinds (a cause given as a
    `Finding` becomes its kind)."""
    if explained_by is None or isinstance(explained_by, str):
        return explained_by
    if isinstance(explained_by, (list, tuple, set)):
        return [cause_names(cause) for cause in explained_by]
    return getattr(explained_by, "kind", str(explained_by))


def finding_record(finding):
    """A finding as the benchmark keeps it: its identity, its cause (`explained_by` is a newer
    field of `Finding`; absent means None) and the actions of its first `NAMED_REMEDIES` remedies."""
    return {"kind": finding.kind, "layer": finding.layer, "epoch": finding.epoch,
            "severity": finding.severity,
            "explained_by": cause_names(getattr(finding, "explained_by", None)),
            "remedies": [remedy.action for remedy in (getattr(finding, "remedies", None) or [])[:NAMED_REMEDIES]]}


def identity(findings):
    """`[(kind, layer, epoch, severity)]`: what must agree between the live and offline verdicts."""
    return [(f.kind, f.layer, f.epoch, f.severity) for f in findings]


def offline_judge():
    """`diagnostics.judge` (the one judge), or, where this version lacks it, the CLI's judge."""
    judge = getattr(diagnostics, "judge", None)
    judge = getattr(judge, "judge", judge)  # a `diagnostics.judge` module holding the function
    if callable(judge):
        return judge
    from diagnostics import __main__ as cli

    return cli.judge


def compare_offline(monitor):
    """Saves `monitor.run()` to a run.json, loads it back, judges it offline and compares with
    the live findings. Returns `(mismatches, note)`: the number of list positions whose
    (kind, layer, epoch, severity) differ, counting missing entries at the end."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "run.json")
        report.save_run(monitor.run(), path)
        offline = offline_judge()(diagnostics.load_run(path))
    live, judged = identity(monitor.findings), identity(offline)
    mismatches = sum(a != b for a, b in zip(live, judged)) + abs(len(live) - len(judged))
    note = "" if not mismatches else f"live {live} vs offline {judged}"
    return mismatches, note[:600]


def fit_scenario(scenario, seed, jit, strategy=None, **options):
    """Builds, compiles (`jit_compile=jit`) and fits `scenario` at `seed`, warnings silenced,
    under `TrainingDiagnostics(verbose=0, report_dir=None, **options)`.

    Args:
        scenario: a `Scenario`.
        seed: the seed of Keras, NumPy and Python, and of the scenario's data.
        jit: `jit_compile` for `compile`.
        strategy: a `tf.distribute` strategy to build the model in, or None.
        **options: `TrainingDiagnostics` arguments (they override `verbose` and `report_dir`).

    Returns:
        `(run, history, initial_weights, monitor)`: the scenario's `Run`, the fit's
        `History.history`, the weights before the fit and the `TrainingDiagnostics`.

    Example:

    >>> _, history, _, monitor = fit_scenario(SCENARIOS["healthy_two_epochs"], 0, False,
    ...                                       log_layers=False)          # doctest: +SKIP
    """
    keras.utils.clear_session(free_memory=False)  # the same layer names in every fit
    keras.utils.set_random_seed(seed)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        run = scenario.make(seed)
        run.model.compile(optimizer=run.optimizer, loss=run.loss, loss_weights=run.loss_weights,
                          metrics=list(run.metrics), jit_compile=jit)
    initial = run.model.get_weights()
    monitor = TrainingDiagnostics(**{"verbose": 0, "report_dir": None, **options})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = run.model.fit(run.x, run.y, epochs=run.epochs, batch_size=run.batch_size,
                                validation_data=run.validation_data,
                                validation_freq=run.validation_freq,
                                callbacks=[*run.callbacks, monitor],
                                class_weight=run.class_weight, verbose=0, shuffle=True)
    return run, history.history, initial, monitor


def verdict_difference(default, other):
    """What differs between two (kind, layer, epoch, severity) lists, in words ("" if nothing)."""
    if other == default:
        return ""
    missing = [entry for entry in default if entry not in other]
    added = [entry for entry in other if entry not in default]
    if not missing and not added:
        return f"same findings in another order: {other} vs default {default}"
    return f"findings only in the default run {missing}, only in this one {added}"


def loss_difference(default, other):
    """Where two loss histories first differ, in words ("" if they are equal, NaN equal to NaN)."""
    default, other = np.asarray(default, dtype=float), np.asarray(other, dtype=float)
    if default.shape == other.shape and np.array_equal(default, other, equal_nan=True):
        return ""
    if default.shape != other.shape:
        return f"{other.size} loss values vs {default.size} in the default run"
    epoch = int(np.flatnonzero(~((default == other) | (np.isnan(default) & np.isnan(other))))[0])
    return f"loss at epoch {epoch} {other[epoch]!r} vs {default[epoch]!r} in the default run"


def compare_variants(scenario, seed, jit, strategy, verdict, losses):
    """Fits `scenario` again at `seed` under each of `VARIANTS` (same data, same seed) and
    compares its (kind, layer, epoch, severity) list with `verdict` and its loss history with
    `losses` (exactly: the variants only change what is displayed and in which order monitors
    run). Returns `(mismatches, note)`: how many variants differ, and how."""
    notes = []
    for name, options in VARIANTS.items():
        try:
            _, history, _, monitor = fit_scenario(scenario, seed, jit, strategy, **options())
        except Exception as exc:  # a variant that fails where the default ran is a mismatch
            notes.append(f"{name}: failed: {type(exc).__name__}: {exc}".splitlines()[0][:200])
            continue
        differences = [verdict_difference(verdict, identity(monitor.findings)),
                       loss_difference(losses, history.get("loss", []))]
        if any(differences):
            notes.append(f"{name}: " + "; ".join(d for d in differences if d))
    return len(notes), " | ".join(notes)[:900]


def run_scenario(scenario, seed, jit, strategy=None, check_cli=False, check_invariance=False):
    """Fits `scenario` at `seed` with the default `TrainingDiagnostics(verbose=0)`
    (`fit_scenario`) and checks its truth; with `check_cli`, also judges its run.json offline
    (`compare_offline`); with `check_invariance`, also fits it under each of `VARIANTS`
    (`compare_variants`). Returns a `Result`."""
    from benchmarks.accuracy.scenario import Trained

    start, cpu_start = time.perf_counter(), time.process_time()
    found, records, shown, note, error = [], [], None, "", None
    cli_mismatches, cli_note = None, ""
    invariance_mismatches, invariance_note = None, ""
    try:
        run, history, initial, monitor = fit_scenario(scenario, seed, jit, strategy)
        found = sorted({finding.kind for finding in monitor.findings})
        records = [finding_record(finding) for finding in monitor.findings]
        if check_cli:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cli_mismatches, cli_note = compare_offline(monitor)
            except Exception as exc:  # a failed offline judgement is a mismatch, not a lost run
                cli_mismatches = max(1, len(records))
                cli_note = f"offline judgement failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]
        shown, note = scenario.verify(Trained(run, history, initial))
        if check_invariance:
            invariance_mismatches, invariance_note = compare_variants(
                scenario, seed, jit, strategy, identity(monitor.findings), history.get("loss", []))
    except Exception as exc:  # one broken run must not end the benchmark
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        note = traceback.format_exc(limit=3).splitlines()[-1][:300]
    shown = None if shown is None else bool(shown)
    return Result(scenario.name, scenario.family, seed, bool(jit), list(scenario.expected),
                  list(scenario.acceptable), found, shown, note, error,
                  round(time.perf_counter() - start, 2), round(time.process_time() - cpu_start, 2),
                  records, bool(getattr(scenario, "heldout", False)), cli_mismatches, cli_note,
                  invariance_mismatches, invariance_note)
