"""A training step that never applies its update (a `train_step` of one's own without
`optimizer.apply`): named from the optimizer's iteration count, and nothing where updates ran."""

import warnings

import keras
import pytest
from sklearn.datasets import load_digits

from benchmarks.accuracy.models import GuideTrainStep
from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics.updates import detect_no_updates


def _record(steps, updates, trainable=6, accumulation=None):
    return {"steps": steps, "updates": updates, "trainable_weights": trainable, "accumulation": accumulation}


def test_no_update_in_any_epoch_is_named_with_the_steps_run():
    [finding] = detect_no_updates(_record([45, 45], [0, 0]))
    assert (finding.kind, finding.severity, finding.epoch) == ("suspicious_config", "error", 0)
    assert finding.evidence == {"applied_updates": 0, "steps_run": 90}


@pytest.mark.parametrize("record", [
    _record([45, 45], [45, 45]),                      # a plain fit
    _record([45, 45], [0, 11]),                       # gradient accumulation: updates came later
    _record([3], [0], accumulation=4),                # fewer steps than one accumulation cycle
    _record([45, 45], [0, 0], trainable=0),           # nothing to update: another finding's case
    _record([None, None], [0, 0]),                    # steps unknown
    _record([45, 45], [None, None]),                  # no optimizer to read
    None,
])
def test_no_finding_where_updates_ran_or_none_could(record):
    assert detect_no_updates(record) == []


class Forgetful(GuideTrainStep, keras.Model):
    """keras.io's custom train_step, subclassed, with the `optimizer.apply` line left out when
    `apply` is False."""

    def __init__(self, apply, **kwargs):
        super().__init__(**kwargs)
        self.applies_updates = apply
        self.hidden = keras.layers.Dense(32, activation="relu")
        self.out = keras.layers.Dense(10, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(x))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_train_step_without_apply_leads_and_the_one_with_it_is_healthy(seed):
    x, y = load_digits(return_X_y=True)
    verdicts = {}
    for apply in (False, True):
        keras.utils.set_random_seed(seed)
        model = Forgetful(apply)
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
        diagnostics = TrainingDiagnostics(verbose=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotJudgedWarning)
            model.fit(x / 16.0, y, epochs=4, batch_size=32, validation_split=0.2, verbose=0, callbacks=[diagnostics])
        verdicts[apply] = diagnostics.findings
    lead, *effects = verdicts[False]
    assert lead.kind == "suspicious_config" and lead.evidence["applied_updates"] == 0
    assert all(f.explained_by == "suspicious_config" for f in effects)
    assert verdicts[True] == []
