"""`TimeBudget`: keeps a monitor's per-epoch work (a probe's forward pass) to a share of training.

A probe that costs a fixed time per epoch is cheap on long epochs and expensive on short ones (256
probe rows through a 1M-weight CNN are 8% of a 1,024-row epoch). The budget runs the work at an
epoch end only when the time it has saved up, `share` of the training time so far, covers the
work's cost; work cheaper than `free_seconds` always runs.

Example:

>>> budget = TimeBudget(share=0.02, free_seconds=0.1)
>>> budget.due()                      # cost unknown yet: run it and tell what it cost
True
>>> budget.spent(1.0)                 # a 1 s probe
>>> budget.earn(10.0); budget.due()   # after a 10 s epoch: 0.2 s saved up, not enough
False
>>> budget.earn(40.0); budget.due()   # 40 s more: 1 s saved up
True
"""

from callbacks._arguments import keep_checked
from zoo._validation import Real

# Per-epoch work may take this share of the training time: about what the in-graph telemetry
# costs, and below what a user notices.
EPOCH_WORK_SHARE = 0.02
# Work that takes less than this runs at every epoch whatever the share: 0.1 s per epoch goes
# unnoticed, and small models keep a measurement at every epoch.
FREE_SECONDS = 0.1

_CONSTRAINTS = {"share": Real(0.0, 1.0), "free_seconds": Real(minimum=0.0)}


class TimeBudget:
    """Decides at each epoch end whether the monitor's work runs.

    Args:
        share: the share of training time the work may take.
        free_seconds: work that costs less runs at every epoch.
    """

    def __init__(self, share=EPOCH_WORK_SHARE, free_seconds=FREE_SECONDS):
        keep_checked(self, _CONSTRAINTS, share=share, free_seconds=free_seconds)
        self._cost = None
        self._saved = 0.0

    def earn(self, training_seconds):
        """Adds `share` of `training_seconds` (an epoch's training time) to the time saved up."""
        self._saved += self.share * max(0.0, training_seconds)
        if self._cost is not None:  # no bursts: at most one run is saved up
            self._saved = min(self._saved, self._cost)

    def due(self):
        """Whether the work runs now: its cost is unknown, small, or saved up."""
        return self._cost is None or self._cost <= self.free_seconds or self._saved >= self._cost

    def spent(self, seconds, estimate=None):
        """Records a run that took `seconds`; `estimate` is the cost expected of the next runs
        (default `seconds`; pass one without one-time costs such as tracing). The first run, of
        unknown cost, is paid by nobody; later ones by the time saved up."""
        first = self._cost is None
        self._cost = seconds if estimate is None else estimate
        if not first and self._cost > self.free_seconds:
            self._saved -= seconds
