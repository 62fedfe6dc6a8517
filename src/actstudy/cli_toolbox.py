"""The commands for people rather than rules: ``actstudy list`` (what is built in) and
``actstudy export tensorboard`` (a study's histories as TensorBoard event files)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def cmd_list(args: argparse.Namespace) -> None:
    from actstudy.catalogue import describe, items
    from actstudy.plugins import load_plugins

    load_plugins(args.plugins)
    print("\n\n".join(describe(item) for item in items(args.kind)))


def cmd_export_tensorboard(args: argparse.Namespace) -> None:
    from actstudy.evaluation.tensorboard_export import export_tensorboard

    written = export_tensorboard(args.study_dir, args.out)
    logging.getLogger("actstudy").info(
        "%d runs' histories written under %s: open them with `tensorboard --logdir %s`",
        written,
        args.out or args.study_dir / "tensorboard",
        args.out or args.study_dir / "tensorboard",
    )


def add_commands(steps: argparse._SubParsersAction) -> None:
    """Add ``list`` and ``export`` to the sub-commands of ``actstudy``."""
    from actstudy.catalogue import KINDS

    p = steps.add_parser(
        "list",
        help="list the built-in activations, models or dataset sources, with their options",
        description="Every registered name of one kind: its options with their defaults, the "
        "file that registers it and the paper it comes from.",
    )
    p.add_argument("kind", choices=KINDS, help="what to list")
    p.add_argument(
        "--plugins",
        nargs="*",
        type=Path,
        default=[],
        help="plugin files to load first (as a study's plugins: key), so their names are listed",
    )
    p.set_defaults(run=cmd_list)

    p = steps.add_parser("export", help="export a study's results for other tools")
    formats = p.add_subparsers(dest="format", required=True)
    t = formats.add_parser(
        "tensorboard",
        help="every run's history.csv as TensorBoard event files (one folder per run)",
    )
    t.add_argument("study_dir", type=Path, help="the study's folder, results/<study>")
    t.add_argument(
        "--out", type=Path, help="where to write the event files (default <study_dir>/tensorboard)"
    )
    t.set_defaults(run=cmd_export_tensorboard)
