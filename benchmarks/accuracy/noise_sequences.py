"""Binary sequence classification on noise, read by one recurrent layer.

Each sequence is standard-normal noise into which a scenario writes its label (a shifted channel,
a marked first step); one recurrent layer and a `Dense(1, "sigmoid")` learn to read it under
binary cross-entropy and Adam. What a scenario varies is where the label sits and the recurrent
layer that has to carry it.

Example:

>>> def first_step(x, labels):                                             # doctest: +SKIP
...     x[:, 0, 0] = 2.0 * labels - 1.0
>>> run = sequence_run(0, first_step, n=2000, steps=200, features=2, cell=layers.SimpleRNN,
...                    learning_rate=3e-3, epochs=10)                      # doctest: +SKIP
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, models
from benchmarks.accuracy.scenario import Run

UNITS = 32


def sequences(seed, n, steps, features, write_label):
    """`n` noise sequences of `steps` x `features` (float32) with binary labels, drawn from one
    generator at `seed` (labels first), the label written in by `write_label(x, labels)` (in
    place), split by `data.split`. Returns `(x, y), (x_val, y_val)`, labels float32."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = rng.normal(size=(n, steps, features)).astype("float32")
    write_label(x, labels)
    return data.split(x, labels.astype("float32"), seed)


def sequence_run(seed, write_label, n, steps, features, cell, learning_rate, epochs, **cell_kwargs):
    """A `Run` on `sequences(seed, n, steps, features, write_label)`: `cell(UNITS, **cell_kwargs)`
    (a Keras recurrent layer class) and `Dense(1, "sigmoid")`, binary cross-entropy, Adam at
    `learning_rate`, `epochs` epochs, validated on the held-out split."""
    (x, y), val = sequences(seed, n, steps, features, write_label)
    model = models.recurrent(cell, UNITS, timesteps=steps, features=features, output_units=1,
                             output_activation="sigmoid", **cell_kwargs)
    return Run(model, optimizers.Adam(learning_rate), "binary_crossentropy", x, y, epochs=epochs,
               validation_data=val)
