rule prepare:
    output:
        prepared=directory("resources/prepared/{prepared}"),
    log:
        "resources/logs/prepare/{prepared}.log",
    benchmark:
        "resources/benchmarks/prepare/{prepared}.tsv"
    conda:
        "../../envs/torch.yaml"
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        options=prepare_options,
        plugins=prepare_plugins,
    shell:
        "python -m actstudy prepare --options {params.options:q} --out {output.prepared:q}"
        " --resources resources --plugins {params.plugins:q} > {log:q} 2>&1"


rule folds:
    input:
        prepared=prepared_dir,
    output:
        folds="results/{study}/folds/{dataset}.json",
    log:
        "results/{study}/logs/folds/{dataset}.log",
    conda:
        "../../envs/torch.yaml"
    params:
        options=fold_options,
    shell:
        "python -m actstudy folds --prepared {input.prepared:q} --options {params.options:q}"
        " --out {output.folds:q} > {log:q} 2>&1"


rule data_all:
    input:
        expand(rules.folds.output.folds, study=STUDY, dataset=DATASETS),
    localrule: True
