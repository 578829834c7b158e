"""Pieces the eighth held-out split shares: a standardized regression set, a tabular binary set,
and the checks its healthy runs use. Not a scenario module (it registers nothing, and
`benchmarks.accuracy` does not import it as one).
"""

import keras
import numpy as np
from sklearn import datasets

from benchmarks.accuracy import data, measure

# Digits models reach about 0.95-0.98 validation accuracy; 0.9 is "trains well" for these runs.
GOOD_ACCURACY = 0.9


def standardized_regression(seed, n_samples=2000, n_features=20):
    """`make_regression` (10 informative features, noise 10) split by `seed`, with x and y each
    standardized on the training part. Returns `(x, y), (x_val, y_val)`, y of shape `(n, 1)`."""
    x, y = datasets.make_regression(n_samples=n_samples, n_features=n_features, n_informative=10,
                                    noise=10.0, random_state=seed)
    (x, y), (x_val, y_val) = data.standardize(data.split(x.astype("float32"), y.astype("float32"), seed))
    mean, std = y.mean(), y.std()
    return (x, ((y - mean) / std)[:, None]), (x_val, ((y_val - mean) / std)[:, None])


def tabular_binary(seed, n_samples=2000, n_features=10):
    """`make_classification` (5 informative features, two classes) split by `seed`, each feature
    standardized on the training part. Returns `(x, y), (x_val, y_val)`."""
    return data.standardize(data.classification(seed, n_samples=n_samples, n_features=n_features,
                                                n_informative=5))


def accurate(trained):
    """The last validation accuracy in the history is at least `GOOD_ACCURACY`."""
    accuracy = trained.history["val_accuracy"][-1]
    return accuracy >= GOOD_ACCURACY, f"validation accuracy {accuracy:.3f}"


def fits_validation_labels(share=measure.FAILING_LOSS_SHARE):
    """The final training and validation losses both end below `share` of the chance loss of
    the validation labels (integer classes): for runs whose training labels sit inside a
    `tf.data` pipeline, where `run.y` is None."""
    def verify(trained):
        chance = measure.label_entropy(np.asarray(trained.run.validation_data[1]).astype("int64"))
        train, val = (loss / chance for loss in measure.final_losses(trained))
        return max(train, val) < share, f"final loss / chance {train:.2f}, val loss / chance {val:.2f}"
    return verify


def validation_loss_now(trained):
    """The validation loss of the model as it is after `fit` (for runs whose callbacks restore
    earlier weights, the history's last entry is not the final model's)."""
    x_val, y_val = trained.run.validation_data
    return float(np.mean(measure.loss_function(trained.run)(y_val, trained.run.model(x_val))))


def one_hot(train_val, num_classes=10):
    """`(x, y), (x_val, y_val)` with both label arrays one-hot."""
    (x, y), (x_val, y_val) = train_val
    return ((x, keras.utils.to_categorical(y, num_classes)),
            (x_val, keras.utils.to_categorical(y_val, num_classes)))


def trains_and_generalizes():
    """A healthy classifier twin: both losses end below half of chance
    (`measure.trains_and_validates_well`) and the validation loss does not end 10% above its
    minimum while the training loss falls below it (`measure.generalizes`)."""
    return measure.all_of(measure.trains_and_validates_well(), measure.generalizes())
