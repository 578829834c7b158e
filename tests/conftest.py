"""Test set-up shared by the whole suite.

Two logical CPU devices are configured before TensorFlow initialises, so that tests can run
`tf.distribute.MirroredStrategy` with two replicas on any machine.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Every test starts from the same seed and an empty Keras name scope."""
    # free_memory=False skips a full garbage collection (~0.3 s) per test.
    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield


@pytest.fixture
def mirrored_strategy():
    """A MirroredStrategy over the two logical CPU devices.

    It reduces through one device: the default collective all-reduce reuses its instance keys
    across strategies on logical CPUs, so a second model trained in the same process would fail
    with "Shape mismatch in the collective instance".
    """
    devices = [device.name for device in tf.config.list_logical_devices("CPU")][:2]
    return tf.distribute.MirroredStrategy(
        devices, cross_device_ops=tf.distribute.ReductionToOneDevice()
    )
