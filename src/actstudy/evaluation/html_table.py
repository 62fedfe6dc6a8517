"""A study table (CSV) as a standalone HTML page, for the Snakemake report.

Snakemake's report shows images, PDFs and HTML pages, but offers a CSV only as a download; each
table of a study is therefore also written as HTML (``<table>``, every row and column, numbers
to four significant digits, the header kept in view while scrolling) beside its CSV.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from actstudy.io import read_csv, write_text

STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 0.8em; color: #1f2328; }
h1 { font-size: 15px; margin: 0 0 0.3em; }
p { margin: 0 0 0.8em; color: #57606a; }
table { border-collapse: collapse; }
th, td { padding: 2px 8px; border-bottom: 1px solid #d0d7de; white-space: nowrap; }
th { position: sticky; top: 0; background: #f6f8fa; text-align: left; }
td { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafbfc; }
"""


def table_html(csv: str | os.PathLike[str], out: str | os.PathLike[str], title: str) -> None:
    """Write the CSV file ``csv`` as an HTML page titled ``title`` to ``out``."""
    table = read_csv(csv)
    body = table.to_html(index=False, na_rep="", float_format="{:.4g}".format, border=0)
    text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>{len(table):,} rows × {len(table.columns)} columns, from "
            f"<code>{html.escape(Path(csv).name)}</code>.</p>",
            body,
            "</body></html>",
            "",
        ]
    )
    write_text(out, text)
