# The Snakemake report: `snakemake --report results/<study>/report.zip` (`make report`), with
# workflow/report/workflow.rst as its overview page (the headline table first). Figures and
# notebooks are marked in the rules that draw them; every table is marked here, as an HTML page
# beside its CSV (the report shows HTML; a CSV it offers only as a download), captioned by
# workflow/report/table.rst (one caption per table, chosen by the table's name).


rule headline:
    input:
        statistics=rules.statistics.output.tests,
        claims=rules.compare.output.claims if config["reported"] else [],
    output:
        headline=layout.table("headline", "all"),
        html=report(
            layout.table("headline", "all", suffix=".html"),
            caption="../report/headline.rst",
            category="{study} · tables",
            subcategory=step_subcategory("headline"),
            labels={"table": "headline", "slice": "all"},
        ),
    log:
        layout.log("headline"),
    localrule: True  # a second's work
    conda:
        "../../envs/analysis.yaml"
    params:
        options=statistics_options,
        order=activation_order,
        claims=claims_argument,
    shell:
        "python -m actstudy headline {input.statistics:q} --options {params.options:q}"
        " --order {params.order:q} {params.claims:q} --out {output.headline:q}"
        " --html {output.html:q} > {log:q} 2>&1"


rule table_html:
    input:
        layout.table("{table}"),
    output:
        report(
            layout.table("{table}", suffix=".html"),
            caption="../report/table.rst",
            category="{study} · tables",
            subcategory=table_subcategory,
            labels=table_labels,
        ),
    log:
        layout.log("table_html", "{slice}/{table}"),
    wildcard_constraints:
        table=_choice(TABLE_STEPS),
    localrule: True  # a second's work: not worth a cluster job of its own
    conda:
        "../../envs/analysis.yaml"
    params:
        title=lambda wildcards: f"{wildcards.study}: {wildcards.table} ({wildcards.slice})",
    shell:
        "python -m actstudy table-html {input:q} --out {output:q} --title {params.title:q}"
        " > {log:q} 2>&1"


rule report_all:
    input:
        expand(rules.headline.output, study=STUDY),
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
