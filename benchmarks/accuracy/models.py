"""Plain-Keras building blocks the scenarios share (stacks of one layer type, two-input heads)."""

import keras
from keras import layers


def dense_stack(input_dim, widths, activation, output_units=10, output_activation="softmax",
                **dense_kwargs):
    """`keras.Sequential`: `len(widths)` Dense layers and a head (`dense_kwargs` go to each)."""
    hidden = [layers.Dense(w, activation=activation, **dense_kwargs) for w in widths]
    return keras.Sequential([keras.Input((input_dim,)), *hidden,
                             layers.Dense(output_units, activation=output_activation, **dense_kwargs)])


def conv_stack(filters, activation, output_units=10, output_activation="softmax", **conv_kwargs):
    """`keras.Sequential` on 8x8x1 images: a 3x3 `same` Conv2D per entry of `filters`, then a
    Dense head (`conv_kwargs`, initializers, go to every layer)."""
    convs = [layers.Conv2D(f, 3, padding="same", activation=activation, **conv_kwargs) for f in filters]
    return keras.Sequential([keras.Input((8, 8, 1)), *convs, layers.Flatten(),
                             layers.Dense(output_units, activation=output_activation, **conv_kwargs)])


def two_input(branch_widths, activation, head_widths=(), output_units=10,
              output_activation="softmax", input_dim=32, **dense_kwargs):
    """Functional model: two inputs, a Dense branch each, concatenated, a Dense head
    (`dense_kwargs` go to every Dense layer)."""
    inputs = [keras.Input((input_dim,), name="top"), keras.Input((input_dim,), name="bottom")]
    branches = []
    for tensor in inputs:
        for width in branch_widths:
            tensor = layers.Dense(width, activation=activation, **dense_kwargs)(tensor)
        branches.append(tensor)
    tensor = layers.Concatenate()(branches)
    for width in head_widths:
        tensor = layers.Dense(width, activation=activation, **dense_kwargs)(tensor)
    outputs = layers.Dense(output_units, activation=output_activation, **dense_kwargs)(tensor)
    return keras.Model(inputs, outputs)


def recurrent(cell, units, timesteps=8, features=8, output_units=10, output_activation="softmax",
              **cell_kwargs):
    """`keras.Sequential`: one recurrent layer (`cell`: SimpleRNN, LSTM or GRU) and a head."""
    return keras.Sequential([keras.Input((timesteps, features)), cell(units, **cell_kwargs),
                             layers.Dense(output_units, activation=output_activation)])
