"""Adam with `epsilon=1.0` (an Inception recipe's value at a small rate): every step is plain SGD at
learning_rate / epsilon, the loss crawls, and the epsilon is named as its cause."""

import keras
import numpy as np
import pytest

from diagnostics import judge
from diagnostics.remedies import Remedy
from diagnostics.remedy_edits import apply_remedies
from diagnostics.setup_model import MAX_ADAPTIVE_EPSILON, check_model
from tests.diagnostics._diagnosed_fit import digits_mlp, fit_digits_mlp

EPOCHS = 12


@pytest.mark.parametrize("optimizer, found", [
    (keras.optimizers.Adam(1e-3, epsilon=1.0), True),
    (keras.optimizers.RMSprop(1e-3, epsilon=MAX_ADAPTIVE_EPSILON), True),
    (keras.optimizers.Adam(1e-3, epsilon=MAX_ADAPTIVE_EPSILON / 2), False),
    (keras.optimizers.Adam(1e-3), False),
    (keras.optimizers.SGD(1e-2), False)])
def test_an_epsilon_that_outweighs_the_gradients_is_named(optimizer, found):
    findings = [f for f in check_model(digits_mlp(optimizer)) if "adaptive_epsilon" in f.evidence]
    assert [f.evidence["adaptive_epsilon"] for f in findings] == ([float(optimizer.epsilon)] if found else [])


def test_its_remedy_restores_the_default_epsilon_and_keeps_the_rate():
    model = digits_mlp(keras.optimizers.Adam(3e-3, epsilon=1.0))
    remedy = Remedy("set_optimizer", None, {"optimizer": "adam", "epsilon": 1e-7, "learning_rate": 3e-3}, "eps")
    optimizer = apply_remedies(model, [remedy]).model.optimizer
    assert (type(optimizer), optimizer.epsilon, float(optimizer.learning_rate)) == (
        keras.optimizers.Adam, 1e-7, pytest.approx(3e-3))
    assert model.optimizer.epsilon == 1.0


def _fit(seed, epsilon):
    return fit_digits_mlp(lambda: keras.optimizers.Adam(1e-3, epsilon=epsilon), seed, EPOCHS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_fit_at_epsilon_1_leads_with_it_and_the_default_is_healthy(seed):
    history, diagnostics = _fit(seed, 1.0)
    assert history["loss"][-1] > 0.8 * np.log(10)  # the fault: it has barely left chance
    findings = diagnostics.findings
    assert findings[0].kind == "suspicious_config" and "adaptive_epsilon" in findings[0].evidence
    assert findings[0].remedies[0].params["epsilon"] == 1e-7
    assert judge(diagnostics.run())[0].evidence == findings[0].evidence  # the offline verdict agrees
    history, diagnostics = _fit(seed, 1e-7)
    assert diagnostics.findings == []
