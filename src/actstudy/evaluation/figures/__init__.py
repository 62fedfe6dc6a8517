"""The figures of a study's notebook (notebooks/figures.ipynb), one function per figure.

Each function takes the study's tables and returns a matplotlib Figure, built without pyplot
(nothing global is left open), or raises :class:`FigureSkipped` with one sentence saying why the
figure does not apply to the study (no trainable activation, no test predictions, too few cases,
no ReLU). Every figure has a title, axis labels in words with their units, whole-number ticks on
an epoch axis, and its legends outside the axes, where they cover no data. :data:`CAPTIONS`
holds each one's caption (one sentence: what to look for, what the error bars are);
:func:`show` draws a figure in the notebook with its caption, :func:`show_table` a whole table.
"""

from actstudy.evaluation.figures.comparison import (
    PAPER_COLUMNS,
    bayesian_probabilities,
    control_comparison,
    critical_difference_diagram,
    paper_vs_ours,
)
from actstudy.evaluation.figures.confusion import (
    class_names,
    confusion_choice,
    confusion_counts,
    confusion_matrices,
    saved_predictions,
)
from actstudy.evaluation.figures.diagnostics import activation_diagnostics
from actstudy.evaluation.figures.gallery import activation_gallery
from actstudy.evaluation.figures.notebook import CAPTIONS, show, show_table
from actstudy.evaluation.figures.style import EPOCH, FigureSkipped
from actstudy.evaluation.figures.training import (
    best_vs_final,
    epoch_seconds,
    epoch_seconds_ratio,
    epoch_seconds_table,
    learning_rate,
    per_fold,
    test_accuracy,
    training_curves,
    validation_accuracy,
)

__all__ = [
    "CAPTIONS",
    "EPOCH",
    "PAPER_COLUMNS",
    "FigureSkipped",
    "activation_diagnostics",
    "activation_gallery",
    "bayesian_probabilities",
    "best_vs_final",
    "class_names",
    "confusion_choice",
    "confusion_counts",
    "confusion_matrices",
    "control_comparison",
    "critical_difference_diagram",
    "epoch_seconds",
    "epoch_seconds_ratio",
    "epoch_seconds_table",
    "learning_rate",
    "paper_vs_ours",
    "per_fold",
    "saved_predictions",
    "show",
    "show_table",
    "test_accuracy",
    "training_curves",
    "validation_accuracy",
]
