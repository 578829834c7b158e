"""Runs one scenario at one seed and jit mode under `TrainingDiagnostics()` and checks its truth."""

import contextlib
import dataclasses
import time
import traceback
import warnings

import keras

from callbacks import TrainingDiagnostics


@dataclasses.dataclass
class Result:
    """The outcome of one run (JSON-safe through `dataclasses.asdict`).

    Attributes:
        found: the kinds of `TrainingDiagnostics().findings`, sorted, without repeats.
        fault_shown: what the scenario's `verify` measured (for a healthy run: that it trained
            well); None when the run failed before it could be checked.
        error: the exception text when the run itself failed, else None.
        seconds, cpu_seconds: wall time and process CPU time of the run, its check included.
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


def run_scenario(scenario, seed, jit, strategy=None):
    """Builds, compiles (`jit_compile=jit`) and fits `scenario` at `seed` with the default
    `TrainingDiagnostics(verbose=0)`; returns a `Result`."""
    from benchmarks.accuracy.scenario import Trained

    start, cpu_start = time.perf_counter(), time.process_time()
    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)
    found, shown, note, error = [], None, "", None
    try:
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            run = scenario.make(seed)
            run.model.compile(optimizer=run.optimizer, loss=run.loss, metrics=list(run.metrics),
                              jit_compile=jit)
        initial = run.model.get_weights()
        diagnostics = TrainingDiagnostics(verbose=0, report_dir=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            history = run.model.fit(run.x, run.y, epochs=run.epochs, batch_size=run.batch_size,
                                    validation_data=run.validation_data, callbacks=[diagnostics],
                                    verbose=0, shuffle=True)
        found = sorted({finding.kind for finding in diagnostics.findings})
        shown, note = scenario.verify(Trained(run, history.history, initial))
    except Exception as exc:  # one broken run must not end the benchmark
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        note = traceback.format_exc(limit=3).splitlines()[-1][:300]
    shown = None if shown is None else bool(shown)
    return Result(scenario.name, scenario.family, seed, bool(jit), list(scenario.expected),
                  list(scenario.acceptable), found, shown, note, error,
                  round(time.perf_counter() - start, 2), round(time.process_time() - cpu_start, 2))
