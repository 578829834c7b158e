"""One registration name space for everything this project saves into `.keras` files.

Objects register as `zoo_diagnostics>ClassName`, a package name that cannot clash with a user's
own `callbacks` or `zoo`. Files saved by development snapshots name them `zoo>ClassName` or
`callbacks>ClassName`; those names stay registered as aliases, so those files still load.

Example:

>>> import keras
>>> @register_serializable(legacy_package="zoo")
... class Twice(keras.layers.Layer):
...     def call(self, x):
...         return 2 * x
>>> keras.saving.get_registered_name(Twice)
'zoo_diagnostics>Twice'
"""

import keras

PACKAGE = "zoo_diagnostics"


def register_serializable(legacy_package=None):
    """Class decorator: registers under `PACKAGE`, and under `legacy_package` for old files.

    Args:
        legacy_package: the package name that development snapshots saved a class under
            (`zoo`, `callbacks`), or None.

    Returns:
        The decorator; it returns the class unchanged.
    """

    def decorator(cls):
        keras.saving.register_keras_serializable(package=PACKAGE)(cls)
        if legacy_package is not None:
            keras.saving.get_custom_objects()[f"{legacy_package}>{cls.__name__}"] = cls
        return cls

    return decorator
