rule aggregate:
    input:
        metrics=slice_runs,
        timing=layout.table("timing", "all"),  # each model's parameters and FLOPs
        searched=slice_searched_runs,  # last: it waits for the search (slice_files)
    output:
        runs=layout.table("runs"),
        # the long tables: their HTML pages show them summarised, the report offers them whole
        histories=report(
            layout.table("histories"),
            caption="../report/whole_table.rst",
            category="{study} · tables",
            subcategory=step_subcategory("aggregate"),
            labels={"table": "3 histories (whole CSV)", "slice": "{slice}"},
        ),
        summary=layout.table("summary"),
        diagnostics=report(
            layout.table("diagnostics"),
            caption="../report/whole_table.rst",
            category="{study} · tables",
            subcategory=step_subcategory("aggregate"),
            labels={"table": "4 diagnostics (whole CSV)", "slice": "{slice}"},
        ),
    log:
        layout.log("aggregate", "{slice}"),
    conda:
        "../../envs/analysis.yaml"
    params:
        run_dirs=run_dirs_of_input,
    shell:
        "python -m actstudy aggregate --runs {output.runs:q} --histories {output.histories:q}"
        " --summary {output.summary:q} --diagnostics {output.diagnostics:q}"
        " --timing {input.timing:q} {params.run_dirs:q} > {log:q} 2>&1"


# the study's tables of every run (the slice "all")
ALL_TABLES = {
    name: path.replace("{slice}", "all")
    for name, path in rules.aggregate.output.items()
}


rule activation_curves:
    input:
        checkpoints=slice_files("all", "best.pt"),
        metrics=slice_files("all"),
        searched=searched_runs,  # last: it waits for the search (slice_files)
    output:
        curves=layout.table("activation_curves", "all"),
    log:
        layout.log("activation_curves"),
    conda:
        "../../envs/torch.yaml"
    params:
        run_dirs=run_dirs_of_input,
    shell:
        "python -m actstudy activation-curves --out {output.curves:q} {params.run_dirs:q}"
        " > {log:q} 2>&1"


rule statistics:
    input:
        runs=ALL_TABLES["runs"],
        folds=expand(rules.folds.output.folds, study=STUDY, dataset=DATASETS),
        metrics=slice_files("all"),
        searched=searched_runs,  # last: it waits for the search (slice_files)
    output:
        tests=layout.table("statistics", "all"),
    log:
        layout.log("statistics"),
    conda:
        "../../envs/analysis.yaml"
    params:
        options=statistics_options,
        run_dirs=run_dirs_of_input,
    shell:
        "python -m actstudy statistics --runs {input.runs:q} --folds {input.folds:q}"
        " --options {params.options:q} --out {output.tests:q} {params.run_dirs:q}"
        " > {log:q} 2>&1"


# Each activation's training step timed per dataset × model, in alternating rounds within one
# process (actstudy.evaluation.timing): the seconds-per-epoch figures read this, not the runs'
# wall-clock epoch times, which load from other jobs confounds.
rule timing:
    input:
        specs=timing_specs,
        prepared=prepared_dir,
        folds=rules.folds.output.folds,
    output:
        timing=layout.TIMING,
    log:
        layout.log("timing", "{dataset}/{model}"),
    benchmark:
        layout.benchmark("timing", "{dataset}/{model}")
    conda:
        "../../envs/torch.yaml"
    threads: config["jobs"]["threads"]
    resources:
        gpu_slot=1,
    params:
        options=timing_options,
        digests=timing_digests,
    shell:
        "python -m actstudy timing --spec {input.specs:q} --digest {params.digests:q}"
        " --prepared {input.prepared:q}"
        " --folds {input.folds:q} --options {params.options:q} --threads {threads}"
        " --out {output.timing:q} > {log:q} 2>&1"


rule timing_table:
    input:
        [layout.TIMING.format(study=STUDY, **case) for case in study.timing_cases()],
    output:
        timing=layout.table("timing", "all"),
    log:
        layout.log("timing_table"),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python -m actstudy concat --out {output.timing:q} {input:q} > {log:q} 2>&1"


rule compare:
    input:
        runs=ALL_TABLES["runs"],
        results=reported_file("results"),
        claims=reported_file("claims"),
        folds=rules.statistics.input.folds,
        timing=rules.timing_table.output.timing,
        metrics=slice_files("all"),
        searched=searched_runs,  # last: it waits for the search (slice_files)
    output:
        paper_vs_ours=layout.table("paper_vs_ours", "all"),
        claims=layout.table("claims", "all"),
    log:
        layout.log("compare"),
    conda:
        "../../envs/analysis.yaml"
    params:
        study=STUDY,
        options=statistics_options,
        run_dirs=run_dirs_of_input,
    shell:
        "python -m actstudy compare --runs {input.runs:q} --results {input.results:q}"
        " --claims {input.claims:q} --study {params.study:q} --folds {input.folds:q}"
        " --timing {input.timing:q}"
        " --options {params.options:q} --paper-vs-ours {output.paper_vs_ours:q}"
        " --claims-out {output.claims:q} {params.run_dirs:q} > {log:q} 2>&1"


rule evaluate_all:
    input:
        expand(
            [rules.statistics.output.tests, rules.aggregate.output.summary],
            study=STUDY,
            slice="all",
        ),
        expand(rules.timing_table.output.timing, study=STUDY),
        expand(rules.compare.output, study=STUDY) if config["reported"] else [],
    localrule: True
