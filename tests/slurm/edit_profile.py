"""Fill in a Slurm profile the way a user would: the lines marked ``# EDIT`` get this test
cluster's values (partition ``ci``; no account line), every other line is kept as it is.

    python edit_profile.py profiles/slurm/config.yaml OUT/slurm/config.yaml [--partition ci]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

EDIT = re.compile(r"^(?P<indent>\s*)(?P<key>\w+):\s*(?P<value>[^#]*?)\s*#\s*EDIT\b")
KEEP = {"runtime", "mem_mb"}  # defaults the test cluster accepts as they are


def edit(text: str, partition: str) -> str:
    out, edited = [], []
    for line in text.splitlines():
        match = EDIT.match(line)
        if not match:
            out.append(line)
            continue
        key = match["key"]
        edited.append(key)
        if key == "slurm_partition":
            out.append(f'{match["indent"]}slurm_partition: "{partition}"')
        elif key == "slurm_account":
            continue  # the test cluster has no accounts: the user deletes the line
        elif key in KEEP:
            out.append(line)
        else:
            raise SystemExit(f"unknown EDIT line (teach tests/slurm/edit_profile.py): {line!r}")
    if "slurm_partition" not in edited:
        raise SystemExit("no '# EDIT' slurm_partition line in the profile")
    result = "\n".join(out) + "\n"
    if "EDIT-" in str(yaml.safe_load(result)):
        raise SystemExit("a placeholder value is left after editing the EDIT lines")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--partition", default="ci")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(edit(args.profile.read_text(), args.partition))
    return 0


if __name__ == "__main__":
    sys.exit(main())
