"""A paper's reported numbers and claims, as data beside its study (``reported:`` in a study
file, e.g. ``studies/reported/s1_lrelu_fruits.csv``): loading them and checking every row.

The columns of the two kinds of file and the values they allow are written once, in the schema
(``$defs.reported_result`` and ``$defs.reported_claim`` of workflow/schemas/config.schema.yaml,
with their meaning); this module reads them from there. Every problem is one sentence naming the
file, the line and the fix; a file's problems are raised together, one sentence a line, as one
ValueError.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from actstudy.notes import reported_study
from actstudy.schema import schema
from actstudy.study.grid import run_cases

if TYPE_CHECKING:
    import pandas as pd

KINDS = {"results": "reported_result", "claims": "reported_claim"}
WHAT = {"results": "reported-results file", "claims": "claims file"}
LABEL_KEYS = ("dataset", "model", "activation")
LABEL_COLUMNS = {"results": LABEL_KEYS, "claims": ("left", "right", "scope")}
"""The columns that hold the study's labels, which a note's ``paper label:`` may exempt."""
IDENTITY = {
    "results": [*LABEL_KEYS, "metric", "split", "at", "paper_fold"],
    "claims": ["study", "claim"],
}
"""What no two rows of a file may share: each number, each claim, once."""
PAPER_LABEL = "paper label"
_PAPER_LABEL_NOTE = re.compile(r"paper label: ([a-z_]+(?:, [a-z_]+)*)(?:;|$)")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
MAX_BYTES = 16 * 2**20  # far above any table of reported numbers
MAX_PROBLEMS = 10  # sentences shown per file; the rest are counted


def row_schema(kind: str) -> dict[str, Any]:
    """The schema of one row of a ``results`` or ``claims`` file (its ``$ref``s resolvable)."""
    return {**schema()["$defs"][KINDS[kind]], "$defs": schema()["$defs"]}


def _resolved(node: Mapping[str, Any]) -> dict[str, Any]:
    """A schema node with its ``$ref`` (``#/$defs/<name>``) merged in, its own keys winning.
    (Kept here rather than in actstudy.schema, whose digest is part of every run's.)"""
    if "$ref" not in node:
        return dict(node)
    target = schema()["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return {**_resolved(target), **{k: v for k, v in node.items() if k != "$ref"}}


def columns(kind: str) -> list[str]:
    """A file's columns, in their order."""
    return list(row_schema(kind)["properties"])


def column_schema(kind: str, column: str) -> dict[str, Any]:
    return _resolved(row_schema(kind)["properties"][column])


def allowed(kind: str, column: str) -> list[str]:
    """The values a column allows (``""`` = blank), e.g. ``allowed("results", "metric")``."""
    return list(column_schema(kind, column).get("enum", []))


@cache
def _validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(row_schema(kind))


class _Problems:
    """The sentences about one file, raised together."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sentences: list[str] = []

    def add(self, line: int | None, text: str) -> None:
        where = f"{self.path} line {line}" if line is not None else str(self.path)
        self.sentences.append(f"{where}: {text}")

    def raise_any(self) -> None:
        if not self.sentences:
            return
        shown = self.sentences[:MAX_PROBLEMS]
        if (more := len(self.sentences) - MAX_PROBLEMS) > 0:
            shown.append(
                f"{self.path}: {more} more problem(s) like these; "
                "fix those above and validate again"
            )
        raise ValueError("\n".join(shown))


def _read(path: Path, kind: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (line, {column: text}) after checking it is a CSV with exactly the
    expected columns; a problem with the file as a whole is raised at once."""
    what = WHAT[kind]
    try:
        if not path.is_file():
            if not path.exists():
                raise ValueError(
                    f"{what} {path} does not exist (paths are relative to the working directory "
                    f"{Path.cwd()}); fix the path"
                )
            raise ValueError(f"{what} {path} is not a file; give the path of a CSV file")
        if (size := path.stat().st_size) > MAX_BYTES:
            raise ValueError(
                f"{what} {path} holds {size / 2**20:,.0f} MiB, more than the "
                f"{MAX_BYTES // 2**20} MiB a table of reported numbers may; give the right file"
            )
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{what} {path} is not UTF-8 text; save it as a UTF-8 CSV") from None
    except OSError as error:
        raise ValueError(
            f"{what} {path} cannot be read ({error.strerror}); fix the path or its permissions"
        ) from None
    expected = columns(kind)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        header = next(reader, None)
        rows += [(reader.line_num, fields) for fields in reader if fields]
    except csv.Error as error:
        raise ValueError(
            f"{path} line {reader.line_num} is not valid CSV ({error}); fix its quoting"
        ) from None
    if header is None:
        raise ValueError(
            f"{what} {path} is empty; give the header {','.join(expected)} and one row per line"
        )
    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        fixes = [f"add {', '.join(missing)}"] if missing else []
        fixes += [f"remove {', '.join(extra)}"] if extra else []
        raise ValueError(
            f"{path} line 1: the columns must be exactly {','.join(expected)}, in this order "
            f"(got {','.join(header)}); {' and '.join(fixes) or 'reorder them'}"
        )
    if not rows:
        raise ValueError(f"{what} {path} has a header but no rows; add one row per line")
    problems = _Problems(path)
    read = []
    for line, fields in rows:
        if len(fields) != len(expected):
            problems.add(
                line,
                f"{len(fields)} fields where the header has {len(expected)}; quote a field "
                'that holds a comma ("a, b")',
            )
        else:
            read.append((line, dict(zip(expected, fields, strict=True))))
    problems.raise_any()
    return read


def _convert(raw: str, types: Sequence[str]) -> Any:
    """A cell as the schema's type where it is one (else the text, which the schema refuses)."""
    text = raw.strip()
    if not text and "null" in types:
        return None
    if "integer" in types and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types and _NUMBER.fullmatch(text) and math.isfinite(float(text)):
        return float(text)
    return raw


def _typed(kind: str, fields: Mapping[str, str]) -> dict[str, Any]:
    row = {}
    for column, raw in fields.items():
        types = column_schema(kind, column).get("type", "string")
        row[column] = _convert(raw, [types] if isinstance(types, str) else types)
    return row


def _options(values: Iterable[str]) -> str:
    return ", ".join(value or "blank" for value in values)


def _close(value: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, [o for o in options if o], n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _cell_problems(kind: str, fields: Mapping[str, str], row: Mapping[str, Any]) -> list[str]:
    """One sentence per cell the schema refuses, in column order."""
    order = columns(kind)
    errors = sorted(
        _validator(kind).iter_errors(row),
        key=lambda e: order.index(e.absolute_path[0]) if e.absolute_path else -1,
    )
    sentences, seen = [], set()
    for error in errors:
        column = error.absolute_path[0] if error.absolute_path else None
        if column is None or column in seen:
            continue
        seen.add(column)
        raw = fields[column]
        if error.validator == "enum":
            options = error.validator_value
            sentences.append(
                f"{column} {raw!r} is not one of {_options(options)}; use one of them"
                + _close(raw, options)
            )
        else:
            rule = column_schema(kind, column).get("x-rule", error.message)
            sentences.append(f"{column} is {raw!r}; it must be {rule}")
    return sentences


def _exempt(kind: str, note: str) -> tuple[set[str], str | None]:
    """The columns a note's ``paper label: <columns>;`` exempts, or a sentence saying how to
    write it."""
    if not note.startswith(PAPER_LABEL):
        return set(), None
    match = _PAPER_LABEL_NOTE.match(note)
    own = LABEL_COLUMNS[kind]
    named = match.group(1).split(", ") if match else []
    if not match or not set(named) <= set(own):
        return set(), (
            f"the note starts with '{PAPER_LABEL}' but not as '{PAPER_LABEL}: <columns>; <why>' "
            f"naming only {', '.join(own)}; write it so, e.g. '{PAPER_LABEL}: {own[0]}; the "
            "paper's own name, which this study does not run'"
        )
    return set(named), None


class _Study:
    """The labels and runs of a validated study, to check reported rows against."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.name = reported_study(config)
        self.labels = {key: list(config[f"{key}s"]) for key in LABEL_KEYS}
        self.runs = [dict(zip(LABEL_KEYS, case, strict=True)) for case in run_cases(config)]

    def unknown(self, key: str, label: str, column: str) -> str | None:
        if label in self.labels[key]:
            return None
        return (
            f"{column} names the {key} {label!r}, which study {self.name} does not define; use "
            f"one of {', '.join(self.labels[key])}{_close(label, self.labels[key])}, or start the "
            f"note with '{PAPER_LABEL}: {column};' to keep the paper's own name"
        )

    def runs_any(self, selection: Mapping[str, Sequence[str]]) -> bool:
        return any(
            all(run[key] in labels for key, labels in selection.items()) for run in self.runs
        )


def parse_selector(text: str) -> tuple[dict[str, list[str]], str | None]:
    """``model=resnet50 activation=a|b`` as {key: labels} (the schema checked its form)."""
    selection: dict[str, list[str]] = {}
    for term in text.split():
        key, _, labels = term.partition("=")
        if key in selection:
            return selection, f"gives {key} twice; give it once, its labels joined by |"
        selection[key] = labels.split("|")
    return selection, None


def _described(selection: Mapping[str, Sequence[str]]) -> str:
    return " ".join(f"{key}={'|'.join(labels)}" for key, labels in selection.items())


def _result_row_problems(
    row: Mapping[str, Any], exempt: set[str], study: _Study | None
) -> list[str]:
    if study is None:
        return []
    problems, selection = [], {}
    for key in LABEL_KEYS:
        if row[key] and key not in exempt:
            if sentence := study.unknown(key, row[key], key):
                problems.append(sentence)
            selection[key] = [row[key]]
    if selection and not problems and not study.runs_any(selection):
        problems.append(
            f"study {study.name} runs no {_described(selection)}; name a combination it runs "
            "(a model's datasets and activations limit it)"
        )
    return problems


def _claim_row_problems(
    row: Mapping[str, Any], exempt: set[str], study: _Study | None
) -> list[str]:
    relation_schema = column_schema("claims", "relation")
    relations = [r for r in relation_schema["enum"] if r]
    without_right = relation_schema["x-without-right"]
    with_expected = relation_schema["x-with-expected"]
    relation, problems = row["relation"], []
    selections = {}
    for column in LABEL_COLUMNS["claims"]:
        selections[column], problem = parse_selector(row[column])
        if problem:
            problems.append(f"{column} {problem}")
    if not relation:
        if row["left"] or row["right"]:
            problems.append(
                f"relation is blank but left or right is not; give a relation, one of "
                f"{', '.join(relations)}, or leave left and right blank"
            )
        elif not row["note"]:
            problems.append(
                "left, relation and right are blank; say in note why the claim cannot be put "
                "as a comparison"
            )
    else:
        if not row["left"]:
            problems.append(
                f"relation {relation} needs left, the runs the claim is about; give it, "
                "e.g. 'activation=dsrelu'"
            )
        if relation in without_right and row["right"]:
            problems.append(f"relation {relation} takes no right; leave right blank")
        if relation not in without_right and not row["right"]:
            problems.append(f"relation {relation} compares left with right; give right")
        if relation == "descending" and sum(len(v) > 1 for v in selections["left"].values()) != 1:
            problems.append(
                "relation descending orders the labels left gives for one key; give two or "
                "more for exactly one key, e.g. 'activation=tanh_relu|relu|tanh'"
            )
    with_margin = relation_schema["x-with-margin"]
    if relation in with_margin and row["margin"] is None:
        problems.append(f"relation {relation} needs margin, the study's own margin; give it")
    if relation not in with_margin and row["margin"] is not None:
        problems.append(f"relation {relation or '(blank)'} takes no margin; leave it blank")
    if (row["metric"] == "loss") != bool(row["paper_loss"]):
        problems.append(
            "paper_loss names the loss of a claim on metric loss, and only there; give it for a "
            "loss claim (cross_entropy or softmax_outputs), leave it blank for others"
        )
    if relation in with_expected and row["expected"] is None:
        problems.append(f"relation {relation} needs expected, the paper's figure; give it")
    if relation not in with_expected and row["expected"] is not None:
        problems.append(f"relation {relation or '(blank)'} takes no expected; leave it blank")
    if study is None or row["study"] != study.name or problems:
        return problems
    for column, selection in selections.items():
        if column not in exempt:
            problems += [
                sentence
                for key, labels in selection.items()
                for label in labels
                if (sentence := study.unknown(key, label, column))
            ]
    if problems or "scope" in exempt:
        return problems
    for column in ("left", "right"):
        if column in exempt or not selections[column]:
            continue
        combined = {**selections["scope"], **selections[column]}
        if not study.runs_any(combined):
            problems.append(
                f"{column} within scope ({_described(combined)}) selects no run of study "
                f"{study.name}; fix the labels"
            )
    return problems


def _load(
    path: str | Path, kind: str, config: Mapping[str, Any] | None
) -> tuple[pd.DataFrame, _Problems]:
    path = Path(path)
    study = _Study(config) if config is not None else None
    rows = _read(path, kind)
    problems = _Problems(path)
    key_columns = IDENTITY[kind]
    seen: dict[tuple[Any, ...], int] = {}
    typed = []
    for line, fields in rows:
        row = _typed(kind, fields)
        sentences = _cell_problems(kind, fields, row)
        exempt, sentence = _exempt(kind, fields["note"])
        sentences += [sentence] if sentence else []
        if not sentences:
            check = _result_row_problems if kind == "results" else _claim_row_problems
            sentences = check(row, exempt, study)
        key = tuple(row[c] for c in key_columns)
        if not sentences and key in seen:
            sentences = [
                f"gives the same {', '.join(key_columns)} as line {seen[key]}; keep one of the two"
            ]
        seen.setdefault(key, line)
        for text in sentences:
            problems.add(line, text)
        typed.append(row)
    import pandas as pd  # here: a study without reported files is checked without it

    return pd.DataFrame(typed, columns=columns(kind)), problems


def load_reported(path: str | Path, config: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A study's reported numbers: one row per number, the columns of
    ``$defs.reported_result`` (``value`` a float, ``paper_fold`` an Int64 with blanks missing,
    the rest text with blanks ""). With ``config`` (a validated study), every label must be one
    the study defines (or be marked as the paper's own in the note) and name runs it has.
    Raises ValueError, one sentence a problem."""
    table, problems = _load(path, "results", config)
    problems.raise_any()
    return table.astype({"value": "float64", "paper_fold": "Int64"})


def load_claims(
    path: str | Path, study: str, config: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The claims of ``study`` (rows whose study column is its name) in a claims file, the
    columns of ``$defs.reported_claim`` (``expected`` a float, NaN where blank). Every row of
    the file is checked; with ``config``, the study's rows must name only its labels (or mark
    them as the paper's own) and select runs it has. Raises ValueError, one sentence a
    problem."""
    table, problems = _load(path, "claims", config)
    if not problems.sentences and not (table["study"] == study).any():
        problems.add(
            None,
            f"no claim belongs to study {study} (the file's studies: "
            f"{', '.join(dict.fromkeys(table['study']))}); add its claims or stop naming the file",
        )
    problems.raise_any()
    table = table[table["study"] == study].reset_index(drop=True)
    return table.astype({"expected": "float64", "margin": "float64"})
