"""Judgement: turns recorded training signals into findings with evidence and remedies.

One module per classic problem: `gradients` (vanishing, exploding, zero and non-finite
gradients), `activations` (dead and saturated units), `generalization` (overfitting and
underfitting), `oscillation` (an unstable loss), `stall` (saddle points and plateaus, with
`hessian` for the curvature), `imbalance` (class imbalance), and `setup_checks` (the model, loss
and data before training). `judge` runs them all on a recorded run and decides, once; `report`
writes what was found.
"""

from diagnostics.activations import detect_activation_problems, detect_dead_relu, detect_saturation
from diagnostics.findings import KINDS, SEVERITIES, Finding
from diagnostics.generalization import detect_overfitting, detect_underfitting
from diagnostics.gradients import (
    detect_exploding_gradient,
    detect_gradient_problems,
    detect_non_finite,
    detect_vanishing_gradient,
    detect_zero_gradient,
)
from diagnostics.hessian import HessianProbe, eigenvalue_density, hutchinson_trace, lanczos_extremes
from diagnostics.imbalance import detect_class_imbalance, detect_imbalance_from_counts
from diagnostics.judgement import RELATIONS, judge, order_findings
from diagnostics.learning_rate import RangeTest, find_learning_rate
from diagnostics.remedies import describe_setup, remedies_for
from diagnostics.remedy import ACTIONS, Remedy
from diagnostics.remedy_edits import EditedModel, apply_remedies
from diagnostics.repairing import RepairResult, repair
from diagnostics.oscillation import detect_oscillation
from diagnostics.report import SECTIONS, load_run, save_run, write_report
from diagnostics.section import Section
from diagnostics.setup_checks import check_setup
from diagnostics.stall import bounded_output_floor, classify_curvature, detect_stalls, judge_stall

__all__ = [
    "ACTIONS",
    "EditedModel",
    "KINDS",
    "SECTIONS",
    "SEVERITIES",
    "Finding",
    "HessianProbe",
    "RangeTest",
    "RepairResult",
    "Remedy",
    "RELATIONS",
    "Section",
    "apply_remedies",
    "bounded_output_floor",
    "check_setup",
    "classify_curvature",
    "describe_setup",
    "detect_activation_problems",
    "detect_class_imbalance",
    "detect_dead_relu",
    "detect_exploding_gradient",
    "detect_gradient_problems",
    "detect_imbalance_from_counts",
    "detect_non_finite",
    "detect_oscillation",
    "detect_overfitting",
    "detect_saturation",
    "detect_stalls",
    "detect_underfitting",
    "detect_vanishing_gradient",
    "detect_zero_gradient",
    "eigenvalue_density",
    "find_learning_rate",
    "hutchinson_trace",
    "judge_stall",
    "lanczos_extremes",
    "order_findings",
    "remedies_for",
    "repair",
    "judge",
    "load_run",
    "save_run",
    "write_report",
]
