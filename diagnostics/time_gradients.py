"""Detectors for gradients that explode or vanish through time, along a recurrent layer's steps.

They read the series `callbacks.GradientMonitor` records for every recurrent layer
(`callbacks._time_gradient`): `time_grad_growth/<layer>`, the loss's gradient at the first
informative time step over the one at the last, and `time_grad_share/<layer>`, the share of the
gradient, summed over the steps, that the informative steps get (a step is informative when its
input differs between rows). Both are ratios within one measurement, so they do not depend on the
scale of the loss, and a finding needs them for `SUSTAIN_EPOCHS` measured epochs in a row; a
vanishing one also needs the loss to stay high (`diagnostics.activations.learning_suffers`).

Example:

>>> history = {"time_grad_growth/simple_rnn": [3e7, 2e7], "time_grad_share/simple_rnn": [1.0, 1.0],
...            "loss": [1.4, 1.3]}
>>> [f.kind for f in detect_time_gradient_problems(history)]
['exploding_gradient']
"""

import numpy as np

from diagnostics._series import first_sustained, layer_names, scalar_series
from diagnostics.activations import learning_suffers
from diagnostics.findings import Finding
from diagnostics.gradients import SUSTAIN_EPOCHS, VANISHING_RATIO

# Healthy LSTM, GRU and SimpleRNN layers (60 steps, at initialization and while training) were
# measured at a growth of 40 or less; a tanh RNN in its chaotic regime grows it 1e7-fold.
TIME_EXPLODING_GROWTH = 1e3
# When the steps whose inputs differ get 1% of the gradient or less while the loss stays high, the
# rest lands on steps that every row has the same (padding read before the output), and the data
# cannot teach the layer: 1e-2 to 1e-5 for LSTMs that read 30 to 50 pad steps after the words, 1.0
# in every healthy run measured (masked padding, padding first, noise at every step).
TIME_VANISHING_SHARE = 1e-2

TIME_EXPLODING_ADVICE = [
    "Clip gradients: pass `global_clipnorm=1.0` (or `clipnorm=1.0`) to the optimizer.",
    "Keep the recurrent weights' gain at 1: Keras' default `recurrent_initializer='orthogonal'`.",
    "Use gated cells (LSTM, GRU) instead of simple RNN cells, and lower the learning rate.",
]

TIME_VANISHING_ADVICE = [
    "Mask the padding (`Embedding(mask_zero=True)` or a `keras.layers.Masking` layer), so the "
    "layer skips it.",
    "Or pad at the start (`padding='pre'`), so the informative steps come last, next to the output.",
    "Shorten the sequences to the steps that carry information.",
    "For long-range dependencies, use gated cells (LSTM, GRU) or attention.",
]


def detect_time_gradient_problems(history, recurrent=None, chance_loss=None):
    """Runs both detectors over every recurrent layer's series; at most one finding of each kind
    (the first layer, input side first, that shows it).

    Args:
        history: `{key: [value per epoch]}` with `time_grad_growth/<layer>` and
            `time_grad_share/<layer>` (NaN on epochs not measured).
        recurrent: optional `{layer: {"timesteps", "first_informative", "last_informative"}}`
            (`GradientMonitor.extras["recurrent"]`), for the message.
        chance_loss: the loss of a constant prediction, if known (for `learning_suffers`).

    Returns:
        list of `Finding`.
    """
    recurrent = recurrent or {}
    findings = []
    for detect in (_exploding_through_time, _vanishing_through_time):
        for layer in layer_names(history, "time_grad_growth"):
            finding = detect(history, layer, recurrent.get(layer) or {}, chance_loss)
            if finding is not None:
                findings.append(finding)
                break
    return findings


def _exploding_through_time(history, layer, steps, chance_loss=None):
    growth = scalar_series(history, f"time_grad_growth/{layer}")
    with np.errstate(invalid="ignore"):
        epoch = first_sustained(growth >= TIME_EXPLODING_GROWTH, SUSTAIN_EPOCHS)
    if epoch is None:
        return None
    value = float(growth[epoch])
    timesteps = steps.get("timesteps")
    first, last = steps.get("first_informative", 0), steps.get("last_informative")
    span = (last - first) if last is not None else None
    evidence = {"time_growth": value, "threshold": TIME_EXPLODING_GROWTH, "timesteps": timesteps,
                "per_step": value ** (1.0 / span) if span else None}
    where = f"at time step {first} is {value:.1e} times the one at step {last}" if last is not None else (
        f"at the first time step is {value:.1e} times the one at the last")
    per_step = f" (x{evidence['per_step']:.2f} per step back" if evidence["per_step"] else " ("
    return Finding(
        kind="exploding_gradient", severity="error", epoch=int(epoch), layer=layer,
        message=(f"Gradients explode through time in layer '{layer}': from epoch {epoch}, the loss's "
                 f"gradient {where}{per_step} over {timesteps or 'its'} steps): each step's recurrent "
                 f"Jacobian amplifies it, so the early steps get huge, unstable updates."),
        evidence=evidence, advice=list(TIME_EXPLODING_ADVICE))


def _vanishing_through_time(history, layer, steps, chance_loss=None):
    share = scalar_series(history, f"time_grad_share/{layer}")
    loss = scalar_series(history, "loss")
    if loss.size < share.size:
        return None
    with np.errstate(invalid="ignore"):
        starved = (share <= TIME_VANISHING_SHARE) & learning_suffers(loss[: share.size], chance_loss)
    epoch = first_sustained(starved, SUSTAIN_EPOCHS)
    if epoch is None:
        return None
    value = float(share[epoch])
    timesteps, first, last = steps.get("timesteps"), steps.get("first_informative"), steps.get("last_informative")
    evidence = {"informative_share": value, "threshold": TIME_VANISHING_SHARE, "timesteps": timesteps,
                "informative_steps": [first, last] if first is not None else None}
    which = f" (steps {first}-{last} of {timesteps})" if first is not None and timesteps else ""
    return Finding(
        kind="vanishing_gradient", severity="error" if value < VANISHING_RATIO**2 else "warning",
        epoch=int(epoch), layer=layer,
        message=(f"Gradients vanish through time in layer '{layer}': from epoch {epoch}, the time steps "
                 f"whose inputs differ between rows{which} get {value:.1e} of the loss's gradient; the rest "
                 f"goes to steps that every row has the same (padding read before the output), so the "
                 f"layer cannot learn from its inputs."),
        evidence=evidence, advice=list(TIME_VANISHING_ADVICE))

