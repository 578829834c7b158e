"""Held out (ninth split): a hand-written error-of-logs loss under a linear output.

The fault. A user predicts positive, skewed targets (generated: `make_regression` with 20
standardized features, the standardized target t mapped to exp(t / 2), between about 0.1 and 10
like prices in units of 100,000) with an MLP (two `Dense(64, "relu")` layers and `Dense(1)`), and
a loss that scores relative errors, written by hand as the root mean squared error of the logs:
`sqrt(mean(square(log(y_pred) - log(y_true))))`, with Adam(1e-3). The output is linear: the
freshly initialized model predicts values around 0, about half of them negative, where
`log(y_pred)` is NaN (and -inf at 0); one NaN in a batch makes the batch's loss and every
gradient NaN, and Adam writes NaN into every weight at the first step. The loss is NaN from the
first epoch to the last. (Keras' own `MeanSquaredLogarithmicError` takes the log of the
prediction plus 1, clipped at 0 first, which is why the built-in loss does not show this.) The
run must show a prediction of 0 or below at the initial weights and a loss or weight that becomes non-finite.

Expected: `non_finite` (the loss and the weights are NaN).
Acceptable:
- `output_loss_mismatch`: the linear output ranges over values where the loss is undefined;
- `exploding_gradient`: a NaN gradient reads as an unbounded one;
- `suspicious_config`: the cause is a setup choice, a custom loss without a guard.

The healthy twin's output is `Dense(1, activation="softplus")` (the fix posted: keep the
prediction positive), the loss unchanged. It must train well: its final validation loss below
half of the best constant prediction's.
"""

import numpy as np
from keras import ops, optimizers

from benchmarks.accuracy import heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 20
LOG_ERROR_SIDE_EFFECTS = ("output_loss_mismatch", "exploding_gradient", "suspicious_config")


def log_error(y_true, y_pred):
    """The user's loss: the root mean squared error of the logs, with no guard on `y_pred`."""
    return ops.sqrt(ops.mean(ops.square(ops.log(y_pred) - ops.log(y_true))))


def _run(output_activation, seed):
    (x, t), (x_val, t_val) = heldout8_parts.standardized_regression(seed)
    y, y_val = np.exp(t / 2), np.exp(t_val / 2)
    model = models.dense_stack(20, [64, 64], "relu", output_units=1, output_activation=output_activation)
    return Run(model, optimizers.Adam(1e-3), log_error, x, y, epochs=EPOCHS, validation_data=(x_val, y_val))


def starts_at_or_below_zero_and_breaks(trained):
    """At the initial weights some prediction is 0 or below, and the loss or a weight becomes
    non-finite."""
    run = trained.run
    lowest = float(measure.with_weights(run.model, trained.initial_weights,
                                        lambda: np.min(np.asarray(run.model(run.x)))))
    broken, note = measure.becomes_non_finite()(trained)
    return lowest <= 0 and broken, f"lowest initial prediction {lowest:.2f}; {note}"


def beats_a_constant(trained):
    """The final validation loss is below half of the loss of the best constant prediction
    (exp(mean(log(y))) of the training targets) on the validation targets."""
    run = trained.run
    constant = np.exp(np.mean(np.log(run.y)))
    _, y_val = run.validation_data
    baseline = float(log_error(y_val, np.full_like(y_val, constant)))
    last = trained.history["val_loss"][-1]
    return bool(np.isfinite(last)) and last < 0.5 * baseline, \
        f"final val loss {last:.3f}, constant prediction's {baseline:.3f}"


@scenario("mlp", expected=("non_finite",), acceptable=LOG_ERROR_SIDE_EFFECTS, heldout=True,
          verify=starts_at_or_below_zero_and_breaks)
def heldout9_mlp_handwritten_log_error_loss_linear_output(seed):
    return _run(None, seed)


@scenario("mlp", heldout=True, verify=beats_a_constant)
def heldout9_healthy_mlp_handwritten_log_error_loss_softplus_output(seed):
    return _run("softplus", seed)
