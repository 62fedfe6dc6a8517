"""Every document the repository cites is in the repository.

The tracked text files (``git ls-files``) are scanned for names of Markdown files and for paths
under ``docs/``; each must name a file of the repository. URLs are skipped. A name resolves
relative to the repository root or to the citing file's folder; a bare name (no folder) also
resolves when a file of that name sits in the citing file's folder or at the root, so
``README.md`` in ``studies/reported/README.md``'s neighbours means that folder's README.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s)\]>\"'`]+")
"""A URL: skipped, whatever it names."""

MARKDOWN = re.compile(r"(?<![\w./-])((?:\.{1,2}/)*[\w-]+(?:[./][\w-]+)*\.md)(?![\w/-])")
"""A Markdown file's name or path, e.g. ``README.md``, ``docs/slurm.md``,
``../studies/reported/README.md``."""

DOCS_PATH = re.compile(r"(?<![\w./-])(docs/[\w./-]*[\w/])")
"""A path under ``docs/``, a file (``docs/studies.md``) or a folder."""

EXTERNAL: frozenset[str] = frozenset()
"""Names that are not ours and clearly external (another project's file named without a URL).
Keep it small; a document of ours belongs in the repository instead."""


def tracked_files() -> list[str]:
    """The repository's tracked files, relative to its root."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout
    return [name for name in listed.decode("utf-8").split("\0") if name]


def text_of(name: str) -> str | None:
    """The file's text, or None for a binary (or absent) file."""
    path = REPO / name
    if not path.is_file():
        return None
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def resolves(citing: str, name: str, files: set[str], folders: set[str]) -> bool:
    """Whether ``name``, cited in the file ``citing``, names a file (or folder) of ``files``."""
    if name in EXTERNAL:
        return True
    name = name.rstrip("/")
    here = posixpath.dirname(citing)
    candidates = {posixpath.normpath(name), posixpath.normpath(posixpath.join(here, name))}
    return any(c in files or c in folders for c in candidates)


def unresolved(citing: str, text: str, files: set[str]) -> list[str]:
    """The documents ``text`` (the file ``citing``) cites that are not in ``files``."""
    folders = {
        "/".join(f.split("/")[:depth]) for f in files for depth in range(1, f.count("/") + 1)
    }
    text = URL.sub(" ", text)
    names = {match.group(1) for match in MARKDOWN.finditer(text)}
    names |= {match.group(1) for match in DOCS_PATH.finditer(text)}
    return sorted(n for n in names if not resolves(citing, n, files, folders))


def test_every_cited_document_is_in_the_repository() -> None:
    names = tracked_files()
    files = set(names)
    problems = []
    for name in names:
        text = text_of(name)
        if text is None:
            continue
        for cited in unresolved(name, text, files):
            problems.append(f"{name} cites {cited}, which is not in the repository")
    assert not problems, "\n".join(problems)


def test_the_project_notes_on_the_studies_have_a_section_per_study() -> None:
    text = (REPO / "docs/studies.md").read_text(encoding="utf-8")
    for study in range(1, 6):
        assert f'<a id="s{study}"></a>' in text, f"docs/studies.md has no anchor s{study}"
        assert f"\n## S{study} " in text, f"docs/studies.md has no section S{study}"


def test_cited_sections_of_the_study_notes_exist() -> None:
    """``docs/studies.md#s3`` and the like name an anchor the notes define."""
    notes = (REPO / "docs/studies.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([\w-]+)"></a>', notes))
    problems = []
    for name in tracked_files():
        text = text_of(name)
        for anchor in re.findall(re.escape("docs/studies.md") + r"#([\w-]+)", text or ""):
            if anchor not in anchors:
                problems.append(f"{name} cites docs/studies.md#{anchor}, which has no such anchor")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("citing", "text", "expected"),
    [
        # the external notes the project once cited, and a shared folder outside it
        ("src/m.py", "see " + "STUDIES" + ".md, S3", ["STUDIES" + ".md"]),
        ("tests/t.py", "(docs/" + "reported/ of the shared notes)", ["docs/" + "reported/"]),
        ("README.md", "[notes](docs/" + "missing" + ".md#s1)", ["docs/" + "missing" + ".md"]),
        ("a/b.py", "see " + "../c" + ".md", ["../c" + ".md"]),
        # ours, in every form a citation takes
        ("README.md", "[docs/studies.md, S3](docs/studies.md#s3)", []),
        ("src/m.py", "docs/studies.md, S5; benchmarks/README.md", []),
        ("studies/x.yaml", "see README.md and docs/slurm.md", []),
        ("docs/studies.md", "[its README](../studies/reported/README.md)", []),
        ("studies/reported/x.csv", "see README.md", []),
        # URLs are skipped
        ("README.md", "https://example.org/NOTES.md and <https://x.org/docs/a.md>", []),
    ],
)
def test_citations_are_checked(citing: str, text: str, expected: list[str]) -> None:
    files = {
        "README.md",
        "benchmarks/README.md",
        "docs/slurm.md",
        "docs/studies.md",
        "studies/reported/README.md",
        "studies/reported/x.csv",
        "src/m.py",
        "tests/t.py",
    }
    assert unresolved(citing, text, files) == expected
