"""Showing figures and tables in the figure notebook: each figure as a PNG followed by its
one-sentence caption (or, for a figure that does not apply, the sentence saying why), each table
whole."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from actstudy.evaluation.figures.style import FigureSkipped
from actstudy.io import write_with

DPI = 110
CAPTIONS = {
    "activation_gallery": (
        "Each panel draws one activation f (solid) and its slope f′ (dashed) as the study "
        "configures it (black; grey where runs changed it) and, for a trainable or "
        "progress-driven activation, as each fold's kept weights have it (one colour per fold, "
        "its values in the legend): look for where f′ is near 0, so no gradient passes, or far "
        "above 1, and for how far the folds moved from the configured shape; there are no "
        "error bars."
    ),
    "training_curves": (
        "Look for validation loss that turns up while training loss keeps falling, and for an "
        "activation whose accuracy peaks and then falls; the training loss and accuracy are "
        "running means over each epoch's batches, taken while the weights still change (so "
        "early on they lag the validation metrics, measured after the epoch, and the "
        "training–validation gap can be negative); lines are the mean over folds and bands ± "
        "one standard deviation over folds."
    ),
    "learning_rate": (
        "Check the schedule the runs trained with (warm-up, drops, decay): each line is the "
        "learning rate of every epoch, the mean over folds, which share their schedule; there "
        "are no error bars."
    ),
    "validation_accuracy": (
        "Compare how far apart one activation's folds lie with the gaps between activations; "
        "each dot is one fold's validation accuracy at its best epoch, the diamond the mean and "
        "its error bar ± one standard deviation over folds, a red cross a diverged run (0)."
    ),
    "test_accuracy": (
        "The same on the test part, which no fold trained or chose its epoch on (the "
        "statistics compare this metric where the study's statistics.metric is "
        "test_accuracy): each dot is one fold's kept weights, the diamond the mean and its "
        "error bar ± one standard deviation over folds, a red cross a diverged run (0)."
    ),
    "bayesian_probabilities": (
        "A blue or orange share above 0.95 (dotted line) says one activation is better by more "
        "than the rope with that posterior probability, a green share above 0.95 that the two "
        "are practically equal; the bars are posterior probabilities of the Bayesian "
        "correlated t-test over the folds, without error bars."
    ),
    "best_vs_final": (
        "Look for an activation whose final-epoch validation accuracy lies below that of its "
        "kept best epoch, whose best epoch comes early and whose training accuracy falls late "
        "in training (a model that degrades after an early peak); error bars and bands are ± "
        "one standard deviation over folds."
    ),
    "control_comparison": (
        "An interval wholly right of 0 favours the first activation of its row and one wholly "
        "left of 0 the second, while one that crosses 0 (or lies in the shaded band of "
        "practical equivalence) shows no reliable difference; bars are the 1 − α interval (95 % "
        "by default) of the mean difference over folds from the corrected resampled t-test, "
        "each unadjusted for the other comparisons while the p-values beside them are "
        "Holm-adjusted (so an interval can exclude 0 while p_Holm stays above α)."
    ),
    "critical_difference_diagram": (
        "Activations further left rank better on average over the cases, a horizontal bar "
        "joins those Nemenyi's test cannot tell apart, and the CD segment is the critical "
        "difference of mean ranks; there are no error bars."
    ),
    "epoch_seconds": (
        "Look for an activation that makes an epoch markedly slower than the others on the "
        "same device; each activation's training step (forward, backward, optimiser step, the "
        "study's model, batch and optimiser) was timed in one process in alternating rounds, "
        "so that load hits all alike, and a bar is the median step × the steps of one epoch, "
        "its error bar the fastest to the slowest round; each panel's title names the device, "
        "its threads and the machine's load average before → after the timing."
    ),
    "epoch_seconds_ratio": (
        "A bar above the dashed line at 1 is slower than ReLU by the factor written on it; "
        "each ratio is the activation's median training step over ReLU's, timed in the same "
        "process in alternating rounds (not the runs' wall-clock epochs, which a busy "
        "neighbour confounds), so there are no error bars; each panel's title names the "
        "device, its threads and the machine's load average before → after the timing."
    ),
    "confusion_matrices": (
        "Look for off-diagonal cells, the classes one activation confuses and another does "
        "not; each cell counts the test samples of a true class (row) predicted as a class "
        "(column), summed over folds, without error bars; the roles (control, best baseline, "
        "rank) rank the activations on the study's statistics.metric."
    ),
    "activation_diagnostics": (
        "Look for sites whose dead or saturated share climbs towards 1, since they stopped "
        "passing gradient (a ReLU's negative side counts as saturated), for gradient norms "
        "that shrink towards 0 nearest the input, and for trainable parameters that keep "
        "moving; only quantities that vary in some run are drawn, each line the mean over "
        "folds and cases, without error bars."
    ),
    "paper_vs_ours": (
        "A red diamond inside the black bar is a paper's value within our 95 % interval; "
        "points are our folds and the black bar our mean with its 95 % Student-t interval over "
        "folds."
    ),
}
"""Each figure's caption, by the name of the function that draws it: one sentence saying what
to look for and what the error bars are."""


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _notice(sentence: str) -> Figure:
    """A figure holding only ``sentence``, for a declared PNG whose figure does not apply."""
    figure = Figure(figsize=(8, 1.2))
    figure.text(0.5, 0.5, sentence, ha="center", va="center", wrap=True)
    return figure


def show(
    draw: Callable[..., Figure],
    *args: Any,
    png: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> None:
    """Draw ``draw(*args, **kwargs)`` in the notebook, then its caption (:data:`CAPTIONS`);
    where the figure does not apply, show the sentence saying why instead. ``png``: also save
    the image there (the sentence as an image, where skipped: the rule declared the file)."""
    from IPython.display import Image, Markdown, display

    try:
        figure = draw(*args, **kwargs)
    except FigureSkipped as skipped:
        display(Markdown(f"*{skipped}*"))
        figure, caption = _notice(str(skipped)), None
    else:
        caption = CAPTIONS[draw.__name__]
    data = _png(figure)
    if png:
        write_with(png, lambda path: path.write_bytes(data))
    if caption:
        display(Image(data=data, format="png", alt=figure.get_suptitle()))
        display(Markdown(caption))


def show_table(table: pd.DataFrame, digits: int = 4) -> None:
    """Show every row, column and character of ``table`` (numbers rounded to ``digits``),
    without its index; underscores in the column names become spaces, so that long names wrap
    and the table fits the page."""
    from IPython.display import HTML, display

    shown = table.round(digits).rename(columns=lambda name: str(name).replace("_", " "))
    with pd.option_context("display.max_colwidth", None):
        display(HTML(shown.to_html(index=False)))
