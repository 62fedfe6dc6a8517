"""What the Snakefile asks of a study at start-up, kept out of the rules: validation, the run
grid, and the short params each job gets (a spec file, a code digest, prepared-folder names)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from actstudy import config as study_config
from actstudy.errors import ConfigError
from actstudy.io import write_json
from actstudy.provenance import fingerprint
from actstudy.run_code import digest, run_files

PREPARED_ROOT = Path("resources/prepared")


class StudyError(Exception):
    """A study that cannot start; the message is what Snakemake prints before it exits."""


class Study:
    """A validated study config (defaults filled in, in place) and what its jobs need."""

    def __init__(
        self,
        config: dict[str, Any],
        files: Sequence[str | Path] = (),
        resources: str | Path = "resources",
    ) -> None:
        """``files``: the config files Snakemake read (checked for keys given twice)."""
        try:
            for file in files:
                study_config.read_config(file)
            study_config.validate_config(config)
        except ConfigError as error:
            sentences = str(error).splitlines()
            raise StudyError("Invalid study configuration:\n  " + "\n  ".join(sentences)) from None
        self.config = config
        self.resources = Path(resources)
        self.runs = study_config.run_grid(config)
        self._prepared = {
            label: study_config.prepared_name(config, label) for label in config["datasets"]
        }
        self._check_paths()
        if unavailable := self.unavailable_datasets():
            raise StudyError("Cannot run this study:\n  " + "\n  ".join(unavailable))

    def _check_paths(self) -> None:
        """Every folder the study writes stays under results/<study>/ or resources/prepared/
        (the label patterns make this so; this proves it before any job)."""
        results = Path("results").resolve()
        study = (results / self.config["study"]).resolve()
        folders = [(study, results)]
        folders += [
            (PREPARED_ROOT.resolve() / name, PREPARED_ROOT.resolve())
            for name in self._prepared.values()
        ]
        folders += [
            (study.joinpath("runs", run["dataset"], run["model"], run["activation"]), study)
            for run in self.runs
        ]
        for folder, root in folders:
            if folder.resolve() == root or not folder.resolve().is_relative_to(root):
                raise StudyError(
                    f"Invalid study configuration:\n  the output folder {folder} would lie "
                    f"outside {root}; rename the study or label"
                )

    def prepared_names(self) -> list[str]:
        return sorted(set(self._prepared.values()))

    def prepared_name(self, dataset: str) -> str:
        return self._prepared[dataset]

    def _label_of(self, prepared: str) -> str:
        return next(label for label, name in self._prepared.items() if name == prepared)

    def prepare_options(self, prepared: str) -> str:
        options = study_config.source_options(self.config, self._label_of(prepared))
        return json.dumps(options, sort_keys=True)

    def prepare_plugins(self, prepared: str) -> list[str]:
        return study_config.source_plugins(self.config, self._label_of(prepared))

    def unavailable_datasets(self) -> list[str]:
        """One sentence per dataset that is neither prepared nor placed nor downloadable."""
        from actstudy.data import missing

        sentences = []
        for label, name in self._prepared.items():
            if (self.resources / "prepared" / name / "manifest.json").exists():
                continue
            options = study_config.source_options(self.config, label)
            if sentence := missing(options, self.resources):
                sentences.append(f"dataset '{label}': {sentence}")
        return sentences

    def fold_options(self) -> str:
        options = {k: v for k, v in study_config.evaluation(self.config).items() if k != "test"}
        return json.dumps(options, sort_keys=True)

    def statistics_options(self) -> str:
        """The study's ``statistics`` section (control, metric, rope, alpha) as JSON."""
        return json.dumps(self.config["statistics"], sort_keys=True)

    def spec(self, run: dict[str, Any]) -> dict[str, Any]:
        return study_config.run_spec(
            self.config, run["dataset"], run["model"], run["activation"], int(run["fold"])
        )

    def spec_file(self, run: dict[str, Any]) -> str:
        """``results/<study>/specs/<digest>.json``, written once; its name changes with it."""
        return self._written(self.spec(run))

    def _written(self, spec: dict[str, Any]) -> str:
        path = Path("results", self.config["study"], "specs", f"{fingerprint(spec)[:16]}.json")
        if not path.exists():
            write_json(path, spec)
        return str(path)

    # The activation search (workflow/rules/search.smk)

    def search_methods(self) -> list[str]:
        """The searches the study runs: its method, and the random baseline when asked for."""
        search = self.config["search"]
        if search is None:
            return []
        baseline = search["baseline"] and search["method"] != "random"
        return [search["method"], *(["random"] if baseline else [])]

    def search_fold_options(self) -> dict[str, Any]:
        """The hold-out that scores the candidates, as the folds step takes it."""
        split = study_config.search_evaluation(self.config["search"])
        return {k: v for k, v in split.items() if k != "test"}

    def search_options(self, method: str) -> str:
        """The search section a search's generations are made with (JSON), without what only
        the workflow uses (a changed ``top`` reruns no generation)."""
        options = {k: v for k, v in self.config["search"].items() if k not in ("top", "baseline")}
        return json.dumps({**options, "method": method}, sort_keys=True)

    def search_first(self, method: str) -> dict[str, str]:
        """Generation 0's candidates to train (key → formula), known before any job runs."""
        return dict(_first_generation(self.search_options(method))["train"])

    def search_state_dir(self, method: str) -> Path:
        return Path("results", self.config["study"], "search", method)

    def search_formula(self, key: str) -> str:
        """The formula a search trains as ``key`` (generation 0's, or from the newest state)."""
        from actstudy.search.results import formula_of

        for method in self.search_methods():
            if key in (first := self.search_first(method)):
                return first[key]
        states = [
            p for m in self.search_methods() for p in self.search_state_dir(m).glob("gen*.json")
        ]
        formula = formula_of(key, [p for p in states if p.name[3:-5].isdigit()])
        if formula is None:
            raise StudyError(
                f"no search state names the candidate {key}; run the search from its first "
                "generation (snakemake search_all) rather than a candidate's files"
            )
        return formula

    def search_spec_file(self, key: str) -> str:
        """A candidate's run spec, written like :meth:`spec_file` (its name changes with it)."""
        return self._written(
            study_config.search_run_spec(self.config, key, self.search_formula(key))
        )

    def search_code_digest(self) -> str:
        """Digest of the code a candidate's run executes (the same for every formula)."""
        return _code_digest(self.config["search"]["model"], json.dumps({"expr": "x"}))

    def code_digest(self, run: dict[str, Any]) -> str:
        model = self.config["models"][run["model"]]["name"]
        activation = json.dumps(self.config["activations"][run["activation"]], sort_keys=True)
        return _code_digest(model, activation)


@cache
def _first_generation(options_json: str) -> dict[str, Any]:
    from actstudy.search.state import search_next

    return search_next(json.loads(options_json), None, None)


@cache
def _code_digest(model: str, activation_json: str) -> str:
    spec = {"model": {"name": model}, "activation": {"spec": json.loads(activation_json)}}
    return digest(run_files(spec))
