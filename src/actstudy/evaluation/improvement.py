"""S5's "improvement" (docs/studies.md#s5): (ours − second best) / second best, per
dataset × model.

"Second best" is the best of the other activations: for the winner it is the runner-up, and a
control that does not win gets a negative value (its gap to the best).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METRIC = "val_accuracy_mean"  # fold-mean validation accuracy (summary.csv)
COLUMN = "val_accuracy_improvement_over_best_other"


def _relative(value: float, others: pd.Series) -> float:
    others = others.dropna()
    if not np.isfinite(value) or others.empty or others.max() == 0:
        return np.nan
    return float((value - others.max()) / others.max())


def improvement_over_second_best(
    summary: pd.DataFrame, control_label: str, metric: str = METRIC
) -> pd.DataFrame:
    """One row per dataset × model that runs ``control_label``: its ``metric``, the best other
    activation and its ``metric``, and ``improvement`` = (control − best other) / best other."""
    if control_label not in set(summary["activation"]):
        raise ValueError(
            f"the summary has no activation {control_label!r}; name one of "
            f"{', '.join(sorted(set(summary['activation'])))}"
        )
    rows = []
    for (dataset, model), group in summary.groupby(["dataset", "model"], sort=True):
        control = group[group["activation"] == control_label]
        others = group[group["activation"] != control_label]
        if control.empty or others[metric].dropna().empty:
            continue
        best = others.loc[others[metric].idxmax()]
        value = float(control[metric].iloc[0])
        rows.append(
            {
                "dataset": dataset,
                "model": model,
                "control": control_label,
                metric: value,
                "best_other": best["activation"],
                f"best_other_{metric}": float(best[metric]),
                "improvement": _relative(value, others[metric]),
            }
        )
    return pd.DataFrame(rows)


def with_improvement_column(summary: pd.DataFrame, metric: str = METRIC) -> pd.DataFrame:
    """``summary`` with :data:`COLUMN`: each row's improvement over the best other activation of
    its dataset × model (what :func:`improvement_over_second_best` gives for that row as the
    control)."""
    values = []
    for _, row in summary.iterrows():
        same = summary[(summary["dataset"] == row["dataset"]) & (summary["model"] == row["model"])]
        others = same.loc[same["activation"] != row["activation"], metric]
        values.append(_relative(float(row[metric]), others))
    return summary.assign(**{COLUMN: values})
