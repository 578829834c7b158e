"""`evaluate` and `predict` with the callback in `callbacks=`: results as without it, no failure."""

import warnings

import numpy as np

from callbacks import TrainingDiagnostics
from callbacks._guard import MonitorFailedWarning
from tests.clients._client import digits, digits_classifier


def test_evaluate_and_predict_with_the_callback():
    x, y = digits()
    model = digits_classifier()
    model.fit(x[:1400], y[:1400], batch_size=32, epochs=2, verbose=0)
    plain_loss, plain_outputs = model.evaluate(x[1400:], y[1400:], verbose=0), model.predict(x[1400:], verbose=0)
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonitorFailedWarning)
        loss = model.evaluate(x[1400:], y[1400:], verbose=0, callbacks=[diagnostics])
        outputs = model.predict(x[1400:], verbose=0, callbacks=[diagnostics])
    assert loss == plain_loss
    np.testing.assert_array_equal(outputs, plain_outputs)
    assert diagnostics.findings == [] and diagnostics.skipped == []
    # The model trains on as before, the callback still usable in the next fit.
    model.fit(x[:1400], y[:1400], batch_size=32, epochs=1, verbose=0, callbacks=[diagnostics])
    assert len(diagnostics.history["loss"]) == 1
