"""Judgement: turns recorded training signals into findings with evidence and remedies."""

from diagnostics.findings import KINDS, SEVERITIES, Finding

__all__ = ["KINDS", "SEVERITIES", "Finding"]
