"""Judgement: turns recorded training signals into findings with evidence and remedies."""

from diagnostics.activations import detect_activation_problems, detect_dead_relu, detect_saturation
from diagnostics.findings import KINDS, SEVERITIES, Finding
from diagnostics.gradients import (
    detect_exploding_gradient,
    detect_gradient_problems,
    detect_non_finite,
    detect_vanishing_gradient,
)
from diagnostics.imbalance import detect_class_imbalance
from diagnostics.setup_checks import check_setup, lead_with_causes
from diagnostics.report import SECTIONS, load_run, save_run, write_report
from diagnostics.section import Section

__all__ = [
    "KINDS",
    "SEVERITIES",
    "SECTIONS",
    "Finding",
    "Section",
    "check_setup",
    "lead_with_causes",
    "detect_activation_problems",
    "detect_class_imbalance",
    "detect_dead_relu",
    "detect_exploding_gradient",
    "detect_gradient_problems",
    "detect_non_finite",
    "detect_saturation",
    "detect_vanishing_gradient",
    "load_run",
    "save_run",
    "write_report",
]
