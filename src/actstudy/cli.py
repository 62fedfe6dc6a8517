"""actstudy: the command each workflow rule calls (actstudy <step> ...), usable by hand as well;
and commands for people: actstudy list, actstudy validate, actstudy smoke, actstudy export."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

PREPARED = "the dataset's prepared folder, resources/prepared/<source>-<digest> (rule prepare)"
FOLDS = "the dataset's fold file, results/<study>/folds/<dataset>.json (rule folds)"
THREADS = "CPU threads torch may use (default: torch's own choice, usually every core)"
CONFIG = "the study file (config.yaml or studies/<name>.yaml)"


def _json(text: str) -> dict:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"expected a JSON object, got {text[:60]!r} ({error})") from None


def cmd_prepare(args: argparse.Namespace) -> None:
    from actstudy import data
    from actstudy.plugins import load_plugins

    load_plugins(args.plugins)
    data.prepare(_json(args.options), args.out, args.resources)


def cmd_folds(args: argparse.Namespace) -> None:
    from actstudy.data import load_prepared
    from actstudy.training.folds import assign_folds, holdout_seeds, write_folds

    options = _json(args.options)
    prepared = load_prepared(args.prepared)
    train = prepared.train
    grouped = options["grouped"] and train.groups is not None
    log = logging.getLogger("actstudy")
    if options["grouped"] and not grouped:
        log.info("%s records no groups: its folds are drawn per sample", args.prepared)
    test_fraction = options["test_fraction"] if prepared.test is None else 0.0
    if options["test_fraction"] and prepared.test is not None:
        log.info("%s has an official test split: no test part is held out", args.prepared)
    assignment = assign_folds(
        train.y,
        options["mode"],
        options["folds"],
        options["val_fraction"],
        seed=options["seed"],
        groups=train.groups if grouped else None,
        repeats=options["repeats"],
        test_fraction=test_fraction,
    )
    meta = {**options, "grouped": grouped, "test_fraction": test_fraction}
    if options["mode"] == "holdout":  # each repeat's split seed, as fold<r> of runs.csv uses it
        meta["split_seeds"] = holdout_seeds(options["seed"], options["repeats"])
    write_folds(args.out, assignment, **meta)


def _checked_spec(path: Path, expected: str | None) -> dict:
    """The run spec in ``path``, if its fingerprint is ``expected`` (where one is given)."""
    from actstudy.io import read_json
    from actstudy.provenance import fingerprint

    spec = read_json(path)
    actual = fingerprint(spec)
    if expected is not None and actual != expected:
        raise ValueError(
            f"{path} is not the spec the study gives this run (its digest {actual[:12]}… is "
            f"not the expected {expected[:12]}…: edited by hand, or written for another "
            "config); rerun `snakemake --forcerun spec` (or delete the file) and run again"
        )
    return spec


def _checked_specs(args: argparse.Namespace) -> list[dict]:
    """The specs of ``--spec``, each checked against its ``--digest`` where given."""
    given = (("--out folders", getattr(args, "out", None)), ("--digest values", args.digest))
    for option, values in given:
        if isinstance(values, list) and len(values) != len(args.spec):
            raise ValueError(
                f"{args.step} got {len(args.spec)} --spec files but {len(values)} {option}; "
                "give one per spec, in the same order"
            )
    digests = args.digest or [None] * len(args.spec)
    return [
        _checked_spec(spec, expected) for spec, expected in zip(args.spec, digests, strict=True)
    ]


def cmd_train(args: argparse.Namespace) -> None:
    from actstudy.training.loop import train_runs

    runs = list(zip(_checked_specs(args), args.out, strict=True))
    results = train_runs(runs, args.prepared, args.folds, threads=args.threads)
    for (_, out), result in zip(runs, results, strict=True):
        logging.getLogger("actstudy").info(
            "finished %s: %s, best epoch %s", out, result["status"], result["best_epoch"]
        )


def cmd_timing(args: argparse.Namespace) -> None:
    from actstudy.evaluation.timing import case_timing
    from actstudy.io import write_text
    from actstudy.plugins import load_plugins

    specs = _checked_specs(args)
    for spec in specs:
        load_plugins(spec["plugins"])
    options = _json(args.options)
    table = case_timing(specs, args.prepared, args.folds, threads=args.threads, **options)
    write_text(args.out, table.to_csv(index=False))


def cmd_concat(args: argparse.Namespace) -> None:
    import pandas as pd

    from actstudy.io import read_csv, write_text

    table = pd.concat([read_csv(path) for path in args.tables], ignore_index=True)
    write_text(args.out, table.to_csv(index=False))


def cmd_aggregate(args: argparse.Namespace) -> None:
    from actstudy.evaluation.aggregate import aggregate

    aggregate(args.run_dirs, args.runs, args.histories, args.summary, args.diagnostics, args.timing)


def cmd_activation_curves(args: argparse.Namespace) -> None:
    from actstudy.evaluation.activation_curves import write_activation_curves

    write_activation_curves(args.run_dirs, args.out)


def cmd_notebook(args: argparse.Namespace) -> None:
    from actstudy.evaluation.notebook_run import run_notebook

    run_notebook(args.notebook, args.executed, args.html, _json(args.parameters))


def cmd_statistics(args: argparse.Namespace) -> None:
    from actstudy.evaluation.paper_vs_ours import smoke_noted
    from actstudy.evaluation.statistics import write_statistics
    from actstudy.io import read_csv, write_text

    options = _json(args.options)
    smoke_of = options.pop("smoke_of", "")  # only a smoke variant's options name its study
    write_statistics(args.runs, args.folds, args.run_dirs, options, args.out)
    if smoke_of:
        table = smoke_noted(read_csv(args.out), smoke_of)
        write_text(args.out, table.to_csv(index=False))


def cmd_compare(args: argparse.Namespace) -> None:
    from actstudy.evaluation.paper_vs_ours import (
        Design,
        claims_table,
        paper_vs_ours,
        smoke_noted,
    )
    from actstudy.evaluation.reported import load_claims, load_reported
    from actstudy.evaluation.statistics import study_design
    from actstudy.io import read_csv, write_text

    options = _json(args.options)
    smoke_of = options.get("smoke_of")  # a smoke variant: the study whose claims it checks
    runs = read_csv(args.runs)
    table = smoke_noted(paper_vs_ours(runs, load_reported(args.results)), smoke_of)
    write_text(args.paper_vs_ours, table.to_csv(index=False))
    sizes, predictions = study_design(args.folds, args.run_dirs)
    timing = read_csv(args.timing) if args.timing else None
    design = Design(sizes, predictions, options["alpha"], timing)
    claims = claims_table(runs, load_claims(args.claims, smoke_of or args.study), design)
    write_text(args.claims_out, smoke_noted(claims, smoke_of).to_csv(index=False))


def cmd_table_html(args: argparse.Namespace) -> None:
    from actstudy.evaluation.html_table import table_html

    table_html(args.csv, args.out, args.title)


def cmd_headline(args: argparse.Namespace) -> None:
    from actstudy.evaluation.headline import write_headline

    options = json.loads(args.options)
    write_headline(args.statistics, options, args.order, args.out, args.html, args.claims)


def cmd_search_next(args: argparse.Namespace) -> None:
    from actstudy.io import write_json, write_text
    from actstudy.search.budget import budget_of
    from actstudy.search.state import candidates_table, read_state, search_next
    from actstudy.study.search_options import validate_search

    options = validate_search(_json(args.options))
    state = None if args.state is None else read_state(args.state, options)
    budget = None
    if args.budget_of is not None:
        budget = budget_of(args.budget_of, 0 if state is None else state["generation"] + 1)
    following = search_next(options, state, args.results, budget)
    write_json(args.out, following)
    if args.table is not None:
        write_text(args.table, candidates_table(following).to_csv(index=False))
    logging.getLogger("actstudy").info(
        "generation %d: %d candidates, %d to train (budget %s)",
        following["generation"],
        len(following["candidates"]),
        len(following["train"]),
        following["budget"],
    )


def cmd_search_results(args: argparse.Namespace) -> None:
    from actstudy.io import read_json, write_text
    from actstudy.search.results import final_state, shown_curves, top_functions, top_text

    state = final_state(read_json(args.state), args.state)
    top = top_functions(state, args.top, args.label, _json(args.listed))
    write_text(args.out, top_text(top, args.study, state["options"]["method"], args.top))
    if args.curves:
        write_text(args.curves, shown_curves(state, top).to_csv(index=False))
    logging.getLogger("actstudy").info("the best %d functions in %s", len(top), args.out)


def cmd_search_winners(args: argparse.Namespace) -> None:
    from actstudy.io import read_json, write_json
    from actstudy.search.results import final_state, winners

    state = final_state(read_json(args.state), args.state)
    found = winners(state, args.top, state["options"]["method"], args.label, _json(args.listed))
    write_json(args.out, found)
    logging.getLogger("actstudy").info(
        "the evaluation trains %s",
        ", ".join(f"{f['label']}: {f['formula']}" for f in found["functions"]) or "none",
    )


def cmd_search_gate(args: argparse.Namespace) -> None:
    from actstudy.io import write_json
    from actstudy.search.fitness import gate
    from actstudy.study.search_options import validate_search

    write_json(args.out, gate(validate_search(_json(args.options)), args.results))
    logging.getLogger("actstudy").info("the references learn: %s", args.out)


def cmd_search_candidates(args: argparse.Namespace) -> None:
    from actstudy.io import read_json, write_text
    from actstudy.search.results import final_state
    from actstudy.search.state import candidates_table

    states = [final_state(read_json(path), path) for path in args.states]
    table = candidates_table(*states)
    write_text(args.out, table.to_csv(index=False))
    logging.getLogger("actstudy").info("%d candidates in %s", len(table), args.out)


def cmd_smoke(args: argparse.Namespace) -> None:
    import yaml

    from actstudy.io import write_text
    from actstudy.study.smoke import smoke_variant
    from actstudy.study.validate import load_config

    smoke = smoke_variant(load_config(args.config), args.study)
    write_text(args.out, yaml.safe_dump(smoke, sort_keys=False, allow_unicode=True))
    print(f"{args.out}: the smoke variant of {args.config}, study {smoke['study']}")


def cmd_validate(args: argparse.Namespace) -> None:
    """The study file checked as Snakemake's start-up checks it (config, output paths, data
    present or downloadable, weights files), or its config only with --config-only."""
    import yaml

    from actstudy.errors import ConfigError
    from actstudy.study.jobs import Study, StudyError
    from actstudy.study.validate import load_config
    from actstudy.study.yaml_file import read_config

    if args.config_only:
        config = load_config(args.config)
        verdict = (
            "valid as a config (data, prepared folders and output paths not checked: run "
            "`actstudy validate` without --config-only in the working folder, or `snakemake -n`)"
        )
    else:
        config = read_config(args.config)
        try:
            Study(config, files=[args.config], resources=args.resources)
        except StudyError as error:
            raise ConfigError("\n".join(error.sentences)) from None
        verdict = (
            f"valid, with its data present or downloadable under {args.resources}/ and its "
            "outputs under results/ (the checks Snakemake makes at start-up in this folder)"
        )
    if args.show:
        print(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), end="")
    else:
        print(f"{args.config}: {verdict}")


def _digest_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--digest",
        nargs="+",
        help="expected digest of each spec, in the order of --spec: a differing file is refused",
    )


def parser() -> argparse.ArgumentParser:
    from actstudy import __version__
    from actstudy.cli_toolbox import add_commands

    top = argparse.ArgumentParser(
        prog="actstudy",
        description=__doc__,
        epilog="Run actstudy <command> --help for the arguments of a command.",
    )
    top.add_argument("--version", action="version", version=f"actstudy {__version__}")
    top.add_argument(
        "--debug", action="store_true", help="show the traceback of a failure (ACTSTUDY_DEBUG=1)"
    )
    steps = top.add_subparsers(dest="step", required=True, metavar="<command>")

    p = steps.add_parser("prepare", help="acquire and prepare one dataset")
    p.add_argument("--options", required=True, help="dataset options as JSON (with 'source')")
    p.add_argument(
        "--out", required=True, type=Path, help="the prepared folder to write (arrays, manifest)"
    )
    p.add_argument(
        "--resources",
        default="resources",
        type=Path,
        help="where raw files are placed or downloaded to (default resources)",
    )
    p.add_argument("--plugins", nargs="*", default=[], help="plugin files that register sources")
    p.set_defaults(run=cmd_prepare)

    p = steps.add_parser("folds", help="write seeded stratified fold assignments")
    p.add_argument("--prepared", required=True, type=Path, help=PREPARED)
    p.add_argument("--options", required=True, help="evaluation options as JSON")
    p.add_argument("--out", required=True, type=Path, help="the fold file to write (JSON)")
    p.set_defaults(run=cmd_folds)

    p = steps.add_parser(
        "train", help="train (dataset, model, activation, fold) runs of one dataset, in turn"
    )
    p.add_argument(
        "--spec", required=True, nargs="+", type=Path, help="run specs, JSON files, one per run"
    )
    _digest_argument(p)
    p.add_argument("--prepared", required=True, type=Path, help=PREPARED)
    p.add_argument("--folds", required=True, type=Path, help=FOLDS)
    p.add_argument(
        "--out",
        required=True,
        nargs="+",
        type=Path,
        help="run folders to write (history, metrics, best.pt, manifest), in the order of --spec",
    )
    p.add_argument("--threads", type=int, default=None, help=THREADS)
    p.set_defaults(run=cmd_train)

    p = steps.add_parser(
        "timing", help="time every activation's training step of one case, in alternating rounds"
    )
    p.add_argument(
        "--spec", required=True, nargs="+", type=Path, help="run specs, one per activation"
    )
    _digest_argument(p)
    p.add_argument("--prepared", required=True, type=Path, help=PREPARED)
    p.add_argument("--folds", required=True, type=Path, help=FOLDS)
    p.add_argument("--options", required=True, help="the study's timing section as JSON")
    p.add_argument("--threads", type=int, default=None, help=THREADS)
    p.add_argument("--out", required=True, type=Path, help="the case's timing table to write")
    p.set_defaults(run=cmd_timing)

    p = steps.add_parser("concat", help="one table of CSV tables with the same columns")
    p.add_argument("--out", required=True, type=Path, help="the joined table to write")
    p.add_argument("tables", nargs="+", type=Path, help="the CSV tables to join, in order")
    p.set_defaults(run=cmd_concat)

    p = steps.add_parser("aggregate", help="collect runs into study tables")
    p.add_argument("--runs", required=True, type=Path, help="runs.csv to write: a row per run")
    p.add_argument(
        "--histories", required=True, type=Path, help="histories.csv to write: a row per epoch"
    )
    p.add_argument(
        "--summary", required=True, type=Path, help="summary.csv to write: a row per activation"
    )
    p.add_argument(
        "--diagnostics", required=True, type=Path, help="diagnostics.csv to write (per layer)"
    )
    p.add_argument("--timing", type=Path, help="timing.csv: each model's parameters and FLOPs")
    p.add_argument("run_dirs", nargs="+", type=Path, help="the run folders to collect")
    p.set_defaults(run=cmd_aggregate)

    p = steps.add_parser(
        "activation-curves",
        help="f and f′ of every activation, as configured and as each run kept it",
    )
    p.add_argument("--out", required=True, type=Path, help="activation_curves.csv to write")
    p.add_argument(
        "run_dirs", nargs="+", type=Path, help="run folders (manifest, metrics, best.pt)"
    )
    p.set_defaults(run=cmd_activation_curves)

    p = steps.add_parser(
        "statistics", help="compare activations within each case (folds) and across cases"
    )
    p.add_argument("--runs", required=True, type=Path, help="the study's tables/all/runs.csv")
    p.add_argument(
        "--folds", required=True, nargs="+", type=Path, help="the fold files, <dataset>.json"
    )
    p.add_argument(
        "--options", required=True, help="the study's statistics section as JSON (validated)"
    )
    p.add_argument("--out", required=True, type=Path, help="statistics.csv to write")
    p.add_argument("run_dirs", nargs="+", type=Path, help="run folders (test predictions)")
    p.set_defaults(run=cmd_statistics)

    p = steps.add_parser(
        "notebook", help="run a parameterised notebook (papermill), then write it as HTML"
    )
    p.add_argument("notebook", type=Path, help="the notebook, with a cell tagged 'parameters'")
    p.add_argument("--executed", required=True, type=Path, help="the executed notebook to write")
    p.add_argument("--html", required=True, type=Path, help="its HTML (no code) to write")
    p.add_argument("--parameters", required=True, help="the notebook's parameters as JSON")
    p.set_defaults(run=cmd_notebook)

    p = steps.add_parser("compare", help="the paper's numbers and claims beside ours")
    p.add_argument("--runs", required=True, type=Path, help="the study's tables/all/runs.csv")
    p.add_argument("--results", required=True, type=Path, help="the reported-results file")
    p.add_argument("--claims", required=True, type=Path, help="the claims file")
    p.add_argument("--study", required=True, help="the study's name (its rows of the claims)")
    p.add_argument(
        "--folds", required=True, nargs="+", type=Path, help="the fold files, <dataset>.json"
    )
    p.add_argument(
        "--options", required=True, help="the study's statistics section as JSON (its alpha)"
    )
    p.add_argument("--timing", type=Path, help="the study's timing.csv (claims on epoch times)")
    p.add_argument("--paper-vs-ours", required=True, type=Path, help="paper_vs_ours.csv to write")
    p.add_argument("--claims-out", required=True, type=Path, help="claims.csv to write")
    p.add_argument("run_dirs", nargs="*", type=Path, help="run folders (test predictions)")
    p.set_defaults(run=cmd_compare)

    p = steps.add_parser("table-html", help="a study table as an HTML page (for the report)")
    p.add_argument("csv", type=Path, help="the table (CSV)")
    p.add_argument("--out", required=True, type=Path, help="the HTML page to write")
    p.add_argument("--title", required=True, help="the page's title")
    p.set_defaults(run=cmd_table_html)

    p = steps.add_parser("headline", help="the control against each activation (the answer)")
    p.add_argument("statistics", type=Path, help="the study's statistics.csv")
    p.add_argument("--options", required=True, help="the study's statistics section as JSON")
    p.add_argument("--order", nargs="*", default=[], help="the study's activations, in order")
    p.add_argument("--claims", type=Path, help="claims.csv, where the study has a paper's")
    p.add_argument("--out", required=True, type=Path, help="headline.csv")
    p.add_argument("--html", required=True, type=Path, help="its HTML fragment (the report)")
    p.set_defaults(run=cmd_headline)

    p = steps.add_parser(
        "search-next", help="score one generation of the activation search, propose the next"
    )
    p.add_argument("--options", required=True, help="the study's search section as JSON")
    p.add_argument(
        "--state", type=Path, help="generation g's state file (none: propose generation 0)"
    )
    p.add_argument(
        "--results", type=Path, help="the folder of generation g's runs, one folder per cache key"
    )
    p.add_argument("--out", required=True, type=Path, help="generation g + 1's state file")
    p.add_argument(
        "--budget-of",
        nargs="?",
        type=Path,
        help="the GA's state of generation g + 1: the random baseline draws until it trains as "
        "many functions (no value, or left out: a whole population)",
    )
    p.add_argument("--table", type=Path, help="write every scored candidate here (CSV)")
    p.set_defaults(run=cmd_search_next)

    p = steps.add_parser("search-results", help="a finished search's best functions (top.yaml)")
    p.add_argument("--state", required=True, type=Path, help="the state after the last generation")
    p.add_argument("--top", required=True, type=int, help="how many distinct functions to keep")
    p.add_argument("--label", default="searched", help="their labels' prefix: <label>_<rank>")
    p.add_argument("--out", required=True, type=Path, help="YAML file of their activations:")
    p.add_argument("--study", required=True, help="the study's name (for the file's comment)")
    p.add_argument("--curves", type=Path, help="also write their f and f' over [-5, 5] (CSV)")
    p.add_argument(
        "--listed", default="{}", help="key → label of the study's activations (JSON): no winners"
    )
    p.set_defaults(run=cmd_search_results)

    p = steps.add_parser(
        "search-winners", help="a finished search's best functions, as its study evaluates them"
    )
    p.add_argument("--state", required=True, type=Path, help="the state after the last generation")
    p.add_argument("--top", required=True, type=int, help="how many distinct functions to keep")
    p.add_argument("--label", default="searched", help="their labels' prefix: <label>_<rank>")
    p.add_argument("--out", required=True, type=Path, help="the winners file (JSON) to write")
    p.add_argument(
        "--listed", default="{}", help="key → label of the study's activations (JSON): no winners"
    )
    p.set_defaults(run=cmd_search_winners)

    p = steps.add_parser(
        "search-gate", help="the search's sanity gate: its references learn, or it stops"
    )
    p.add_argument("--options", required=True, help="the study's search section as JSON")
    p.add_argument("--results", required=True, type=Path, help="the folder of the search's runs")
    p.add_argument("--out", required=True, type=Path, help="the references' fitness (JSON)")
    p.set_defaults(run=cmd_search_gate)

    p = steps.add_parser(
        "search-candidates", help="every candidate of finished searches, one CSV (candidates.csv)"
    )
    p.add_argument("states", nargs="+", type=Path, help="each search's state after its last one")
    p.add_argument("--out", required=True, type=Path, help="candidates.csv to write")
    p.set_defaults(run=cmd_search_candidates)

    p = steps.add_parser("smoke", help="write a study's smoke variant (generated data, 1 epoch)")
    p.add_argument("config", type=Path, help=CONFIG)
    p.add_argument("--out", required=True, type=Path, help="the variant's study file to write")
    p.add_argument(
        "--study", help="the variant's study name (default <study>_smoke: its own results/ folder)"
    )
    p.set_defaults(run=cmd_smoke)

    p = steps.add_parser(
        "validate",
        help="check a study file as Snakemake's start-up does (schema, registries, data)",
    )
    p.add_argument("config", type=Path, help=CONFIG)
    p.add_argument(
        "--show", action="store_true", help="print the config with every default filled in"
    )
    p.add_argument(
        "--config-only",
        action="store_true",
        help="check the config alone, not its data, weights files and output paths",
    )
    p.add_argument(
        "--resources", default="resources", type=Path, help="where the data is (as Snakemake's)"
    )
    p.set_defaults(run=cmd_validate)
    add_commands(steps)
    for command in steps._choices_actions:  # `actstudy <command> --help` opens with its summary
        sub = steps.choices[command.dest]
        sub.description = sub.description or command.help
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    try:
        args.run(args)
    except KeyboardInterrupt:
        print(f"actstudy {args.step}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # every failure becomes one sentence; --debug shows the traceback
        if args.debug or os.environ.get("ACTSTUDY_DEBUG") == "1":
            raise
        from actstudy.failures import describe

        sentences, code = describe(error)
        for sentence in sentences:
            print(f"actstudy {args.step}: error: {sentence}", file=sys.stderr)
        return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
