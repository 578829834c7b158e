"""Keras callbacks that observe an existing `model.fit` and report findings."""

from callbacks.activation_monitor import ActivationMonitor
from callbacks.deferred_reweighting import DeferredReweighting
from callbacks.generalization_monitor import GeneralizationMonitor
from callbacks.gradient_monitor import GradientMonitor
from callbacks.imbalance_monitor import ImbalanceMonitor
from callbacks.oscillation_monitor import OscillationMonitor
from callbacks.setup_monitor import SetupMonitor
from callbacks.stall_monitor import StallMonitor
from callbacks.swa_batch_norm import SWABatchNormUpdate
from callbacks._tensorboard import HistogramWriter
from callbacks.training_diagnostics import DEFAULT_MONITORS, TrainingDiagnostics

__all__ = ["ActivationMonitor", "DEFAULT_MONITORS", "DeferredReweighting", "GradientMonitor", "ImbalanceMonitor", "TrainingDiagnostics",
           "GeneralizationMonitor", "HistogramWriter", "OscillationMonitor", "SetupMonitor", "StallMonitor", "SWABatchNormUpdate"]
