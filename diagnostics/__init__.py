"""Judgement: turns recorded training signals into findings with evidence and remedies."""

from diagnostics.findings import KINDS, SEVERITIES, Finding
from diagnostics.report import SECTIONS, Section, load_run, save_run, write_report

__all__ = [
    "KINDS",
    "SEVERITIES",
    "SECTIONS",
    "Finding",
    "Section",
    "load_run",
    "save_run",
    "write_report",
]
