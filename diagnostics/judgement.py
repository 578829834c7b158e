"""`judge(record)`: the one verdict on a recorded training run (exported as `diagnostics.judge`).

Monitors (`callbacks`) only record: per-epoch series into the record's `history`, and what else
they observed into `extras[<MonitorClass>]`. `judge` runs every detector once on that record, in
one order, then relates the findings with one table (`RELATIONS`) and orders them by one rule
(`order_findings`). `TrainingDiagnostics`, a focused monitor used alone, `python -m diagnostics`
and `diagnostics.repair` all call it, so the live run and a re-read `run.json` get the same
verdict.

The record is the `run.json` schema (version `RECORD_VERSION`):

    {"version": 2,
     "history": {key: [value per epoch]},        # Keras logs and every monitor's series
     "meta": {"monitors": [class names], "chance_loss": float | None, "setup": {...},
              "first_epoch": int, ...},            # Keras' number of the first epoch (0 if absent)
     "extras": {"SetupMonitor": {"findings": [...],    # observed directly: setup checks on model and data
                                 "regression_chance_loss"},  # the loss of the targets' best constant
                "GradientMonitor": {"layers", "first_nonfinite_step", "recurrent", "trainable_weights"},
                "ActivationMonitor": {"activations", "probed_epochs"},
                "GeneralizationMonitor": {"monitor", "mode", "patience", "min_delta", "chance_loss",
                                          "regularization_loss",    # the penalty in "loss", per epoch
                                          "validated_epochs",       # epochs whose logs held validation
                                          "stopped_early"},         # stop_training before the planned epochs
                "OscillationMonitor": {"block_losses", "block_steps", "blocks_per_epoch"},
                "StallMonitor": {"stalls": [...], "probes": [...], "output_floor", "window",
                                 "initial_learning_rate",
                                 "updates": {"steps", "updates", "trainable_weights", "accumulation"}},
                "ImbalanceMonitor": {"class_counts": [[label, count]],
                                     "epoch_counts": [{"train_labels", "train_predicted", "val_labels",
                                                       "val_correct", "train_majority", "train_weight"}],
                                     "ratio_threshold", "min_recall"}},
     "skipped": [{"monitor", "hook", "reason"}],
     "findings": [...]}                          # the verdict as recorded (not read by `judge`)

A record without `meta["monitors"]` (a Keras `CSVLogger` file, an old run.json) is judged by
every detector whose series it holds.

The detectors count a record's epochs from 0, as positions in its series; `judge` then numbers
every finding as Keras numbers the epochs (History's `epoch`, CSVLogger, the progress bar): from
`meta["first_epoch"]`, the `initial_epoch` of a resumed `fit`, in one place (`number_epochs`).

Example:

>>> record = {"history": {"loss": [2.30, 2.30, 2.30, 2.30, 2.30, 2.30]}, "meta": {"chance_loss": 2.3026}}
>>> [f.kind for f in judge(record)]
['underfitting', 'plateau']
"""

import dataclasses
import functools
import math
import re

import numpy as np

from diagnostics import (activations, batch_norm_statistics, batch_order, generalization, gradients, imbalance,
                         oscillation, remedies, schedule, stall, time_gradients, updates, validation_labels)
from diagnostics._series import scalar_series
from diagnostics.findings import KINDS, NEEDS_CONSEQUENCE, Finding

RECORD_VERSION = 2

# Kinds that come from the model, loss, optimizer and data before any training step.
SETUP_KINDS = ("output_loss_mismatch", "label_mismatch", "unnormalized_input", "suspicious_config")


@dataclasses.dataclass(frozen=True)
class Relation:
    """One row of the relation table.

    Attributes:
        cause: the kind of the explaining finding.
        evidence: an evidence key the cause must hold (the mechanism it names), or None for any
            finding of that kind.
        effects: the kinds it relates to.
        verb: `"explains"`: the effect stays, follows its cause and names it (`explained_by`);
            `"restates"`: the effect says nothing the cause does not, so it is folded into the
            cause's evidence (`<effect kind>.<key>`) and left out.
        after: the effect counts only from the cause's epoch on (a consequence cannot precede it).
        effect_evidence: an evidence key the effect must hold, or None for any effect of its kinds.
    """

    cause: str
    evidence: "str | None"
    effects: tuple
    verb: str = "explains"
    after: bool = False
    effect_evidence: "str | None" = None


RELATIONS = (
    # A one-unit softmax outputs 1.0: zero gradients everywhere, so nothing moves.
    Relation("output_loss_mismatch", "softmax_units", ("vanishing_gradient", "plateau", "underfitting",
                                                       "saddle_point", "dead_relu", "zero_gradient")),
    # ReLU or linear outputs under a probability cross-entropy: log of 0 or of a negative number;
    # or, where Keras clips the outputs into (0, 1), no gradient at all beyond the clip.
    # (Keras clips them to 1e-7: a loss of up to 16 per row, far above guessing, from the start.)
    Relation("output_loss_mismatch", "relu_output_units", ("non_finite", "plateau", "underfitting", "zero_gradient",
                                                           "exploding_gradient")),
    Relation("output_loss_mismatch", "linear_output_units", ("non_finite", "plateau", "underfitting",
                                                             "zero_gradient", "exploding_gradient")),
    # A class cross-entropy over one unit reads 0, but Keras takes its gradient from the logit
    # (softmax minus label): it pushes the logit without end and drags the layers below with it.
    # A rate loss (Poisson: log of the prediction) on an output that can go negative: the first
    # negative prediction's log is NaN, and so is every loss after it.
    Relation("output_loss_mismatch", "unbounded_rate_output", ("non_finite", "exploding_gradient", "plateau",
                                                               "underfitting")),
    Relation("output_loss_mismatch", "class_loss_units", ("plateau", "underfitting", "vanishing_gradient",
                                                          "exploding_gradient", "oscillation", "dead_relu")),
    # Class labels scored by a regression loss through a softmax or sigmoid: the confidently
    # wrong examples get the smallest gradients, so the loss stalls.
    Relation("output_loss_mismatch", "regression_loss_on_classes", ("plateau", "underfitting", "saddle_point",
                                                                    "vanishing_gradient")),
    # A softmax applied to a bounded activation again: the loss cannot fall below a floor.
    Relation("output_loss_mismatch", "bounded_logit_units", ("plateau", "underfitting", "saddle_point")),
    # Logits through a ReLU die: the dead logit units are the flat loss.
    Relation("output_loss_mismatch", "relu_logit_units", ("dead_relu", "plateau", "underfitting",
                                                          "vanishing_gradient", "saddle_point")),
    # Labels divided by 255: fractional class ids, or all one class once cast (a fake imbalance).
    Relation("label_mismatch", "fractional_labels", ("plateau", "underfitting", "class_imbalance")),
    Relation("label_mismatch", "distinct_labels", ("plateau", "underfitting", "overfitting", "class_imbalance")),
    Relation("label_mismatch", "labels_out_of_range", ("non_finite", "class_imbalance")),
    # NaN or inf targets: the loss of every batch holding one is NaN.
    Relation("label_mismatch", "non_finite_targets", ("non_finite",)),
    Relation("label_mismatch", "output_max", ("plateau", "underfitting", "saddle_point")),
    # Targets beyond a bounded output push its pre-activation up without end, and the weights
    # below grow with it until their units saturate.
    Relation("label_mismatch", "output_max", ("saturation",)),
    # Regression targets far from a linear output's unit scale: the loss stays far above predicting
    # their mean under Adam; under SGD the steps grow with the error and blow up.
    Relation("label_mismatch", "target_scale", ("underfitting", "plateau", "exploding_gradient", "non_finite",
                                                "oscillation", "dead_relu")),
    # Softmax + a regression loss on multi-hot targets: the outputs cannot sum to the targets.
    Relation("label_mismatch", "multi_hot_rows", ("plateau", "underfitting", "saddle_point")),
    # Validation labels that name other classes: the validation loss rises from the first epoch
    # while the training loss falls, and each class's validation recall collapses.
    Relation("label_mismatch", "matched_accuracy", ("overfitting", "class_imbalance")),
    # Validation targets on another scale: the validation loss sits far above the training loss.
    Relation("label_mismatch", "target_scale_ratio", ("overfitting",)),
    # Classes only the validation data holds: their validation loss can only rise.
    Relation("label_mismatch", "validation_only_classes", ("overfitting",)),
    # Labels shuffled apart from their rows: nothing to learn, so the loss stays at chance, and
    # what stalls there shows no better cause.
    Relation("label_mismatch", "relabelled_share", ("plateau", "underfitting", "saddle_point",
                                                    "vanishing_gradient", "dead_relu")),
    Relation("label_mismatch", None, ("class_imbalance",)),
    # The targets outside a bounded output's range: the stall at that output's floor says the same.
    Relation("label_mismatch", "output_max", ("output_loss_mismatch",), verb="restates",
             effect_evidence="output_floor"),
    Relation("unnormalized_input", "non_finite_inputs", ("non_finite",)),
    # Huge inputs saturate or blow up the first layers; tiny ones starve their gradients.
    # Huge inputs in one branch also make the other branches' gradients look vanished beside them.
    # Blown-up first steps can leave a model that never gets back below chance, too.
    Relation("unnormalized_input", "max_input_scale", ("exploding_gradient", "non_finite", "saturation",
                                                       "dead_relu", "oscillation", "vanishing_gradient",
                                                       "underfitting", "plateau")),
    Relation("unnormalized_input", "moderate_input_scale", ("exploding_gradient", "non_finite", "saturation",
                                                            "dead_relu", "oscillation", "underfitting")),
    Relation("unnormalized_input", "min_input_scale", ("vanishing_gradient", "plateau", "underfitting")),
    # Inputs of a few thousandths: the first layer's units output about their biases, the same for
    # every row, and die together once those turn negative.
    Relation("unnormalized_input", "small_input_scale", ("vanishing_gradient", "plateau", "underfitting",
                                                         "dead_relu", "saddle_point")),
    # Validation predictions that look renamed when inference sees raw rows: the same wrongness.
    Relation("unnormalized_input", "stale_normalization", ("label_mismatch",), verb="restates",
             effect_evidence="matched_accuracy"),
    # A BatchNormalization on the input whose moving averages never reached the data: inference
    # sees the raw rows (a validation loss far above the training loss), and a model trained in
    # inference mode trains on them (the steps blow up).
    Relation("unnormalized_input", "stale_normalization", ("overfitting", "exploding_gradient", "non_finite",
                                                           "saturation", "dead_relu", "oscillation", "underfitting",
                                                           "plateau")),
    # Validation inputs on another scale than the training inputs: the validation loss is far
    # above the training loss and climbs as the weights grow, which reads as overfitting.
    Relation("unnormalized_input", "scale_ratio", ("overfitting",)),
    # Huge inputs overflow float16 gradients: a LossScaleOptimizer skips every step, so no update
    # is applied at all.
    Relation("unnormalized_input", "max_input_scale", ("suspicious_config",), effect_evidence="applied_updates"),
    Relation("unnormalized_input", "uncentred_features", ("dead_relu", "saturation", "plateau", "underfitting")),
    # A learning rate outside the optimizer's stable range, confirmed by what the run did.
    Relation("suspicious_config", "stable_max", ("exploding_gradient", "oscillation", "non_finite", "saturation",
                                                 "dead_relu")),
    Relation("suspicious_config", "stable_min", ("plateau", "underfitting")),
    # A schedule set up for a longer run keeps every step far smaller than intended.
    Relation("suspicious_config", "unreached_peak", ("plateau", "underfitting", "saddle_point")),
    # Clipping that bounds every SGD step to nearly nothing: the weights stay where they started.
    Relation("suspicious_config", "clipped_step", ("plateau", "underfitting", "saddle_point")),
    # A schedule that decayed the rate to nothing freezes the weights wherever the loss then is.
    Relation("suspicious_config", "decayed_learning_rate", ("plateau", "underfitting", "saddle_point")),
    # Units that start as copies stay copies: each layer is one unit wide, so the run underfits; their
    # gradients start near zero (the symmetric point) and grow only as rounding breaks the tie.
    Relation("suspicious_config", "symmetric_init_layers", ("underfitting", "plateau", "saddle_point", "dead_relu",
                                                            "zero_gradient", "vanishing_gradient",
                                                            "exploding_gradient")),
    # Layers that start all-zero under a ReLU never get a gradient: they stay dead, and so does
    # what they feed.
    Relation("suspicious_config", "dead_start_layers", ("dead_relu", "zero_gradient", "vanishing_gradient",
                                                        "plateau", "underfitting", "saddle_point")),
    # A step that never applies its update: the weights stay where they started, whatever else shows.
    Relation("suspicious_config", "applied_updates", ("plateau", "underfitting", "saddle_point", "zero_gradient",
                                                      "vanishing_gradient", "dead_relu", "saturation")),
    # An output with loss weight 0: its head gets no gradient and never trains.
    Relation("suspicious_config", "zero_loss_weight_outputs", ("zero_gradient", "underfitting", "plateau",
                                                               "exploding_gradient", "vanishing_gradient")),
    # Batches of one class: each run of steps pulls toward its class and the next undoes it.
    Relation("suspicious_config", "batch_majority_share", ("oscillation", "dead_relu", "overfitting", "underfitting",
                                                           "plateau", "saddle_point", "class_imbalance",
                                                           "saturation")),
    # A schedule that keeps raising the rate: ever larger steps overshoot, blow up, knock units off.
    Relation("suspicious_config", "grown_learning_rate", ("oscillation", "exploding_gradient", "non_finite",
                                                          "dead_relu", "saturation", "underfitting")),
    # Noise that drowns the inputs, or a norm cap that shrinks every unit, leaves too little signal to
    # fit: the loss stalls high, and units starved of signal die.
    Relation("suspicious_config", "input_noise_ratio", ("underfitting", "plateau", "saddle_point", "dead_relu",
                                                        "oscillation")),
    Relation("suspicious_config", "capped_unit_norm", ("underfitting", "plateau", "saddle_point", "dead_relu",
                                                       "vanishing_gradient")),
    # BatchNormalization over one row outputs its beta: nothing below it learns, the model
    # predicts one class whatever the input.
    Relation("suspicious_config", "batchnorm_batch_size", ("zero_gradient", "underfitting", "plateau",
                                                           "saddle_point", "class_imbalance", "dead_relu")),
    # Sample weights all 0: the loss is 0, no gradient, nothing learns.
    Relation("suspicious_config", "zero_sample_weights", ("zero_gradient", "underfitting", "plateau",
                                                          "saddle_point")),
    # A loss summed over the batch makes every step the batch size times too large.
    Relation("suspicious_config", "loss_reduction", ("exploding_gradient", "non_finite", "oscillation",
                                                     "dead_relu", "saturation")),
    # An epsilon that outweighs the gradients' scale turns Adam into slow SGD: the loss crawls or stalls.
    Relation("suspicious_config", "adaptive_epsilon", ("underfitting", "plateau", "saddle_point")),
    Relation("suspicious_config", "decay_bound", ("underfitting", "plateau", "vanishing_gradient")),
    Relation("suspicious_config", "bottleneck_units", ("underfitting", "plateau", "saddle_point")),
    Relation("suspicious_config", "skipped_share", ("underfitting", "plateau", "saddle_point")),
    Relation("suspicious_config", "label_smoothing", ("underfitting", "plateau", "saddle_point")),
    # A callback that stopped the run while it learned leaves the model where the stop found it.
    Relation("suspicious_config", "stopped_while_falling", ("underfitting",)),
    Relation("output_loss_mismatch", "noise_after_output", ("oscillation", "underfitting", "plateau", "overfitting",
                                                            "saddle_point", "non_finite")),
    # One output per sequence for per-step targets: the targets broadcast against it, and the best
    # it can do is their mean over the steps: the loss stays near chance.
    Relation("output_loss_mismatch", "target_shape", ("underfitting", "plateau", "saddle_point")),
    # A handful of updates per epoch cannot move the weights far: the loss stays near chance.
    Relation("suspicious_config", "steps_per_epoch", ("underfitting", "plateau", "saddle_point")),
    # A few rows seen again and again are memorized: the validation loss, on the others, climbs;
    # one repeated batch holds the classes unevenly, or not at all.
    Relation("suspicious_config", "repeated_rows", ("overfitting", "class_imbalance", "label_mismatch")),
    # Dropping most of every layer's inputs leaves too little signal to fit: the loss stalls high.
    Relation("suspicious_config", "max_dropout", ("underfitting", "plateau", "saddle_point")),
    # Inputs dropped in training and whole at inference: the validation loss rises from the start
    # while the training loss falls, or the few features left in training carry too little.
    Relation("suspicious_config", "input_dropout", ("underfitting", "plateau", "overfitting")),
    # Kernels drawn near zero: the stack starts on the flat ground around zero, where gradients
    # vanish through the layers, units sit at zero and the loss stalls.
    # (Not the underfitting: the stall's own finding restates it.)
    Relation("suspicious_config", "small_kernel_scale", ("vanishing_gradient", "plateau", "saddle_point", "dead_relu",
                                                         "zero_gradient")),
    # BatchNormalization put back in training mode under a fine-tuned base: the training loss jumps.
    Relation("suspicious_config", "unfrozen_batchnorm_layers", ("underfitting", "oscillation", "plateau")),
    # A recurrent state in its chaotic regime pins its tanh units near +-1 and carries no usable signal.
    Relation("exploding_gradient", "time_growth", ("saturation", "oscillation", "plateau")),
    # Informative steps that the gradient does not reach cannot teach the model: the loss stalls.
    Relation("vanishing_gradient", "informative_share", ("plateau", "saddle_point")),
    # Early steps the gradient no longer reaches cannot teach the model either.
    Relation("vanishing_gradient", "time_growth", ("plateau", "saddle_point", "underfitting")),
    # Gradients that grow without bound overflow: the loss turns non-finite after they explode.
    Relation("exploding_gradient", None, ("non_finite",), after=True),
    # Steps that overshoot throw pre-activations far out: units die or saturate from then on.
    Relation("oscillation", None, ("dead_relu", "saturation"), after=True),
    # A loss that swings makes the validation loss swing up too: no sign of memorizing.
    Relation("oscillation", None, ("overfitting",)),
    # A loss that swings without net progress stalls because its steps overshoot: a stall after the
    # swings began is theirs, whatever the curvature measured at one point of it says.
    Relation("oscillation", None, ("plateau", "saddle_point"), after=True),
    # Weights that turned NaN make every unit read dead or saturated: the units say nothing more.
    Relation("non_finite", None, ("dead_relu", "saturation", "vanishing_gradient"), verb="restates", after=True),
    # A penalty that outweighs the data shrinks the weights until units die, saturate or pass no gradient.
    Relation("underfitting", "heavy_penalty", ("dead_relu", "saturation", "vanishing_gradient", "plateau",
                                               "saddle_point")),
    # A loss stuck high is what broken layers look like from the outside.
    Relation("vanishing_gradient", None, ("underfitting",), verb="restates"),
    Relation("exploding_gradient", None, ("underfitting",), verb="restates"),
    Relation("non_finite", None, ("underfitting",), verb="restates"),
    Relation("dead_relu", None, ("underfitting",), verb="restates"),
    Relation("saturation", None, ("underfitting",), verb="restates"),
    Relation("zero_gradient", None, ("underfitting", "oscillation"), verb="restates"),
    # Units pinned in their flat tails pass (next to) no gradient: the vanished or exactly-zero
    # gradient below them is the saturation seen from the weights.
    Relation("saturation", None, ("vanishing_gradient",)),
    # Layers cut off from the loss (an op with no gradient) never train: the stall follows.
    Relation("zero_gradient", "cut_layers", ("vanishing_gradient",), verb="restates"),
    Relation("zero_gradient", "cut_layers", ("plateau", "saddle_point")),
    Relation("zero_gradient", "still_layers", ("vanishing_gradient",), verb="restates"),
    Relation("zero_gradient", "still_layers", ("plateau", "saddle_point")),
    # Nothing trainable: the loss cannot move, whatever the curvature says.
    Relation("zero_gradient", "trainable_weights", ("plateau", "saddle_point")),
    # A saddle whose curvature was measured is why every gradient is zero (a symmetric start).
    Relation("saddle_point", "min_eigenvalue", ("zero_gradient", "underfitting"), verb="restates"),
)

# Evidence keys that hold an epoch (a position in the series, like `Finding.epoch`), not a count
# of epochs: `number_epochs` numbers them as Keras does. A folded key (`overfitting.best_epoch`)
# counts by its last part.
EPOCH_EVIDENCE_KEYS = ("best_epoch",)
# How a finding's message and advice name an epoch ("from epoch 2", "the weights of epoch 6").
_EPOCH_IN_TEXT = re.compile(r"\bepoch (\d+)\b")

# A learning-rate or config warning is withdrawn when the run trains healthily: its training loss
# ends below this share of where it started (or of chance, when known) and nothing else is wrong.
HEALTHY_LOSS_FRACTION = 0.5
# Setup warnings that are hypotheses about training (the optimizer's stable range; two linear
# layers that collapse into one, or units that start as copies, which matter only if the model
# then cannot fit), not facts about the data: the run's behaviour confirms or withdraws them.
BEHAVIOURAL_SETUP_KEYS = ("stable_max", "stable_min", "stacked_linear_layers", "symmetric_init_layers",
                          "decay_bound")
# Setup causes that cap how well the model can fit (a weight decay that holds the weights under
# their initial size, a layer too narrow for the output, strides that skip the input): beside one,
# underfitting is judged from `generalization.HELD_BACK_FRACTION`.
HOLDING_BACK_KEYS = ("decay_bound", "bottleneck_units", "skipped_share")


def judge(record):
    """The findings of a recorded run: every detector once, related and ordered.

    Args:
        record: a run dict (see the module docstring): `TrainingDiagnostics.run()`,
            `diagnostics.load_run(path)`, or a dict with only `history` (a CSVLogger file).

    Returns:
        A list of `Finding`s: causes before their effects, an explained finding never first,
        otherwise errors before warnings and earlier epochs first. Each carries `remedies`
        chosen by its evidence (`diagnostics.remedies.remedies_for`).
    """
    run = RunRecord(record)
    findings = []
    for detector in DETECTORS:
        findings += detector(run)
    findings = _unique(findings)
    findings = withdraw_unconfirmed(findings, run.history, run.chance_loss)
    findings = withdraw_without_consequence(findings)
    findings = order_findings(findings)
    findings = [number_epochs(f, run.first_epoch) for f in findings]
    setup = run.meta.get("setup")
    return [_with_remedies(f, setup) for f in findings]


def first_epoch(record):
    """Keras' number of a run record's first epoch: `record["meta"]["first_epoch"]`, the
    `initial_epoch` of a resumed `fit` (or where `BackupAndRestore` resumed it); 0 for a record
    without it (a run.json written before it was recorded).

    Example:

    >>> first_epoch({"history": {}, "meta": {"first_epoch": 3}}), first_epoch({"history": {}})
    (3, 0)
    """
    value = ((record.get("meta") if isinstance(record, dict) else None) or {}).get("first_epoch", 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
        raise ValueError(f"`first_epoch` in the record's meta must be a non-negative integer. "
                         f"Received: first_epoch={value!r}")
    return int(value)


def number_epochs(finding, first_epoch):
    """`finding` with its epochs numbered as Keras numbers them: the detectors count from 0 (the
    position in the record's series), so `first_epoch` is added to `Finding.epoch`, to the
    evidence in `EPOCH_EVIDENCE_KEYS` and to every "epoch N" of its message and advice.

    Example:

    >>> f = Finding("overfitting", "warning", 4, None, "From epoch 4; restore epoch 2.", {"best_epoch": 2})
    >>> g = number_epochs(f, 3)
    >>> g.epoch, g.evidence["best_epoch"], g.message
    (7, 5, 'From epoch 7; restore epoch 5.')
    """
    if not first_epoch:
        return finding

    def numbered(text):
        return _EPOCH_IN_TEXT.sub(lambda match: f"epoch {int(match.group(1)) + first_epoch}", text)

    evidence = {key: value + first_epoch if key.rsplit(".", 1)[-1] in EPOCH_EVIDENCE_KEYS and value is not None
                else value for key, value in finding.evidence.items()}
    return dataclasses.replace(finding, epoch=finding.epoch + first_epoch, evidence=evidence,
                               message=numbered(finding.message), advice=[numbered(a) for a in finding.advice])


def _with_remedies(finding, setup):
    """`finding` with the remedies its evidence calls for (its advice becomes their sentences)."""
    chosen = remedies.remedies_for(finding, setup)
    return dataclasses.replace(finding, remedies=chosen, advice=[]) if chosen else finding


class RunRecord:
    """Read access to a run record: its history, the extras of one monitor, and whether a
    monitor recorded this run (a record without a monitor list may hold any series)."""

    def __init__(self, record):
        if not isinstance(record, dict) or not isinstance(record.get("history", {}), dict):
            raise TypeError(f"`record` must be a run dict with a `history` dict. Received: record={record!r:.80}")
        self.history = record.get("history") or {}
        self.meta = record.get("meta") or {}
        self._extras = record.get("extras") or {}
        self._monitors = self.meta.get("monitors")
        self.chance_loss = self._chance_loss()
        self.first_epoch = first_epoch(record)

    def recorded_by(self, monitor, prefixes=()):
        """Whether `monitor` recorded this run; without a monitor list, whether the history holds
        a key with one of `prefixes` (or always, without prefixes)."""
        if self._monitors is not None:
            return monitor in self._monitors
        return not prefixes or any(key.startswith(prefixes) for key in self.history)

    def extras(self, monitor):
        value = self._extras.get(monitor)
        return value if isinstance(value, dict) else {}

    @functools.cached_property
    def gradient_findings(self):
        """The gradient detectors' findings, found once (the stalls read them too)."""
        if not self.recorded_by("GradientMonitor", ("grad_norm/",)):
            return []
        extras = self.extras("GradientMonitor")
        steps = {layer: int(step) for layer, step in (extras.get("first_nonfinite_step") or {}).items()}
        findings = gradients.detect_nothing_trainable(extras.get("trainable_weights")) + \
            gradients.detect_gradient_problems(self.history, layers=extras.get("layers") or None,
                                               first_nonfinite_step=steps, chance_loss=self.chance_loss) + \
            time_gradients.detect_time_gradient_problems(self.history, extras.get("recurrent"), self.chance_loss)
        return findings

    @functools.cached_property
    def activation_findings(self):
        """The unit detectors' findings, found once (the stalls read them too)."""
        if not self.recorded_by("ActivationMonitor", ("dead_frac/", "saturated_frac/")):
            return []
        return activations.detect_activation_problems(self.history, loss=self.history.get("loss"),
                                                      chance_loss=self.chance_loss)

    @functools.cached_property
    def schedule_findings(self):
        """The learning-rate schedule's findings, found once (underfitting reads them too)."""
        if not self.recorded_by("StallMonitor", (schedule.LEARNING_RATE_KEY,)):
            return []
        extras = self.extras("StallMonitor")
        initial = extras.get("initial_learning_rate")
        peaks = extras.get("schedule_peaks") or (None, None)
        return (schedule.detect_unreached_peak(*peaks, extras.get("planned_steps"))
                + schedule.detect_decayed_learning_rate(self.history, initial, self.chance_loss)
                + schedule.detect_grown_learning_rate(self.history, initial))

    @property
    def underfitting_chance(self):
        """The loss that learning nothing gets: the chance loss, or for a regression the loss of
        predicting its targets' best constant (only underfitting reads it: the other detectors'
        ratios to chance were set on class losses)."""
        if self.chance_loss is not None:
            return self.chance_loss
        return self.extras("SetupMonitor").get("regression_chance_loss")

    def all_extras(self):
        return [value for value in self._extras.values() if isinstance(value, dict)]

    @functools.cached_property
    def observed_findings(self):
        """Findings a monitor observed directly (the setup checks on the model and data)."""
        return [f if isinstance(f, Finding) else Finding.from_dict(f)
                for extras in self.all_extras() for f in extras.get("findings", [])]

    def _chance_loss(self):
        """The loss of a uniform guess, times the mean sample weight of the training steps when
        the class counts recorded it (`class_weight` arrives as sample weights, and Keras
        averages the weighted losses over the rows: a guess then scores chance x mean weight)."""
        value = self.meta.get("chance_loss")
        if value is None:  # run.json files of version 1 kept it with the monitors
            value = next((v.get("chance_loss") for v in self._extras.values()
                          if isinstance(v, dict) and v.get("chance_loss") is not None), None)
        if value is None:
            return None
        weights = [c["train_weight"] for c in self.extras("ImbalanceMonitor").get("epoch_counts") or []
                   if isinstance(c, dict) and c.get("train_weight") is not None]
        total, rows = np.sum(weights, axis=0) if weights else (0.0, 0.0)
        return float(value) * (total / rows if rows > 0 and total > 0 else 1.0)


# -- the detectors, in their one order ---------------------------------------------------------


def _observed(run):
    """Findings a monitor observed directly (the setup checks on the model and data)."""
    return run.observed_findings


def _gradients(run):
    return run.gradient_findings


def _activations(run):
    return run.activation_findings


def _still_layers(run):
    """Layers held at an exactly zero gradient that nothing else explains: no unit finding (dead
    or saturated units give zeros), no other zero-gradient finding, no weights that started all
    zero or all equal (a symmetric start: its saddle or setup finding names it). Without the
    units' record, dead units cannot be told from still layers: nothing is judged."""
    if not run.recorded_by("GradientMonitor", ("grad_norm/",)) or not run.recorded_by(
            "ActivationMonitor", ("dead_frac/", "saturated_frac/")) or run.activation_findings or any(
            f.kind == "zero_gradient" for f in run.gradient_findings):
        return []
    setup_layers = (run.meta.get("setup") or {}).get("layers") or []
    if any(layer.get("kernel_zero") or layer.get("kernel_constant") for layer in setup_layers):
        return []
    return gradients.detect_still_layers(run.history, run.extras("GradientMonitor").get("layers") or None)


def _generalization(run):
    if not run.recorded_by("GeneralizationMonitor"):
        return []
    extras = run.extras("GeneralizationMonitor")
    monitor = extras.get("monitor") or next(
        (key for key in ("val_loss", "val_accuracy", "val_acc") if key in run.history), None)
    findings = generalization.detect_non_finite_validation(run.history, extras.get("validated_epochs"))
    findings += batch_norm_statistics.detect_stale_input_normalization(extras.get("batch_norm_scales"))
    values = scalar_series(run.history, monitor) if monitor is not None else np.empty(0)
    validated = np.flatnonzero(np.isfinite(values))
    if validated.size:
        # `validation_freq > 1` leaves the other epochs NaN: judge the validated ones.
        history = {key: [series[i] for i in validated if i < len(series)] for key, series in run.history.items()}
        findings += generalization.detect_overfitting(
            history, monitor, extras.get("mode", "auto"), extras.get("patience", generalization.PATIENCE),
            extras.get("min_delta", 0.0), run.chance_loss, epochs=[int(i) for i in validated],
            stopped_early=bool(extras.get("stopped_early")))
    stopped = generalization.detect_stopped_while_falling(run.history, run.underfitting_chance,
                                                          bool(extras.get("stopped_early")))
    # A run cut short, or one whose schedule never reached its rate, had no time to leave chance
    # at its pace: a slow start is not excused.
    cut_short = bool(stopped) or any("unreached_peak" in f.evidence for f in run.schedule_findings)
    held_back = cut_short or any(key in f.evidence for f in run.observed_findings for key in HOLDING_BACK_KEYS)
    lower = generalization.HELD_BACK_FRACTION if held_back else generalization.CHANCE_FRACTION
    return findings + stopped + _underfitting(run.history, extras.get("regularization_loss"), run.underfitting_chance,
                                              regression=run.chance_loss is None, lower=lower,
                                              cut_short=cut_short, activity=bool(extras.get("activity_penalty")))


def _underfitting(history, penalties, chance_loss, regression=False, lower=generalization.CHANCE_FRACTION,
                  cut_short=False, activity=False):
    """Underfitting judged on the data loss: the training loss less the regularization penalty
    it holds, when one was recorded at every epoch (a heavy penalty falls from its start while
    the data loss stays at chance, and the sum looks like learning).

    Against a regression's chance (predicting its targets' mean), a loss that stays far above it
    while it falls is underfitting too: the model has not even reached the targets' level (the
    class losses' ceiling, `generalization.CHANCE_UPPER`, is there for confident wrong classes)."""
    loss = scalar_series(history, "loss")
    finite = loss[np.isfinite(loss)]
    upper = math.inf if regression and finite.size and finite[-1] <= finite[0] else generalization.CHANCE_UPPER
    if not penalties or len(penalties) != loss.size:
        return generalization.detect_underfitting(history, chance_loss, upper=upper, lower=lower, cut_short=cut_short)
    penalty = np.asarray(penalties, dtype=float)
    findings = generalization.detect_underfitting({"loss": list(loss - penalty)}, chance_loss, upper=upper,
                                                  lower=lower, cut_short=cut_short)
    return [_under_penalty(finding, penalty, loss - penalty, activity) for finding in findings]


def _under_penalty(finding, penalties, data_losses, activity=False):
    """An underfitting `finding` judged on the data loss, with the penalty in its evidence (and
    `activity_penalty` where activity regularizers make it). A penalty of `HEAVY_PENALTY_SHARE` of
    the data loss or more at the end is named as the cause; an activity penalty, at any epoch: one
    that switched the units off in the first epoch falls to nothing after it. (A weight penalty
    starts high on a large model at any factor, and what it did shows at the end.)"""
    penalty = float(penalties[-1])
    evidence = {**finding.evidence, "regularization_loss": penalty, **({"activity_penalty": 1} if activity else {})}
    message = (f"{finding.message} This is the loss without the regularization penalty, which adds "
               f"{penalty:.4g} to the training loss at the end")
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(data_losses > 0, penalties / data_losses, np.nan)
    if not activity:
        shares[:-1] = np.nan
    if np.isfinite(shares).any():
        heaviest = int(np.nanargmax(shares))
        share = float(shares[heaviest])
        if share >= generalization.HEAVY_PENALTY_SHARE:
            evidence["heavy_penalty"] = share
            message += (f", {share:.0%} of the data loss" if heaviest == len(shares) - 1 else
                        f"; it added {penalties[heaviest]:.4g} at epoch {heaviest}, {share:.0%} of the data loss")
            message += ": the steps serve the penalty, not the data"
    return dataclasses.replace(finding, evidence=evidence, message=message + ".")


def _oscillation(run):
    if not run.recorded_by("OscillationMonitor"):
        return []
    extras = run.extras("OscillationMonitor")
    blocks = extras.get("block_losses")
    norms = [np.asarray(v, dtype=float) for k, v in run.history.items() if k.startswith("grad_norm/")]
    measured = np.concatenate(norms) if norms else np.empty(0)
    measured = measured[np.isfinite(measured)]
    return oscillation.detect_oscillation(
        run.history, step_losses=blocks if blocks else None, steps_per_value=extras.get("block_steps"),
        values_per_epoch=extras.get("blocks_per_epoch"), chance_loss=run.chance_loss,
        weights_move=measured.size == 0 or bool((measured != 0).any()))


def _stalls(run):
    if not run.recorded_by("StallMonitor"):
        return []
    extras = run.extras("StallMonitor")
    explaining = [f for f in run.gradient_findings + run.activation_findings if f.kind in stall.EXPLAINING_KINDS]
    if "stalls" not in extras:  # a CSVLogger file or a run.json of version 1: find the stalls again
        return stall.detect_stalls(run.history, extras.get("probes"), run.chance_loss,
                                   extras.get("window", stall.STALL_WINDOW), explaining=explaining)
    # Units that start as copies of each other stay copies under any optimizer: an adaptive one
    # does not leave that saddle either.
    symmetric = any(f.evidence.get("symmetric_init_layers") for f in run.observed_findings)
    findings = []
    for record in extras["stalls"]:
        finding = stall.judge_stall(
            record["epoch"], record["loss"], record.get("curvature"), chance_loss=run.chance_loss,
            learning_rate=record.get("learning_rate"), steps=record.get("steps"), at=record.get("at"),
            explaining=[f for f in explaining if f.epoch <= record["epoch"]],
            output_floor=extras.get("output_floor"), run_steps=record.get("run_steps"),
            stationary=stall.stationary_layers(run.history, record["epoch"]),
            adaptive=bool(record.get("adaptive")) and not symmetric)
        if finding is not None:
            findings.append(finding)
    return findings


def _schedule(run):
    return run.schedule_findings


def _imbalance(run):
    if not run.recorded_by("ImbalanceMonitor", (imbalance.RECALL_PREFIX,)):
        return []
    extras = run.extras("ImbalanceMonitor")
    thresholds = {"ratio_threshold": extras.get("ratio_threshold", imbalance.SKEW_RATIO),
                  "min_recall": extras.get("min_recall", imbalance.MIN_RECALL)}
    recall = {k: v for k, v in run.history.items() if k.startswith(imbalance.RECALL_PREFIX)}
    pairs = extras.get("class_counts")
    epoch_counts = [None if c is None else {k: None if v is None else np.asarray(v) for k, v in c.items()}
                    for c in extras.get("epoch_counts") or []]
    # Labels that `class_weight` evens out are skewed, but treated: judged by what the model does.
    rebalanced = imbalance.weights_rebalance(epoch_counts, thresholds["ratio_threshold"])
    class_counts = None if pairs is None or rebalanced else {label: count for label, count in pairs}
    confusion = extras.get("validation_confusion") or {}
    findings = validation_labels.detect_relabelled_validation(confusion.get("matrix"), confusion.get("epoch") or 0)
    findings += imbalance.detect_class_imbalance(recall or None, class_counts, **thresholds)
    findings += imbalance.detect_imbalance_from_counts(epoch_counts, **thresholds)
    return imbalance.merge_same_epoch(findings) + batch_order.detect_unshuffled_batches(epoch_counts)


def _updates(run):
    if not run.recorded_by("StallMonitor"):
        return []
    return updates.detect_no_updates(run.extras("StallMonitor").get("updates"))


DETECTORS = (_observed, _gradients, _activations, _still_layers, _generalization, _oscillation, _stalls, _schedule,
             _imbalance, _updates)


def _unique(findings):
    seen, unique = set(), []
    for finding in findings:
        key = (finding.kind, finding.layer, finding.epoch, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


# -- relations and order -----------------------------------------------------------------------


def withdraw_unconfirmed(findings, history, chance_loss=None):
    """Leaves out a learning-rate warning (`BEHAVIOURAL_SETUP_KEYS`) that the run contradicts: no
    other finding, and a training loss that fell below `HEALTHY_LOSS_FRACTION` of where it
    started (or of `chance_loss`)."""
    hypotheses = [f for f in findings if f.kind == "suspicious_config"
                  and any(key in f.evidence for key in BEHAVIOURAL_SETUP_KEYS)]
    if not hypotheses or len(hypotheses) < len(findings) or not trained_healthily(history, chance_loss):
        return findings
    return [f for f in findings if f not in hypotheses]


def withdraw_without_consequence(findings):
    """Leaves out a setup finding marked `NEEDS_CONSEQUENCE` (a moderate input scale, which many
    healthy runs have) when no other finding of the run is its effect (`RELATIONS`).

    Example:

    >>> scale = Finding("unnormalized_input", "warning", 0, "x", "Values reach 300.",
    ...                 {"moderate_input_scale": 50.0, "needs_consequence": True})
    >>> saturation = Finding("saturation", "warning", 0, "gru", "98% of the units are saturated.")
    >>> [f.kind for f in withdraw_without_consequence([scale])], len(withdraw_without_consequence([scale, saturation]))
    ([], 2)
    """
    causes = {cause for cause, _ in relate(findings).values()}
    return [f for index, f in enumerate(findings) if not f.evidence.get(NEEDS_CONSEQUENCE) or index in causes]


def trained_healthily(history, chance_loss=None):
    """Whether the training loss stayed finite and ended below `HEALTHY_LOSS_FRACTION` of its
    first value, or of `chance_loss` when known.

    Example:

    >>> trained_healthily({"loss": [2.3, 1.0, 0.4]}, chance_loss=2.3026), trained_healthily({"loss": [2.3, 2.2]})
    (True, False)
    """
    loss = scalar_series(history, "loss")
    if loss.size < 2 or not np.isfinite(loss).all():
        return False
    reference = chance_loss if chance_loss is not None and math.isfinite(chance_loss) else loss[0]
    return bool(loss[-1] < HEALTHY_LOSS_FRACTION * reference)


def order_findings(findings):
    """Relates `findings` by `RELATIONS` and orders them by one rule.

    An explained finding never leads; a cause comes right before its effects (which name it in
    `explained_by` and their message); otherwise errors come before warnings, then the earliest
    epoch, then the order of `KINDS`, except that a `suspicious_config` that explains nothing in
    the run (a hypothesis its behaviour does not confirm) follows the other findings of its
    severity. A finding another one restates is folded into that one's
    evidence (as `<kind>.<key>`) and left out.

    Example:

    >>> imbalance = Finding("class_imbalance", "error", 0, None, "One class only.")
    >>> labels = Finding("label_mismatch", "warning", 0, "out", "Labels are fractions.", {"fractional_labels": 3})
    >>> [(f.kind, f.explained_by) for f in order_findings([imbalance, labels])]
    [('label_mismatch', None), ('class_imbalance', 'label_mismatch')]
    """
    findings = list(findings)
    cause_of = relate(findings)
    dropped = {effect for effect, (_, verb) in cause_of.items() if verb == "restates"}
    folded = {}
    for effect in sorted(dropped):
        cause = _kept_cause(effect, cause_of, dropped)
        evidence = findings[effect].evidence
        folded.setdefault(cause, {}).update({f"{findings[effect].kind}.{k}": v for k, v in evidence.items()})
    roots, effects_of = [], {}
    for index in sorted(set(range(len(findings))) - dropped, key=lambda i: _rank(findings[i])):
        if index in cause_of:
            effects_of.setdefault(_kept_cause(index, cause_of, dropped), []).append(index)
        else:
            roots.append(index)
    # A config warning whose consequence the run does not show is a hypothesis: it follows the
    # findings of its severity that the run does show (a stable sort keeps the rest in rank order).
    roots.sort(key=lambda i: (_rank(findings[i])[0], findings[i].kind == "suspicious_config" and i not in effects_of))
    ordered = []

    def emit(index, cause=None):
        finding = findings[index]
        if index in folded:
            finding = dataclasses.replace(finding, evidence={**folded[index], **finding.evidence})
        if cause is not None:
            finding = _explained(finding, cause)
        ordered.append(finding)
        for effect in effects_of.get(index, []):
            emit(effect, finding)

    for index in roots:
        emit(index)
    return ordered


def relate(findings):
    """`{effect index: (cause index, verb)}` by the first row of `RELATIONS` that relates them; a
    finding gets one cause, and no chain of causes loops."""
    cause_of = {}
    for relation in RELATIONS:
        for cause, finding in enumerate(findings):
            if finding.kind != relation.cause or (relation.evidence and relation.evidence not in finding.evidence):
                continue
            for effect, other in enumerate(findings):
                if (effect == cause or effect in cause_of or other.kind not in relation.effects
                        or (relation.effect_evidence and relation.effect_evidence not in other.evidence)
                        or (relation.after and other.epoch < finding.epoch) or _leads_to(cause, effect, cause_of)):
                    continue
                cause_of[effect] = (cause, relation.verb)
    return cause_of


def _leads_to(index, target, cause_of):
    """Whether `target` is `index` or one of its causes, up the chain."""
    while index is not None:
        if index == target:
            return True
        index = cause_of.get(index, (None, None))[0]
    return False


def _kept_cause(index, cause_of, dropped):
    """The nearest cause up the chain that is not itself folded away."""
    cause = cause_of[index][0]
    while cause in dropped:
        cause = cause_of[cause][0]
    return cause


def _rank(finding):
    return ({"error": 0, "warning": 1}[finding.severity], finding.epoch, KINDS.index(finding.kind), finding.layer or "")


def _explained(effect, cause):
    where = f" in layer {cause.layer!r}" if cause.layer else ""
    first_sentence = cause.message.split(". ")[0].rstrip(".")
    return dataclasses.replace(effect, explained_by=cause.kind,
                               message=f"{effect.message} Explained by {cause.kind}{where}: {first_sentence}.")
