"""`StepSwitch` inside `TrainingDiagnostics`: on epochs of 256 steps or more, the plain step runs
between instrumented ones from the second epoch on, when the epochs left pay for its trace;
losses stay identical, the class counts of those epochs come from the instrumented calls only,
and the model is left as before."""

import math
import warnings

import keras
import numpy as np
import pytest

from callbacks import TrainingDiagnostics
from callbacks import _step_switch, _telemetry
from callbacks.imbalance_monitor import ImbalanceMonitor
from tests.clients._client import digits, digits_classifier, fit_both

ROWS = 1200


@pytest.fixture
def switch_pays(monkeypatch):
    """The tests of what the switched epochs measure: the switch takes up the plain step even in a
    fit too short to pay for its trace."""
    monkeypatch.setattr(_step_switch, "STEP_SAVING", float("inf"))


def _counted_rows(diagnostics):
    """Training labels counted per epoch by the batch probe (what the imbalance judgement reads)."""
    [monitor] = [m for m in diagnostics.monitors if isinstance(m, ImbalanceMonitor)]
    return [sum(counts["train_labels"]) for counts in monitor.extras["epoch_counts"]]


def _instrumented_calls(calls, period):
    """Calls 1, period + 1, 2 period + 1, ... of an epoch of `calls` calls."""
    return sum(1 for call in range(1, calls + 1) if call % period == 1)


@pytest.mark.parametrize("batch_size, steps_per_execution, jit_compile", [
    (4, 1, False), pytest.param(4, 3, True, marks=pytest.mark.slow)])
def test_long_epochs_sample_the_instrumented_step_and_train_the_same(batch_size, steps_per_execution, jit_compile,
                                                                     switch_pays):
    x, y = digits()
    x, y = x[:ROWS], y[:ROWS]
    build = lambda: digits_classifier(steps_per_execution=steps_per_execution, jit_compile=jit_compile)  # noqa: E731
    model_holder = []

    def fit(model, callbacks):
        model_holder.append(model)
        return model.fit(x, y, batch_size=batch_size, epochs=3, verbose=0, callbacks=callbacks)

    diagnostics, plain, observed = fit_both(build, fit, not_judged=("val_loss",))
    model = model_holder[-1]
    steps = ROWS // batch_size
    calls = math.ceil(steps / steps_per_execution)
    every = _telemetry.automatic_every(model, steps)  # the GradientMonitor's period
    period = min(calls // _step_switch.MIN_INSTRUMENTED_CALLS, every // steps_per_execution)
    sampled = _instrumented_calls(calls, period) * batch_size * steps_per_execution
    assert _counted_rows(diagnostics) == [ROWS, sampled, sampled]
    assert sampled < ROWS / 4
    assert model.train_function is None  # the next fit builds a clean step
    # Every epoch's telemetry measured some step: its first is always instrumented.
    assert all(np.isfinite(diagnostics.history["grad_norm/hidden"]))


def test_short_epochs_keep_the_instrumented_step():
    x, y = digits()
    diagnostics, _, _ = fit_both(digits_classifier, lambda model, callbacks: model.fit(
        x[:ROWS], y[:ROWS], batch_size=8, epochs=2, verbose=0, callbacks=callbacks), not_judged=("val_loss",))
    assert _counted_rows(diagnostics) == [ROWS, ROWS]  # 150 steps: under MIN_SWITCHED_STEPS


def test_a_fit_too_short_to_pay_for_the_plain_trace_stays_instrumented():
    # 300 steps of about a millisecond: two epochs left save about 2 x 300 x 1 ms x STEP_SAVING
    # = 0.06 s, a few times less than the plain step's trace.
    x, y = digits()
    diagnostics, _, _ = fit_both(digits_classifier, lambda model, callbacks: model.fit(
        x[:ROWS], y[:ROWS], batch_size=4, epochs=3, verbose=0, callbacks=callbacks), not_judged=("val_loss",))
    assert _counted_rows(diagnostics) == [ROWS, ROWS, ROWS]


@pytest.mark.parametrize("fit_epochs, switched", [(10, False), (11, True)])
def test_the_switch_weighs_the_plain_trace_against_the_epochs_left(fit_epochs, switched):
    model = digits_classifier()
    model.fit(*digits(), epochs=1, batch_size=ROWS, verbose=0)  # built, with a train function
    switch = _step_switch.StepSwitch(model)
    assert switch.attach(steps=1024, epochs=fit_epochs)  # period 1024 // 16 = 64
    switch.begin_epoch(0)
    # A first call of 1.001 s (a trace of 1 s) and calls of 1 ms after it: an epoch's 1008 plain
    # calls save 1008 x 1 ms x 0.1 = 0.1008 s, so 10 epochs left pay for the trace and 9 do not.
    switch._call_seconds = [1.001] + [0.001] * 63
    switch.begin_epoch(1)
    assert switch.active is switched
    assert (model.train_function is switch._function) is switched
    switch.detach()


def test_an_interrupted_fit_leaves_a_model_that_trains_and_is_diagnosed_again(switch_pays):
    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations.numpy() == 400:  # in the second epoch, switched
                raise KeyboardInterrupt

    x, y = digits()
    x, y = x[:ROWS], y[:ROWS]
    model = digits_classifier()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[TrainingDiagnostics(verbose=0), Interrupt()])
        # A plain fit next: whatever step is left on the model, it trains.
        history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
        diagnostics = TrainingDiagnostics(verbose=0)
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[diagnostics])
    assert np.isfinite(history.history["loss"][0])
    counted = _counted_rows(diagnostics)
    assert counted[0] == ROWS and counted[1] < ROWS / 8  # a fresh switch: whole first epoch, then sampled
    assert [s.hook for s in diagnostics.skipped] == ["not_judged"]  # only the missing validation data


@pytest.mark.slow
def test_two_replicas_train_the_same_with_the_switch(mirrored_strategy, switch_pays):
    x, y = digits()
    x, y = x[:ROWS], y[:ROWS]

    def build():
        with mirrored_strategy.scope():
            return digits_classifier()

    diagnostics, _, _ = fit_both(build, lambda model, callbacks: model.fit(
        x, y, batch_size=4, epochs=2, verbose=0, callbacks=callbacks), not_judged=("val_loss",))
    assert _counted_rows(diagnostics)[1] < ROWS / 8


class _WrapsTheStep(keras.callbacks.Callback):
    """Another library's pass-through wrapper around whatever `model.train_function` is, put in
    place at the second epoch's start (after the switch took its place); counts the calls."""

    def on_train_begin(self, logs=None):
        self.calls = 0

    def on_epoch_begin(self, epoch, logs=None):
        if epoch != 1:
            return
        inner = self.model.train_function

        def wrapped(iterator):
            self.calls += 1
            return inner(iterator)

        self.model.train_function = wrapped


def test_a_wrapper_around_the_switch_keeps_training_the_same(switch_pays):
    x, y = digits()
    x, y = x[:ROWS], y[:ROWS]
    wrapper = _WrapsTheStep()
    diagnostics, _, _ = fit_both(digits_classifier, lambda model, callbacks: model.fit(
        x, y, batch_size=4, epochs=3, verbose=0, callbacks=[wrapper] + callbacks), not_judged=("val_loss",))
    assert wrapper.calls == 2 * ROWS // 4  # every step of epochs 1 and 2 went through the wrapper
    # The switch stepped aside: the wrapped epochs count every row, as an unswitched run does.
    assert _counted_rows(diagnostics) == [ROWS, ROWS, ROWS]
