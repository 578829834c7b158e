"""Class labels scored by a regression loss through a softmax or sigmoid: a setup warning that
stands beside the stall it explains, and only there."""

import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics.setup_data import check_class_targets_under_regression_loss
from diagnostics.setup_model import OutputSetup, describe_loss

L = keras.layers
ONE_HOT = np.eye(4)[[0, 3, 1, 2, 0, 1]]


def _output(activation, units, loss="mse"):
    return OutputSetup("out", "out", activation, units, describe_loss(loss))


@pytest.mark.parametrize("output,labels,expected", [
    (_output("softmax", 4), ONE_HOT, ("categorical_crossentropy", 4)),
    (_output("softmax", 4, "mae"), ONE_HOT, ("categorical_crossentropy", 4)),
    (_output("sigmoid", 1), np.array([[0.0], [1.0], [1.0], [0.0]]), ("binary_crossentropy", 1)),
    (_output("sigmoid", 3), np.array([[0, 1, 1], [1, 0, 0]], dtype=float), ("binary_crossentropy", 3)),
])
def test_class_labels_under_a_regression_loss_are_named_with_the_loss_that_fits(output, labels, expected):
    [finding] = check_class_targets_under_regression_loss([output], [labels])
    assert (finding.kind, finding.severity, finding.layer) == ("output_loss_mismatch", "warning", "out")
    assert (finding.evidence["class_loss"], finding.evidence["regression_loss_on_classes"]) == expected
    assert finding.evidence["needs_consequence"] is True


@pytest.mark.parametrize("output,labels", [
    (_output("softmax", 4, "categorical_crossentropy"), ONE_HOT),                # the right loss
    (_output("softmax", 3), np.array([[1, 1, 0], [0, 1, 0]], dtype=float)),      # multi-hot: a label problem
    (_output("softmax", 4), ONE_HOT * 0.9 + 0.025),                              # smoothed targets
    (_output("sigmoid", 1), np.array([[0.2], [0.7], [1.0], [0.0]])),             # fractions: a regression
    (_output("sigmoid", 1), np.ones((5, 1))),                                    # one value: no classes
    (_output("linear", 4), ONE_HOT),                                             # a regression head
    (_output("softmax", 4), None),                                               # no labels seen
])
def test_no_finding_where_the_targets_are_no_classes_or_the_loss_fits(output, labels):
    assert check_class_targets_under_regression_loss([output], [labels]) == []


def _digits_mlp(loss):
    model = keras.Sequential([keras.Input((64,)), L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.01), loss, metrics=["accuracy"])
    return model


def _fit(loss, seed):
    x, y = load_digits(return_X_y=True)
    x, targets = (x / 16.0).astype("float32"), keras.utils.to_categorical(y, 10)
    keras.utils.set_random_seed(seed)
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJudgedWarning)
        history = _digits_mlp(loss).fit(x, targets, epochs=10, batch_size=32, validation_split=0.2,
                                        shuffle=True, verbose=0, callbacks=[diagnostics])
    return history.history, diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_under_mse_stalls_and_leads_with_its_loss_and_the_cross_entropy_twin_is_healthy(seed):
    history, findings = _fit("mean_squared_error", seed)
    assert history["val_accuracy"][-1] < 0.3  # the stall happened: cross-entropy reaches ~0.8 here
    lead, *effects = findings
    assert (lead.kind, lead.evidence["class_loss"]) == ("output_loss_mismatch", "categorical_crossentropy")
    assert effects and all(f.explained_by == "output_loss_mismatch" for f in effects)
    assert (lead.remedies[0].action, lead.remedies[0].params) == ("set_loss", {"loss": "categorical_crossentropy"})
    history, findings = _fit("categorical_crossentropy", seed)
    assert history["val_accuracy"][-1] > 0.7 and findings == []
