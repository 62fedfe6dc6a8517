# The Snakemake report: `snakemake --report results/<study>/report.zip` (`make report`), with
# workflow/report/workflow.rst as its overview page. Figures and notebooks are marked in the
# rules that draw them; every table is marked here, as an HTML page beside its CSV (the report
# shows HTML; a CSV it offers only as a download), captioned by workflow/report/<table>.rst.


rule table_html:
    input:
        layout.table("{table}"),
    output:
        report(
            layout.table("{table}", suffix=".html"),
            caption="../report/table.rst",
            category="{study} · tables",
            subcategory=lambda wildcards: TABLE_STEPS[wildcards.table],
            labels={"table": "{table}", "slice": "{slice}"},
        ),
    log:
        layout.log("table_html", "{slice}/{table}"),
    wildcard_constraints:
        table=_choice(TABLE_STEPS),
    localrule: True  # a second's work: not worth a cluster job of its own
    conda:
        "../../envs/analysis.yaml"
    params:
        caption=table_caption,
        title=lambda wildcards: f"{wildcards.study}: {wildcards.table} ({wildcards.slice})",
    shell:
        "python -m actstudy table-html {input:q} --out {output:q} --title {params.title:q}"
        " > {log:q} 2>&1"


rule report_all:
    input:
        expand(
            rules.table_html.output,
            study=STUDY,
            slice="all",
            table=[
                "summary",
                "runs",
                "histories",
                "diagnostics",
                "statistics",
                "timing",
            ],
        ),
        (
            expand(
                rules.table_html.output,
                study=STUDY,
                slice="all",
                table=["paper_vs_ours", "claims"],
            )
            if config["reported"]
            else []
        ),
    localrule: True
