rule prepare:
    output:
        prepared=directory("resources/prepared/{dataset}"),
    log:
        "resources/logs/prepare/{dataset}.log",
    benchmark:
        "resources/benchmarks/prepare/{dataset}.tsv"
    conda:
        "../../envs/torch.yaml"
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        options=dataset_options,
    shell:
        "python -m actstudy prepare --options {params.options:q} --out {output.prepared}"
        " --resources resources > {log} 2>&1"


rule folds:
    input:
        prepared=rules.prepare.output.prepared,
    output:
        folds="results/{study}/folds/{dataset}.json",
    log:
        "results/{study}/logs/folds/{dataset}.log",
    conda:
        "../../envs/torch.yaml"
    params:
        options=fold_options,
    shell:
        "python -m actstudy folds --prepared {input.prepared} --options {params.options:q}"
        " --out {output.folds} > {log} 2>&1"


rule data_all:
    input:
        expand(rules.folds.output.folds, study=STUDY, dataset=DATASETS),
    localrule: True
