"""Custom layers used by the zoo's builders, registered so that models round-trip through `.keras`.

Example:

>>> import keras
>>> from zoo.layers import Maxout
>>> x = keras.Input((8,))
>>> y = Maxout(pieces=2)(keras.layers.Dense(2 * 4)(x))   # 4 maxout units of 2 pieces each
>>> y.shape
(None, 4)
"""

import keras

from zoo._serialization import register_serializable
from zoo._validation import Integer, check


@register_serializable(legacy_package="zoo")
class Maxout(keras.layers.Layer):
    """Maxout activation (Goodfellow et al., 2013): the maximum over groups of `pieces` features.

    The layer has no weights: it splits the last axis into groups of `pieces` consecutive
    features and keeps the maximum of each group, so a preceding Dense or Conv layer with
    `units * pieces` outputs yields `units` maxout units. It works on any rank (dense features,
    or the channels of an image).

    Args:
        pieces: number of linear pieces per unit (at least 2).
        **kwargs: passed to `keras.layers.Layer` (for example `name`).

    Example:

    >>> tuple(Maxout(pieces=3)(keras.ops.ones((2, 6))).shape)
    (2, 2)
    """

    def __init__(self, pieces=2, **kwargs):
        super().__init__(**kwargs)
        self.pieces = check("pieces", pieces, Integer(minimum=2))

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None or features % self.pieces:
            raise ValueError(
                f"The last axis of the input to Maxout must be a multiple of pieces={self.pieces}. "
                f"Received: input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        shape = keras.ops.shape(inputs)
        grouped = keras.ops.reshape(
            inputs, (*shape[:-1], inputs.shape[-1] // self.pieces, self.pieces)
        )
        return keras.ops.max(grouped, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // self.pieces)

    def get_config(self):
        return {**super().get_config(), "pieces": self.pieces}


@register_serializable(legacy_package="zoo")
class GLU(keras.layers.Layer):
    """Gated linear unit (Dauphin et al., 2017): `a * sigmoid(b)` for the two halves of the last axis.

    `keras.layers.Activation("glu")` reports its input shape as its output shape, although GLU
    halves the features; this layer reports the right shape, so the next layer is built right.

    Example:

    >>> tuple(GLU()(keras.ops.ones((2, 6))).shape)
    (2, 3)
    """

    def build(self, input_shape):
        if input_shape[-1] is None or input_shape[-1] % 2:
            raise ValueError(
                f"The last axis of the input to GLU must be even. Received: input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        return keras.activations.glu(inputs, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // 2)
