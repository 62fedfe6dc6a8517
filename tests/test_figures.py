"""The figures of the figure notebook (actstudy.evaluation.figures) on hand-built tables whose
answers are known, and the activation curves they draw, read from real checkpoints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from workflow_helpers import REPO

from actstudy import activations, models
from actstudy.activations import registry as activation_registry
from actstudy.evaluation import figures
from actstudy.evaluation.activation_curves import CONFIGURED, activation_curves, values_and_slopes
from actstudy.evaluation.statistics import MIN_BLOCKS, activation_tests
from actstudy.plugins import load_plugin
from actstudy.training.checkpoint import save_verified

FOLDS, EPOCHS = 3, 6
SIZES = {"digits": {fold: (100, 50) for fold in range(FOLDS)}}


def history_rows(activation: str, fold: int, peak: int | None) -> list[dict]:
    """A run that learns steadily, or (``peak``) one that is best at that epoch and then
    degrades, on training and validation data alike."""
    rows = []
    for epoch in range(1, EPOCHS + 1):
        accuracy = 0.5 + 0.08 * epoch + 0.01 * fold + OFFSETS[activation]
        if peak is not None:
            accuracy += 0.004 * fold**2  # folds that differ from the others' by fold
            accuracy -= 0.15 * max(epoch - peak, 0)
        rows.append(
            {
                "dataset": "digits",
                "model": "lenet5",
                "activation": activation,
                "fold": fold,
                "epoch": epoch,
                "train_loss": 1.5 - accuracy,
                "val_loss": 1.6 - accuracy,
                "train_accuracy": accuracy + 0.02,
                "val_accuracy": accuracy,
                "epoch_seconds": 1.0,
                "lr": 0.01 * (0.1 if epoch > 4 else 1.0),  # a drop after epoch 4
            }
        )
    return rows


PEAKS = {"relu": None, "dsrelu": 3, "tanh": None}
OFFSETS = {"relu": 0.0, "dsrelu": 0.0, "tanh": 0.005}


@pytest.fixture(scope="module")
def histories() -> pd.DataFrame:
    rows = [
        row
        for activation, peak in PEAKS.items()
        for fold in range(FOLDS)
        for row in history_rows(activation, fold, peak)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def runs(histories) -> pd.DataFrame:
    """runs.csv as aggregate writes it, from the histories (best epoch by validation accuracy)."""
    rows = []
    for (activation, fold), history in histories.groupby(["activation", "fold"], sort=False):
        best = history.loc[history["val_accuracy"].idxmax()]
        rows.append(
            {
                "dataset": "digits",
                "model": "lenet5",
                "activation": activation,
                "fold": fold,
                "status": "completed",
                "best_epoch": int(best["epoch"]),
                "val_accuracy": best["val_accuracy"],
                "test_accuracy": best["val_accuracy"] - 0.01,
                "val_loss": best["val_loss"],
                "train_accuracy_last3": history["train_accuracy"].tail(3).mean(),
                "mean_epoch_seconds": {"relu": 1.0, "dsrelu": 1.5, "tanh": 1.2}[activation],
                "device": "cpu",
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def statistics(runs) -> pd.DataFrame:
    return activation_tests(
        runs, SIZES, {}, control="dsrelu", metric="val_accuracy", rope=0.01, alpha=0.05
    )


@pytest.fixture(scope="module")
def diagnostics(runs) -> pd.DataFrame:
    rows = [
        {**run, "epoch": epoch, "site": site, "quantity": quantity, "value": value}
        for run in runs[["dataset", "model", "activation", "fold"]].to_dict("records")
        for epoch in range(1, EPOCHS + 1)
        for layer, site in enumerate(["conv1", "fc"], start=1)
        for quantity, value in [
            ("dead_fraction", 0.0),  # flat at 0 in every run: not drawn
            ("saturated_fraction", 0.1 * layer),
            ("grad_norm", 1.0 / (epoch * layer)),
            *([("param_alpha", 0.1 * epoch)] if run["activation"] == "dsrelu" else []),
        ]
    ]
    return pd.DataFrame(rows)


def save_run(
    root: Path, activation: str, spec, fold: int = 0, progress_t: float | None = None, **values
) -> Path:
    """A run folder as training leaves it: a LeNet-5 with the activation ``spec``, its
    trainable parameters set to ``values`` (per module path, or one value for every instance),
    saved as best.pt, with its manifest and metrics."""
    model = models.create(
        "lenet5", num_classes=10, in_channels=1, make_act=activations.factory(spec), input_size=32
    )
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            path, _, leaf = name.rpartition(".")
            if leaf in values:
                value = values[leaf]
                parameter.fill_(value[path] if isinstance(value, dict) else value)
    folder = root / "runs" / "digits" / "lenet5" / activation / f"fold{fold}"
    folder.mkdir(parents=True)
    save_verified(folder / "best.pt", {"model": model.state_dict(), "best_epoch": 2})
    spec_of_run = {
        "activation": {"label": activation, "spec": spec},
        "dataset": {"label": "digits"},
        "model": {"label": "lenet5", "name": "lenet5"},
        "evaluation": {"fold": fold},
        "plugins": [],
    }
    (folder / "manifest.json").write_text(json.dumps({"spec": spec_of_run}))
    (folder / "metrics.json").write_text(json.dumps({"progress_t_at_best": progress_t}))
    return folder


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, list[Path]]:
    """Run folders of a ReLU, a CosLU shared by the network (two folds, each with values of its
    own), a CosLU with one instance per layer, and a DSReLU kept at t = 0.5."""
    root = tmp_path_factory.mktemp("study")
    folders = [
        save_run(root, "relu", "relu"),
        save_run(root, "coslu", {"name": "coslu"}, fold=0, a=0.3, b=2.0),
        save_run(root, "coslu", {"name": "coslu"}, fold=1, a=-0.4, b=0.5),
        save_run(
            root,
            "coslu_layer",
            {"name": "coslu", "scope": "layer"},
            a={"act1": 0.1, "act2": 0.2, "act3": 0.3},
            b=1.0,
        ),
        save_run(root, "dsrelu", {"name": "dsrelu", "variant": "paper"}, progress_t=0.5),
    ]
    return root, folders


@pytest.fixture(scope="module")
def curves(saved) -> pd.DataFrame:
    return activation_curves(saved[1])


def curve(table: pd.DataFrame, activation: str, **where) -> pd.DataFrame:
    chosen = table[table["activation"] == activation]
    for column, value in where.items():
        chosen = chosen[chosen[column] == value]
    return chosen


# The activation gallery and its curves


def test_a_trainable_activation_is_drawn_with_the_values_each_fold_kept_in_best_pt(curves):
    x = curve(curves, "coslu", learned=False)["x"].to_numpy()
    kept = activations.create({"name": "coslu", "a": 0.3, "b": 2.0})
    fold0 = curve(curves, "coslu", learned=True, fold=0)
    assert len(fold0) == len(x) and fold0["curve"].iloc[0] == "a = 0.3, b = 2"
    assert np.allclose(fold0["f"], values_and_slopes(kept, x)[0], atol=1e-6)
    fold1 = curve(curves, "coslu", learned=True, fold=1)
    assert fold1["curve"].iloc[0] == "a = -0.4, b = 0.5"  # each fold its own values
    initial = curve(curves, "coslu", learned=False)
    assert initial["curve"].iloc[0] == f"{CONFIGURED} (initial: a = 1, b = 1)"
    assert not np.allclose(initial["f"], fold0["f"])
    # one instance per layer (scope: layer): three curves, one per activation layer
    layers = curve(curves, "coslu_layer", learned=True)
    assert sorted(layers["curve"].unique()) == [f"act{i}, a = 0.{i}, b = 1" for i in (1, 2, 3)]


def test_a_progress_driven_activation_is_drawn_at_the_t_of_its_kept_weights(curves):
    x = curve(curves, "dsrelu", learned=False)["x"].to_numpy()
    kept = curve(curves, "dsrelu", learned=True)
    assert kept["curve"].unique().tolist() == ["t = 0.50"]
    module = activations.create({"name": "dsrelu", "variant": "paper"})
    start = values_and_slopes(module, x)[1]
    module.set_progress(0.5)
    assert np.allclose(kept["slope"], values_and_slopes(module, x)[1])
    assert not np.allclose(kept["slope"], start)
    assert curve(curves, "relu", learned=True).empty  # nothing learned, nothing scheduled


PLUGIN = """
import torch
from torch import nn

from actstudy.activations import register


@register("figures_test_scaled")
class Scaled(nn.Module):
    def __init__(self, k: float = 1.0) -> None:
        super().__init__()
        self.k = nn.Parameter(torch.tensor(float(k)))

    def forward(self, x):
        return self.k * torch.tanh(x)
"""


def test_the_curves_command_imports_a_plugin_activation_the_run_names(tmp_path, monkeypatch):
    registered = activation_registry._ACTIVATIONS  # the plugin's name, for this test only
    monkeypatch.setattr(registered, "_entries", dict(registered._entries))
    plugin = tmp_path / "my_acts.py"
    plugin.write_text(PLUGIN)
    load_plugin(plugin)  # to build the model here; the command imports it from the manifest
    folder = save_run(tmp_path, "scaled", {"name": "figures_test_scaled"}, k=2.5)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["spec"]["plugins"] = [str(plugin)]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "activation_curves.csv"
    command = [sys.executable, "-m", "actstudy", "activation-curves", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    subprocess.run([*command, str(folder)], check=True, env=env, capture_output=True)
    kept = curve(pd.read_csv(out), "scaled", learned=True)
    assert kept["curve"].unique().tolist() == ["k = 2.5"]
    assert np.allclose(kept["f"], 2.5 * np.tanh(kept["x"]), atol=1e-5)


def gallery_lines(figure: Figure) -> dict[str, dict[str, np.ndarray]]:
    """Per axes title, each line's data by its gid (``f:<curve>`` and ``slope:<curve>``)."""
    return {
        ax.get_title(): {line.get_gid(): line.get_xydata() for line in ax.lines if line.get_gid()}
        for ax in figure.axes
        if ax.axison
    }


def test_the_gallery_has_one_axes_per_activation_whose_slope_is_the_derivative(curves):
    names = ["relu", "coslu", "coslu_layer", "dsrelu"]
    figure = figures.activation_gallery(curves, names)
    lines = gallery_lines(figure)
    assert list(lines) == names
    for name, drawn in lines.items():
        for gid, points in drawn.items():
            if not gid.startswith("f:"):
                continue
            x, f = points.T
            slope = drawn["slope:" + gid[2:]][:, 1]
            away = (np.abs(x) > 0.05) & (np.abs(x) < 4.95)  # kinks at 0, one-sided ends
            assert np.allclose(np.gradient(f, x)[away], slope[away], atol=2e-3, rtol=1e-2), (
                name,
                gid,
            )
    kept = curve(curves, "coslu", learned=True, fold=0)
    assert np.allclose(lines["coslu"]["f:fold 0: a = 0.3, b = 2"][:, 1], kept["f"])


# Training


def test_best_vs_final_shows_an_activation_that_degrades_after_its_best_epoch(runs, histories):
    figure = figures.best_vs_final(runs, histories)
    left = figure.axes[0]
    means = [c.lines[0].get_ydata()[0] for c in left.containers]  # 3 measures per activation
    by_activation = dict(zip(PEAKS, np.reshape(means, (len(PEAKS), 3)), strict=True))
    best, final, train_last3 = by_activation["dsrelu"]
    dsrelu = runs[runs["activation"] == "dsrelu"]
    assert best == pytest.approx(dsrelu["val_accuracy"].mean())
    last = histories[(histories["activation"] == "dsrelu") & (histories["epoch"] == EPOCHS)]
    assert final == pytest.approx(last["val_accuracy"].mean())
    assert final < best - 0.15 and train_last3 < best  # the decline is drawn, not hidden
    steady_best, steady_final, _ = by_activation["relu"]
    assert steady_final == pytest.approx(steady_best)
    assert "dsrelu\n(3.0)" in [t.get_text() for t in left.get_xticklabels()]


def timing_table(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """A timing table (actstudy.evaluation.timing) of (dataset, activation, step seconds), model
    m, 10 steps an epoch, rounds 10 % either side of the median."""
    table = pd.DataFrame(rows, columns=["dataset", "activation", "step_seconds"])
    relu = table[table["activation"] == "relu"].set_index("dataset")["step_seconds"]
    return table.assign(
        model="m",
        step_seconds_min=table["step_seconds"] * 0.9,
        step_seconds_max=table["step_seconds"] * 1.1,
        steps_per_epoch=10,
        epoch_seconds=table["step_seconds"] * 10,
        ratio_to_relu=table["step_seconds"] / table["dataset"].map(relu),
        reference=np.where(table["dataset"].map(relu).notna(), "relu", ""),
        device="cpu: test CPU, 2 cores",
        threads=1,
        load_before=1.5,
        load_after=2.25,
    )


def test_seconds_per_epoch_and_the_ratio_to_relu_come_from_the_timing_table():
    rows = [("a", "relu", 0.1), ("a", "mish", 0.2), ("a", "tanh", 0.1)]
    timing = timing_table([*rows, ("b", "relu", 0.2), ("b", "mish", 0.3)])
    table = figures.epoch_seconds_table(timing).set_index(["dataset", "activation"])
    assert table.loc[("a", "mish"), "ratio"] == pytest.approx(2.0)
    assert table.loc[("b", "mish"), "ratio"] == pytest.approx(1.5)
    assert table.loc[("a", "mish"), "seconds"] == pytest.approx(2.0)
    assert table.loc[("a", "mish"), ["below", "above"]].tolist() == pytest.approx([0.2, 0.2])
    figure = figures.epoch_seconds_ratio(timing)
    heights = [[p.get_height() for p in ax.patches] for ax in figure.axes]
    assert np.allclose(heights[0], [1.0, 2.0, 1.0]) and np.allclose(heights[1], [1.0, 1.5])
    # each panel names the device, its threads and the load around the timing
    title = " ".join(figure.axes[0].get_title().split())
    assert "cpu: test CPU, 2 cores, 1 thread(s), load 1.5 → 2.2" in title
    seconds = figures.epoch_seconds(timing)
    assert np.allclose([p.get_height() for p in seconds.axes[0].patches], [1.0, 2.0, 1.0])
    with pytest.raises(figures.FigureSkipped, match="no ReLU"):
        figures.epoch_seconds_ratio(timing_table([("a", "mish", 0.2), ("a", "tanh", 0.1)]))


def test_the_comparison_with_the_control_draws_each_interval_from_the_statistics(statistics):
    figure = figures.control_comparison(statistics, rope=0.01)
    (ax,) = figure.axes
    rows = statistics[statistics["test"] == "corrected_t"]
    assert [t.get_text().split(" (")[0] for t in ax.get_yticklabels()] == [
        f"{a} − {b}" for a, b in zip(rows["a"], rows["b"], strict=True)
    ]
    container = ax.containers[0]
    assert np.allclose(container.lines[0].get_xdata(), rows["mean_difference"])
    segments = container.lines[2][0].get_segments()
    assert np.allclose([s[0][0] for s in segments], rows["ci_low"])
    assert np.allclose([s[1][0] for s in segments], rows["ci_high"])
    assert "dsrelu against each other activation" in figure.get_suptitle()


def many_cases(count: int) -> pd.DataFrame:
    """runs.csv of ``count`` cases (one run each) of three activations, 'a' best in most."""
    rows = []
    for case in range(count):
        for activation, score in (("a", 0.9), ("b", 0.8 + 0.01 * case), ("c", 0.7)):
            rows.append(
                {
                    "dataset": f"d{case}",
                    "model": "m",
                    "activation": activation,
                    "fold": 0,
                    "status": "completed",
                    "val_accuracy": score,
                }
            )
    return pd.DataFrame(rows)


def cd_statistics(cases: int) -> pd.DataFrame:
    return activation_tests(
        many_cases(cases), {}, {}, control=None, metric="val_accuracy", rope=None, alpha=0.05
    )


def test_the_critical_difference_diagram_is_drawn_only_with_enough_cases():
    figure = figures.critical_difference_diagram(cd_statistics(MIN_BLOCKS), alpha=0.05)
    texts = " ".join(t.get_text() for t in figure.axes[0].texts)
    assert all(name in texts for name in "abc") and "CD" in texts
    assert f"over {MIN_BLOCKS} cases" in figure.axes[0].get_xlabel()
    assert "post hoc, after Friedman/Iman–Davenport rejects" in figure.get_suptitle()
    with pytest.raises(figures.FigureSkipped, match=rf"{MIN_BLOCKS - 1} cases .* {MIN_BLOCKS}"):
        figures.critical_difference_diagram(cd_statistics(MIN_BLOCKS - 1), alpha=0.05)
    with pytest.raises(figures.FigureSkipped, match="two or more"):
        figures.critical_difference_diagram(cd_statistics(1), alpha=0.05)


PREDICTIONS = pd.DataFrame(
    {"label": [0, 0, 1, 1, 2, 2, 2], "predicted": [0, 1, 1, 1, 2, 0, 2], "fold": 0}
)


def test_confusion_counts_and_matrices_equal_a_hand_built_predictions_table():
    expected = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    assert (figures.confusion_counts(PREDICTIONS, 3) == expected).all()
    twice = pd.concat([PREDICTIONS, PREDICTIONS.assign(fold=1)])  # two folds, summed
    predictions = {("d", "m", "ctl"): twice, ("d", "m", "base"): PREDICTIONS}
    chosen = {("d", "m"): [("ctl", "control"), ("base", "best baseline")]}
    figure = figures.confusion_matrices(predictions, chosen)
    drawn = [ax for ax in figure.axes if ax.images]
    assert (drawn[0].images[0].get_array() == 2 * expected).all()
    assert (drawn[1].images[0].get_array() == expected).all()
    assert "ctl (control)" in drawn[0].get_title() and "2 fold(s) × 7" in drawn[0].get_title()
    with pytest.raises(figures.FigureSkipped, match="test predictions"):
        figures.confusion_matrices({}, chosen)


def test_the_confusion_matrices_show_every_activation_in_the_studys_order_with_its_role(runs):
    chosen = figures.confusion_choice(runs, "val_accuracy", "dsrelu")
    assert chosen == {
        ("digits", "lenet5"): [
            ("relu", "rank 2"),
            ("dsrelu", "control"),
            ("tanh", "best baseline"),
        ]
    }
    runs = runs.assign(val_accuracy=runs["val_accuracy"].where(runs["activation"] != "relu", 1.0))
    chosen = figures.confusion_choice(runs, "val_accuracy", None)
    assert chosen[("digits", "lenet5")] == [
        ("relu", "best"),
        ("dsrelu", "rank 3"),
        ("tanh", "runner-up"),
    ]


def test_the_confusion_matrices_name_the_classes_the_prepared_data_records(tmp_path):
    prepared = tmp_path / "prepared" / "manifest.json"
    prepared.parent.mkdir()
    prepared.write_text(json.dumps({"classes": ["cat", "dog", "emu"]}))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps({"prepared_manifest": str(prepared)}))
    runs = pd.DataFrame({"dataset": ["d", "e"], "run_dir": [str(run_dir), str(tmp_path / "none")]})
    names = figures.class_names(runs)
    assert names == {"d": ["cat", "dog", "emu"]}  # "e"'s manifest is missing: by index
    predictions = {("d", "m", "a"): PREDICTIONS, ("e", "m", "a"): PREDICTIONS}
    chosen = {("d", "m"): [("a", "control")], ("e", "m"): [("a", "control")]}
    named, indexed = [
        ax for ax in figures.confusion_matrices(predictions, chosen, names).axes if ax.images
    ]
    assert [t.get_text() for t in named.get_xticklabels()] == ["cat", "dog", "emu"]
    assert named.get_ylabel() == "true class" and indexed.get_ylabel() == "true class (index)"


# What every figure has


def every_figure(histories, runs, statistics, diagnostics, curves) -> dict[str, Figure]:
    paper = pd.DataFrame(
        {
            "dataset": "digits",
            "model": "lenet5",
            "activation": ["relu", "dsrelu"],
            "metric": "accuracy",
            "split": "val",
            "at": "best",
            "paper": [0.95, 0.99],
            "ours_mean": [0.9, 0.8],
            "ci_low": [0.85, 0.75],
            "ci_high": [0.95, 0.85],
            "status": "compared",
        }
    )
    predictions = {("digits", "lenet5", name): PREDICTIONS for name in PEAKS}
    timing = timing_table([("digits", name, 0.01 * (1 + i)) for i, name in enumerate(PEAKS)])
    timing["model"] = "lenet5"
    chosen = figures.confusion_choice(runs, "val_accuracy", "dsrelu")
    # two epochs, where matplotlib's own ticks would be 0.6, 0.8, ... (not whole epochs)
    histories = histories[histories["epoch"] <= 2]
    diagnostics = diagnostics[diagnostics["epoch"] <= 2]
    return {
        "activation_gallery": figures.activation_gallery(curves),
        "training_curves": figures.training_curves(histories),
        "validation_accuracy": figures.validation_accuracy(runs),
        "best_vs_final": figures.best_vs_final(runs, histories),
        "control_comparison": figures.control_comparison(statistics, rope=0.01),
        "critical_difference_diagram": figures.critical_difference_diagram(
            cd_statistics(MIN_BLOCKS), alpha=0.05
        ),
        "epoch_seconds": figures.epoch_seconds(timing),
        "epoch_seconds_ratio": figures.epoch_seconds_ratio(timing),
        "confusion_matrices": figures.confusion_matrices(predictions, chosen),
        "activation_diagnostics": figures.activation_diagnostics(diagnostics),
        "learning_rate": figures.learning_rate(histories),
        "test_accuracy": figures.test_accuracy(runs),
        "bayesian_probabilities": figures.bayesian_probabilities(statistics, rope=0.01),
        "paper_vs_ours": figures.paper_vs_ours(paper, runs),
    }


def overlap(a: Bbox, b: Bbox) -> float:
    """The area two boxes share (pixels²)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)


def test_every_figure_has_a_title_words_on_its_axes_whole_epochs_and_legends_off_its_data(
    histories, runs, statistics, diagnostics, curves
):
    drawn = every_figure(histories, runs, statistics, diagnostics, curves)
    assert set(drawn) == set(figures.CAPTIONS)
    for name, figure in drawn.items():
        figure.draw_without_rendering()
        assert figure.get_suptitle().strip(), name
        data_axes = [ax for ax in figure.axes if ax.axison and not hasattr(ax, "_colorbar")]
        assert data_axes, name
        epochs = 0
        for ax in data_axes:
            assert len(data_axes) == 1 or ax.get_title().strip(), name
            assert re.search(r"[a-z]{3}", ax.get_xlabel()), (name, ax.get_xlabel())
            if ax.yaxis.get_visible():
                assert re.search(r"[a-z]{3}", ax.get_ylabel()), (name, ax.get_ylabel())
            if ax.get_xlabel() == figures.EPOCH:
                epochs += 1
                low, high = ax.get_xlim()
                ticks = [t for t in ax.get_xticks() if low <= t <= high]
                assert ticks and all(float(t).is_integer() for t in ticks), (name, ticks)
        if name in {"training_curves", "best_vs_final", "activation_diagnostics", "learning_rate"}:
            assert epochs, name
        legends = list(figure.legends) + [ax.get_legend() for ax in data_axes if ax.get_legend()]
        for legend in legends:
            box = legend.get_window_extent()
            for ax in data_axes:
                assert overlap(box, ax.get_window_extent()) < 1.0, (name, ax.get_title())


def test_every_caption_is_one_sentence_saying_what_to_look_for_and_what_the_bars_are():
    for name, caption in figures.CAPTIONS.items():
        assert hasattr(figures, name), name
        assert caption.endswith(".") and ". " not in caption[:-1], name
        assert re.search(r"error bars?|bands?|interval|no error", caption), name


# Colours, order and what the figures draw


def test_an_activation_keeps_its_colour_in_every_study_and_figure():
    listed = "from actstudy import activations; print(' '.join(activations.names()))"
    builtins = subprocess.run(  # a fresh process: no other test's plugin registered
        [sys.executable, "-c", listed], capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(builtins) >= 19 and set(builtins) <= set(figures.style.FIXED_COLORS)
    fixed = [to_hex(c) for c in figures.style.FIXED_COLORS.values()]
    assert len(set(fixed)) == len(fixed)  # no two alike
    small = figures.style.colors(["relu", "my_act"])
    large = figures.style.colors(["tanh", "my_act", "dsrelu", "relu", "other"])
    assert small["relu"] == large["relu"] and small["my_act"] == large["my_act"]
    script = "from actstudy.evaluation.figures.style import color; print(color('my_act'))"
    other_process = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert other_process.stdout.strip() == str(figures.style.color("my_act"))  # no salted hash


def test_the_training_curves_are_a_grid_that_says_training_metrics_are_running_means(histories):
    figure = figures.training_curves(histories)
    width, height = figure.get_size_inches()
    assert width / height < 2  # a grid, not a strip
    titles = [ax.get_title() for ax in figure.axes]
    assert sum("running mean" in t for t in titles) == 2  # the training loss and accuracy
    assert "running means" in figure.get_suptitle()


def test_the_diagnostics_draw_each_site_by_name_and_only_quantities_that_vary(diagnostics):
    assert figures.diagnostics.varying(diagnostics) == [
        "saturated_fraction",
        "grad_norm",
        "param_alpha",
    ]
    figure = figures.activation_diagnostics(diagnostics)
    axes = [ax for ax in figure.axes if ax.lines or ax.texts]
    assert len(axes) == 3 * 2  # three quantities × two sites
    assert {ax.get_title() for ax in axes} == {"site conv1", "site fc"}
    labels = " ".join(ax.get_ylabel() for ax in axes)
    assert "dead" not in labels and "gradient norm" in labels and "parameter alpha" in labels
    colours = {to_hex(line.get_color()) for ax in axes for line in ax.lines}
    assert colours == {to_hex(figures.style.color(n)) for n in PEAKS}


def test_a_deep_models_diagnostics_are_drawn_by_depth(diagnostics):
    """40 sites (a ResNet's, a shared module's calls): two columns, not one per site."""
    deep = pd.concat(
        [diagnostics.assign(site=diagnostics["site"] + f".{k}") for k in range(20)],
        ignore_index=True,
    )
    figure = figures.activation_diagnostics(deep)
    axes = [ax for ax in figure.axes if ax.lines]
    assert len(axes) == 3 * 2  # three quantities × (by depth, mean over the sites)
    assert {ax.get_title() for ax in axes} == {"after the last epoch", "mean over the sites"}
    depth = next(ax for ax in axes if ax.get_title() == "after the last epoch")
    assert max(max(line.get_xdata()) for line in depth.lines) == 40
    assert "by depth" in figure.get_suptitle()


def test_the_learning_rate_figure_draws_the_schedule_of_the_histories(histories):
    figure = figures.learning_rate(histories)
    (ax,) = [ax for ax in figure.axes if ax.lines]
    for line in ax.lines:
        assert list(line.get_ydata()) == pytest.approx([0.01] * 4 + [0.001] * 2)
    assert ax.get_yscale() == "log"  # a tenfold drop
    with pytest.raises(figures.FigureSkipped, match="learning rate"):
        figures.learning_rate(histories.drop(columns="lr"))


def test_test_accuracy_per_fold_follows_the_studys_order(runs):
    figure = figures.test_accuracy(runs)
    (ax,) = [ax for ax in figure.axes if ax.collections]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(PEAKS)
    assert "test accuracy" in ax.get_ylabel()
    with pytest.raises(figures.FigureSkipped, match="test part"):
        figures.test_accuracy(runs.drop(columns="test_accuracy"))


def test_the_bayesian_probabilities_are_drawn_where_a_rope_is_set(statistics):
    rows = statistics[statistics["test"] == "bayesian_correlated_t"]
    figure = figures.bayesian_probabilities(statistics, rope=0.01)
    (ax,) = [ax for ax in figure.axes if ax.patches]
    widths = np.array([bar.get_width() for bar in ax.patches]).reshape(3, len(rows))
    expected = rows[["p_better", "p_equivalent", "p_worse"]].to_numpy().T
    assert widths == pytest.approx(expected)
    with pytest.raises(figures.FigureSkipped, match="rope"):
        figures.bayesian_probabilities(statistics, rope=None)


def test_the_papers_numbers_follow_the_studys_order_not_the_alphabet(runs):
    paper = pd.DataFrame(
        {
            "dataset": "digits",
            "model": "lenet5",
            "activation": ["tanh", "relu", "dsrelu"],
            "metric": "accuracy",
            "split": "val",
            "at": "best",
            "paper": 0.9,
            "ours_mean": 0.9,
            "ci_low": 0.85,
            "ci_high": 0.95,
            "status": "compared",
        }
    )
    (ax,) = [ax for ax in figures.paper_vs_ours(paper, runs).axes if ax.collections]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [f"lenet5 / {name}" for name in PEAKS]  # relu, dsrelu, tanh
