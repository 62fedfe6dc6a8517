rule train:
    input:
        prepared=rules.prepare.output.prepared,
        folds=rules.folds.output.folds,
        code=TRAIN_CODE,
    output:
        history=RUN_DIR + "/history.csv",
        metrics=RUN_DIR + "/metrics.json",
        checkpoint=RUN_DIR + "/best.pt",
        manifest=RUN_DIR + "/manifest.json",
    log:
        RESULTS + "/logs/train/{dataset}/{model}/{activation}/fold{fold}.log",
    benchmark:
        RESULTS + "/benchmarks/train/{dataset}/{model}/{activation}/fold{fold}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        spec=train_spec,
        run_dir=run_dir,
    shell:
        "python -m actstudy train --spec {params.spec:q} --prepared {input.prepared}"
        " --folds {input.folds} --out {params.run_dir} --threads {threads} > {log} 2>&1"


rule train_all:
    input:
        expand(
            rules.train.output.metrics,
            dataset=DATASETS,
            model=MODELS,
            activation=ACTIVATIONS,
            fold=FOLDS,
        ),
    localrule: True
