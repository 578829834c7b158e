"""`OscillationMonitor`: a loss that swings up and down, per epoch and per block of steps.

Example:

>>> monitor = OscillationMonitor()
>>> model.fit(x, y, epochs=10, callbacks=[monitor])     # doctest: +SKIP
>>> [f.kind for f in monitor.findings]                  # doctest: +SKIP
['oscillation']
"""

import math

from callbacks._arguments import Verbosity, keep_checked
from callbacks._monitor import Monitor
from zoo._serialization import register_serializable
from zoo._validation import Integer, Optional

# Blocks per epoch when `block_steps` is not given and the epoch length is known.
_BLOCKS_PER_EPOCH = 8
# Steps per block when the epoch length is unknown (a dataset without a known size).
_DEFAULT_BLOCK_STEPS = 16
# A block averages at least this many steps, so that minibatch noise (about 1/sqrt(8) of a single
# step's) is not mistaken for swings.
_MIN_BLOCK_STEPS = 8

_CONSTRAINTS = {"block_steps": Optional(Integer(minimum=1)), "verbose": Verbosity()}


@register_serializable(legacy_package="callbacks")
class OscillationMonitor(Monitor):
    """Records the losses that `diagnostics.judge` reads for `oscillation` (a learning rate too
    high, `diagnostics.oscillation`).

    Keras 3 passes `on_train_batch_end` the running mean of the loss over the epoch so far, not
    the loss of the step. The mean loss of the steps between two reads is recovered exactly by
    differencing: `(n2 * mean2 - n1 * mean1) / (n2 - n1)`. So the monitor keeps one reading
    per block of `block_steps` steps (it works with `steps_per_execution > 1`), turns them into
    block means at the end of the epoch, and judges those as well as the epoch losses. Readings
    are kept by step count, so the batch hook may run out of order: the monitor is `async_safe`
    and does not slow `fit` down by making Keras call batch hooks synchronously.

    The chance loss (from the compiled cross-entropy loss and the output units) lets the judge
    call a loss that stays far above guessing unstable. Where `GradientMonitor` recorded the same
    run (as in `TrainingDiagnostics`), a run whose gradients are all exactly zero is never called
    oscillating: its weights do not move.

    Args:
        block_steps: optimizer steps per block; default: an eighth of an epoch, at least 8 steps.
        verbose: 0 silent, 1 prints the finding when it first appears.

    Attributes:
        findings: list of `diagnostics.Finding`.
        block_losses: mean training loss of each block of steps, in order.
        history: `{"loss": [value per epoch]}`.
    """

    async_safe = True

    def __init__(self, block_steps=None, verbose=0):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, block_steps=block_steps, verbose=verbose)
        self._reset()

    def _reset(self):
        self.block_losses = []
        self.history = {"loss": []}
        self._blocks_per_epoch = None
        self._announced = False
        self._readings = {}


    def get_config(self):
        return {"block_steps": self.block_steps, "verbose": self.verbose}

    def _steps_per_block(self):
        if self.block_steps is not None:
            return self.block_steps
        steps = (self.params or {}).get("steps")
        if steps:
            return max(_MIN_BLOCK_STEPS, int(steps) // _BLOCKS_PER_EPOCH)
        return _DEFAULT_BLOCK_STEPS

    def on_train_begin(self, logs=None):
        self._reset()
        steps = (self.params or {}).get("steps")
        if steps:
            self._blocks_per_epoch = max(1, int(steps) // self._steps_per_block())

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._readings = {}

    def on_train_batch_end(self, batch, logs=None):
        count = batch + 1
        block = count // self._steps_per_block()
        if block == 0 or not logs or "loss" not in logs:
            return
        # The first reading of each block; `min` keeps it whatever order the hooks ran in.
        reading = (count, float(logs["loss"]))
        self._readings[block] = min(self._readings.get(block, reading), reading)

    def _collect_blocks(self):
        """Turns this epoch's (step count, running mean) readings into block means."""
        seen_count, seen_mean = 0, 0.0
        for count, mean in sorted(self._readings.values()):
            self.block_losses.append((count * mean - seen_count * seen_mean) / (count - seen_count))
            seen_count, seen_mean = count, mean
        self._readings = {}

    def on_epoch_end(self, epoch, logs=None):
        self._collect_blocks()
        value = (logs or {}).get("loss")
        self.history["loss"].append(math.nan if value is None else float(value))
        if self.verbose and not self._announced:
            findings = self.findings
            if findings:
                self._announced = True
                print(f"OscillationMonitor: {findings[0]}")

    @property
    def extras(self):
        return {"block_losses": [float(v) for v in self.block_losses],
                "block_steps": self._steps_per_block(), "blocks_per_epoch": self._blocks_per_epoch}
