rule figures:
    input:
        notebook=NOTEBOOKS / "figures.ipynb",
        histories="results/{study}/tables/all/histories.csv",
        runs="results/{study}/tables/all/runs.csv",
        summary="results/{study}/tables/all/summary.csv",
        diagnostics="results/{study}/tables/all/diagnostics.csv",
    output:
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
    shell:
        "(python -m papermill {input.notebook:q} {output.notebook:q} --kernel python3 --cwd ."
        " -p study {params.study:q} -p histories_csv {input.histories:q}"
        " -p runs_csv {input.runs:q} -p summary_csv {input.summary:q}"
        " -p diagnostics_csv {input.diagnostics:q} -p curves_png {output.curves:q}"
        " -p accuracy_png {output.accuracy:q} -p diagnostics_png {output.diagnostics:q}"
        " && python -m nbconvert --to html {output.notebook:q} --output-dir"
        ' "$(dirname {output.html:q})") > {log:q} 2>&1'


rule paper_figures:
    input:
        notebook=NOTEBOOKS / "paper_vs_ours.ipynb",
        runs="results/{study}/tables/all/runs.csv",
        paper_vs_ours=rules.compare.output.paper_vs_ours,
        claims=rules.compare.output.claims,
    output:
        notebook="results/{study}/notebooks/paper_vs_ours.ipynb",
        html=report(
            "results/{study}/notebooks/paper_vs_ours.html",
            caption="../report/notebook.rst",
            category="{study} · notebooks",
        ),
        figure=report(
            "results/{study}/figures/paper_vs_ours.png",
            caption="../report/paper_vs_ours_figure.rst",
            category="{study} · figures",
            subcategory="paper vs ours",
        ),
    log:
        "results/{study}/logs/paper_figures.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        study=STUDY,
    shell:
        "(python -m papermill {input.notebook:q} {output.notebook:q} --kernel python3 --cwd ."
        " -p study {params.study:q} -p runs_csv {input.runs:q}"
        " -p paper_vs_ours_csv {input.paper_vs_ours:q} -p claims_csv {input.claims:q}"
        " -p paper_png {output.figure:q}"
        " && python -m nbconvert --to html {output.notebook:q} --output-dir"
        ' "$(dirname {output.html:q})") > {log:q} 2>&1'


rule figures_all:
    input:
        expand(rules.figures.output, study=STUDY),
        expand(rules.paper_figures.output, study=STUDY) if config["reported"] else [],
    localrule: True
