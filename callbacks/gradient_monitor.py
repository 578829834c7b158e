"""`GradientMonitor` (work in progress: full implementation follows)."""

import keras


@keras.saving.register_keras_serializable(package="callbacks")
class GradientMonitor(keras.callbacks.Callback):
    def __init__(self, verbose=0):
        super().__init__()
        self.verbose = verbose
        self.findings = []

    def on_train_begin(self, logs=None):
        self.findings = []

    def get_config(self):
        return {"verbose": self.verbose}
