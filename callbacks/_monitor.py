"""`Monitor`: the base of this package's callbacks, so that each one saves and loads the same way.

Keras rebuilds a registered object from its `get_config()` with `from_config`, which
`keras.callbacks.Callback` does not have; every callback here is built from plain arguments, so
one `from_config` serves them all.

Example:

>>> import keras
>>> class Quiet(Monitor):
...     def __init__(self, patience=2):
...         super().__init__()
...         self.patience = patience
...     def get_config(self):
...         return {"patience": self.patience}
>>> Quiet.from_config(Quiet(patience=5).get_config()).patience
5
"""

import keras


class Monitor(keras.callbacks.Callback):
    """A Keras callback that `keras.saving` can rebuild from its `get_config()`."""

    @classmethod
    def from_config(cls, config):
        """The callback built again from the dict `get_config()` returned."""
        return cls(**config)
