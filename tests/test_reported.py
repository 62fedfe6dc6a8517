"""Each paper's reported numbers and claims, as data in the project (studies/reported/): every
shipped file loads and is checked against its study, and each malformed row is one sentence
naming the file, the line and the fix."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import numpy as np
import pytest
from workflow_helpers import REPO

from actstudy.errors import ConfigError
from actstudy.evaluation.reported import allowed, columns, load_claims, load_reported
from actstudy.study.validate import load_config, validate_config
from actstudy.study.yaml_file import read_config
from actstudy.training.metrics import classification_metrics

# The numeric values of each paper's table(s) as transcribed (studies/reported/README.md; the
# papers: docs/studies.md): S1 4 methods × 4 numbers; S2 3 depths × 4 activations; S3 the case
# count and the share (its best function is text, a claim); S4 4 activations × 2; S5 the
# appendix's 540 (3 datasets × 6 activations × 6 metrics × 5 "folds") and Table IV's 18 seconds
# per epoch.
RESULT_ROWS = {
    "s1_lrelu_fruits": 16,
    "s2_trainable_cifar10": 12,
    "s3_eelu_evaluation": 2,
    "s4_tanh_relu_mnist": 8,
    "s5_dsrelu": 540 + 18,
}
CLAIMS = {
    "s1_lrelu_fruits": 2,
    "s2_trainable_cifar10": 2,
    "s3_eelu_evaluation": 2,
    "s4_tanh_relu_mnist": 2,
    "s5_dsrelu": 7,
}
STUDIES = sorted((REPO / "studies").glob("s*.yaml"))


@pytest.fixture
def at_repo(tmp_path, monkeypatch) -> Path:
    """The repository root as the working directory (study files name their reported files
    relative to it), with S1's ImageNet weights where the transfer model looks for them."""
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    weights = tmp_path / "torch" / "hub" / "checkpoints" / "resnet50-0676ba61.pth"
    weights.parent.mkdir(parents=True)
    weights.touch()
    return REPO


def test_every_study_names_its_reported_files():
    assert [path.stem for path in STUDIES] == sorted(RESULT_ROWS)
    for path in STUDIES:
        reported = read_config(path)["reported"]
        assert reported == {
            "results": f"studies/reported/{path.stem}.csv",
            "claims": "studies/reported/claims.csv",
        }
        assert (REPO / reported["results"]).resolve().is_relative_to(REPO / "studies")


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_a_shipped_studys_reported_results_and_claims_load_and_validate(at_repo, path):
    config = load_config(path)  # validates the reported files against the study
    study = config["study"]
    results = load_reported(config["reported"]["results"], config)
    assert list(results.columns) == columns("results")
    assert len(results) == RESULT_ROWS[study]
    assert results["value"].notna().all() and (results["source"] != "").all()
    assert set(results["metric"]) <= set(allowed("results", "metric"))
    claims = load_claims(config["reported"]["claims"], study, config)
    assert len(claims) == CLAIMS[study] and set(claims["study"]) == {study}


def test_the_claims_file_holds_every_claim_once():
    with open(REPO / "studies" / "reported" / "claims.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(CLAIMS.values())
    assert len({(row["study"], row["claim"]) for row in rows}) == len(rows)


def test_reported_numbers_are_fractions_and_s5_lists_five_paper_folds(at_repo):
    s1 = load_reported("studies/reported/s1_lrelu_fruits.csv")
    best = s1.query("model == 'resnet50' and activation == 'lrelu_1e3' and split == 'test'")
    assert best.set_index("metric")["value"].to_dict() == {"accuracy": 0.9483, "loss": 0.3281}
    assert set(s1["at"]) == {"final"}
    s5 = load_reported("studies/reported/s5_dsrelu.csv")
    per_epoch = s5[s5["at"] == "epoch"]
    assert sorted(per_epoch["paper_fold"].unique()) == [1, 2, 3, 4, 5]
    assert per_epoch.groupby(["dataset", "activation", "metric", "split"]).size().eq(5).all()
    assert s5[s5["at"] == "mean_epoch"]["paper_fold"].isna().all()
    accuracies = s5[s5["metric"] == "accuracy"]["value"]
    assert accuracies.between(0, 1).all()


def test_the_allowed_values_come_from_the_schema_and_cover_the_runs_metrics():
    metrics = classification_metrics(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]), 0.1)
    assert set(metrics) <= set(allowed("results", "metric"))
    assert allowed("results", "metric") == allowed("claims", "metric")
    assert set(allowed("results", "split")) == {"train", "val", "test", ""}
    assert set(allowed("results", "at")) == {
        *["final", "best", "last3", "epoch", "mean_epoch", "max"],
        "",
    }
    assert {">", "<"} <= set(allowed("claims", "relation"))


def test_the_readme_of_studies_reported_explains_every_allowed_value():
    readme = (REPO / "studies" / "reported" / "README.md").read_text(encoding="utf-8")
    assert ",".join(columns("results")) in readme and ",".join(columns("claims")) in readme
    for kind, column in [("results", "metric"), ("results", "at"), ("claims", "relation")]:
        missing = [v for v in allowed(kind, column) if v and f"`{v}`" not in readme]
        assert not missing, f"studies/reported/README.md does not explain {column} {missing}"


def test_a_study_without_reported_files_is_valid(tiny_config):
    assert validate_config(copy.deepcopy(tiny_config))["reported"] is None


# --- hostile rows: one sentence each, naming the file, the line and the fix ------------------

S4 = REPO / "studies" / "s4_tanh_relu_mnist.yaml"


def s4_with(tmp_path: Path, results: str | None = None, claims: str | None = None) -> dict:
    """S4's study with its reported files replaced by ``results`` / ``claims`` (CSV text)."""
    config = read_config(S4)
    for key, text in (("results", results), ("claims", claims)):
        if text is not None:
            path = tmp_path / f"{key}.csv"
            path.write_text(text, encoding="utf-8")
            config["reported"][key] = str(path)
        else:
            config["reported"][key] = str(REPO / config["reported"][key])
    return config


def shipped(name: str) -> str:
    return (REPO / "studies" / "reported" / name).read_text(encoding="utf-8")


def one_sentence(config: dict) -> str:
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    sentences = str(error.value).splitlines()
    assert len(sentences) == 1, sentences
    return sentences[0]


def replace_line(text: str, number: int, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    assert old in lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "".join(lines)


@pytest.mark.hostile
def test_a_misspelt_label_is_one_sentence_with_the_labels_of_the_study(tmp_path):
    text = replace_line(shipped("s4_tanh_relu_mnist.csv"), 4, "tanh,", "tahn,")
    sentence = one_sentence(s4_with(tmp_path, results=text))
    assert sentence == (
        f"config key 'reported.results': {tmp_path / 'results.csv'} line 4: activation names "
        "the activation 'tahn', which study s4_tanh_relu_mnist does not define; use one of "
        "sigmoid, tanh, relu, tanh_relu (did you mean tanh?), or start the note with "
        "'paper label: activation;' to keep the paper's own name"
    )


@pytest.mark.hostile
@pytest.mark.parametrize("value", ["n/a", "nan", "inf", "1e999", "", "0,97"])
def test_a_value_that_is_not_a_finite_number_is_one_sentence(tmp_path, value):
    cell = f'"{value}"' if "," in value else value
    text = replace_line(shipped("s4_tanh_relu_mnist.csv"), 2, ",0.881,", f",{cell},")
    sentence = one_sentence(s4_with(tmp_path, results=text))
    assert sentence == (
        f"config key 'reported.results': {tmp_path / 'results.csv'} line 2: value is "
        f"{value!r}; it must be a finite number (accuracies and shares as fractions, e.g. 0.9483)"
    )


@pytest.mark.hostile
def test_an_unknown_metric_is_one_sentence_with_the_allowed_ones(tmp_path):
    text = replace_line(shipped("s4_tanh_relu_mnist.csv"), 3, ",loss,", ",los,")
    sentence = one_sentence(s4_with(tmp_path, results=text))
    assert sentence.startswith(
        f"config key 'reported.results': {tmp_path / 'results.csv'} line 3: metric 'los' is "
        "not one of accuracy, loss, f1_macro, "
    )
    assert sentence.endswith("; use one of them (did you mean loss?)")


@pytest.mark.hostile
@pytest.mark.parametrize("key", ["results", "claims"])
def test_a_missing_reported_file_is_one_sentence(tmp_path, key):
    config = s4_with(tmp_path)
    config["reported"][key] = str(tmp_path / "nowhere.csv")
    what = "reported-results file" if key == "results" else "claims file"
    assert one_sentence(config) == (
        f"config key 'reported.{key}': {what} {tmp_path / 'nowhere.csv'} does not exist (paths "
        f"are relative to the working directory {Path.cwd()}); fix the path"
    )


@pytest.mark.hostile
def test_a_reported_path_must_be_a_csv(tmp_path):
    config = s4_with(tmp_path)
    config["reported"]["results"] = "studies/reported/s4.txt"
    assert one_sentence(config) == (
        "config key 'reported.results' must be a path ending in .csv "
        "(got 'studies/reported/s4.txt')"
    )


@pytest.mark.hostile
def test_other_columns_are_one_sentence(tmp_path):
    text = shipped("s4_tanh_relu_mnist.csv").replace(",paper_fold,", ",fold,", 1)
    sentence = one_sentence(s4_with(tmp_path, results=text))
    assert sentence.startswith(
        f"config key 'reported.results': {tmp_path / 'results.csv'} line 1: the columns must "
        "be exactly dataset,model,activation,metric,split,at,paper_fold,value,source,note, in "
    )
    assert sentence.endswith("; add paper_fold and remove fold")


@pytest.mark.hostile
def test_an_unquoted_comma_is_one_sentence(tmp_path):
    text = replace_line(shipped("s4_tanh_relu_mnist.csv"), 5, "Pan et al. 2019", "Pan, 2019")
    sentence = one_sentence(s4_with(tmp_path, results=text))
    assert sentence == (
        f"config key 'reported.results': {tmp_path / 'results.csv'} line 5: 11 fields where "
        'the header has 10; quote a field that holds a comma ("a, b")'
    )


@pytest.mark.hostile
def test_a_number_given_twice_is_one_sentence(tmp_path):
    text = shipped("s4_tanh_relu_mnist.csv")
    text += text.splitlines(keepends=True)[1].replace("0.881", "0.9")
    sentence = one_sentence(s4_with(tmp_path, results=text))
    assert sentence.endswith(
        "line 10: gives the same dataset, model, activation, metric, split, at, paper_fold as "
        "line 2; keep one of the two"
    )


@pytest.mark.hostile
def test_labels_the_study_never_runs_together_are_one_sentence(at_repo, tmp_path):
    text = replace_line(
        shipped("s5_dsrelu.csv"), 2, "mini_imagenet84,resnet34,", "mitdb187,resnet34,"
    )
    path = tmp_path / "s5.csv"
    path.write_text(text, encoding="utf-8")
    config = read_config(REPO / "studies" / "s5_dsrelu.yaml")
    config["reported"]["results"] = str(path)
    assert one_sentence(config) == (
        f"config key 'reported.results': {path} line 2: study s5_dsrelu runs no "
        "dataset=mitdb187 model=resnet34 activation=dsrelu; name a combination it runs (a "
        "model's datasets and activations limit it)"
    )


def test_a_paper_label_in_the_note_keeps_the_papers_own_name(tmp_path):
    text = shipped("s4_tanh_relu_mnist.csv")
    text += "mnist28,lenet5,relu,accuracy,test,final,,0.99,a paper,paper label: dataset; its own\n"
    results = load_reported(s4_with(tmp_path, results=text)["reported"]["results"])
    assert results["dataset"].iloc[-1] == "mnist28"
    validate_config(s4_with(tmp_path, results=text))


@pytest.mark.hostile
def test_a_misspelt_label_in_a_claim_is_one_sentence(tmp_path):
    text = shipped("claims.csv").replace(
        "activation=tanh_relu|relu|tanh|sigmoid", "activation=tanh_relu|relu|tanh|sigmiod"
    )
    sentence = one_sentence(s4_with(tmp_path, claims=text))
    assert sentence == (
        f"config key 'reported.claims': {tmp_path / 'claims.csv'} line 8: left names the "
        "activation 'sigmiod', which study s4_tanh_relu_mnist does not define; use one of "
        "sigmoid, tanh, relu, tanh_relu (did you mean sigmoid?), or start the note with "
        "'paper label: left;' to keep the paper's own name"
    )


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (",descending,,", ",>,,", "relation > compares left with right; give right"),
        (",descending,,", ",≥,,", "relation '≥' is not one of blank, >, <, descending, "),
        (
            ",last3,dataset=mnist36 model=lenet5,,",
            ",last3,dataset=mnist36 model=lenet5,0.9,",
            "relation descending takes no expected; leave it blank",
        ),
        (
            "dataset=mnist36 model=lenet5",
            "dataset=mnist36  model=lenet5",
            "scope is 'dataset=mnist36  model=lenet5'; it must be blank, or key=label terms",
        ),
        (
            "dataset=mnist36 model=lenet5",
            "model=mnist36",
            "scope names the model 'mnist36', which study s4_tanh_relu_mnist does not define",
        ),
    ],
)
def test_a_malformed_claim_is_one_sentence(tmp_path, old, new, expected):
    lines = shipped("claims.csv").splitlines(keepends=True)
    assert old in lines[7]
    lines[7] = lines[7].replace(old, new, 1)
    sentence = one_sentence(s4_with(tmp_path, claims="".join(lines)))
    assert sentence.startswith(f"config key 'reported.claims': {tmp_path / 'claims.csv'} line 8: ")
    assert expected in sentence


@pytest.mark.hostile
def test_a_claims_file_without_the_studys_claims_is_one_sentence(tmp_path):
    lines = shipped("claims.csv").splitlines(keepends=True)
    text = "".join(line for line in lines if not line.startswith("s4_tanh_relu_mnist,"))
    assert one_sentence(s4_with(tmp_path, claims=text)).startswith(
        f"config key 'reported.claims': {tmp_path / 'claims.csv'}: no claim belongs to study "
        "s4_tanh_relu_mnist (the file's studies: s1_lrelu_fruits, s2_trainable_cifar10, "
    )


@pytest.mark.hostile
def test_many_bad_rows_are_counted_after_ten_sentences(tmp_path):
    text = shipped("s4_tanh_relu_mnist.csv")
    text += "".join(
        f"mnist36,lenet5,relu,accuracy,test,best,{k},x,a paper,\n" for k in range(1, 31)
    )
    with pytest.raises(ConfigError) as error:
        validate_config(s4_with(tmp_path, results=text))
    sentences = str(error.value).splitlines()
    assert len(sentences) == 11
    assert sentences[-1].endswith(
        "20 more problem(s) like these; fix those above and validate again"
    )
