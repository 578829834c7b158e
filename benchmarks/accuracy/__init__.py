"""The diagnosis-accuracy benchmark: plain-Keras runs with known faults, and healthy ones.

Importing the package registers every scenario in `SCENARIOS` (name -> `Scenario`).
"""

from benchmarks.accuracy import (  # noqa: F401  (each module registers its scenarios)
    activation_faults,
    data_faults,
    dynamics_faults,
    gradient_faults,
    healthy,
    setup_faults,
)
from benchmarks.accuracy.scenario import SCENARIOS, Run, Scenario, Trained, scenario

__all__ = ["SCENARIOS", "Run", "Scenario", "Trained", "scenario"]
