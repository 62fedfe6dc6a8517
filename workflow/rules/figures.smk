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
            "results/{study}/figures/paper_vs_ours.png",
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
        histories="results/{study}/tables/all/histories.csv",
        runs="results/{study}/tables/all/runs.csv",
        summary="results/{study}/tables/all/summary.csv",
        diagnostics="results/{study}/tables/all/diagnostics.csv",
        statistics=rules.statistics.output.tests,
        curves=rules.activation_curves.output.curves,
        metrics=run_metrics("all"),  # the runs' folders: test predictions, manifests
    output:
        **PAPER_FIGURE,
        notebook="results/{study}/notebooks/figures.ipynb",
        html=report(
            "results/{study}/notebooks/figures.html",
            caption="../report/notebook.rst",
            category="{study} · notebooks",
        ),
        curves=report(
            "results/{study}/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="{study} · figures",
            subcategory="training",
        ),
        accuracy=report(
            "results/{study}/figures/validation_accuracy.png",
            caption="../report/validation_accuracy.rst",
            category="{study} · figures",
            subcategory="training",
        ),
        diagnostics=report(
            "results/{study}/figures/activation_diagnostics.png",
            caption="../report/activation_diagnostics.rst",
            category="{study} · figures",
            subcategory="activation diagnostics",
        ),
    log:
        "results/{study}/logs/figures.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        study=STUDY,
        statistics=statistics_options,
        runs_dir="results/{study}/runs",
        paper=paper_parameters,
        # the HTML: no code, no parameters cells (the notebook's and papermill's)
        html=[
            "--no-input",
            "--TagRemovePreprocessor.remove_cell_tags=parameters",
            "--TagRemovePreprocessor.remove_cell_tags=injected-parameters",
        ],
    shell:
        "(python -m papermill {input.notebook:q} {output.notebook:q} --kernel python3 --cwd ."
        " -p study {params.study:q} -p histories_csv {input.histories:q}"
        " -p runs_csv {input.runs:q} -p summary_csv {input.summary:q}"
        " -p diagnostics_csv {input.diagnostics:q} -p statistics_csv {input.statistics:q}"
        " -p curves_csv {input.curves:q} -p runs_dir {params.runs_dir:q}"
        " -p statistics_options {params.statistics:q} {params.paper:q}"
        " -p curves_png {output.curves:q} -p accuracy_png {output.accuracy:q}"
        " -p diagnostics_png {output.diagnostics:q}"
        " && python -m nbconvert --to html {params.html:q} {output.notebook:q} --output-dir"
        ' "$(dirname {output.html:q})") > {log:q} 2>&1'


rule figures_all:
    input:
        expand(rules.figures.output, study=STUDY),
    localrule: True
