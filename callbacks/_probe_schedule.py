"""`ProbeSchedule`: the epochs at whose end a monitor's probe runs, decided from counts alone.

A probe (a forward pass over a fixed batch of rows) costs about the same at every epoch end, so it
is cheap beside a long epoch and dear beside a short one. The schedule estimates its share of an
epoch from counts: the probe passes its rows forward once; the epoch passes its rows forward and
back, about `TRAINING_PASSES` forward passes each. It then probes every `every`-th epoch, with
`every` the smallest period that keeps the estimated share within `share`; the first
`first_epochs` epochs and the last one are probed whatever it costs.

It reads no clock: the same run probes the same epochs on any machine, however loaded.

Example:

>>> schedule = ProbeSchedule(share=0.02, first_epochs=16)
>>> schedule.every(probe_rows=256, epoch_steps=10)   # 256 / (3 * 320 rows) = 27% of an epoch
14
>>> schedule.every(probe_rows=256, epoch_steps=256)  # 1% of an epoch: every epoch
1
>>> [epoch for epoch in range(40) if schedule.due(epoch, 256, 10, last=epoch == 39)][16:]
[28, 39]
"""

import math

from callbacks._arguments import keep_checked
from zoo._validation import Integer, Real

# Per-epoch work may take this share of the training time: about what the in-graph telemetry
# costs, and below what a user notices.
EPOCH_WORK_SHARE = 0.02
# Epochs probed at every end whatever the share: units die or saturate early (a learning rate too
# high kills them within a few epochs), and runs of up to 16 epochs (most tests, examples and
# accuracy-benchmark scenarios) keep the every-epoch schedule they had.
FIRST_PROBED_EPOCHS = 16
# A training row costs about three forward passes: the forward pass, and a backward pass that
# computes gradients for both activations and weights (two more of the same size).
TRAINING_PASSES = 3
# Rows a training step is taken to hold: a callback does not see the batch size, and 32 is what
# `fit` uses when none is given. A larger batch only makes the probe's true share smaller.
ROWS_PER_STEP = 32

_CONSTRAINTS = {"share": Real(0.0, 1.0, min_inclusive=False), "first_epochs": Integer(minimum=0)}


class ProbeSchedule:
    """Decides at each epoch end whether a probe of a fixed batch runs.

    Args:
        share: the share of an epoch's training the probe may take on average (in (0, 1]).
        first_epochs: the first epochs of a `fit`, probed at every end whatever the share.
    """

    def __init__(self, share=EPOCH_WORK_SHARE, first_epochs=FIRST_PROBED_EPOCHS):
        keep_checked(self, _CONSTRAINTS, share=share, first_epochs=first_epochs)

    def every(self, probe_rows, epoch_steps):
        """The probing period in epochs: the smallest that keeps a probe of `probe_rows` rows,
        against epochs of `epoch_steps` training steps of `ROWS_PER_STEP` rows, within `share`.

        Args:
            probe_rows: rows the probe passes forward.
            epoch_steps: training steps per epoch (at least 1 is assumed).

        Returns:
            an int >= 1.
        """
        epoch_passes = TRAINING_PASSES * ROWS_PER_STEP * max(1, epoch_steps)
        return max(1, math.ceil(probe_rows / (epoch_passes * self.share)))

    def due(self, epoch, probe_rows, epoch_steps, last=False):
        """Whether the probe runs at the end of `epoch`.

        Args:
            epoch: the epoch's index within this `fit`, from 0.
            probe_rows, epoch_steps: as for `every`.
            last: whether it is the last epoch of the `fit`.

        Returns:
            True for the first `first_epochs` epochs, the last one, and every `every`-th one.
        """
        return epoch < self.first_epochs or last or epoch % self.every(probe_rows, epoch_steps) == 0
