"""Small helpers over history dicts `{key: [value per epoch]}` shared by the detectors."""

import numpy as np

# Learning suffers while the training loss is still above half the chance loss (or, when that is
# unknown, above half the run's first loss): the model has not yet learned most of what it can.
SLOW_LOSS_FRACTION = 0.5


def layer_names(history, signal):
    """Layer names of the keys `"<signal>/<layer>"`, in the order they were logged."""
    prefix = signal + "/"
    return [key[len(prefix):] for key in history if key.startswith(prefix)]


def layer_matrix(history, signal, layers, epochs=None):
    """Float array `(epochs, len(layers))` of `"<signal>/<layer>"` (NaN where missing).

    `epochs` fixes the number of rows (padding with NaN); default: the longest series.
    """
    columns = [np.asarray(history.get(f"{signal}/{layer}", []), dtype=float) for layer in layers]
    if epochs is None:
        epochs = max([len(column) for column in columns] + [0])
    columns = [column[:epochs] for column in columns]
    values = np.full((epochs, len(layers)), np.nan)
    for index, column in enumerate(columns):
        values[: len(column), index] = column
    return values


def first_sustained(mask, min_run):
    """First index where `mask` holds for `min_run` consecutive entries (fewer if the series is
    shorter than `min_run`), or None."""
    mask = np.asarray(mask, dtype=bool)
    need = max(1, min(min_run, len(mask)))
    run = 0
    for index, value in enumerate(mask):
        run = run + 1 if value else 0
        if run >= need:
            return index - need + 1
    return None


def scalar_series(history, key):
    """`history[key]` as a float array (empty if absent)."""
    return np.asarray(history.get(key, []), dtype=float)


def learning_suffers(loss, chance_loss=None):
    """Per epoch: the training loss is still above `SLOW_LOSS_FRACTION` of the chance loss (or of
    the first loss when chance is unknown). Non-finite epochs count as suffering."""
    loss = np.asarray(loss, dtype=float)
    finite = loss[np.isfinite(loss)]
    if finite.size == 0:
        return np.ones(loss.shape, dtype=bool)
    reference = chance_loss if chance_loss is not None and np.isfinite(chance_loss) and chance_loss > 0 else finite[0]
    with np.errstate(invalid="ignore"):
        return ~(loss < SLOW_LOSS_FRACTION * reference)


def still_suffering(loss, chance_loss=None):
    """Per epoch: learning suffers then (`learning_suffers`) and still does at the last epoch. A
    run that learned well by its end did without whatever held it back earlier."""
    suffers = learning_suffers(loss, chance_loss)
    return suffers & suffers[-1] if suffers.size else suffers
