"""`Remedy`: one change that may cure a finding, in a closed vocabulary of actions (`ACTIONS`).

Findings hold their remedies (`diagnostics.Finding.remedies`); `diagnostics.remedies.remedies_for`
chooses them by a finding's evidence, and `diagnostics.remedy_edits.apply_remedies` applies them to
a clone of a model.

Example:

>>> Remedy("clip_gradients", params={"clipnorm": 1.0}, sentence="Clip the gradients.").to_dict()["action"]
'clip_gradients'
"""

import dataclasses

ACTIONS = (
    "set_activation",         # params: activation, optional kernel_initializer, bias_initializer, layers, replace
    "set_initializer",        # params: kernel_initializer and/or bias_initializer, optional layers
    "add_normalization",      # params: kind ("batch" or "layer"), optional layers
    "set_output_activation",  # params: activation, optional units, loss
    "set_output_units",       # params: units, optional loss
    "set_loss",               # params: loss (a Keras loss name) and/or from_logits, label_smoothing
    "set_learning_rate",      # params: learning_rate (None: the range test picks), optional
                              # max_learning_rate / min_learning_rate bounding its pick
    "set_optimizer",          # params: optimizer (a Keras name), learning_rate, optional momentum, epsilon,
                              # weight_decay
    "clip_gradients",         # params: clipnorm or global_clipnorm or clipvalue
    "add_regularization",     # params: l2 (and/or l1), optional layers, activity (True: the layers'
                              # activity_regularizer, default the layers that have one)
    "add_dropout",            # params: rate, optional layers
    "set_dropout",            # params: rate, optional argument ("rate", "dropout", a GaussianNoise's
                              # "stddev"...), above (no target: every layer whose rate exceeds it;
                              # default rate)
    "set_constraint",         # params: kernel_constraint (a Keras constraint name or config; None
                              # removes it), optional layers (default: every constrained layer)
    "early_stopping",         # params: monitor, patience, restore_best_weights, optional mode
    "rebalance_classes",      # params: method ("class_weight", "oversample", "undersample", "smote")
    "standardize_inputs",     # params: method ("standardize" or "rescale"), scale for "rescale"
    "scale_targets",          # params: low, high (None: read from y); mean, std for a linear output
    "change_batch_size",      # params: batch_size
    # What only the user can do (applicable=False): the sentence says what.
    "fix_labels",
    "fix_data",
    "collect_data",
    "change_architecture",
    "fix_loss_function",
    "escape_saddle",
)
# The settings besides the learning rate that a `set_optimizer` remedy may change.
OPTIMIZER_SETTINGS = ("momentum", "epsilon", "weight_decay")


@dataclasses.dataclass(frozen=True)
class Remedy:
    """One edit that may cure a finding.

    Args:
        action: one of `ACTIONS`.
        target: a layer name, or None for the whole model or training. Layer actions with no
            target apply to `params["layers"]` when given, else to every hidden layer (those
            whose activation is in `params["replace"]`, when given).
        params: JSON-safe parameters, e.g. `{"activation": "relu", "kernel_initializer":
            "he_normal"}`; `{"learning_rate": None}` means "choose it with
            `diagnostics.find_learning_rate`".
        sentence: what a person reads.
        applicable: False when the library cannot apply it (relabel, collect more data).

    Example:

    >>> r = Remedy("set_activation", "dense_1", {"activation": "relu"}, "Use ReLU in 'dense_1'.")
    >>> Remedy.from_dict(r.to_dict()) == r
    True
    """

    action: str
    target: "str | None" = None
    params: dict = dataclasses.field(default_factory=dict)
    sentence: str = ""
    applicable: bool = True

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"`action` must be one of {ACTIONS}. Received: action={self.action!r}")
        if self.target is not None and not isinstance(self.target, str):
            raise TypeError(f"`target` must be a layer name or None. Received: target={self.target!r}")
        if not isinstance(self.params, dict):
            raise TypeError(f"`params` must be a dict. Received: params={self.params!r}")

    def to_dict(self):
        """A JSON-safe dict."""
        return {"action": self.action, "target": self.target, "params": dict(self.params),
                "sentence": self.sentence, "applicable": self.applicable}

    @classmethod
    def from_dict(cls, data):
        """Inverse of `to_dict`."""
        return cls(action=data["action"], target=data.get("target"), params=dict(data.get("params") or {}),
                   sentence=data.get("sentence", ""), applicable=bool(data.get("applicable", True)))
