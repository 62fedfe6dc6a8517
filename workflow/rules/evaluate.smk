rule aggregate:
    input:
        metrics=slice_runs,
    output:
        runs=RESULTS + "/tables/{slice}/runs.csv",
        histories=RESULTS + "/tables/{slice}/histories.csv",
        summary=report(
            RESULTS + "/tables/{slice}/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
            subcategory="{slice}",
        ),
    log:
        RESULTS + "/logs/aggregate/{slice}.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        run_dirs=lambda wildcards, input: run_dirs_of(input.metrics),
    shell:
        "python -m actstudy aggregate --runs {output.runs} --histories {output.histories}"
        " --summary {output.summary} {params.run_dirs} > {log} 2>&1"


rule statistics:
    input:
        runs=RESULTS + "/tables/all/runs.csv",
    output:
        tests=report(
            RESULTS + "/tables/all/statistics.csv",
            caption="../report/statistics.rst",
            category="Tables",
        ),
    log:
        RESULTS + "/logs/statistics.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python -m actstudy statistics --runs {input.runs} --out {output.tests} > {log} 2>&1"


rule evaluate_all:
    input:
        rules.statistics.output.tests,
        RESULTS + "/tables/all/summary.csv",
    localrule: True
