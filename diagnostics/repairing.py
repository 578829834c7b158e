"""`repair`: tries the remedies of a run's findings on short re-runs, and keeps one only when it
is proven on that run.

The baseline (the user's `fit`, on a clone) is judged by `callbacks.TrainingDiagnostics`; its
findings' applicable remedies become candidate runs; successive halving spends a fixed budget of
optimizer steps on them (all candidates briefly, the better half twice as long, and so on); every
trial is an ordinary `fit` of a clone, judged by the same judge. A trial is accepted only when it
clears the baseline's errors and beats the baseline on a metric the remedy can move (the balanced
accuracy for class imbalance and for an output that does not fit its loss, else the validation
loss of the model the fit returns; the training loss without validation data) by more than the
seed-to-seed spread (at most half the baseline's best: a wider spread is a diverged seed).

Example:

>>> result = repair(model, x, y, validation_data=(x_val, y_val), epochs=5)   # doctest: +SKIP
>>> print(result)                                                             # doctest: +SKIP
>>> if result.accepted:                                                       # doctest: +SKIP
...     result.model.fit(x, y, epochs=5, **result.fit_kwargs)
"""

import dataclasses
import math
import os
import time
import warnings

import keras
import numpy as np

from diagnostics import imbalance
from diagnostics._arguments import AsValueError, Data, KerasModel, Keywords, ValidationData
from diagnostics._format import fmt, pyplot, save_figure
from diagnostics.judgement import judge
from diagnostics.remedy_edits import apply_remedies
from zoo._validation import Integer, Optional, Real, validate_arguments

# The shortest trial worth judging: below a few steps the loss says more about the first batches
# than about the change.
MIN_TRIAL_STEPS = 4

# Nor shorter than this share of the baseline: in fewer steps per epoch the judge reads the first
# batches' collapse (one class predicted, a loss not yet moving) as a finding of its own. At 0.07
# a 5-epoch run of 45 steps per epoch keeps 3 steps per epoch, and the default budget affords 4
# candidates (the screening rung runs at one seed).
MIN_TRIAL_FRACTION = 0.07

# The judged (last) rung keeps at least this many steps in each epoch when the budget allows: with
# fewer, the judge reads the first batches' collapse as a class imbalance and rejects every cure
# (3 epochs of 19 steps cut to 5 steps per epoch did so).
MIN_JUDGED_EPOCH_STEPS = 8

# Successive halving keeps the better half of the candidates at every rung and doubles their
# length (the classic halving rate: equal work per rung).
HALVING_RATE = 2

# More candidates than this would shrink every first-rung trial below a useful length at the
# default budget.
MAX_CANDIDATES = 6

# A gain smaller than this share of the baseline's metric is not a repair even at one seed, where
# the seed-to-seed spread cannot be measured.
MIN_RELATIVE_GAIN = 0.02
# A seed-to-seed spread above half the baseline's best value is not noise but a baseline that
# diverged at some seed (a loss of 2e11 at one, 3e13 at another): the margin a trial must beat it
# by is capped there, so a trial a thousand times better is not refused for the divergence.
MAX_SPREAD_SHARE = 0.5

# The key, in a trial's history, of the loss of the model's outputs on the validation data.
OUTPUT_LOSS = "val_output_loss"

# The key of the balanced accuracy (the mean of the per-class recalls) of the model's class
# predictions on the validation data: the metric of a class imbalance, which re-weighting moves
# while the loss, dominated by the majority class, may not.
BALANCED_ACCURACY = "val_balanced_accuracy"

# Metrics where a higher value is the better one (every other metric is a loss).
HIGHER_IS_BETTER = (BALANCED_ACCURACY,)

# The lead kinds judged by the balanced accuracy: a class imbalance, whose remedies aim at the
# minority classes; an output that does not fit its loss, whose remedies change the loss itself
# (a one-unit output under a class cross-entropy reads 0 whatever it predicts), so the baseline's
# loss and a trial's measure different things.
BALANCED_KINDS = ("class_imbalance", "output_loss_mismatch")

# Rows per forward pass when the output loss is measured (bounded memory, few Python calls).
PREDICT_CHUNK = 1024

# The seeds of the baseline and of every trial are 0, 1, ... seeds - 1 (offset by this).
FIRST_SEED = 0


@dataclasses.dataclass
class Trial:
    """One candidate run (or the baseline) at `seeds` seeds.

    Attributes:
        remedies: the `Remedy` objects applied (empty for the baseline).
        changes: those edits in a person's words.
        fraction: the trial's length as a share of the baseline's optimizer steps.
        seeds: the seeds it ran at.
        histories: one `History.history` dict per seed.
        seed_findings: the judge's findings per seed.
        metrics: per seed, `metric_name` of the model the fit returned: the last epoch's, or
            the best epoch's when an `EarlyStopping(restore_best_weights=True)` restored it
            (inf for a loss, -inf for an accuracy, when it was not finite).
        best_metrics: per seed, the best `metric_name` over the run's epochs (the reference for
            a trial shorter than the baseline).
        returned_epochs: per seed, the epoch whose weights the fit returned.
        metric_name: the metric `repair` chose for the run (see `choose_metric`):
            `"val_balanced_accuracy"`, `"val_output_loss"`, `"val_loss"` or `"loss"`.
        steps: optimizer steps of all seeds together (`optimizer.iterations` after each fit).
        seconds: wall time of all seeds together (building, tracing and fitting).
        steps_per_epoch: optimizer steps per epoch of the first seed (to plot against steps).
        accepted: whether it passed the acceptance rule (see `repair`).
        reason: why it was or was not accepted.
        error: the exception text when the trial could not be built or run, else None.
        fit_kwargs: what `fit` needs for this trial's change (`class_weight`, callbacks...).
    """

    remedies: tuple = ()
    changes: list = dataclasses.field(default_factory=list)
    fraction: float = 1.0
    seeds: tuple = ()
    histories: list = dataclasses.field(default_factory=list)
    seed_findings: list = dataclasses.field(default_factory=list)
    metrics: list = dataclasses.field(default_factory=list)
    best_metrics: list = dataclasses.field(default_factory=list)
    returned_epochs: list = dataclasses.field(default_factory=list)
    metric_name: str = "loss"
    steps: int = 0
    seconds: float = 0.0
    steps_per_epoch: int = 0
    accepted: bool = False
    reason: str = ""
    error: "str | None" = None
    fit_kwargs: dict = dataclasses.field(default_factory=dict)

    @property
    def name(self):
        """The change in a few words ("baseline" for the baseline)."""
        if not self.remedies:
            return "baseline"
        return " + ".join(f"{remedy.action}({remedy.target})" if remedy.target else remedy.action
                          for remedy in self.remedies)

    @property
    def history(self):
        """The first seed's `History.history`."""
        return self.histories[0] if self.histories else {}

    @property
    def findings(self):
        """The findings of every seed, without repeats (same kind, layer and severity)."""
        seen, unique = set(), []
        for findings in self.seed_findings:
            for finding in findings:
                key = (finding.kind, finding.layer, finding.severity)
                if key not in seen:
                    seen.add(key)
                    unique.append(finding)
        return unique

    @property
    def metric(self):
        """The mean of `metrics` over the seeds."""
        return float(np.mean(self.metrics)) if self.metrics else self.worst

    @property
    def higher_is_better(self):
        """Whether `metric_name` is an accuracy (higher is better) rather than a loss."""
        return self.metric_name in HIGHER_IS_BETTER

    @property
    def worst(self):
        """The value that stands for "never finite": inf for a loss, -inf for an accuracy."""
        return -math.inf if self.higher_is_better else math.inf

    @property
    def score(self):
        """`metric` as a loss (lower is better): negated for an accuracy; inf when not finite."""
        return _score(self.metric, self.higher_is_better)

    def measure(self, metric_name):
        """Sets `metric_name` and reads `metrics` and `best_metrics` from the histories."""
        self.metric_name = metric_name
        self.metrics, self.best_metrics = [], []
        for history, epoch in zip(self.histories, self.returned_epochs):
            series = self._series(history)
            returned = series[epoch] if 0 <= epoch < len(series) else (series[-1] if series else self.worst)
            self.metrics.append(returned)
            self.best_metrics.append(self._best(series))

    def best_within(self, epochs):
        """Per seed, the best `metric_name` over the first `epochs` epochs."""
        return [self._best(self._series(history)[:epochs]) for history in self.histories]

    def _series(self, history):
        """`metric_name` per epoch of one seed's history, `worst` where it was not finite."""
        return [_finite_or(value, self.worst) for value in history.get(self.metric_name, [])]

    def _best(self, series):
        if not series:
            return self.worst
        return max(series) if self.higher_is_better else min(series)


@dataclasses.dataclass
class RepairResult:
    """What `repair` tried and what it proved.

    Attributes:
        baseline: the `Trial` of the run as given.
        trials: every candidate `Trial`, in the order they ran.
        accepted: the best accepted trial (the longest, then the best metric), or None.
        model: a fresh compiled, untrained model with the accepted changes (None if none).
        fit_kwargs: what `fit` needs for the accepted change (`class_weight`, `batch_size`,
            `callbacks`); `result.model.fit(x, y, **your_kwargs, **result.fit_kwargs)` reproduces it
            (leave out of yours what it holds: its `batch_size` replaces yours).
        changes: the accepted edits in a person's words (empty if none).
        data: the resampled `(x, y)` to fit on instead of yours when the accepted change
            resamples the classes (`rebalance_classes` by over- or under-sampling), else None.
        budget_steps: the optimizer steps the trials could spend (`budget` x `baseline_steps`).
        baseline_steps: optimizer steps of one baseline fit (one seed).
        baseline_seconds: wall time of one baseline fit (mean over the seeds).
        note: why nothing was tried, when nothing was.
        repairable: False when the lead problem needs what only the user can do (every remedy of
            the lead finding is `applicable=False`, or the training data hold NaN or inf).
        metric_reason: which metric judged the trials (`baseline.metric_name`) and why.
    """

    baseline: Trial
    budget_steps: int
    baseline_steps: int
    baseline_seconds: float
    trials: list = dataclasses.field(default_factory=list)
    accepted: "Trial | None" = None
    model: object = None
    fit_kwargs: dict = dataclasses.field(default_factory=dict)
    changes: list = dataclasses.field(default_factory=list)
    data: "tuple | None" = None
    note: str = ""
    repairable: bool = True
    metric_reason: str = ""

    @property
    def steps(self):
        """Optimizer steps of all trials together (the baseline not counted)."""
        return sum(trial.steps for trial in self.trials)

    @property
    def seconds(self):
        """Wall time of all trials together (the baseline not counted)."""
        return sum(trial.seconds for trial in self.trials)

    @property
    def work(self):
        """`steps` as a multiple of one baseline fit's optimizer steps."""
        return self.steps / self.baseline_steps if self.baseline_steps else 0.0

    @property
    def wall_ratio(self):
        """`seconds` as a multiple of one baseline fit's wall time."""
        return self.seconds / self.baseline_seconds if self.baseline_seconds else 0.0

    def __str__(self):
        lines = [f"repair: baseline {self.baseline.metric_name} {_metrics_text(self.baseline.metrics)}; "
                 f"findings: {_kinds_text(self.baseline.findings)}"]
        if self.metric_reason:
            lines.append(f"metric: {self.metric_reason}")
        if self.note:
            lines.append(self.note)
        if self.trials:
            rows = [("trial", "length", self.baseline.metric_name, "findings", "steps", "seconds", "verdict")]
            for trial in self.trials:
                verdict = "accepted" if trial.accepted else ("error" if trial.error else "rejected")
                rows.append((trial.name, f"{trial.fraction:.0%}", _metrics_text(trial.metrics),
                             _kinds_text(trial.findings), str(trial.steps), f"{trial.seconds:.1f}", verdict))
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            for index, row in enumerate(rows):
                lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
                if index == 0:
                    lines.append("  ".join("-" * width for width in widths))
            lines.append(f"work: {self.steps} steps = {self.work:.2f}x one baseline fit "
                         f"(budget {self.budget_steps}); wall time {self.wall_ratio:.2f}x")
        if self.accepted is not None:
            lines.append("accepted: " + "; ".join(self.changes or [self.accepted.name]))
        elif self.trials:
            lines.append("accepted: nothing (no trial passed the acceptance rule)")
        return "\n".join(lines)

    def report(self, path):
        """Writes `repair.md` and `repair_curves.png` (baseline vs trial loss over optimizer
        steps) into folder `path`; returns the markdown file's path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"`path` must be a folder path. Received: path={path!r}")
        path = os.fspath(path)
        os.makedirs(path, exist_ok=True)
        plot = _plot_curves(self, path)
        lines = ["# Repair", "", "```", str(self), "```", ""]
        if self.accepted is not None:
            lines += ["## Accepted change", ""] + [f"- {change}" for change in self.changes]
            lines += ["", f"Reason: {self.accepted.reason}", ""]
            if self.fit_kwargs:
                lines += ["`fit` also needs: " + ", ".join(f"`{key}`" for key in self.fit_kwargs), ""]
        lines += ["## Trials", ""]
        for trial in self.trials:
            lines.append(f"- **{trial.name}** ({trial.fraction:.0%} of the baseline): {trial.reason}")
        lines += ["", f"![baseline vs trials]({plot})", ""]
        report_path = os.path.join(path, "repair.md")
        with open(report_path, "w") as handle:
            handle.write("\n".join(lines))
        return report_path


# What each argument of `repair` must be (checked before anything runs). A wrong type of `epochs`,
# `budget`, `seeds` or `verbose` is a ValueError, as it was before the table.
_CONSTRAINTS = {
    "model": KerasModel(compiled_for="repair"),
    "x": Data(),
    "y": Data(streams=False),
    "validation_data": Optional(ValidationData()),
    "epochs": AsValueError(Integer(minimum=1)),
    "batch_size": Optional(Integer(minimum=1)),
    "budget": AsValueError(Real(minimum=0.0, min_inclusive=False)),
    "seeds": AsValueError(Integer(minimum=1)),
    "verbose": AsValueError(Integer(minimum=0, maximum=2)),
    "fit_kwargs": Keywords(forbidden=("callbacks", "steps_per_epoch", "initial_epoch"),
                           why="is set by repair for every trial and cannot be passed",
                           accepted_by=lambda checked: checked["model"].fit),
}


@validate_arguments(_CONSTRAINTS)
def repair(model, x=None, y=None, *, validation_data=None, epochs=1, batch_size=None, budget=1.5,
           seeds=2, verbose=1, **fit_kwargs):
    """Runs `fit` as given, then tries the findings' remedies on clones, and keeps a proven one.

    Nothing here touches `model`: the baseline and every trial are clones (`clone_model`, the
    weights `model` has now, recompiled from its compile config), and each fit starts from
    `keras.utils.set_random_seed(seed)` for seeds 0 .. `seeds` - 1 (this sets the global seeds).

    Flow: the baseline runs at every seed under `TrainingDiagnostics`; the findings found at every
    seed are the ones to repair (a finding at some seeds only is noise). None: the result says
    so at once. Nor is anything tried when the lead finding needs what only the user can do
    (every remedy of it `applicable=False`, or NaN/inf in the training data): the result says
    so, with `repairable=False`. Otherwise the candidates are the lead finding's applicable
    remedies, one each, and its first two together when they edit different things, then the
    next findings' remedies (at most `MAX_CANDIDATES`); when the setup checks found raw inputs
    (an `unnormalized_input` finding with a library remedy), standardizing them comes first,
    whatever finding leads, since every other remedy is measured through those inputs.
    Successive halving runs them all at a short length (at one seed: a screening rung),
    keeps the better half (those that clear the findings first, then the best mean metric) at
    twice the length and every seed, and so on, up to the baseline's length or the budget.
    When no trial was accepted and the leader clears the findings, the budget the trials left
    unspent (those that ended early spent less than planned) runs it once more at the
    baseline's full length (`_extend`).

    Metric (`choose_metric`, said in every `Trial.metric_name`): one the remedies can move.
    With validation arrays and a lead `class_imbalance`, the balanced accuracy of the class
    predictions (the mean recall per class, as `sklearn.metrics.balanced_accuracy_score`): class
    weights and resampling trade majority-class loss for minority recall, which the loss does
    not reward. Otherwise the compiled loss of the model's outputs on the validation arrays
    (Keras' own `val_loss` is computed from the logits behind a softmax or sigmoid and cannot
    see an output that does not fit its loss); `val_loss` when that cannot be computed (a
    validation split or dataset, several outputs); the training `loss` without validation data.
    A run's value is that of the model its fit returns: the last epoch's, or the best epoch's
    when `EarlyStopping(restore_best_weights=True)` restored it (so early stopping is judged by
    the model the user would keep).

    Acceptance rule. A trial is accepted when both hold:

    1. no seed of the trial has an error-severity finding, nor a finding of the lead finding's
       kind (so it clears the baseline's errors and its lead finding, and adds no error);
    2. it ran at every seed, every seed's metric is finite, and the trial's worst seed beats
       the baseline's best seed by more than `margin` = max(range of the baseline's finite
       values over the seeds, range of the trial's, `MIN_RELATIVE_GAIN` x |baseline's best|).

    A full-length trial is held to the model the baseline's fit returned. A shorter one (the
    default budget, 1.5 baselines over 2 seeds, affords no full-length trial) is held to the
    baseline's best epoch among those of equal work: the first epochs whose steps reach the
    trial's. A run that is merely stopped earlier then only equals the baseline, and a remedy is
    not asked to beat, in a third of the steps, what the baseline reached in all of them. A
    candidate's verdict is that of its longest trial; the accepted one is the longest accepted,
    then the best metric.

    Work. `budget` caps the optimizer steps of all trials at all seeds together, as a multiple of
    one baseline fit's steps (one seed); the baseline's own `seeds` x steps are not counted.
    Steps are read from each clone's `optimizer.iterations`; wall time is reported beside them.
    A learning-rate range test that a remedy needs runs on its own clone and is not counted.

    Args:
        model: a compiled, untrained `keras.Model` (never modified).
        x, y, validation_data, epochs, batch_size: as in `fit`.
        budget: the trials' optimizer steps, as a multiple of one baseline fit's.
        seeds: how many seeds every run (baseline and trials) runs at.
        verbose: 0 silent, 1 a progress bar, 2 one line per trial.
        **fit_kwargs: other `fit` arguments (`class_weight`, `shuffle`, `validation_split`...);
            not `callbacks` nor `steps_per_epoch`, which repair sets itself.

    Returns:
        A `RepairResult`.

    Example:

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> repair(model, np.zeros((8, 4)), np.zeros((8,)), budget=0)
    Traceback (most recent call last):
    ...
    zoo._validation.ArgumentValueError: `budget` must be > 0.0. Received: budget=0
    """
    # callbacks imports diagnostics, so diagnostics may import it only here, at call time.
    from callbacks.training_diagnostics import TrainingDiagnostics

    weights = model.get_weights()
    seed_list = tuple(range(FIRST_SEED, FIRST_SEED + int(seeds)))
    fit_args = dict(fit_kwargs, x=x, y=y, validation_data=validation_data, batch_size=batch_size)
    runner = _Runner(TrainingDiagnostics, fit_args, int(epochs), seed_list)
    say = _Progress(verbose)

    say.line(f"repair: the baseline at {len(seed_list)} seed(s)")
    baseline = runner.run(_Candidate((), model, weights, [], {}), fraction=1.0, strict=True)
    baseline_steps = runner.baseline_steps
    budget_steps = int(budget * baseline_steps)
    outcome = dict(baseline=baseline, budget_steps=budget_steps, baseline_steps=baseline_steps,
                   baseline_seconds=baseline.seconds / len(seed_list))
    to_repair = _consistent_findings(baseline.seed_findings)
    if not to_repair:
        baseline.reason = "nothing to repair: no finding at every seed"
        return RepairResult(**outcome, note="Nothing to repair: the baseline has no finding at every seed.")
    lead = to_repair[0]
    metric_name = choose_metric(baseline, lead)
    baseline.measure(metric_name)
    runner.metric_name = metric_name
    baseline.reason = f"lead finding: {lead.kind}; metric {metric_name}"
    outcome["metric_reason"] = _metric_reason(metric_name, lead)
    user_only = _user_only(lead, x, y)
    if user_only:
        baseline.reason += "; not repairable by the library"
        return RepairResult(**outcome, repairable=False,
                            note=f"Not repairable by the library: {user_only} Nothing was tried.")
    candidates = _build_candidates(_remedy_sets(to_repair), model, x, y, say)
    if not candidates:
        return RepairResult(**outcome, note=f"No remedy for {lead.kind} applies to this model: nothing was tried.")

    rule = _Acceptance(baseline, lead)
    schedule = _schedule(len(candidates), len(seed_list), budget_steps, baseline_steps, int(epochs))
    say.start(sum(count * rung_seeds for count, _, rung_seeds in schedule))
    trials, chosen = _successive_halving(runner, rule, candidates, schedule, budget_steps, say)
    say.done()
    if chosen is None:
        return RepairResult(**outcome, trials=trials)
    candidate, accepted = chosen
    return RepairResult(**outcome, trials=trials, accepted=accepted,
                        model=_clone(candidate.model, candidate.weights, seed_list[0]),
                        fit_kwargs=dict(candidate.fit_kwargs), changes=list(candidate.changes),
                        data=candidate.data)


def _successive_halving(runner, rule, candidates, schedule, budget_steps, say=None):
    """Runs `schedule` over `candidates` (in order, best first) within `budget_steps`.

    Returns:
        `(trials, chosen)`: every `Trial` run, and `(candidate, its longest trial)` of the best
        accepted candidate (the longest trial first, then the best metric), or None.
    """
    trials, longest = [], {}  # longest: id(candidate) -> (candidate, its longest trial)
    alive = list(candidates)
    for count, fraction, seeds in schedule:
        rung = []
        for candidate in alive[:count]:
            if sum(trial.steps for trial in trials) + runner.planned_steps(candidate, fraction) * seeds > budget_steps:
                continue
            trial = runner.run(candidate, fraction=fraction, strict=False, seeds=runner.seeds[:seeds])
            rule.decide(trial)
            trials.append(trial)
            longest[id(candidate)] = (candidate, trial)
            rung.append((candidate, trial))
            if say is not None:
                say.advance(seeds, trial)
        if not rung:
            break
        rung.sort(key=lambda pair: rule.rank(pair[1]))
        alive = [candidate for candidate, _ in rung]
    passed = [pair for pair in longest.values() if pair[1].accepted]
    if not passed and alive and id(alive[0]) in longest:
        extended = _extend(runner, rule, alive[0], longest[id(alive[0])][1], trials, budget_steps)
        if extended is not None:
            trials.append(extended)
            longest[id(alive[0])] = (alive[0], extended)
            passed = [(alive[0], extended)] if extended.accepted else []
            if say is not None:
                say.advance(len(extended.seeds), extended)
    chosen = min(passed, key=lambda pair: (-pair[1].fraction, pair[1].score), default=None)
    return trials, chosen


def _extend(runner, rule, leader, last, trials, budget_steps):
    """The leader's run at the baseline's full length on the budget the schedule left, or None.

    The schedule plans every trial at its whole planned length, but a trial that ends early
    (early stopping, a shorter resampled epoch) spends less: on tiny data that left most of the
    budget unspent while the one affordable trial was held to the baseline's best epoch at
    equal work, which a run stopped at its best epoch can only equal. When nothing was accepted
    and the leader clears the findings, what is left runs it at full length at every seed (a
    `_StepCap` keeps it within the budget; a run cut short is judged at the length it ran), if
    that is longer than its last trial and at least one epoch per seed.
    """
    if last.error is not None or last.fraction >= 1.0 or not rule.clears(last)[0]:
        return None
    left = budget_steps - sum(trial.steps for trial in trials)
    per_seed = left // len(runner.seeds)
    epoch_steps = runner.planned_steps(leader, 1.0) / max(1, runner.epochs)
    if per_seed < epoch_steps or per_seed <= last.steps / max(1, len(last.histories)):
        return None
    trial = runner.run(leader, fraction=1.0, strict=False, max_steps=left)
    rule.decide(trial)
    return trial


# -- candidates -----------------------------------------------------------------------------------

@dataclasses.dataclass
class _Candidate:
    """A model to run: `model`'s architecture and compile settings with `weights`, plus what fit needs."""

    remedies: tuple
    model: object
    weights: list
    changes: list
    fit_kwargs: dict
    data: "tuple | None" = None  # resampled (x, y) to fit on instead of the user's data


def _consistent_findings(seed_findings):
    """The findings (of the first seed that has them) whose kind appears at every seed."""
    kinds = [{finding.kind for finding in findings} for findings in seed_findings]
    common = set.intersection(*kinds) if kinds else set()
    for findings in seed_findings:
        kept = [finding for finding in findings if finding.kind in common]
        if kept:
            return kept
    return []


def choose_metric(baseline, lead):
    """The metric that judges the trials against `baseline`, given its `lead` finding.

    Args:
        baseline: the baseline `Trial` (its histories hold every metric repair measured).
        lead: the lead `Finding` (None: no finding, a loss is the metric).

    Returns:
        `"val_balanced_accuracy"` for a lead kind in `BALANCED_KINDS` when every seed measured
        it (validation arrays with class labels), else the first of `"val_output_loss"`,
        `"val_loss"`, `"loss"` that every seed's history holds (`"loss"` at worst).

    Example:

    >>> from diagnostics.findings import Finding
    >>> run = Trial(histories=[{"loss": [1.0], "val_loss": [1.1], "val_balanced_accuracy": [0.4]}])
    >>> choose_metric(run, Finding("class_imbalance", "warning", 0, None, ""))
    'val_balanced_accuracy'
    >>> choose_metric(run, Finding("output_loss_mismatch", "error", 0, None, ""))
    'val_balanced_accuracy'
    >>> choose_metric(run, Finding("overfitting", "warning", 0, None, ""))
    'val_loss'
    """
    keys = set.intersection(*[set(history) for history in baseline.histories]) if baseline.histories else set()
    if lead is not None and lead.kind in BALANCED_KINDS and BALANCED_ACCURACY in keys:
        return BALANCED_ACCURACY
    return next((key for key in (OUTPUT_LOSS, "val_loss") if key in keys), "loss")


def _metric_reason(metric_name, lead):
    """`metric_name` and why it judges a run whose lead finding is `lead`, in words."""
    why = {
        BALANCED_ACCURACY: f"the mean recall per class on the validation data, since the lead {lead.kind}'s "
                           + ("remedies change the loss itself, so losses before and after do not compare"
                              if lead is not None and lead.kind == "output_loss_mismatch" else
                              "remedies trade majority-class loss for minority-class recall"),
        OUTPUT_LOSS: "the compiled loss of the model's own outputs on the validation data (val_loss is "
                     "computed from the logits behind a softmax or sigmoid)",
        "val_loss": "the validation loss (the outputs could not be measured on the validation data)",
        "loss": "the training loss (no validation data)",
    }.get(metric_name, "")
    return (f"{metric_name}, {why}; of the model each fit returns (the best epoch's when early stopping "
            "restores it)")


def _user_only(lead, x, y):
    """Why only the user can cure `lead` (a sentence), or "" when the library may."""
    bad = _non_finite_count(x) + _non_finite_count(y)
    if bad:
        # No edit of the model or of training makes a NaN target or input finite.
        return (f"the training data hold {bad} NaN or infinite values; clean them "
                "(np.isfinite(x).all(), np.isfinite(y).all()) and run again.")
    remedies = getattr(lead, "remedies", None) or []
    if remedies and not any(remedy.applicable for remedy in remedies):
        return f"{lead.kind} needs what only you can do: " + " ".join(remedy.sentence for remedy in remedies[:2])
    return ""


def _non_finite_count(data):
    """NaN and inf values in the floating-point arrays of `data` (arrays, lists or dicts of them)."""
    count = 0
    for leaf in keras.tree.flatten(data) if data is not None else []:
        if hasattr(leaf, "dtype") and np.issubdtype(np.asarray(leaf).dtype, np.floating):
            count += int(np.size(leaf) - np.count_nonzero(np.isfinite(leaf)))
    return count


def _remedy_key(remedy):
    params = getattr(remedy, "params", None) or {}
    return (remedy.action, remedy.target, repr(sorted(params.items())))


def _compatible(first, second):
    """Two remedies combine when they do not set the same thing on the same target."""
    return first.action != second.action or first.target != second.target


def _remedy_sets(findings):
    """The remedy combinations to try, most promising first (see `repair`)."""
    sets, seen = [], set()

    def add(remedies):
        key = tuple(_remedy_key(remedy) for remedy in remedies)
        if key not in seen:
            seen.add(key)
            sets.append(tuple(remedies))

    # Raw inputs first: every other remedy would be measured through them.
    for finding in findings:
        if finding.kind == "unnormalized_input":
            for remedy in getattr(finding, "remedies", None) or []:
                if remedy.applicable and remedy.action == "standardize_inputs":
                    add((remedy,))
                    break
    for index, finding in enumerate(findings):
        applicable = [remedy for remedy in getattr(finding, "remedies", None) or [] if remedy.applicable]
        for remedy in applicable:
            add((remedy,))
        if index == 0 and len(applicable) >= 2 and _compatible(applicable[0], applicable[1]):
            add((applicable[0], applicable[1]))
    return sets[:MAX_CANDIDATES]


def _build_candidates(remedy_sets, model, x, y, say=None):
    """Applies each remedy set to a clone of `model` once (a range test, if any, runs here once);
    a set the model cannot take is left out."""
    candidates = []
    for remedies in remedy_sets:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                edited = apply_remedies(model, list(remedies), x=x, y=y)
        except Exception as error:  # a remedy this model cannot take is a candidate less, not a failure
            if say is not None:
                say.line(f"  skipped {', '.join(r.action for r in remedies)}: {_describe(error)}")
            continue
        candidates.append(_Candidate(remedies, edited.model, edited.model.get_weights(),
                                     list(edited.changes), dict(edited.fit_kwargs),
                                     getattr(edited, "data", None)))
    return candidates


# -- running ----------------------------------------------------------------------------------------

def _clone(model, weights, seed):
    """A fresh compiled copy of `model` (architecture, compile settings) holding `weights`."""
    keras.utils.set_random_seed(seed)
    clone = keras.models.clone_model(model)
    clone.set_weights(weights)
    config = model.get_compile_config()
    try:
        clone.compile_from_config(config)
    except Exception:  # a compile config that does not deserialize: rebuild what training needs
        optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
        clone.compile(optimizer=optimizer, loss=model.loss)
    return clone


class _Runner:
    """Fits candidates at every seed under `TrainingDiagnostics` and records them as `Trial`s."""

    def __init__(self, diagnostics_class, fit_args, epochs, seeds):
        self.diagnostics_class = diagnostics_class
        self.fit_args = fit_args
        self.epochs = epochs
        self.seeds = seeds
        self.baseline_steps = None  # one baseline fit's planned optimizer steps, set by its first fit
        self.metric_name = None  # set by repair once the baseline's lead finding is known

    def run(self, candidate, fraction, strict, seeds=None, max_steps=None):
        """The `Trial` of `candidate` at `fraction` of the baseline's length and `seeds`. With
        `max_steps`, the seeds' fits together stop (at an epoch's end) before they pass it, each
        seed getting an equal share of what the ones before it left; a trial cut so is shorter
        than planned, and its `fraction` says how long it ran."""
        seeds = tuple(seeds or self.seeds)
        trial = Trial(remedies=candidate.remedies, changes=list(candidate.changes), fraction=fraction,
                      seeds=seeds, fit_kwargs=dict(candidate.fit_kwargs))
        cut = False
        for index, seed in enumerate(seeds):
            start = time.perf_counter()
            cap = None if max_steps is None else _StepCap((max_steps - trial.steps) // (len(seeds) - index))
            try:
                history, findings, steps, per_epoch, returned = self._fit(candidate, seed, fraction, cap)
            except Exception as error:
                if strict:  # the baseline is the user's own fit: its errors are theirs
                    raise
                trial.error = _describe(error)
                trial.seconds += time.perf_counter() - start
                break
            trial.seconds += time.perf_counter() - start
            trial.histories.append(history)
            trial.seed_findings.append(findings)
            trial.steps += steps
            trial.steps_per_epoch = trial.steps_per_epoch or per_epoch
            trial.returned_epochs.append(returned)
            cut = cut or (cap is not None and cap.cut)
        if cut and trial.steps:
            trial.fraction = min(fraction, trial.steps / len(trial.histories) / self.baseline_steps)
        trial.measure(self.metric_name or choose_metric(trial, None))
        return trial

    def planned_steps(self, candidate, fraction):
        """Optimizer steps of one seed's fit of `candidate` at `fraction` of the baseline."""
        epochs, steps_per_epoch = self._length(candidate, fraction)
        return epochs * (steps_per_epoch or self._epoch_steps(candidate))

    def _fit(self, candidate, seed, fraction, cap=None):
        clone = _clone(candidate.model, candidate.weights, seed)
        diagnostics = self.diagnostics_class(verbose=0)
        args = self._fit_args(candidate)
        callbacks = list(args.pop("callbacks", None) or [])
        measures = _ValidationMeasures(args.get("validation_data"))
        epochs, steps_per_epoch = self._length(candidate, fraction)
        if steps_per_epoch is not None:
            args = _repeated(args, epochs * steps_per_epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            history = clone.fit(**args, epochs=epochs, steps_per_epoch=steps_per_epoch,
                                callbacks=[diagnostics, *callbacks, measures, *([cap] if cap else [])],
                                verbose=0)
        steps = int(keras.ops.convert_to_numpy(clone.optimizer.iterations))
        per_epoch = history.params.get("steps") or max(1, steps // max(1, len(history.epoch)))
        if self.baseline_steps is None:  # what the user asked for, even if a NaN stopped it early
            self.baseline_steps = max(1, per_epoch * self.epochs)
        record = dict(history.history)
        record.update(measures.values)
        # The judge on the run's whole record (its setup included, which the remedies read), as
        # `TrainingDiagnostics.on_train_end` judged it: its `findings` attribute re-judges the record
        # of the callback alone, without the setup, and so gave setup-blind remedies.
        findings = judge(diagnostics.run())
        return record, findings, steps, per_epoch, _returned_epoch(history, callbacks)

    def _fit_args(self, candidate):
        args = dict(self.fit_args)
        args.update(candidate.fit_kwargs)
        if candidate.data is not None:
            args["x"], args["y"] = candidate.data
        return args

    def _epoch_steps(self, candidate):
        """Steps per epoch at the candidate's batch size (the baseline's when it cannot be told)."""
        return _array_epoch_steps(self._fit_args(candidate)) or max(1, self.baseline_steps // self.epochs)

    def _length(self, candidate, fraction):
        """(epochs, steps_per_epoch) for at most `fraction` of the baseline's optimizer steps: the
        baseline's epochs, each shortened, so the judge sees as many epochs as it did."""
        if self.baseline_steps is None:
            return self.epochs, None
        per_epoch = self._epoch_steps(candidate)
        total = max(MIN_TRIAL_STEPS, math.floor(fraction * self.baseline_steps))
        if total >= self.epochs * per_epoch:
            return self.epochs, None
        if total < self.epochs:
            return total, 1
        return self.epochs, total // self.epochs


class _StepCap(keras.callbacks.Callback):
    """Ends a fit at the end of the epoch after which one more would pass `max_steps` optimizer
    steps (`cut` then says so); a fit that ends by itself (its last epoch, early stopping) is
    not cut. The first epoch always runs. Last in the callback list, it sees what the others
    decided."""

    def __init__(self, max_steps):
        super().__init__()
        self.max_steps = max_steps
        self.cut = False

    def on_epoch_end(self, epoch, logs=None):
        if self.model.stop_training or epoch + 1 >= self.params.get("epochs", epoch + 1):
            return
        steps = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        if steps + steps / (epoch + 1) > self.max_steps:
            self.model.stop_training = True
            self.cut = True


class _ValidationMeasures(keras.callbacks.Callback):
    """After each epoch, measures on the validation arrays from the model's own outputs:

    - `val_output_loss`: the compiled loss of the outputs. Keras computes a probabilistic loss
      from the logits behind a softmax or sigmoid, so `val_loss` cannot see an output that does
      not fit its loss (a one-unit softmax always outputs 1 yet trains like a sigmoid); the
      loss of the outputs themselves can.
    - `val_balanced_accuracy`: `balanced_accuracy` of the class predictions, for a
      cross-entropy loss on class labels.

    `values` maps each key to its series; a measure that cannot be computed (no validation
    arrays, several outputs, targets that are not class labels) is left out.
    """

    def __init__(self, validation_data):
        super().__init__()
        self.values = {}
        data = validation_data if isinstance(validation_data, (tuple, list)) else ()
        self.data = tuple(data[:2]) if len(data) >= 2 and all(
            hasattr(part, "shape") or isinstance(part, (list, dict)) for part in data[:2]) else None
        self.failed = set()

    def on_epoch_end(self, epoch, logs=None):
        if self.data is None:
            return
        try:
            loss = self.model.loss
            if isinstance(loss, (list, tuple, dict)):
                raise TypeError("one loss per output")
            function = keras.losses.get(loss) if isinstance(loss, str) else loss
            outputs = self._outputs(self.data[0])
            targets = np.asarray(self.data[1])
        except Exception:  # the epoch's val_loss remains the measure
            self.data, self.values = None, {}
            return
        self._add(OUTPUT_LOSS, lambda: _output_loss(function, targets, outputs))
        self._add(BALANCED_ACCURACY, lambda: _balanced_accuracy_of(function, targets, outputs))

    def _add(self, key, measure):
        if key in self.failed:
            return
        try:
            value = measure()
        except Exception:  # this measure does not apply to this model: leave it out
            value = None
        if value is None:
            self.failed.add(key)
            self.values.pop(key, None)
            return
        self.values.setdefault(key, []).append(float(value))

    def _outputs(self, inputs):
        """The model called on `inputs` in chunks, outside `predict`: a monitor may have swapped
        the trainer's compiled functions, which `predict` would disturb mid-`fit`."""
        first = keras.tree.flatten(inputs)[0]
        size = len(first)
        chunks = []
        for start in range(0, size, PREDICT_CHUNK):
            part = keras.tree.map_structure(lambda a: a[start:start + PREDICT_CHUNK], inputs)
            chunks.append(keras.ops.convert_to_numpy(self.model(part, training=False)))
        return np.concatenate(chunks)


def _output_loss(function, targets, outputs):
    if targets.ndim == outputs.ndim - 1 and outputs.shape[-1] == 1:  # as a Keras Loss aligns them
        targets = targets[..., None]
    return float(keras.ops.convert_to_numpy(keras.ops.mean(function(targets, outputs))))


def _balanced_accuracy_of(function, targets, outputs):
    """`balanced_accuracy` of `outputs`' class predictions against `targets`, or None when the
    loss is not a cross-entropy or the targets are not class labels."""
    name = getattr(function, "name", None) or getattr(function, "__name__", "")
    if "crossentropy" not in name:
        return None
    if outputs.ndim != 2:
        return None
    if not np.all(np.isfinite(outputs)):
        return math.nan  # read as the worst value
    if outputs.shape[-1] == 1:  # one unit: a probability (or a logit with from_logits)
        threshold = 0.0 if getattr(function, "from_logits", False) else 0.5
        predicted = (outputs[:, 0] > threshold).astype(int)
    else:
        predicted = outputs.argmax(axis=-1)
    if targets.ndim == 2 and targets.shape == outputs.shape and outputs.shape[-1] > 1:
        if not np.allclose(targets.sum(axis=-1), 1.0):  # multi-hot: not one class per row
            return None
        labels = targets.argmax(axis=-1)
    else:
        labels = targets.reshape(len(targets), -1)[:, 0] if targets.ndim > 1 else targets
        if outputs.shape[-1] == 1:
            labels = (labels > 0.5).astype(int)
    if not np.allclose(labels, np.round(labels)):
        return None
    return balanced_accuracy(labels.astype(int), predicted)


def balanced_accuracy(labels, predictions):
    """The mean, over the classes present in `labels`, of the share of each class's rows that
    `predictions` gets right (the recall per class): 1 / classes for a model that always
    predicts one class, however rare the others.

    Args:
        labels: class ids, one per row.
        predictions: predicted class ids, one per row.

    Returns:
        A float in [0, 1].

    Example:

    >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.5
    """
    labels, predictions = np.asarray(labels).reshape(-1), np.asarray(predictions).reshape(-1)
    if labels.shape != predictions.shape or labels.size == 0:
        raise ValueError(f"`labels` and `predictions` must be non-empty and of one length. "
                         f"Received: labels={labels.shape}, predictions={predictions.shape}")
    return float(np.mean(list(imbalance.per_class_recall(labels, predictions, np.unique(labels)).values())))


def _returned_epoch(history, callbacks):
    """The epoch whose weights the fit returned: the best one an `EarlyStopping` with
    `restore_best_weights` restored, else the last."""
    last = len(history.epoch) - 1
    for callback in callbacks:
        if (isinstance(callback, keras.callbacks.EarlyStopping) and callback.restore_best_weights
                and callback.best_weights is not None):
            return min(last, int(callback.best_epoch))
    return last


def _repeated(args, steps):
    """`args` with its training arrays repeated so that `steps` batches fit in one pass: with
    `steps_per_epoch`, Keras continues one pass over arrays from epoch to epoch and stops the fit
    ("ran out of data") at its end, which would cut every trial longer than one pass. Datasets,
    generators and a `validation_split` (taken from the arrays' end) are left as they are."""
    per_pass = _array_epoch_steps(args)
    if per_pass is None or steps <= per_pass or args.get("validation_split"):
        return args
    copies = math.ceil(steps / per_pass)
    repeated = dict(args)
    for key in ("x", "y", "sample_weight"):
        if args.get(key) is not None:
            repeated[key] = keras.tree.map_structure(
                lambda a: np.concatenate([np.asarray(a)] * copies) if hasattr(a, "shape") else a, args[key])
    return repeated


def _array_epoch_steps(args):
    """Steps per epoch of array data at `args`' batch size; None for datasets and generators."""
    x = args.get("x")
    if isinstance(x, dict):
        x = next(iter(x.values()), None)
    elif isinstance(x, (list, tuple)):
        x = x[0] if x else None
    shape = getattr(x, "shape", None)
    if not shape or not hasattr(x, "__len__"):
        return None
    samples = int(shape[0])
    samples = math.floor(samples * (1.0 - (args.get("validation_split") or 0.0)))  # as `fit` splits
    return max(1, math.ceil(samples / (args.get("batch_size") or 32)))


def _finite_or(value, default):
    """`value` as a float when finite, else `default`."""
    value = float(value) if value is not None else math.nan
    return value if math.isfinite(value) else default


def _score(value, higher_is_better):
    """`value` on a lower-is-better scale (an accuracy negated); inf when not finite."""
    if not math.isfinite(value):
        return math.inf
    return -value if higher_is_better else value


# -- schedule and acceptance ----------------------------------------------------------------------

def _schedule(candidates, seeds, budget_steps, baseline_steps, epochs=1):
    """Successive halving: [(candidates run, fraction of the baseline's length, seeds)] per rung.

    Each rung keeps 1/HALVING_RATE of the candidates (rounded up) at HALVING_RATE times the
    length, down to one; the first rung screens at one seed when more rungs follow (it only
    ranks), every later rung runs at all `seeds` (the acceptance rule needs their spread). The
    first rung's length is the largest that fits the whole schedule into `budget_steps`. No rung
    runs longer than the baseline, and a rung as long as the one before it is not run again (its
    ranking is known). Candidates are dropped from the end while the first rung would be shorter
    than `MIN_TRIAL_FRACTION` of the baseline or `MIN_TRIAL_STEPS`, or the last rung would have
    fewer than `MIN_JUDGED_EPOCH_STEPS` steps per epoch (of the baseline's `epochs`); when no
    number of candidates gives the last rung that many, the one that gives it the most steps
    (the fewest candidates) is kept. [] when even one candidate cannot get that long.
    """
    fallback = []
    for kept in range(candidates, 0, -1):
        schedule = _halving(kept, seeds, budget_steps, baseline_steps)
        if not schedule:
            continue
        epoch_steps = baseline_steps / max(1, epochs)
        if schedule[-1][1] * epoch_steps >= min(MIN_JUDGED_EPOCH_STEPS, epoch_steps):
            return schedule
        fallback = schedule
    return fallback


def _halving(kept, seeds, budget_steps, baseline_steps):
    """The halving schedule of `kept` candidates (see `_schedule`), or [] when its first rung is
    too short."""
    counts = [kept]
    while counts[-1] > 1:
        counts.append(math.ceil(counts[-1] / HALVING_RATE))
    rung_seeds = [1 if rung == 0 and len(counts) > 1 else seeds for rung in range(len(counts))]
    weight = sum(count * rung_seeds[rung] * HALVING_RATE ** rung for rung, count in enumerate(counts))
    first = budget_steps / (weight * baseline_steps)
    if first < MIN_TRIAL_FRACTION or first * baseline_steps < MIN_TRIAL_STEPS:
        return []
    schedule = []
    for rung, count in enumerate(counts):
        fraction = min(1.0, first * HALVING_RATE ** rung)
        if not schedule or fraction > schedule[-1][1]:
            schedule.append((count, fraction, rung_seeds[rung]))
    if schedule[-1][2] < seeds:  # one rung in all (the budget allows full length at once)
        schedule[-1] = (schedule[-1][0], schedule[-1][1], seeds)
    return schedule


class _Acceptance:
    """The acceptance rule of `repair`, against one baseline and its lead finding."""

    def __init__(self, baseline, lead):
        self.baseline = baseline
        self.lead = lead

    def clears(self, trial):
        for findings in trial.seed_findings:
            for finding in findings:
                if finding.severity == "error" or finding.kind == self.lead.kind:
                    return False, f"still {finding.severity} {finding.kind}"
        return True, ""

    def decide(self, trial):
        if trial.error is not None:
            trial.accepted, trial.reason = False, f"could not run: {trial.error}"
            return
        clears, why = self.clears(trial)
        if not clears:
            trial.accepted, trial.reason = False, why
            return
        if len(trial.seeds) < len(self.baseline.seeds):
            trial.accepted, trial.reason = False, f"screened at {len(trial.seeds)} seed(s): ranked, not judged"
            return
        higher = self.baseline.higher_is_better
        reference, against = self.reference(trial)
        base = [_score(value, higher) for value in reference]
        scores = [_score(value, higher) for value in trial.metrics]
        if not scores or not all(math.isfinite(score) for score in scores):
            trial.accepted, trial.reason = False, f"{trial.metric_name} not finite at every seed"
            return
        best_base = min(base)
        finite_base = [score for score in base if math.isfinite(score)]
        margin = max(_range(finite_base), _range(scores),
                     MIN_RELATIVE_GAIN * abs(best_base) if math.isfinite(best_base) else 0.0)
        if math.isfinite(best_base):
            margin = min(margin, MAX_SPREAD_SHARE * abs(best_base))
        worst = max(scores)
        shown = lambda score: fmt(-score if higher else score)  # noqa: E731 - back to the metric's sign
        what = f"{trial.metric_name}: worst seed {shown(worst)}"
        against = f"the baseline's best {shown(best_base)} ({against})"
        if worst + margin < best_base:
            trial.accepted = True
            trial.reason = f"clears {self.lead.kind}; {what} beats {against} by more than the spread {fmt(margin)}"
        else:
            trial.accepted = False
            trial.reason = (f"clears {self.lead.kind}, but {what} does not beat {against} "
                            f"by more than {fmt(margin)}")

    def reference(self, trial):
        """The baseline's values `trial` must beat, per seed, and what they are in words: for a
        full-length trial the model the baseline's fit returned; for a shorter one the
        baseline's best epoch among those of equal work (up to the first epoch whose steps
        reach the trial's), since a remedy cannot be asked to beat in a third of the steps what
        the baseline reached in all of them, while a run merely stopped earlier only equals it."""
        baseline = self.baseline
        if trial.fraction >= 1.0 or not baseline.histories:
            return baseline.metrics, "the model its fit returned"
        per_seed = trial.steps / max(1, len(trial.seeds))
        epochs = max(1, math.ceil(per_seed / max(1, baseline.steps_per_epoch)))
        return baseline.best_within(epochs), f"its best in its first {epochs} epoch(s), at equal or more steps"

    def rank(self, trial):
        """Sort key: trials that clear the findings first, then the best mean metric."""
        if trial.error is not None:
            return (2, math.inf)
        return (0 if self.clears(trial)[0] else 1, trial.score)


def _range(values):
    return max(values) - min(values) if len(values) >= 2 else 0.0


# -- output -------------------------------------------------------------------------------------------

class _Progress:
    """A `keras.utils.Progbar` over the trial fits (verbose=1), or one line per trial (verbose=2)."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.bar = None
        self.done_fits = 0

    def line(self, text):
        if self.verbose:
            print(text)

    def start(self, fits):
        if self.verbose == 1:
            self.bar = keras.utils.Progbar(fits, unit_name="fit")

    def advance(self, fits, trial):
        self.done_fits += fits
        if self.bar is not None:
            self.bar.update(min(self.done_fits, self.bar.target or self.done_fits))
        elif self.verbose == 2:
            verdict = "accepted" if trial.accepted else "rejected"
            print(f"  {trial.name} at {trial.fraction:.0%}: {_metrics_text(trial.metrics)} -> {verdict}")

    def done(self):
        if self.bar is not None and self.bar.target and self.done_fits < self.bar.target:
            self.bar.update(self.bar.target, finalize=True)


def _metrics_text(values):
    return "/".join(fmt(value) for value in values) if values else "-"


def _kinds_text(findings):
    return ", ".join(sorted({finding.kind for finding in findings})) or "none"


def _describe(error):
    return f"{type(error).__name__}: {error}".splitlines()[0][:200]


def _plot_curves(result, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    shown = [result.baseline] + ([result.accepted] if result.accepted is not None else
                                 sorted(result.trials, key=lambda t: (-t.fraction, t.score))[:3])
    for trial in shown:
        series = trial.history.get(result.baseline.metric_name, [])
        steps = [(epoch + 1) * trial.steps_per_epoch for epoch in range(len(series))]
        verdict = "accepted" if trial.accepted else f"{trial.fraction:.0%} of the baseline"
        ax.plot(steps, series, "k-" if trial is result.baseline else "o-", ms=3,
                label="baseline" if trial is result.baseline else f"{trial.name} ({verdict})")
    ax.set_xlabel("optimizer steps (first seed)")
    ax.set_ylabel(result.baseline.metric_name)
    if not result.baseline.higher_is_better:
        ax.set_yscale("log")
    ax.set_title("Baseline vs trials")
    ax.legend(fontsize=8)
    return save_figure(fig, path, "repair_curves.png")
