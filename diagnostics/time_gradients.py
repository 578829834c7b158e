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
from diagnostics.generalization import CHANCE_FRACTION
from diagnostics.gradients import SUSTAIN_EPOCHS, VANISHING_RATIO

# Healthy LSTM, GRU and SimpleRNN layers (60 steps, at initialization and while training) were
# measured at a growth of 40 or less; a tanh RNN in its chaotic regime grows it 1e7-fold.
TIME_EXPLODING_GROWTH = 1e3
# When the steps whose inputs differ get 1% of the gradient or less while the loss stays high, the
# rest lands on steps that every row has the same (padding read before the output), and the data
# cannot teach the layer: 1e-2 to 1e-5 for LSTMs that read 30 to 50 pad steps after the words, 1.0
# in every healthy run measured (masked padding, padding first, noise at every step).
TIME_VANISHING_SHARE = 1e-2
# When the step a layer reads first gets a thousandth of the gradient of the step it reads last
# (the vanishing ratio across layers, here across steps) in a run that never leaves chance, what
# the early steps hold cannot be learnt: 1e-15 for SimpleRNNs over 200 steps whose label sits in
# the first step (healthy ones decay as far when the last steps suffice, so chance is the witness).
TIME_VANISHING_GROWTH = VANISHING_RATIO

TIME_EXPLODING_ADVICE = [
    "Clip gradients: pass `global_clipnorm=1.0` (or `clipnorm=1.0`) to the optimizer.",
    "Keep the recurrent weights' gain at 1: Keras' default `recurrent_initializer='orthogonal'`.",
    "Use gated cells (LSTM, GRU) instead of simple RNN cells, and lower the learning rate.",
]

TIME_DECAY_ADVICE = [
    "Use gated cells (LSTM, GRU), whose cell state carries the gradient across many steps, or "
    "attention.",
    "Shorten the sequences, or put the steps that matter last (`go_backwards=True`, or a "
    "`keras.layers.Bidirectional` wrapper).",
    "Keep the recurrent weights' gain at 1: Keras' default `recurrent_initializer='orthogonal'`.",
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
    # In the order the layer reads them (a layer with go_backwards reads the last step first).
    first = steps.get("read_first", steps.get("first_informative", 0))
    last = steps.get("read_last", steps.get("last_informative"))
    span = abs(last - first) if last is not None else None
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
    return (_starved_through_padding(history, layer, steps, chance_loss)
            or _decayed_through_time(history, layer, steps, chance_loss))


def _decayed_through_time(history, layer, steps, chance_loss=None):
    """The gradient shrinks step by step back through the recurrence: the informative step the
    layer reads first gets `TIME_VANISHING_GROWTH` of what the one it reads last gets, for
    `SUSTAIN_EPOCHS` measured epochs, in a run whose loss never leaves chance.

    Healthy recurrent layers decay that much too (a SimpleRNN of gain 1 over 60 steps: 1e-8)
    when every step carries the signal and the last ones suffice; only a run that learns nothing
    says the steps it reaches hold nothing to learn. Without a chance loss, nothing is judged."""
    growth = scalar_series(history, f"time_grad_growth/{layer}")
    loss = scalar_series(history, "loss")
    if loss.size < growth.size or not chance_loss or not np.isfinite(chance_loss):
        return None
    finite = loss[np.isfinite(loss)]
    if finite.size == 0 or finite.min() < CHANCE_FRACTION * chance_loss:
        return None
    with np.errstate(invalid="ignore"):
        decayed = growth <= TIME_VANISHING_GROWTH
    epoch = first_sustained(decayed, SUSTAIN_EPOCHS)
    if epoch is None:
        return None
    value = float(growth[epoch])
    timesteps = steps.get("timesteps")
    first = steps.get("read_first", steps.get("first_informative"))
    last = steps.get("read_last", steps.get("last_informative"))
    where = (f"at time step {first}, which it reads first, is {value:.1e} times the one at step {last}, "
             f"which it reads last" if first is not None and last is not None
             else f"at the step it reads first is {value:.1e} times the one at the step it reads last")
    return Finding(
        kind="vanishing_gradient", severity="error" if value < VANISHING_RATIO**2 else "warning",
        epoch=int(epoch), layer=layer,
        message=(f"Gradients vanish through time in layer '{layer}': from epoch {epoch}, the loss's gradient "
                 f"{where}{f' ({timesteps} steps)' if timesteps else ''}. Each step back through the "
                 f"recurrence shrinks it, so what the early steps hold cannot be learnt, and the loss stays high."),
        evidence={"time_growth": value, "threshold": TIME_VANISHING_GROWTH, "timesteps": timesteps},
        advice=list(TIME_DECAY_ADVICE))


def _starved_through_padding(history, layer, steps, chance_loss=None):
    """The informative steps get `TIME_VANISHING_SHARE` of the gradient or less (the rest lands
    on steps every row has the same), for `SUSTAIN_EPOCHS` measured epochs while the loss stays
    high."""
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

