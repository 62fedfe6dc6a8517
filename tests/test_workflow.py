"""The whole workflow, run for real by Snakemake on the tiny study, and what reruns after it."""

from __future__ import annotations

import copy
import html
import json
import math
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats
from workflow_helpers import BIN, REPO, planned_jobs, snakemake, tiny_config, write_config

from actstudy.evaluation.aggregate import WORST, with_divergence_policy

# one pytest-xdist worker runs this file: its module-scoped fixtures are built once
pytestmark = [pytest.mark.workflow, pytest.mark.xdist_group("test_workflow")]

TINY = tiny_config()
RESULTS = "results/tiny"


REPORTED = """dataset,model,activation,metric,split,at,paper_fold,value,source,note
digits,lenet5,relu,accuracy,val,best,,0.97,a made-up paper,
digits,lenet5,dsrelu,accuracy,val,best,,0.5,a made-up paper,
digits,lenet5,relu,accuracy,train,last3,,0.99,a made-up paper,
"""
CLAIMS = "\n".join(
    [
        "study,claim,comparison,left,relation,right,metric,split,at,scope,expected,margin,"
        "paper_loss,source,note",
        "tiny,ReLU beats DSReLU,relu > dsrelu,activation=relu,>,activation=dsrelu,"
        "accuracy,val,best,dataset=digits,,,,a made-up paper,",
        "tiny,They fall in order,relu > dsrelu,activation=relu|dsrelu,descending,,"
        "accuracy,val,best,,,,,a made-up paper,",
        "",
    ]
)


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> Path:
    """A scratch folder in which the tiny study, with a made-up paper's numbers and claims
    beside it, has run end to end."""
    workdir = tmp_path_factory.mktemp("tiny")
    (workdir / "reported.csv").write_text(REPORTED)
    (workdir / "claims.csv").write_text(CLAIMS)
    config = {**TINY, "reported": {"results": "reported.csv", "claims": "claims.csv"}}
    write_config(workdir, config)
    snakemake(workdir, "--cores", "2")
    return workdir


def test_every_reported_number_and_claim_is_set_beside_ours(done):
    table = pd.read_csv(done / RESULTS / "tables/all/paper_vs_ours.csv")
    assert len(table) == 3 and (table["status"] == "compared").all()
    assert (table["folds"] == 2).all()
    runs = pd.read_csv(done / RESULTS / "tables/all/runs.csv")
    relu = runs[runs["activation"] == "relu"]["val_accuracy"]
    assert table.loc[0, "ours_mean"] == pytest.approx(relu.mean())
    assert table.loc[0, "difference"] == pytest.approx(relu.mean() - 0.97)
    claims = pd.read_csv(done / RESULTS / "tables/all/claims.csv")
    assert len(claims) == 2
    assert claims.loc[0, "verdict"] in {"supported", "not supported", "inconclusive"}
    assert "over 2 fold(s)" in claims.loc[0, "evidence"]
    assert claims.loc[1, "verdict"] in {"supported", "not supported", "inconclusive"}
    assert "relu − dsrelu" in claims.loc[1, "evidence"]  # the descending pair, with its numbers
    page = (done / RESULTS / "notebooks/figures.html").read_text()  # the figure notebook's
    assert "ReLU beats DSReLU" in page and "They fall in order" in page  # the claims table
    with Image.open(done / RESULTS / "figures/paper_vs_ours.png") as image:
        assert image.format == "PNG" and image.width > 300
        assert len(image.getcolors(maxcolors=1 << 20) or range(1000)) > 10


def run_dirs(workdir: Path) -> list[Path]:
    return sorted((workdir / RESULTS / "runs").glob("*/*/*/fold*"))


def test_every_run_writes_history_metrics_checkpoint_and_manifest(done):
    runs = run_dirs(done)
    assert [p.relative_to(done / RESULTS / "runs").as_posix() for p in runs] == [
        f"digits/lenet5/{a}/fold{f}" for a in ("dsrelu", "relu") for f in (0, 1)
    ]
    for run in runs:
        history = pd.read_csv(run / "history.csv")
        assert len(history) == 1
        for split in ("train", "val"):
            for metric in ("loss", "accuracy", "f1_macro", "f1_weighted", "roc_auc"):
                value = history[f"{split}_{metric}"].iloc[0]
                assert math.isfinite(value), (run, split, metric)
            assert 0.0 <= history[f"{split}_accuracy"].iloc[0] <= 1.0
            assert 0.5 < history[f"{split}_roc_auc"].iloc[0] <= 1.0  # it learned something
        assert history["epoch_seconds"].iloc[0] > 0
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics["status"] == "completed"
        assert metrics["best_epoch"] == 1
        assert metrics["val"]["accuracy"] == pytest.approx(history["val_accuracy"].iloc[0])
        assert len(metrics["val_confusion"]) == 10
        assert (run / "best.pt").stat().st_size > 1000
        assert not (run / "last.pt").exists()
        manifest = json.loads((run / "manifest.json").read_text())
        assert manifest["spec"]["training"]["epochs"] == 1
        assert manifest["seeds"]["model_init"] == 0
        assert manifest["device"]["device"] == "cpu"
        assert manifest["packages"]["torch"] == "2.14.1"
        assert "git_commit" in manifest


def test_dsrelu_runs_record_the_variant_they_used(done):
    manifest = json.loads(
        (done / RESULTS / "runs/digits/lenet5/dsrelu/fold0/manifest.json").read_text()
    )
    described = manifest["faithfulness"]["modules"]["DSReLU"]
    assert described["variant"] == "paper" and described["progress"] == "paper"


def test_summary_has_one_row_per_activation_over_all_folds(done):
    summary = pd.read_csv(done / RESULTS / "tables/all/summary.csv")
    assert sorted(summary["activation"]) == ["dsrelu", "relu"]
    assert (summary["folds"] == 2).all()
    assert (summary["diverged"] == 0).all()
    runs = pd.read_csv(done / RESULTS / "tables/all/runs.csv")
    for _, row in summary.iterrows():
        folds = runs[runs["activation"] == row["activation"]]["val_accuracy"]
        assert row["val_accuracy_mean"] == pytest.approx(folds.mean())
        assert row["val_accuracy_std"] == pytest.approx(folds.std(ddof=1))
    last = pd.read_csv(done / RESULTS / "runs/digits/lenet5/relu/fold1/history.csv").tail(3)
    run = runs[(runs["activation"] == "relu") & (runs["fold"] == 1)].iloc[0]
    assert run["train_accuracy_last3"] == pytest.approx(last["train_accuracy"].mean())
    assert "train_accuracy_last3_mean" in summary


def test_statistics_compare_the_control_within_the_case_on_the_held_out_test_part(done):
    statistics = pd.read_csv(done / RESULTS / "tables/all/statistics.csv")
    assert set(statistics["test"]) == {"corrected_t", "bayesian_correlated_t", "none"}
    row = statistics[statistics["test"] == "corrected_t"].iloc[0]
    assert (row["case"], row["a"], row["b"], row["n"], row["df"]) == (
        "digits/lenet5",
        "dsrelu",
        "relu",
        2,
        1,
    )
    runs = pd.read_csv(done / RESULTS / "tables/all/runs.csv").set_index(["activation", "fold"])
    difference = runs.loc["dsrelu", "test_accuracy"] - runs.loc["relu", "test_accuracy"]
    assert row["mean_difference"] == pytest.approx(difference.mean())
    assert row["ci_low"] <= row["mean_difference"] <= row["ci_high"]
    # 360 of the 1,797 digits held out; each fold trains on half of the other 1,437
    assert (runs["test_samples"] == 360).all()
    assert "n_test/n_train = 0.50" in row["detail"]
    folds = json.loads((done / RESULTS / "folds/digits.json").read_text())
    held_out = [i for i, fold in enumerate(folds["assignment"][0]) if fold == -2]
    labels = [pd.read_csv(run / "test_predictions.csv")["label"] for run in run_dirs(done)]
    assert all(len(saved) == len(held_out) for saved in labels)
    assert all(saved.equals(labels[0]) for saved in labels)  # the same samples, in order
    # the p-value is no more liberal than a reference that adds the shared test part's
    # sampling variance (per-sample differences, fold-averaged) to the corrected fold variance
    correct = {
        (run.parts[-2], run.name): (lambda t: t["label"] == t["predicted"])(
            pd.read_csv(run / "test_predictions.csv")
        ).to_numpy(dtype=float)
        for run in run_dirs(done)
    }
    per_sample = np.mean(
        [correct[("dsrelu", f"fold{k}")] - correct[("relu", f"fold{k}")] for k in (0, 1)], axis=0
    )
    variance = (1 / 2 + 0.5) * difference.var(ddof=1) + per_sample.var(ddof=1) / len(per_sample)
    reference = 2 * stats.t.sf(abs(difference.mean()) / math.sqrt(variance), 1)
    assert row["p_value"] >= reference - 1e-9


# The figures the tiny study's notebook draws (its one case has too few for the
# critical-difference diagram, which says so instead).
NOTEBOOK_FIGURES = [  # the tiny study's (one case: no critical-difference diagram)
    "activation_gallery",
    "training_curves",
    "learning_rate",
    "validation_accuracy",
    "test_accuracy",
    "best_vs_final",
    "control_comparison",
    "bayesian_probabilities",
    "epoch_seconds",
    "epoch_seconds_ratio",
    "confusion_matrices",
    "activation_diagnostics",
    "paper_vs_ours",
]


def test_the_figure_notebook_ran_and_saved_its_figures(done):
    notebook = json.loads((done / RESULTS / "notebooks/figures.ipynb").read_text())
    assert notebook["metadata"]["papermill"]["parameters"]["study"] == "tiny"
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code)
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    for png in ("training_curves.png", "validation_accuracy.png"):
        with Image.open(done / RESULTS / "figures" / png) as image:
            assert image.format == "PNG"
            assert image.width > 300 and image.height > 200
            assert len(image.getcolors(maxcolors=1 << 20) or range(1000)) > 10  # not blank


def test_the_figure_page_shows_every_figure_with_its_caption_and_no_code(done):
    from actstudy.evaluation.figures import CAPTIONS

    page = (done / RESULTS / "notebooks/figures.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and "Training curves" in page
    body = page.split("<body", 1)[1]
    # no code: markdown cells alone have an input area, no cell has an input prompt
    assert body.count("jp-InputArea ") == body.count("jp-MarkdownCell")
    assert "jp-InputPrompt" not in body and 'class="highlight' not in body
    assert "histories_csv" not in body and "injected" not in body  # nor the parameters cells
    assert len(re.findall(r"<img ", body)) == len(NOTEBOOK_FIGURES)
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    for name in NOTEBOOK_FIGURES:  # each caption follows its figure
        assert CAPTIONS[name][:40] in text, name
    assert "No critical-difference diagram: 1 case(s) ran every activation" in text
    # every table whole: no elided cells, no "n rows × m columns" footer
    assert not re.search(r"<t[dh][^>]*>\s*(\.\.\.|…)\s*</t[dh]>", body)
    assert not re.search(r"\d+ rows × \d+ columns", text)
    summary = pd.read_csv(done / RESULTS / "tables/all/summary.csv")
    table = body.split("Summary (mean ± std over folds)", 1)[1].split("</table>", 1)[0]
    assert table.split("<tbody>", 1)[1].count("<tr>") == len(summary)
    assert "<th>mean epoch seconds mean</th>" in table  # the last column, not cut off


def assert_not_blank(png: Path) -> None:
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 300 and image.height > 200
        assert len(image.getcolors(maxcolors=1 << 20) or range(1000)) > 10, png


def test_every_run_logs_activation_diagnostics_collected_and_plotted(done):
    table = pd.read_csv(done / RESULTS / "tables/all/diagnostics.csv")
    assert list(table.columns) == [
        "dataset", "model", "activation", "fold", "epoch", "site", "quantity", "value"
    ]  # fmt: skip
    per_run = table.groupby(["activation", "fold"])
    assert sorted(per_run.groups) == [("dsrelu", 0), ("dsrelu", 1), ("relu", 0), ("relu", 1)]
    quantities = {"dead_fraction", "saturated_fraction", "preact_mean", "preact_std", "grad_norm"}
    for _, run in per_run:
        assert set(run["quantity"]) == quantities and (run["epoch"] == 1).all()
        assert run["site"].nunique() == 3  # LeNet-5's three activations
    fractions = table[table["quantity"].str.endswith("_fraction")]["value"]
    assert fractions.between(0, 1).all() and (table["value"].notna()).all()
    assert (table[table["quantity"] == "grad_norm"]["value"] > 0).all()
    assert_not_blank(done / RESULTS / "figures/activation_diagnostics.png")


# The report's tables and figures, by path under results/tiny/, and words of their captions.
REPORTED_TABLES = {
    f"tables/all/{name}.html": words
    for name, words in {
        "summary": "Mean ± standard deviation over folds",
        "runs": "One row per training run",
        "histories": "Every run's history",
        "diagnostics": "Activation diagnostics of every run",
        "statistics": "corrected resampled t-test",
        "timing": "the activations in turn round after round",
        "paper_vs_ours": "Every number the paper reported",
        "claims": "Each claim of the paper",
        "headline": "The study's answer",
    }.items()
}
WHOLE_TABLES = ["tables/all/histories.csv", "tables/all/diagnostics.csv"]  # for download
REPORTED_FIGURES = {
    "figures/training_curves.png": "Training and validation loss and accuracy",
    "figures/validation_accuracy.png": "Validation accuracy at each run's best epoch",
    "figures/activation_diagnostics.png": "the share of dead units",
    "figures/paper_vs_ours.png": "The paper's reported numbers beside ours",
}
BROWSER = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"]
BROWSER += ["--virtual-time-budget=60000", "--window-size=1400,1000"]


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, installed here where it is missing and can be (root, apt-get)."""
    script = REPO / "tests" / "browser" / "install_chromium.sh"
    installed = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    if installed.returncode != 0:
        pytest.skip(installed.stdout.strip() or installed.stderr.strip())
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def report(done, tmp_path_factory) -> Path:
    """The tiny study's report, as ``snakemake --report`` writes it, unpacked: its folder."""
    snakemake(done, "--report", f"{RESULTS}/report.zip")
    folder = tmp_path_factory.mktemp("report")
    with zipfile.ZipFile(done / RESULTS / "report.zip") as archive:
        archive.extractall(folder)
    return folder / "report"


def overview(report: Path) -> str:
    """The report's overview page (workflow/report/workflow.rst rendered), as HTML."""
    page = (report / "report.html").read_text()
    return json.loads(re.search(r"var workflow_desc = (\".*?\");\n", page)[1])


def caption(report: Path, name: str) -> str:
    """The rendered caption of the result ``name`` (a file name) in the report, as text."""
    page = (report / "report.html").read_text()
    entry = re.search(r'"name": "' + re.escape(name) + r'".*?"caption": (".*?(?<!\\)")', page)
    return re.sub(r"<[^>]+>|\s+", " ", html.unescape(json.loads(entry[1])))


def test_the_reports_overview_is_a_list_the_headline_and_how_to_read_the_rest(report):
    text = overview(report)
    items = [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", text, re.S)]
    parts = {item.split(":", 1)[0]: item.split(":", 1)[1] for item in items if ":" in item}
    for part in ["Datasets", "Models", "Activations", "Evaluation", "Statistics", "Training"]:
        assert part in parts, (part, items)
        assert "- **" not in parts[part] and "Models" not in parts["Datasets"]  # one item each
    assert "digits (digits)" in parts["Datasets"] and "relu, dsrelu" in parts["Activations"]
    evaluation = TINY["evaluation"]
    assert f"{evaluation['folds']}-fold" in parts["Evaluation"]
    assert f"a stratified {evaluation['test_fraction'] * 100:g} %" in parts["Evaluation"]
    statistics = TINY["statistics"]
    assert f"the control {statistics['control']} against each other" in parts["Statistics"]
    assert statistics["metric"] in parts["Statistics"] and "α = 0.05" in parts["Statistics"]
    assert f"±{statistics['rope']}" in parts["Statistics"]
    # the headline: the control against the other activation, the paper's claims after it
    answer = text.split("The answer", 1)[1].split("How to read the rest", 1)[0]
    assert "actstudy-headline" in answer and "<th>control − activation [interval]</th>" in answer
    assert "<td>dsrelu</td><td>relu</td>" in answer and "control − activation" in answer
    assert "ReLU beats DSReLU" in answer and "not adjusted" in answer
    assert "to the right" in text and "below" not in text.split("How to read the rest", 1)[1]


def test_each_caption_says_what_the_code_does(done, report):
    """The captions' key sentences, against the code's policy: a diverged run counts as the worst
    value in the summary; only the p-values are Holm-adjusted, not the intervals (statistics.csv
    of the run: each interval is the unadjusted t interval); training metrics are running
    means; no caption reaches the report as a job parameter."""
    summary = caption(report, "summary.html")
    assert f"an accuracy, F1 or ROC AUC counts as {WORST['accuracy']:g}" in summary
    assert WORST["loss"] == math.inf and "a loss as infinite" in summary
    diverged = pd.DataFrame({"status": ["diverged"], "val_accuracy": [0.9], "val_loss": [0.1]})
    assert with_divergence_policy(diverged).iloc[0].tolist() == ["diverged", 0.0, math.inf]
    statistics = caption(report, "statistics.html")
    assert (
        "only the p-values are Holm-adjusted" in statistics
        and "the intervals are not" in statistics
    )
    table = pd.read_csv(done / RESULTS / "tables/all/statistics.csv")
    tested = table[table["test"] == "corrected_t"].dropna(subset=["statistic"])
    assert len(tested)
    alpha = 0.05
    for row in tested.itertuples():
        se = row.mean_difference / row.statistic
        half = stats.t.ppf(1 - alpha / 2, row.df) * abs(se)
        assert row.ci_high - row.mean_difference == pytest.approx(half)
    assert "running means over the epoch's batches" in caption(report, "histories.html")
    assert "running means" in caption(report, "training_curves.png")
    page = (report / "report.html").read_text()
    assert "caption=" not in page  # no job's parameters hold a caption


def test_the_report_opens_in_a_browser_with_every_table_and_figure(report, chromium, tmp_path):
    page = report / "report.html"
    walker = page.with_name("walked.html")  # the report, and a script that clicks through it
    script = (REPO / "tests" / "browser" / "walk_report.js").read_text()
    walker.write_text(page.read_text() + f"\n<script>\n{script}</script>\n")

    def browse(*args: str) -> str:
        run = subprocess.run(
            [chromium, *BROWSER, *args, walker.as_uri()],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        return run.stdout

    dom = browse("--dump-dom")
    assert "Activation study" in dom and "How to read the rest" in dom  # the overview page
    assert "The answer" in dom and "actstudy-headline" in dom  # the headline table on it
    assert "relu" in dom and "dsrelu" in dom  # its configuration
    walk = json.loads(html.unescape(re.findall(r'<pre id="walk"[^>]*>(.*?)</pre>', dom, re.S)[-1]))
    assert all("error" not in item for item in walk), walk
    seen = {item["path"].removeprefix(f"{RESULTS}/"): item for item in walk}
    for path, words in {**REPORTED_TABLES, **REPORTED_FIGURES}.items():
        assert path in seen, f"{path} is not in the report"
        item = seen[path]
        assert item["category"] == "tiny · " + path.split("/")[0], item["category"]
        caption = item["info"].split("DESCRIPTION", 1)[1].split("SIZE", 1)[0]
        assert words in caption, (path, caption)
    for path in REPORTED_TABLES:
        tables = 2 if path.endswith("headline.html") else 1  # the headline and the claims
        assert seen[path]["content"] == f"tables={tables} images=0", path  # drawn as a table
        steps = {"1 headline", "2 aggregate", "3 statistics", "4 compare", "5 timing"}
        assert seen[path]["subcategory"] in steps
        cells = seen[path].get("sorted")
        if cells and not path.endswith("headline.html"):  # sorted by its first column
            key = [
                (0, float(c), "") if re.fullmatch(r"-?[\d.e+-]+", c) else (1, 0, c) for c in cells
            ]
            assert key == sorted(key), path
    menu = seen["tables/all/summary.html"]["menu"]  # the step's tables as the menu lists them
    shown = [menu.index(name) for name in ["1 summary", "2 runs", "3 histories", "4 diagnostics"]]
    assert shown == sorted(shown), menu  # the first table to read, first
    for path in WHOLE_TABLES:
        assert seen[path]["view"] == "download", path  # the whole CSV, one click away
    assert max(f.stat().st_size for f in report.rglob("*") if f.is_file()) < 5 * 1024 * 1024
    for path in REPORTED_FIGURES:
        width, height = map(int, seen[path]["content"].split("x"))
        assert width > 300 and height > 200, path
    notebook = seen["notebooks/figures.html"]
    assert notebook["category"] == "tiny · notebooks" and "images=" in notebook["content"]
    assert int(notebook["content"].rsplit("=", 1)[1]) >= 3  # the notebook's figures

    shot = tmp_path / "shot.png"
    browse(f"--screenshot={shot}")
    assert_not_blank(shot)


def test_make_report_writes_one_report_per_study():
    """`make report STUDY=...` names the report after the study its file defines."""
    planned = subprocess.run(
        ["make", "-n", "-C", str(REPO), "report", "STUDY=tests/configs/tiny.yaml"],
        capture_output=True,
        text=True,
    ).stdout
    command = next(line for line in planned.splitlines() if "--report" in line)
    echoed = subprocess.run(  # the command, with echo in place of snakemake
        ["bash", "-c", command.replace("snakemake", "echo", 1)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    assert "--report results/tiny/report.zip --configfile tests/configs/tiny.yaml" in echoed.stdout


def test_nothing_is_stale_after_a_full_run(done):
    assert planned_jobs(done) == {}


def test_changing_one_activation_reruns_only_its_jobs_and_what_follows(done):
    config = copy.deepcopy(TINY)
    config["activations"]["dsrelu"]["variant"] = "code"
    changed = write_config(done, config, "changed.yaml")
    jobs = planned_jobs(done, "--configfile", str(changed), "--replace-workflow-config")
    assert jobs.get("train") == 2
    assert jobs.get("aggregate") == 1 and jobs.get("figures") == 1
    assert "prepare" not in jobs and "folds" not in jobs


def test_changing_the_epoch_count_reruns_every_training_job(done):
    config = copy.deepcopy(TINY)
    config["training"]["epochs"] = 2
    changed = write_config(done, config, "changed.yaml")
    jobs = planned_jobs(done, "--configfile", str(changed), "--replace-workflow-config")
    assert jobs.get("train") == 4
    assert "prepare" not in jobs


@pytest.mark.parametrize(("pack", "jobs"), [("run", 4), ("folds", 2), ("case", 1)])
def test_jobs_pack_sets_how_many_runs_one_job_trains(tmp_path, pack, jobs):
    write_config(tmp_path, {**TINY, "jobs": {"pack": pack}})
    assert planned_jobs(tmp_path)["train"] == jobs


def test_a_dry_run_writes_no_file(tmp_path):
    """Input functions only return values: every file is a rule's output (the run specs too)."""
    write_config(tmp_path, TINY)
    before = sorted(
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if ".snakemake" not in p.parts
    )
    jobs = planned_jobs(tmp_path)
    assert jobs["spec"] == jobs["train"] == 4  # one spec per run, written by its own job
    after = sorted(
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if ".snakemake" not in p.parts
    )
    assert after == before


def test_a_case_job_trains_every_activation_and_fold_in_one_process(tmp_path):
    write_config(tmp_path, {**TINY, "jobs": {"pack": "case", "threads": 2}})
    snakemake(tmp_path, "--cores", "2", "train_all")
    log = (tmp_path / RESULTS / "logs/train/digits/lenet5.log").read_text()
    assert "run 4 of 4 in this job" in log
    for activation in TINY["activations"]:
        for fold in (0, 1):
            run = tmp_path / RESULTS / f"runs/digits/lenet5/{activation}/fold{fold}"
            manifest = json.loads((run / "manifest.json").read_text())
            assert manifest["spec"]["activation"]["label"] == activation
            assert manifest["spec"]["evaluation"]["fold"] == fold
            assert not (run / "last.pt").exists()
    assert planned_jobs(tmp_path, "train_all") == {}


def test_repeated_holdout_trains_one_run_per_split_and_compares_them(tmp_path):
    """evaluation.repeats on a hold-out study: r splits, each with its own seed, runs fold0 ..
    fold<r−1>, and a corrected resampled t-test over them (one split gives none)."""
    evaluation = {"mode": "holdout", "val_fraction": 0.2, "seed": 5, "repeats": 3}
    write_config(tmp_path, {**TINY, "evaluation": {**evaluation, "test_fraction": 0.2}})
    snakemake(tmp_path, "--cores", "2", f"{RESULTS}/tables/all/statistics.csv")
    folds = json.loads((tmp_path / RESULTS / "folds/digits.json").read_text())
    assert folds["split_seeds"] == [5, 6, 7] and len(folds["assignment"]) == 3
    validated = {tuple(i for i, f in enumerate(row) if f == 0) for row in folds["assignment"]}
    assert len(validated) == 3  # three different validation parts
    runs = pd.read_csv(tmp_path / RESULTS / "tables/all/runs.csv")
    assert sorted(runs.groupby("activation")["fold"].apply(sorted).tolist()) == [[0, 1, 2]] * 2
    statistics = pd.read_csv(tmp_path / RESULTS / "tables/all/statistics.csv")
    row = statistics[statistics["test"] == "corrected_t"].iloc[0]
    assert (row["n"], row["df"]) == (3, 2)


@pytest.mark.parametrize(
    ("target", "trained"),
    [
        (f"{RESULTS}/tables/activation-relu/summary.csv", 2),
        (f"{RESULTS}/tables/dataset-digits/summary.csv", 4),
    ],
)
def test_one_activation_or_one_dataset_can_be_rerun_alone(done, target, trained):
    jobs = planned_jobs(done, target, "--forcerun", "train")
    assert jobs == {"train": trained, "aggregate": 1}
