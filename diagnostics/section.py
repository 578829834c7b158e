"""What a report is made of: `Section`s, and the helper that reads per-layer series for them.

A *section* is a function `section(run, out_dir) -> Section | None`. It may save figures into
`out_dir` (with `diagnostics._format.save_figure`) and returns its Markdown; it returns None when
the run holds nothing for it to show. `diagnostics.report.SECTIONS` lists them in order.

Example:

>>> Section("Run", "- **epochs_run**: 3").to_markdown().splitlines()[0]
'## Run'
>>> layer_series({"grad_norm/dense": [1.0, 0.5], "loss": [2.0, 1.0]}, "grad_norm")[0]
['dense']
"""

import dataclasses

import numpy as np


@dataclasses.dataclass
class Section:
    """One part of a report.

    Args:
        title: heading of the section.
        body: Markdown text under the heading.
        images: list of `(file_name, caption)`; files already saved in the report folder.
    """

    title: str
    body: str = ""
    images: list = dataclasses.field(default_factory=list)

    def to_markdown(self):
        parts = [f"## {self.title}", ""]
        if self.body:
            parts += [self.body.rstrip(), ""]
        for file_name, caption in self.images:
            parts += [f"![{caption}]({file_name})", ""]
        return "\n".join(parts)


def layer_series(history, signal):
    """Per-layer series of one signal.

    Args:
        history: `{key: [value per epoch]}`.
        signal: prefix such as `"grad_norm"`; keys look like `"grad_norm/<layer>"`.

    Returns:
        `(layers, values)`: layer names in the order they were logged (input side first) and a
        float array of shape `(epochs, layers)` (NaN where unknown). Empty if no key matches.
    """
    prefix = signal + "/"
    layers = [key[len(prefix):] for key in history if key.startswith(prefix)]
    if not layers:
        return [], np.zeros((0, 0))
    columns = [np.asarray(history[prefix + layer], dtype=float) for layer in layers]
    epochs = max(len(column) for column in columns)
    values = np.full((epochs, len(layers)), np.nan)
    for index, column in enumerate(columns):
        values[: len(column), index] = column
    return layers, values
