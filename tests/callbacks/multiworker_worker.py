"""One worker of `test_multiworker.py`: `fit` under `MultiWorkerMirroredStrategy` with
`TrainingDiagnostics`, then its findings and gradient norms as JSON in `OUT_DIR/worker_<index>.json`.

Run by the test as `python multiworker_worker.py OUT_DIR SETUP`, with `TF_CONFIG` naming this
worker. SETUP is `autoencoder` (`fit(x)`: the keras.io pattern of a model that computes its loss in its
own `train_step`) or `classifier` (`fit(x, y)` with a compiled loss). Both are deep sigmoid networks whose first layers' gradients
vanish, so that there are findings to compare between workers.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402

# The strategy must exist before any other TensorFlow op runs in this process.
strategy = tf.distribute.MultiWorkerMirroredStrategy()

import keras  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from callbacks import TrainingDiagnostics  # noqa: E402

DEPTH = 12
ROWS = 384
EPOCHS = 2
GLOBAL_BATCH = 64


class AutoEncoder(keras.Sequential):
    """Learns to reproduce its inputs: `fit(x)`, no targets, no compiled loss."""

    def __init__(self, layers):
        super().__init__(layers)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, x):
        with tf.GradientTape() as tape:
            loss = keras.ops.mean(keras.ops.square(self(x, training=True) - x))
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        # Keras 3 averages each log over the workers along axis 0, which a scalar does not have
        # (tensorflow/tensorflow#72388): logs with one entry per replica work.
        return {"loss": tf.reshape(self.loss_tracker.result(), [1])}


def _layers(outputs):
    return ([keras.Input((64,))]
            + [keras.layers.Dense(32, activation="sigmoid", name=f"hidden_{i}") for i in range(DEPTH)]
            + [keras.layers.Dense(outputs, name="output")])


def main(out_dir, setup):
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    keras.utils.set_random_seed(0)  # the same initial weights on every worker
    x, y = load_digits(return_X_y=True)
    x, y = (x[:ROWS] / 16.0).astype("float32"), y[:ROWS]
    with strategy.scope():
        if setup == "autoencoder":
            model = AutoEncoder(_layers(64))
            model.compile(keras.optimizers.SGD(0.1))
        else:
            model = keras.Sequential(_layers(10))
            model.compile(keras.optimizers.SGD(0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    diagnostics = TrainingDiagnostics(report_dir=os.path.join(out_dir, f"report_{index}"), verbose=0)
    targets = None if setup == "autoencoder" else y
    model.fit(x, targets, batch_size=GLOBAL_BATCH, epochs=EPOCHS, verbose=0, callbacks=[diagnostics])
    result = {
        "replicas": strategy.num_replicas_in_sync,
        "findings": [finding.to_dict() for finding in diagnostics.findings],
        "grad_norm": {key: values for key, values in diagnostics.history.items() if key.startswith("grad_norm/")},
        "skipped": [note.to_dict() for note in diagnostics.skipped],
    }
    with open(os.path.join(out_dir, f"worker_{index}.json"), "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(*sys.argv[1:])
