rule aggregate:
    input:
        metrics=slice_runs,
        searched=slice_searched_runs,  # last: it waits for the search (run_metrics)
    output:
        runs="results/{study}/tables/{slice}/runs.csv",
        histories="results/{study}/tables/{slice}/histories.csv",
        summary="results/{study}/tables/{slice}/summary.csv",
        diagnostics="results/{study}/tables/{slice}/diagnostics.csv",
    log:
        "results/{study}/logs/aggregate/{slice}.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        run_dirs=run_dirs_of_input,
    shell:
        "python -m actstudy aggregate --runs {output.runs:q} --histories {output.histories:q}"
        " --summary {output.summary:q} --diagnostics {output.diagnostics:q}"
        " {params.run_dirs:q} > {log:q} 2>&1"


rule activation_curves:
    input:
        checkpoints=run_metrics("all", "best.pt"),
        metrics=run_metrics("all"),
        searched=searched_runs,  # last: it waits for the search (run_metrics)
    output:
        curves="results/{study}/tables/all/activation_curves.csv",
    log:
        "results/{study}/logs/activation_curves.log",
    conda:
        "../../envs/torch.yaml"
    params:
        run_dirs=run_dirs_of_input,
    shell:
        "python -m actstudy activation-curves --out {output.curves:q} {params.run_dirs:q}"
        " > {log:q} 2>&1"


rule statistics:
    input:
        runs="results/{study}/tables/all/runs.csv",
        folds=expand(rules.folds.output.folds, study=STUDY, dataset=DATASETS),
        metrics=run_metrics("all"),
        searched=searched_runs,  # last: it waits for the search (run_metrics)
    output:
        tests="results/{study}/tables/all/statistics.csv",
    log:
        "results/{study}/logs/statistics.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        options=statistics_options,
        run_dirs=run_dirs_of_input,
    shell:
        "python -m actstudy statistics --runs {input.runs:q} --folds {input.folds:q}"
        " --options {params.options:q} --out {output.tests:q} {params.run_dirs:q}"
        " > {log:q} 2>&1"


rule compare:
    input:
        runs="results/{study}/tables/all/runs.csv",
        results=reported_file("results"),
        claims=reported_file("claims"),
    output:
        paper_vs_ours="results/{study}/tables/all/paper_vs_ours.csv",
        claims="results/{study}/tables/all/claims.csv",
    log:
        "results/{study}/logs/compare.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        study=STUDY,
    shell:
        "python -m actstudy compare --runs {input.runs:q} --results {input.results:q}"
        " --claims {input.claims:q} --study {params.study:q}"
        " --paper-vs-ours {output.paper_vs_ours:q} --claims-out {output.claims:q} > {log:q} 2>&1"


rule evaluate_all:
    input:
        expand(
            [rules.statistics.output.tests, rules.aggregate.output.summary],
            study=STUDY,
            slice="all",
        ),
        expand(rules.compare.output, study=STUDY) if config["reported"] else [],
    localrule: True
