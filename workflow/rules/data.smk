rule prepare:
    output:
        prepared=directory(layout.PREPARED),
    log:
        layout.PREPARE_LOG,
    benchmark:
        layout.PREPARE_BENCHMARK
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
        folds=layout.FOLDS,
    log:
        layout.log("folds", "{dataset}"),
    conda:
        "../../envs/torch.yaml"
    params:
        options=fold_options,
        format=FOLDS_FORMAT,
    shell:
        "python -m actstudy folds --prepared {input.prepared:q} --options {params.options:q}"
        " --out {output.folds:q} > {log:q} 2>&1"


rule data_all:
    input:
        expand(rules.folds.output.folds, study=STUDY, dataset=DATASETS),
    localrule: True
