"""A `BatchNormalization` layer that standardizes the raw inputs in training but not at inference.

Training normalizes each batch by that batch's own mean and variance; inference uses the layer's
moving averages of them. When those never catch up with the data (a momentum made for a
million steps, such as 0.999 over a few hundred; or a custom `train_step` that calls the model
without `training=True`, which leaves them at their start of 0 and 1), the rows reach the next
layer at inference on their raw scale. `callbacks.GeneralizationMonitor` measures, at the end of
`fit`, each top-level layer's `inference_scale` on kept training rows: the root mean square of
what it outputs before its scale and offset, 1 when the moving statistics match. A layer right
on a model input that gives `STALE_SCALE` or more standardizes nothing at inference: an
`unnormalized_input` finding, whose effects (a validation loss far above the training loss, or,
for a model trained in inference mode, the steps blown up by raw features) it explains.

Example:

>>> scales = {"bn": {"inference_scale": 6.7, "on_input": True}}
>>> [(f.kind, f.layer) for f in detect_stale_input_normalization(scales)]
[('unnormalized_input', 'bn')]
"""

import math

from diagnostics.findings import Finding

# Moving statistics that caught up give 1 (1.08-1.18 on the kept rows of healthy runs, whose
# averages trail by a few batches); three times the spread training gives is far outside what a
# trailing average leaves, and the next layer's units meet inputs they were never trained on.
STALE_SCALE = 3.0

STALE_ADVICE = [
    "Standardize the inputs before the model (a keras.layers.Normalization adapted to the training data "
    "as the first layer): then no moving average has to learn their scale.",
    "Or let the moving averages catch up: a BatchNormalization momentum of 0.9-0.99 for a run of a few "
    "hundred steps; in a custom train_step, call the model with training=True.",
]


def detect_stale_input_normalization(batch_norm_scales):
    """`unnormalized_input` for each `BatchNormalization` layer on a model input whose
    `inference_scale` is `STALE_SCALE` or more.

    Args:
        batch_norm_scales: `{layer name: {"inference_scale": float, "on_input": bool}}`, as
            `GeneralizationMonitor` records them (None or {} when not measured).

    Returns:
        list of `Finding`, at epoch 0 (the averages trail the data from the first step).
    """
    findings = []
    for name, measured in (batch_norm_scales or {}).items():
        scale = measured.get("inference_scale")
        if not measured.get("on_input") or scale is None or not math.isfinite(scale) or scale < STALE_SCALE:
            continue
        message = (f"At inference the BatchNormalization layer {name!r} on the input standardizes with moving "
                   f"averages that never caught up with the data: the training rows leave it {scale:.3g} times "
                   "as spread as training made them, so validation and predictions see the inputs nearly raw.")
        findings.append(Finding("unnormalized_input", "error", 0, name, message,
                                {"stale_normalization": float(scale)}, list(STALE_ADVICE)))
    return findings
