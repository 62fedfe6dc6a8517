"""A study table (CSV) as a standalone HTML page, for the Snakemake report.

Snakemake's report shows images, PDFs and HTML pages, but offers a CSV only as a download; each
table of a study is therefore also written as HTML beside its CSV: numbers to four significant
digits, text wrapped, the header kept in view while scrolling, and a small inline script (no
network: the report opens offline) that sorts by a column (click its header), filters by each
column (a box under its header) and searches every cell. A table longer than :data:`MAX_ROWS`
(every epoch of every run: ``histories``, ``diagnostics``) is shown summarised, each run's
final epoch averaged over its folds, and the page names the whole CSV, which the report offers
for download; so no page grows with the number of epochs or runs.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from actstudy.io import read_csv, write_text

MAX_ROWS = 5_000
"""The most rows a page shows: a longer table is summarised (:func:`summarised`)."""
RUN = ["dataset", "model", "activation", "fold"]

STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 0.8em; color: #1f2328; }
h1 { font-size: 15px; margin: 0 0 0.3em; }
p { margin: 0 0 0.8em; color: #57606a; max-width: 60em; }
table { border-collapse: collapse; }
th, td { padding: 2px 8px; border-bottom: 1px solid #d0d7de; vertical-align: top;
  max-width: 28em; overflow-wrap: break-word; }
thead { position: sticky; top: 0; }
thead th { background: #f6f8fa; text-align: left; cursor: pointer; }
thead tr.filters th { cursor: auto; }
thead input { width: 100%; min-width: 4em; box-sizing: border-box; font: inherit; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
#search { margin: 0 0 0.6em; width: 24em; font: inherit; }
"""

SCRIPT = """
(() => {
  const table = document.querySelector("table");
  const rows = Array.from(table.tBodies[0].rows);
  const filters = Array.from(table.querySelectorAll("thead tr.filters input"));
  const search = document.getElementById("search");
  const count = document.getElementById("shown");
  function apply() {
    const words = search.value.toLowerCase();
    const wanted = filters.map((f) => f.value.toLowerCase());
    let shown = 0;
    for (const row of rows) {
      const cells = Array.from(row.cells, (c) => c.textContent.toLowerCase());
      const keep = (!words || cells.some((c) => c.includes(words)))
        && wanted.every((w, i) => !w || cells[i].includes(w));
      row.hidden = !keep;
      shown += keep;
    }
    count.textContent = shown.toLocaleString();
  }
  search.addEventListener("input", apply);
  filters.forEach((f) => f.addEventListener("input", apply));
  table.querySelectorAll("thead tr.names th").forEach((th, i) => {
    th.title = "sort by this column (again: the other way)";
    th.addEventListener("click", () => {
      const up = th.dataset.order !== "up";
      table.querySelectorAll("thead tr.names th").forEach((o) => delete o.dataset.order);
      th.dataset.order = up ? "up" : "down";
      const key = (row) => {
        const text = row.cells[i].textContent;
        const number = text === "" ? NaN : Number(text);
        return Number.isNaN(number) ? text : number;
      };
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        const order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0)
          : typeof x === "number" ? -1 : 1;
        return up ? order : -order;
      });
      rows.forEach((row) => table.tBodies[0].appendChild(row));
    });
  });
})();
"""


def summarised(table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """``table`` itself when it has at most :data:`MAX_ROWS` rows; else each run's final
    epoch (where it has one per run), averaged over its folds (the mean of every number column,
    per value of the other columns), and the first MAX_ROWS rows of that; with a sentence
    saying which."""
    if len(table) <= MAX_ROWS:
        return table, ""
    how = []
    if "epoch" in table and set(RUN) <= set(table.columns):
        final = table.groupby(RUN, sort=False)["epoch"].transform("max")
        table = table[table["epoch"] == final]
        numbers = [c for c in table.select_dtypes("number").columns if c not in [*RUN, "epoch"]]
        keys = [c for c in table.columns if c not in numbers and c not in ("fold", "epoch")]
        grouped = table.groupby(keys, sort=False, dropna=False)
        table = grouped[numbers].mean().reset_index()
        table.insert(len(keys), "folds", grouped.size().to_numpy())
        how.append("each run's final epoch, the mean over its folds")
    if len(table) > MAX_ROWS:
        table = table.head(MAX_ROWS)
        how.append(f"its first {MAX_ROWS:,} rows")
    return table, "Shown summarised: " + ", then ".join(how) + "."


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f'<td class="number">{"" if value != value else f"{value:.4g}"}</td>'
    if isinstance(value, int):
        return f'<td class="number">{value}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _html_table(table: pd.DataFrame) -> str:
    names = "".join(  # a long name may break after each underscore
        f"<th>{html.escape(str(c)).replace('_', '_<wbr>')}</th>" for c in table.columns
    )
    boxes = "".join(
        f'<th><input aria-label="filter {html.escape(str(c))}" placeholder="filter"></th>'
        for c in table.columns
    )
    rows = "\n".join(
        "<tr>" + "".join(_cell(v) for v in row) + "</tr>"
        for row in table.astype(object).itertuples(index=False)
    )
    return (
        f'<table><thead><tr class="names">{names}</tr><tr class="filters">{boxes}</tr></thead>'
        f"<tbody>\n{rows}\n</tbody></table>"
    )


def table_html(csv: str | os.PathLike[str], out: str | os.PathLike[str], title: str) -> None:
    """Write the CSV file ``csv`` as an HTML page titled ``title`` to ``out``."""
    whole = read_csv(csv)
    table, how = summarised(whole)
    name = html.escape(Path(csv).name)
    where = f"{len(whole):,} rows × {len(whole.columns)} columns, from <code>{name}</code>."
    if how:
        where += (
            f" {how} The whole table is <code>{name}</code>, offered for download in this"
            " report's menu beside this page, and in the study's <code>tables/</code> folder."
        )
    text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>{where} Click a column's header to sort by it; type in the boxes to filter."
            f' Showing <span id="shown">{len(table):,}</span> of {len(table):,} rows.</p>',
            '<input id="search" type="search" placeholder="search every column"'
            ' aria-label="search every column">',
            _html_table(table),
            f"<script>{SCRIPT}</script>",
            "</body></html>",
            "",
        ]
    )
    write_text(out, text)
