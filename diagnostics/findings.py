"""The unit of judgement: a `Finding` says what went wrong, where, when, why we think so, and what to do.

Every detector in `diagnostics` returns a list of findings; every monitor in `callbacks` exposes the
findings of its run as `.findings`.

Example:

>>> f = Finding(kind="vanishing_gradient", severity="warning", epoch=2, layer="dense_1",
...             message="Gradients vanished.", evidence={"ratio": 1e-7}, advice=["Use ReLU."])
>>> Finding.from_dict(f.to_dict()) == f
True

A finding built with structured `remedies` (see `diagnostics.remedies`) reads them as its advice:

>>> g = Finding("exploding_gradient", "error", 1, None, "Gradients grew 1e4x.",
...             remedies=[Remedy("clip_gradients", params={"clipnorm": 1.0}, sentence="Clip.")])
>>> g.advice
['Clip.']
"""

import dataclasses

from diagnostics._format import from_json_number, json_number
from diagnostics.remedy import Remedy

KINDS = (
    "vanishing_gradient",
    "exploding_gradient",
    "dead_relu",
    "saturation",
    "overfitting",
    "underfitting",
    "plateau",
    "saddle_point",
    "oscillation",
    "non_finite",
    "class_imbalance",
    # Every gradient exactly zero: nothing can learn (a loss cut off from the weights).
    "zero_gradient",
    # Setup problems, caught before they cause the behaviour above.
    "output_loss_mismatch",
    "label_mismatch",
    "unnormalized_input",
    "suspicious_config",
)

SEVERITIES = ("warning", "error")

# Evidence key of a setup finding that many healthy runs share (a moderate input scale, kernels
# drawn small): `diagnostics.judge` keeps it only beside a finding of the run that it explains.
NEEDS_CONSEQUENCE = "needs_consequence"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One diagnosed training problem.

    Args:
        kind: one of `KINDS`.
        severity: `"warning"` (training works, but worse than it could) or `"error"`
            (training is broken).
        epoch: first epoch at which the problem holds, as Keras numbers it (from 0; from 3 in a
            `fit` resumed with `initial_epoch=3`, as History, CSVLogger and the progress bar show).
        layer: name of the layer where the problem starts, or None if it is not local to a layer.
        message: one or two plain sentences for a person.
        evidence: the numbers behind the judgement, name -> float (or int).
        advice: remedies, each a short sentence, most effective first. Left empty when
            `remedies` are given, it becomes their sentences.
        remedies: `diagnostics.Remedy` objects (or their dicts), most promising first.
        explained_by: the kind of another finding that explains this one, or None (the judge
            sets it).
    """

    kind: str
    severity: str
    epoch: int
    layer: "str | None"
    message: str
    evidence: dict = dataclasses.field(default_factory=dict)
    advice: list = dataclasses.field(default_factory=list)
    remedies: list = dataclasses.field(default_factory=list)
    explained_by: "str | None" = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}. Received: kind={self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"`severity` must be one of {SEVERITIES}. Received: severity={self.severity!r}"
            )
        if isinstance(self.epoch, bool) or not isinstance(self.epoch, int) or self.epoch < 0:
            raise ValueError(
                f"`epoch` must be a non-negative integer. Received: epoch={self.epoch!r}"
            )
        if self.explained_by is not None and self.explained_by not in KINDS:
            raise ValueError(
                f"`explained_by` must be None or one of {KINDS}. Received: explained_by={self.explained_by!r}"
            )
        remedies = [Remedy.from_dict(r) if isinstance(r, dict) else r for r in self.remedies]
        for remedy in remedies:
            if not isinstance(remedy, Remedy):
                raise TypeError(
                    f"`remedies` must hold Remedy objects or their dicts. Received: remedies={self.remedies!r}"
                )
        # The dataclass is frozen: its own fields are set through object.__setattr__.
        object.__setattr__(self, "remedies", remedies)
        if remedies and not self.advice:
            object.__setattr__(self, "advice", [remedy.sentence for remedy in remedies])

    def __str__(self):
        where = f" in layer {self.layer!r}" if self.layer else ""
        return f"[{self.severity}] {self.kind}{where} from epoch {self.epoch}: {self.message}"

    def to_dict(self):
        """Returns a JSON-safe dict (non-finite evidence becomes the strings 'nan'/'inf'/'-inf')."""
        evidence = {key: json_number(value) for key, value in self.evidence.items()}
        return {
            "kind": self.kind,
            "severity": self.severity,
            "epoch": self.epoch,
            "layer": self.layer,
            "message": self.message,
            "evidence": evidence,
            "advice": list(self.advice),
            "remedies": [remedy.to_dict() for remedy in self.remedies],
            "explained_by": self.explained_by,
        }

    @classmethod
    def from_dict(cls, data):
        """Inverse of `to_dict`."""
        evidence = {key: from_json_number(value) for key, value in data.get("evidence", {}).items()}
        return cls(
            kind=data["kind"],
            severity=data["severity"],
            epoch=int(data["epoch"]),
            layer=data.get("layer"),
            message=data["message"],
            evidence=evidence,
            advice=list(data.get("advice", [])),
            remedies=list(data.get("remedies", [])),
            explained_by=data.get("explained_by"),
        )

