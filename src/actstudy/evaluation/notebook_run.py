"""Execute a parameterised notebook with papermill, then write it as HTML without its code: the
one way a study's notebooks (figures, search) become report pages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from actstudy.io import write_text

HIDDEN_CELL_TAGS = ("parameters", "injected-parameters")
"""Cells left out of the HTML: the notebook's defaults and the values papermill injected."""


def run_notebook(
    notebook: str | os.PathLike[str],
    executed: str | os.PathLike[str],
    html: str | os.PathLike[str],
    parameters: Mapping[str, Any],
) -> None:
    """Run ``notebook`` with ``parameters`` (papermill, kernel ``python3``, in the working
    folder) into ``executed``, and write ``html``: every output, no code, no parameters cells."""
    import papermill
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    papermill.execute_notebook(
        os.fspath(notebook),
        os.fspath(executed),
        parameters=dict(parameters),
        kernel_name="python3",
        cwd=".",
        progress_bar=False,
    )
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    hidden = TagRemovePreprocessor(remove_cell_tags=set(HIDDEN_CELL_TAGS), enabled=True)
    exporter.register_preprocessor(hidden, enabled=True)
    body, _ = exporter.from_filename(os.fspath(executed))
    write_text(html, body)
