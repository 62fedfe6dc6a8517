"""The report's table pages (actstudy.evaluation.html_table) and its headline table
(actstudy.evaluation.headline), on generated tables: every row of a short table, a summary of a
long one whose page stays small at S5's size, every text escaped, verdicts as the p-values say."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from actstudy.evaluation.headline import EQUIVALENT, headline, headline_html, write_headline
from actstudy.evaluation.html_table import MAX_ROWS, table_html

SCRIPT = "<script>alert('table')</script>"
MB = 1024 * 1024


def s5_sized_diagnostics() -> pd.DataFrame:
    """A diagnostics table of S5's size: 4 datasets × 6 activations × 5 folds × 150 epochs × 33
    activation sites (a ResNet-34) × 5 quantities, about 3 million rows."""
    datasets, activations, folds, epochs, sites, quantities = 4, 6, 5, 150, 33, 5
    runs = pd.MultiIndex.from_product(
        [
            [f"data{d}" for d in range(datasets)],
            [f"act{a}" for a in range(activations)],
            range(folds),
            range(1, epochs + 1),
            [f"layer{s}.act" for s in range(sites)],
            ["dead_fraction", "saturated_fraction", "preact_mean", "preact_std", "grad_norm"][
                :quantities
            ],
        ],
        names=["dataset", "activation", "fold", "epoch", "site", "quantity"],
    ).to_frame(index=False)
    runs.insert(1, "model", "resnet34")
    runs["value"] = np.random.default_rng(0).random(len(runs))
    return runs


def test_an_s5_sized_diagnostics_table_is_a_small_page_that_names_the_whole_csv(tmp_path):
    table = s5_sized_diagnostics()
    assert len(table) > 2_900_000
    csv = tmp_path / "diagnostics.csv"
    table.to_csv(csv, index=False)
    page = tmp_path / "diagnostics.html"
    table_html(csv, page, "s5: diagnostics (all)")
    assert page.stat().st_size < 5 * MB
    text = page.read_text()
    assert f"{len(table):,} rows" in text
    assert "each run's final epoch, the mean over its folds" in text
    assert "The whole table is <code>diagnostics.csv</code>" in text
    rows = text.count("<tr>")
    assert rows == 4 * 6 * 33 * 5  # one per dataset × activation × site × quantity
    final = table[table["epoch"] == 150]
    mean = final[(final["activation"] == "act0") & (final["site"] == "layer0.act")]
    mean = mean[(mean["dataset"] == "data0") & (mean["quantity"] == "grad_norm")]["value"].mean()
    assert f'<td class="number">{mean:.4g}</td>' in text


def test_a_short_table_is_shown_whole_sortable_filterable_and_escaped(tmp_path):
    table = pd.DataFrame(
        {
            "claim": [SCRIPT, "ReLU beats DSReLU " * 8],
            "verdict": ["supported", "not supported"],
            "p": [0.01, 0.5],
        }
    )
    csv = tmp_path / "claims.csv"
    table.to_csv(csv, index=False)
    page = tmp_path / "claims.html"
    table_html(csv, page, f"t: {SCRIPT}")
    text = page.read_text()
    assert SCRIPT not in text and "&lt;script&gt;" in text
    assert text.count("<tr>") == len(table) and "Shown summarised" not in text
    assert 'id="search"' in text and text.count('placeholder="filter"') == len(table.columns)
    assert re.search(r"addEventListener\(\"click\"", text)  # sorting by a header
    assert "white-space: nowrap" not in text.split("td.number")[0]  # text wraps


def test_a_long_table_without_epochs_shows_its_first_rows(tmp_path):
    csv = tmp_path / "runs.csv"
    pd.DataFrame({"x": range(MAX_ROWS + 10)}).to_csv(csv, index=False)
    table_html(csv, tmp_path / "runs.html", "t")
    text = (tmp_path / "runs.html").read_text()
    assert text.count("<tr>") == MAX_ROWS and f"its first {MAX_ROWS:,} rows" in text


def statistics_rows() -> pd.DataFrame:
    """statistics.csv's rows of one case: the control against three activations."""
    common = {"test": "corrected_t", "case": "d/m", "metric": "test_accuracy", "a": "ctl", "n": 5}
    rows = [
        {**common, "b": "worse", "mean_difference": 0.05, "p_holm": 0.01},
        {**common, "b": "better", "mean_difference": -0.04, "p_holm": 0.03},
        {**common, "b": "same", "mean_difference": 0.001, "p_holm": 0.9},
        {**common, "test": "bayesian_correlated_t", "b": "same", "p_equivalent": 0.97},
        {**common, "test": "bayesian_correlated_t", "b": "worse", "p_equivalent": 0.0},
        {**common, "test": "bayesian_correlated_t", "b": "better", "p_equivalent": 0.0},
        {"test": "friedman_iman_davenport", "case": "across cases", "p_value": 0.2},
    ]
    table = pd.DataFrame(rows)
    for column in ["mean_a", "mean_b", "ci_low", "ci_high", "p_better", "p_worse"]:
        table[column] = 0.5
    return table


def test_the_headline_gives_each_comparison_its_verdict_in_the_studys_order():
    table = headline(statistics_rows(), alpha=0.05, order=["same", "better", "worse", "ctl"])
    assert list(table["activation"]) == ["same", "better", "worse"]
    verdicts = dict(zip(table["activation"], table["verdict"], strict=True))
    assert verdicts == {
        "worse": "ctl better",
        "better": "better better",
        "same": "equivalent (within the rope)",
    }
    assert EQUIVALENT == 0.95
    assert headline(statistics_rows(), alpha=0.005).set_index("activation").loc[
        "worse", "verdict"
    ] == ("no difference shown")
    unreachable = statistics_rows().assign(p_min=0.0625)  # e.g. Wilcoxon over 4 cases
    unreachable = headline(unreachable, alpha=0.05).set_index("activation")["verdict"]
    assert unreachable["same"] == "cannot reach α = 0.05 (smallest attainable p_Holm 0.0625)"


def test_the_headline_page_escapes_the_claims_and_names_what_is_adjusted(tmp_path):
    statistics = tmp_path / "statistics.csv"
    statistics_rows().to_csv(statistics, index=False)
    claims = tmp_path / "claims.csv"
    pd.DataFrame({"claim": [SCRIPT], "verdict": ["inconclusive"]}).to_csv(claims, index=False)
    options = {"alpha": 0.05, "control": "ctl"}
    write_headline(statistics, options, [], tmp_path / "h.csv", tmp_path / "h.html", claims)
    text = (tmp_path / "h.html").read_text()
    assert SCRIPT not in text and "&lt;script&gt;" in text and "inconclusive" in text
    assert "95 % interval" in text and "not adjusted" in text and "Holm-adjusted" in text
    assert (
        "<td>ctl</td><td>worse</td><td>0.500 vs 0.500</td><td>+0.050 [+0.500, +0.500]</td>" in text
    )
    assert "<td>0.01</td><td>0.50 / 0.00 / 0.50</td><td>ctl better</td>" in text
    assert len(pd.read_csv(tmp_path / "h.csv")) == 3
    empty = headline_html(headline(statistics_rows().iloc[-1:], 0.05), 0.05, None)
    assert "No two activations could be compared" in empty
    pairs = headline(statistics_rows(), 0.05, control=False)
    assert list(pairs.columns[2:4]) == ["first", "second"]
    assert "control − activation [interval]" in text
    paired = headline_html(pairs, 0.05, None)
    assert "one pair" in paired and "first − second [interval]" in paired


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_the_headline_interval_is_the_one_statistics_wrote(alpha):
    rows = statistics_rows()
    table = headline(rows, alpha)
    assert (table["ci_low"] == 0.5).all() and (table["ci_high"] == 0.5).all()
    assert f"{100 * (1 - alpha):g} %" in headline_html(table, alpha, None)
