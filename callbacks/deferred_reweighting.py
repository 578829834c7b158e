"""`DeferredReweighting`: the DRW schedule of Cao et al. (2019) for a re-weightable loss."""

from callbacks._arguments import ReweightableLoss, Verbosity, keep_checked
from callbacks._monitor import Monitor
from zoo.losses import effective_number_class_weights
from zoo._serialization import register_serializable
from zoo._validation import Integer, Optional, Real

_CONSTRAINTS = {"start_epoch": Integer(minimum=0), "beta": Real(0.0, 1.0, max_inclusive=False),
                "loss": Optional(ReweightableLoss()), "verbose": Verbosity()}


@register_serializable(legacy_package="callbacks")
class DeferredReweighting(Monitor):
    """Trains with equal class weights, then from `start_epoch` on with effective-number weights.

    The loss must have `set_class_weights` and `class_counts` (e.g. `zoo.losses.LDAMLoss`);
    by default it is the model's compiled loss.

    Args:
        start_epoch: first epoch (0-based) with re-weighting (Cao et al.: 160 of 200).
        beta: of the effective number, in [0, 1).
        loss: the loss to re-weight, or None for `model.loss`.
        verbose: 1 prints when the weights change.

    Example:

    >>> loss = zoo.losses.LDAMLoss(counts)                                       # doctest: +SKIP
    >>> model.compile("sgd", loss=loss)                                          # doctest: +SKIP
    >>> model.fit(x, y, epochs=200, callbacks=[DeferredReweighting(160)])        # doctest: +SKIP
    """

    def __init__(self, start_epoch, beta=0.9999, loss=None, verbose=0):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, start_epoch=start_epoch, beta=beta, loss=loss, verbose=verbose)

    def _loss(self):
        loss = self.loss if self.loss is not None else getattr(self.model, "loss", None)
        if not (hasattr(loss, "set_class_weights") and hasattr(loss, "class_counts")):
            raise ValueError(
                "`loss` must have `set_class_weights` and `class_counts` (e.g. zoo.losses.LDAMLoss), "
                f"or the model must be compiled with such a loss. Received: loss={loss!r}"
            )
        return loss

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        loss = self._loss()
        if epoch >= self.start_epoch:
            weights = effective_number_class_weights(class_counts=loss.class_counts, beta=self.beta)
            weights = [weights[c] for c in range(len(loss.class_counts))]
        else:
            weights = [1.0] * len(loss.class_counts)
        loss.set_class_weights(weights)
        if self.verbose and epoch == self.start_epoch:
            print(f"DeferredReweighting: class weights {[round(w, 4) for w in weights]} from epoch {epoch}")

    def get_config(self):
        return {"start_epoch": self.start_epoch, "beta": self.beta, "verbose": self.verbose}
