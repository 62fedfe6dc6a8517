# The figure notebook of a study (notebooks/figures.ipynb, drawn by actstudy.evaluation.
# figures), as HTML without its code; a study that reports a paper's numbers also gets them set
# beside ours in it, and as a figure of its own.
PAPER_TABLES = (
    {
        "paper_vs_ours": rules.compare.output.paper_vs_ours,
        "claims": rules.compare.output.claims,
    }
    if config["reported"]
    else {}
)
PAPER_FIGURE = (
    {
        "paper": report(
            f"{layout.FIGURES}/paper_vs_ours.png",
            caption="../report/paper_vs_ours_figure.rst",
            category="{study} · figures",
            subcategory="paper vs ours",
        )
    }
    if config["reported"]
    else {}
)


rule figures:
    input:
        **PAPER_TABLES,
        notebook=NOTEBOOKS / "figures.ipynb",
        histories=ALL_TABLES["histories"],
        runs=ALL_TABLES["runs"],
        summary=ALL_TABLES["summary"],
        diagnostics=ALL_TABLES["diagnostics"],
        statistics=rules.statistics.output.tests,
        timing=rules.timing_table.output.timing,
        curves=rules.activation_curves.output.curves,
        metrics=slice_files("all"),  # the runs' folders: test predictions, manifests
    output:
        **PAPER_FIGURE,
        notebook=f"{layout.NOTEBOOKS}/figures.ipynb",
        html=report(
            f"{layout.NOTEBOOKS}/figures.html",
            caption="../report/notebook.rst",
            category="{study} · notebooks",
        ),
        curves=report(
            f"{layout.FIGURES}/training_curves.png",
            caption="../report/training_curves.rst",
            category="{study} · figures",
            subcategory="training",
        ),
        accuracy=report(
            f"{layout.FIGURES}/validation_accuracy.png",
            caption="../report/validation_accuracy.rst",
            category="{study} · figures",
            subcategory="training",
        ),
        diagnostics=report(
            f"{layout.FIGURES}/activation_diagnostics.png",
            caption="../report/activation_diagnostics.rst",
            category="{study} · figures",
            subcategory="activation diagnostics",
        ),
    log:
        layout.log("figures"),
    conda:
        "../../envs/analysis.yaml"
    params:
        parameters=figures_parameters,
    shell:
        "python -m actstudy notebook {input.notebook:q} --executed {output.notebook:q}"
        " --html {output.html:q} --parameters {params.parameters:q} > {log:q} 2>&1"


rule figures_all:
    input:
        expand(rules.figures.output, study=STUDY),
    localrule: True
