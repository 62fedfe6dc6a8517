rule figures:
    input:
        notebook=NOTEBOOKS / "figures.ipynb",
        histories="results/{study}/tables/all/histories.csv",
        runs="results/{study}/tables/all/runs.csv",
        summary="results/{study}/tables/all/summary.csv",
    output:
        notebook="results/{study}/notebooks/figures.ipynb",
        html="results/{study}/notebooks/figures.html",
        curves=report(
            "results/{study}/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="Figures",
        ),
        accuracy=report(
            "results/{study}/figures/validation_accuracy.png",
            caption="../report/validation_accuracy.rst",
            category="Figures",
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
        " -p curves_png {output.curves:q} -p accuracy_png {output.accuracy:q}"
        " && python -m nbconvert --to html {output.notebook:q} --output-dir"
        ' "$(dirname {output.html:q})") > {log:q} 2>&1'


rule figures_all:
    input:
        expand(rules.figures.output, study=STUDY),
    localrule: True
