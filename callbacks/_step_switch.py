"""The instrumented training step only on the steps that measure something.

The monitors' in-step work (the gradient telemetry's conds, the batch probe's stores and class
counts) lives in the one training step Keras traces, so every step pays for it: about a tenth of
a small model's step (`benchmarks/step_cost.py`), although on a long epoch the telemetry measures
one step in tens. `StepSwitch` traces the step a second time with that work left out (the
wrappers pass straight through while `paused()` is set, which they check when the step is
traced) and has `model.train_function` run that plain step on all but one call in `period`, from
the second epoch of a `fit` on, when its epochs have `MIN_SWITCHED_STEPS` steps or more. The first
epoch runs instrumented from start to end: the setup checks, the first epoch's class counts and
fingerprints, and the telemetry's warm-up read it whole. Short epochs never switch, so the
signals of short runs are what they were.

Tracing the plain step costs about what the first call of the instrumented one cost beyond a
later call (the instrumented trace; the plain one is smaller). The switch takes that cost only
when the epochs left save more: their calls at `STEP_SAVING` of a call each, timed in the first
epoch. A short `fit` of a small model (3 epochs of a 59k-weight MLP) stays instrumented.

The period is the telemetry's (so its measured steps land on instrumented calls), shortened so
that an epoch keeps `MIN_INSTRUMENTED_CALLS` instrumented calls: the class counts of the later
epochs are then a sample of one batch in `period`, which the imbalance judgement reads as shares.

Keras looks `model.train_function` up at every step, and builds it only when it is None, so the
switch is one Python callable put in its place: no callback batch hook (which would make every
step synchronous), and it works with `steps_per_execution`, XLA and `tf.distribute`. Whatever
replaces it mid-`fit` (a monitor's retrace, another library's wrapper) stays: the switch steps
aside at the next epoch, and the steps are instrumented throughout, as without it.

Example:

>>> switch = StepSwitch(model)                # doctest: +SKIP
>>> switch.attach(steps=1875, every=64)       # in on_train_begin, after the monitors attached
>>> switch.begin_epoch()                      # in every on_epoch_begin
>>> switch.detach()                           # in on_train_end
"""

import contextlib
import statistics
import time

import keras

from callbacks._arguments import Instance, keep_checked
from zoo._keras_internals import make_plain_train_function

# Epochs shorter than this keep the instrumented step throughout: on them the per-step work is
# small beside the epoch's fixed work, and the signals of short runs must not change.
MIN_SWITCHED_STEPS = 256
# Instrumented calls an epoch keeps at least, whatever the telemetry's period: the sampled class
# counts then hold about 16 batches (512 rows at batch 32), enough for class shares.
MIN_INSTRUMENTED_CALLS = 16
# Share of an instrumented call that the plain step saves, a low estimate: the instrumentation is
# about 11% of a small MLP's step (`benchmarks/step_cost.py`), less of a larger model's.
STEP_SAVING = 0.1
# First-epoch calls timed (the first, with the trace, and the ones after it): enough for a median.
TIMED_CALLS = 64

_paused = 0

_CONSTRAINTS = {"model": Instance(keras.Model, "a keras.Model")}


@contextlib.contextmanager
def paused():
    """While set, the instrumentation's wrappers trace the user's step unchanged."""
    global _paused
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1


def instrumentation_paused():
    """Whether a plain step is being traced or run (see `paused`)."""
    return _paused > 0


class StepSwitch:
    """Runs the instrumented training step on one call in `period`, and the plain one on the others.

    Args:
        model: a compiled `keras.Model` whose instrumentation is attached.
    """

    def __init__(self, model):
        keep_checked(self, _CONSTRAINTS, model=model)
        self.period = 1
        self._instrumented = None
        self._plain = None
        self._calls = 0
        self._calls_per_epoch = 0
        self._epochs = 0
        self._fit_epochs = None
        self._call_seconds = []
        # One bound method, kept: `model.train_function is self._function` tells whether it is in place.
        self._function = self._dispatch

    @property
    def active(self):
        return self._plain is not None

    def attach(self, steps, every=None, epochs=None):
        """Puts the switch in place of `model.train_function` when the epochs are long enough.

        Args:
            steps: training steps per epoch (`params["steps"]`), or None if unknown (no switch).
            every: the telemetry's period in optimizer steps, or None (then only
                `MIN_INSTRUMENTED_CALLS` sets it).
            epochs: the epoch `fit` ends before (`params["epochs"]`), or None if unknown (then
                the switch does not weigh the plain step's trace against what it saves).

        Returns:
            Whether the switch is in place.
        """
        model = self.model
        if not steps or steps < MIN_SWITCHED_STEPS or model.run_eagerly or every == 1:
            return False
        calls = max(1, steps // model.steps_per_execution)
        self._calls_per_epoch = calls
        period = calls // MIN_INSTRUMENTED_CALLS
        if every:
            period = min(period, max(1, every // model.steps_per_execution))
        if period < 2:
            return False
        self.period = period
        self._calls, self._epochs = 0, 0
        self._fit_epochs, self._call_seconds = epochs, []
        return self._take_up()

    def begin_epoch(self, epoch=None):
        """Counts calls afresh (each epoch's first call is instrumented); from the second epoch
        of the `fit` on, runs the plain step between the instrumented ones, if the epochs left
        pay for its trace. When something else replaced `model.train_function` since (a retrace,
        another library's wrapper), the switch steps aside and leaves that function in place.

        Args:
            epoch: the epoch about to run, as Keras numbers it (None: unknown).
        """
        if not self.active:
            return
        if self.model.train_function is not self._function:
            # Stepping aside keeps the instrumented step: a wrapper that replaced the switch may
            # still call it.
            self._plain = None
            return
        self._calls = 0
        self._epochs += 1
        if self._epochs == 2 and not self._pays_off(epoch):
            self.model.train_function = self._instrumented
            self._plain = None

    def _pays_off(self, epoch):
        """Whether the plain calls of the epochs left save more time than the plain step's trace
        costs, from the first epoch's timed calls (True when that cannot be told)."""
        if epoch is None or self._fit_epochs is None or len(self._call_seconds) < 2:
            return True
        first, later = self._call_seconds[0], statistics.median(self._call_seconds[1:])
        trace = max(first - later, 0.0)
        calls_left = (self._fit_epochs - epoch) * self._calls_per_epoch * (1 - 1 / self.period)
        return calls_left * later * STEP_SAVING > trace

    def detach(self):
        """Puts the instrumented step back in place of the switch (a function that replaced the
        switch since stays)."""
        if self.model.train_function is self._function:
            self.model.train_function = self._instrumented
        self._plain = None

    def _take_up(self):
        """Wraps the model's current (instrumented) train function; False if it cannot."""
        model = self.model
        if model.train_function is None:
            model.make_train_function()
        self._instrumented = model.train_function
        self._plain = make_plain_train_function(model)
        if self._plain is None:
            self._instrumented = None
            return False
        model.train_function = self._function
        return True

    def _dispatch(self, iterator):
        self._calls += 1
        if self._epochs <= 1 and len(self._call_seconds) < TIMED_CALLS:
            start = time.perf_counter()
            logs = self._instrumented(iterator)
            self._call_seconds.append(time.perf_counter() - start)
            return logs
        if not self.active or self._epochs <= 1 or self._calls % self.period == 1:
            return self._instrumented(iterator)
        with paused():
            return self._plain(iterator)
